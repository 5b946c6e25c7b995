"""Position and orientation: a motif's effect at every start of the variable region.

The site is written (by substitution) at every start of the 80 bp variable region, on
each strand, into every background; all of them and the backgrounds alone are predicted in
one batched call. The effect at a start is the prediction with the site minus that of the
background, averaged over backgrounds and members, as the DREAM ``motif_tiling``
experiment measured it (positions are 0-based in the variable region, the tags' numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import VARIABLE_START
from .backgrounds import as_backgrounds
from .core import (
    annotate,
    difference_bounds,
    member_predictions,
    predictor_110,
    region_starts,
    summarise,
)
from .sites import insert, resolve_site

#: The columns of :func:`position_scan` (``lower``, ``upper`` follow when calibrated).
COLUMNS = ["position", "strand", "effect", "sd"]
STRANDS = ("+", "-")


def position_members(model, motif, backgrounds=None, n_backgrounds: int = 100,
                     seed: int = 0, strands=STRANDS, positions=None,
                     batch_size: int = 1024, func=None, run_dir=None) -> dict:
    """Each member's effect of the site at every start and strand, in every background.

    Parameters
    ----------
    model : Predictor, Run, keras.Model or path
        Anything :func:`promoter_model.predictor.as_predictor` takes.
    motif : str, Motif, Site or np.ndarray
        See :func:`promoter_model.grammar.sites.resolve_site`.
    backgrounds : Backgrounds, list of str or np.ndarray, optional
        Default: ``n_backgrounds`` drawn with ``seed``
        (:func:`promoter_model.grammar.backgrounds.draw_backgrounds`).
    n_backgrounds, seed : int
        For drawn backgrounds; ``seed`` also draws degenerate (IUPAC) site columns.
    strands : sequence of {"+", "-"}
    positions : array of int, optional
        0-based starts in the variable region (default: every start where the site fits).
    batch_size : int
    func : callable, optional
        Applied to each member's predictions first (``Predictor.predict_members``).
    run_dir : path, optional
        Where discovered pattern names (``pos_0``) are looked up (default: the
        predictor's folder).

    Returns
    -------
    dict
        ``effects`` (m, n, s, p): member, background, strand, start; ``alt`` (n, s, p) and
        ``ref`` (n,): member-mean predictions; ``positions`` (p,), ``strands``, ``site``
        (:class:`Site`), ``backgrounds`` (:class:`Backgrounds`), ``predictor``.
    """
    pred = predictor_110(model)
    site = resolve_site(motif, run_dir=run_dir if run_dir is not None else pred.path)
    bg = as_backgrounds(backgrounds, n=n_backgrounds, seed=seed)
    strands = tuple(strands)
    if not strands or any(s not in STRANDS for s in strands):
        raise ValueError(f"strands must be a non-empty selection of {STRANDS}, got {strands}")
    starts = region_starts(len(site), positions)
    readings = site.draw(len(bg), np.random.default_rng(seed))
    blocks = [insert(bg.X, readings if s == "+" else readings[:, ::-1, ::-1],
                     VARIABLE_START + starts, site.keep if s == "+" else site.keep[::-1])
              for s in strands]
    n, p, S = len(bg), len(starts), len(strands)
    X = np.concatenate([bg.X] + [b.reshape(n * p, *bg.X.shape[1:]) for b in blocks])
    y = member_predictions(pred, X, batch_size=batch_size, func=func)
    ref = y[:, :n]
    alt = y[:, n:].reshape(-1, S, n, p).transpose(0, 2, 1, 3)  # (m, n, s, p)
    return {"effects": alt - ref[:, :, None, None], "alt": alt.mean(axis=0),
            "ref": ref.mean(axis=0), "positions": starts, "strands": strands, "site": site,
            "backgrounds": bg, "predictor": pred}


def position_scan(model, motif, backgrounds=None, n_backgrounds: int = 100, seed: int = 0,
                  strands=STRANDS, positions=None, level: float | None = 0.9,
                  batch_size: int = 1024, func=None, run_dir=None) -> pd.DataFrame:
    """The effect of a motif at every position of the variable region, on both strands.

    Parameters
    ----------
    model, motif, backgrounds, n_backgrounds, seed, strands, positions, batch_size, func,
    run_dir
        As for :func:`position_members`.
    level : float or None
        Level of the calibrated interval (calibrated ensembles, no ``func``); None: none.

    Returns
    -------
    pd.DataFrame
        One row per strand and start: ``position`` (0-based start in the 80 bp variable
        region), ``strand`` (``+``: the motif as given; ``-``: its reverse complement),
        ``effect`` (mean over backgrounds and members of prediction with the site minus
        without), ``sd`` (members' sd; NaN for one run); a calibrated ensemble adds
        ``lower`` and ``upper`` (the interval of the measured effect in one background,
        averaged over backgrounds; :func:`promoter_model.grammar.core.difference_bounds`).
        ``attrs``: ``operation``, ``motif``, ``site``, ``n_backgrounds``, ``seed``,
        ``backgrounds``, ``pool``, ``members``, ``level``, ``calibrated`` and
        ``background_sd`` (per row: the effect's sd over backgrounds).
    """
    r = position_members(model, motif, backgrounds=backgrounds, n_backgrounds=n_backgrounds,
                         seed=seed, strands=strands, positions=positions,
                         batch_size=batch_size, func=func, run_dir=run_dir)
    s = summarise(r["effects"], background_axis=1)  # (s, p)
    S, p = len(r["strands"]), len(r["positions"])
    df = pd.DataFrame({"position": np.tile(r["positions"], S),
                       "strand": np.repeat(r["strands"], p),
                       "effect": s["effect"].ravel(), "sd": s["sd"].ravel()})
    bounds = difference_bounds(r["predictor"], r["alt"], r["ref"][:, None, None], level, func)
    if bounds is not None:
        df["lower"], df["upper"] = bounds[0].ravel(), bounds[1].ravel()
    return annotate(df, operation="position", motif=r["site"].name, site=r["site"].text,
                    members=len(r["predictor"].members), level=level,
                    calibrated=bounds is not None, background_sd=s["background_sd"].ravel(),
                    **r["backgrounds"].record())
