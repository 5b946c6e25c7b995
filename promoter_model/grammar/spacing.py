"""Spacing and relative orientation of a motif pair: the interaction against spacing.

In every background, A is written at one start and B at each spacing after it, on each
strand combination; with the backgrounds alone, A alone and B alone at every place, all are
predicted in one batched call. The interaction of a pair is
``f(AB) - f(A) - f(B) + f(none)`` per background and member (zero for a model where the
two act additively), averaged over backgrounds and members. Spacing counts the bases
between the end of A and the start of B (0: adjacent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import SEQ_LEN, VARIABLE_START
from .backgrounds import as_backgrounds
from .core import REGION, annotate, member_predictions, predictor_110, summarise
from .sites import insert, resolve_site

#: The columns of :func:`spacing_scan`.
COLUMNS = ["spacing", "orientation", "interaction", "sd"]
#: Strand of A then of B: ``+`` as given, ``-`` reverse complement.
ORIENTATIONS = ("++", "+-", "-+", "--")


def _placed(X, site, readings, starts, strand):
    """``insert`` of one strand of a site, (n, p, L, 4)."""
    if strand == "-":
        readings, keep = readings[:, ::-1, ::-1], site.keep[::-1]
    else:
        keep = site.keep
    return insert(X, readings, starts, keep)


def spacing_members(model, motif_a, motif_b, spacings=range(31), orientations=ORIENTATIONS,
                    position: int | None = None, backgrounds=None, n_backgrounds: int = 100,
                    seed: int = 0, batch_size: int = 1024, func=None, run_dir=None) -> dict:
    """Each member's interaction of A and B at every spacing and orientation.

    Parameters
    ----------
    model : Predictor, Run, keras.Model or path
    motif_a, motif_b : str, Motif, Site or np.ndarray
        See :func:`promoter_model.grammar.sites.resolve_site`.
    spacings : iterable of int
        Bases between the end of A and the start of B, each >= 0 (default 0-30).
    orientations : iterable of str
        From :data:`ORIENTATIONS`.
    position : int, optional
        0-based start of A in the variable region; default: the widest pair centred.
    backgrounds, n_backgrounds, seed, batch_size, func, run_dir
        As for :func:`promoter_model.grammar.position.position_members`.

    Returns
    -------
    dict
        ``interaction`` (m, n, o, s): member, background, orientation, spacing; ``alone``:
        member-mean effects of A alone (n, 2) and of B alone (n, 2, s) by strand;
        ``spacings``, ``orientations``, ``position``, ``sites``, ``backgrounds``,
        ``predictor``.
    """
    pred = predictor_110(model)
    where = run_dir if run_dir is not None else pred.path
    a, b = resolve_site(motif_a, run_dir=where), resolve_site(motif_b, run_dir=where)
    sp = np.asarray(list(spacings), dtype=np.int64)
    orientations = tuple(orientations)
    if sp.size == 0 or sp.min() < 0:
        raise ValueError("spacings must be a non-empty list of values >= 0")
    if not orientations or any(o not in ORIENTATIONS for o in orientations):
        raise ValueError(f"orientations must be chosen from {ORIENTATIONS}, got "
                         f"{orientations}")
    span = REGION[1] - REGION[0]
    widest = len(a) + int(sp.max()) + len(b)
    if position is None:
        position = max(0, (span - widest) // 2)
    if position < 0 or position + widest > span:
        raise ValueError(f"A at {position} with B {int(sp.max())} bp after it needs "
                         f"{position + widest} bp; the variable region has {span}")
    bg = as_backgrounds(backgrounds, n=n_backgrounds, seed=seed)
    rng = np.random.default_rng(seed)
    ra, rb = a.draw(len(bg), rng), b.draw(len(bg), rng)
    a0 = VARIABLE_START + position
    b0 = a0 + len(a) + sp  # (s,)
    n, S, L = len(bg), len(sp), SEQ_LEN
    with_a = {s: _placed(bg.X, a, ra, [a0], s)[:, 0] for s in "+-"}  # (n, L, 4)
    only_b = [_placed(bg.X, b, rb, b0, s) for s in "+-"]  # (n, s, L, 4) each
    pairs = [_placed(with_a[o[0]], b, rb, b0, o[1]) for o in orientations]
    X = np.concatenate([bg.X, with_a["+"], with_a["-"]]
                       + [x.reshape(n * S, L, 4) for x in only_b + pairs])
    y = member_predictions(pred, X, batch_size=batch_size, func=func)
    m = y.shape[0]
    none, fa = y[:, :n], y[:, n:3 * n].reshape(m, 2, n).transpose(0, 2, 1)  # (m, n, 2)
    rest = y[:, 3 * n:].reshape(m, 2 + len(orientations), n, S).transpose(0, 2, 1, 3)
    fb, fab = rest[:, :, :2], rest[:, :, 2:]  # (m, n, 2, s), (m, n, o, s)
    ia = np.array(["+-".index(o[0]) for o in orientations])
    ib = np.array(["+-".index(o[1]) for o in orientations])
    inter = fab - fa[:, :, ia, None] - fb[:, :, ib] + none[:, :, None, None]
    return {"interaction": inter, "alone": {"A": (fa - none[..., None]).mean(axis=0),
                                            "B": (fb - none[..., None, None]).mean(axis=0)},
            "spacings": sp, "orientations": orientations, "position": int(position),
            "sites": (a, b), "backgrounds": bg, "predictor": pred}


def spacing_scan(model, motif_a, motif_b, spacings=range(31), orientations=ORIENTATIONS,
                 position: int | None = None, backgrounds=None, n_backgrounds: int = 100,
                 seed: int = 0, batch_size: int = 1024, func=None,
                 run_dir=None) -> pd.DataFrame:
    """The interaction of a motif pair against spacing and relative orientation.

    Parameters
    ----------
    model, motif_a, motif_b, spacings, orientations, position, backgrounds, n_backgrounds,
    seed, batch_size, func, run_dir
        As for :func:`spacing_members`.

    Returns
    -------
    pd.DataFrame
        One row per orientation and spacing: ``spacing`` (bases from the end of A to the
        start of B), ``orientation`` (strand of A then B, e.g. ``+-``), ``interaction``
        (mean over backgrounds and members of ``f(AB) - f(A) - f(B) + f(none)``), ``sd``
        (members' sd; NaN for one run). No interval: a calibration covers single
        predictions and their differences, not a four-way contrast. ``attrs``:
        ``operation``, ``motif`` (``A + B``), ``sites``, ``position`` (A's start),
        ``n_backgrounds``, ``seed``, ``backgrounds``, ``pool``, ``members`` and
        ``background_sd`` (per row).
    """
    r = spacing_members(model, motif_a, motif_b, spacings=spacings,
                        orientations=orientations, position=position,
                        backgrounds=backgrounds, n_backgrounds=n_backgrounds, seed=seed,
                        batch_size=batch_size, func=func, run_dir=run_dir)
    s = summarise(r["interaction"], background_axis=1)  # (o, s)
    n_o, n_s = len(r["orientations"]), len(r["spacings"])
    df = pd.DataFrame({"spacing": np.tile(r["spacings"], n_o),
                       "orientation": np.repeat(r["orientations"], n_s),
                       "interaction": s["effect"].ravel(), "sd": s["sd"].ravel()})
    a, b = r["sites"]
    return annotate(df, operation="spacing", motif=f"{a.name} + {b.name}",
                    sites=[a.text, b.text], position=r["position"],
                    members=len(r["predictor"].members),
                    background_sd=s["background_sd"].ravel(), **r["backgrounds"].record())
