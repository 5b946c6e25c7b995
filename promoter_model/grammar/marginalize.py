"""Marginalize: a motif's effect inserted into many backgrounds, as a distribution.

Each motif is written (by substitution) at one place of every background; the
backgrounds with and without it are predicted in one batched call. The effect's
distribution over backgrounds is what a single sequence cannot give: its mean, its spread
over backgrounds, and the members' disagreement about the mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import VARIABLE_START
from .backgrounds import as_backgrounds
from .core import (
    REGION,
    annotate,
    difference_bounds,
    member_predictions,
    predictor_110,
    region_starts,
    summarise,
)
from .sites import insert, resolve_site

#: The columns of :func:`marginalize` (``lower``, ``upper`` follow when calibrated).
COLUMNS = ["motif", "site", "position", "strand", "effect", "sd", "background_sd"]


def marginalize_members(model, motifs, position: int | None = None, strand: str = "+",
                        backgrounds=None, n_backgrounds: int = 100, seed: int = 0,
                        batch_size: int = 1024, func=None, run_dir=None) -> dict:
    """Each member's effect of each motif in each background.

    Parameters
    ----------
    model : Predictor, Run, keras.Model or path
    motifs : str, Motif, Site, np.ndarray, or a list of them
        See :func:`promoter_model.grammar.sites.resolve_site`.
    position : int, optional
        0-based start in the variable region; default: each motif centred.
    strand : {"+", "-"}
    backgrounds, n_backgrounds, seed, batch_size, func, run_dir
        As for :func:`promoter_model.grammar.position.position_members`.

    Returns
    -------
    dict
        ``effects`` (m, n, k): member, background, motif; ``alt`` (n, k) and ``ref`` (n,)
        member-mean predictions; ``positions`` (k,), ``strand``, ``sites``,
        ``backgrounds``, ``predictor``.
    """
    pred = predictor_110(model)
    where = run_dir if run_dir is not None else pred.path
    if isinstance(motifs, (str, bytes)) or not isinstance(motifs, (list, tuple)):
        motifs = [motifs]
    sites = [resolve_site(m, run_dir=where) for m in motifs]
    if strand not in ("+", "-"):
        raise ValueError(f"strand must be '+' or '-', got {strand!r}")
    span = REGION[1] - REGION[0]
    starts = [int(region_starts(len(s), (span - len(s)) // 2 if position is None
                                else position)[0]) for s in sites]
    bg = as_backgrounds(backgrounds, n=n_backgrounds, seed=seed)
    rng = np.random.default_rng(seed)
    blocks = []
    for site, start in zip(sites, starts):
        r = site.draw(len(bg), rng)
        keep = site.keep
        if strand == "-":
            r, keep = r[:, ::-1, ::-1], keep[::-1]
        blocks.append(insert(bg.X, r, [VARIABLE_START + start], keep)[:, 0])
    n = len(bg)
    y = member_predictions(pred, np.concatenate([bg.X] + blocks), batch_size=batch_size,
                           func=func)
    ref = y[:, :n]
    alt = y[:, n:].reshape(y.shape[0], len(sites), n).transpose(0, 2, 1)  # (m, n, k)
    return {"effects": alt - ref[:, :, None], "alt": alt.mean(axis=0), "ref": ref.mean(axis=0),
            "positions": np.asarray(starts), "strand": strand, "sites": sites,
            "backgrounds": bg, "predictor": pred}


def marginalize(model, motifs, position: int | None = None, strand: str = "+",
                backgrounds=None, n_backgrounds: int = 100, seed: int = 0,
                level: float | None = 0.9, batch_size: int = 1024, func=None,
                run_dir=None) -> pd.DataFrame:
    """The effect of inserting each motif into many backgrounds.

    Parameters
    ----------
    model, motifs, position, strand, backgrounds, n_backgrounds, seed, batch_size, func,
    run_dir
        As for :func:`marginalize_members`.
    level : float or None
        Level of the calibrated interval (calibrated ensembles, no ``func``).

    Returns
    -------
    pd.DataFrame
        One row per motif: ``motif`` (its name), ``site`` (the bases written, IUPAC),
        ``position`` (0-based start in the variable region), ``strand``, ``effect`` (mean
        over backgrounds and members), ``sd`` (members' sd of the background mean; NaN for
        one run), ``background_sd`` (sd of the member-mean effect over backgrounds); a
        calibrated ensemble adds ``lower``, ``upper`` (the measured effect in one
        background, averaged over backgrounds). ``attrs``: ``operation``, ``motif``,
        ``n_backgrounds``, ``seed``, ``backgrounds``, ``pool``, ``members``, ``level``,
        ``calibrated``.
    """
    r = marginalize_members(model, motifs, position=position, strand=strand,
                            backgrounds=backgrounds, n_backgrounds=n_backgrounds, seed=seed,
                            batch_size=batch_size, func=func, run_dir=run_dir)
    s = summarise(r["effects"], background_axis=1)
    df = pd.DataFrame({"motif": [x.name for x in r["sites"]],
                       "site": [x.text for x in r["sites"]], "position": r["positions"],
                       "strand": r["strand"], "effect": s["effect"], "sd": s["sd"],
                       "background_sd": s["background_sd"]})
    bounds = difference_bounds(r["predictor"], r["alt"], r["ref"][:, None], level, func)
    if bounds is not None:
        df["lower"], df["upper"] = bounds
    return annotate(df, operation="marginalize", motif=", ".join(df["motif"]),
                    members=len(r["predictor"].members), level=level,
                    calibrated=bounds is not None, **r["backgrounds"].record())
