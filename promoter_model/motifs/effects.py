"""Effects of discovered patterns: predicted change when a pattern's seqlets are scrambled.

For each pattern, up to ``max_seqlets`` of its seqlets (a seeded sample) are taken in the
sequences they were found in, and the seqlet's bases are replaced by uniformly random ones
(``draws`` times, seeded). The effect of the seqlet is the prediction of the sequence minus
the mean prediction of its scrambled copies, so an activator (its presence raises
expression) has a positive effect and a repressor a negative one. The pattern's ``effect``
and ``effect_sd`` are the mean and the population sd of that over its seqlets.

Random replacement is used rather than a shuffle of the seqlet's own bases: a shuffle leaves
a homopolymer site such as poly-dA:dT unchanged and would report no effect for it.
"""

from __future__ import annotations

import numpy as np

EFFECT_METHOD = "scramble"


def scrambled_copies(X, rows, starts, width: int, draws: int, rng) -> np.ndarray:
    """Copies of ``X[rows]`` with ``width`` bases from each start replaced by random bases.

    Parameters
    ----------
    X : np.ndarray, shape (n, L, 4)
    rows, starts : np.ndarray of int, shape (m,)
        Sequence index and 0-based start of each site (clipped so the site fits in ``L``).
    width : int
    draws : int
        Random replacements per site.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray, shape (m * draws, L, 4), float32
        Site ``k``'s copies are rows ``k * draws .. k * draws + draws - 1``.
    """
    X = np.asarray(X, dtype=np.float32)
    L = X.shape[1]
    width = int(min(width, L))
    starts = np.clip(np.asarray(starts, dtype=np.int64), 0, L - width)
    rows = np.asarray(rows, dtype=np.int64)
    m = len(rows)
    out = np.repeat(X[rows], draws, axis=0)
    cols = np.repeat(starts, draws)[:, None] + np.arange(width)[None, :]  # (m*draws, width)
    r = np.arange(m * draws)[:, None]
    out[r, cols, :] = 0.0
    out[r, cols, rng.integers(0, 4, size=cols.shape)] = 1.0
    return out


def scramble_effects(predictor, X, sites, seed: int = 0, max_seqlets: int = 500,
                     draws: int = 4, batch_size: int = 1024) -> list:
    """Mean predicted change when each pattern's seqlets are scrambled.

    Parameters
    ----------
    predictor : Predictor
        :func:`promoter_model.predictor.as_predictor` of the model (ensemble mean).
    X : np.ndarray, shape (n, L, 4)
        The sequences the seqlets were found in.
    sites : list of tuple (rows, starts, width)
        Per pattern: sequence index and start of each seqlet (arrays), and the width.
    seed : int
    max_seqlets : int
        Seqlets scored per pattern (a seeded sample of them when there are more).
    draws : int
        Random replacements per seqlet.
    batch_size : int

    Returns
    -------
    list of (float, float)
        Per pattern: mean effect and its population sd over the scored seqlets, in the
        model's output units; (nan, nan) for a pattern without seqlets.
    """
    rng = np.random.default_rng(seed)
    picked, batches = [], []
    for rows, starts, width in sites:
        rows, starts = np.asarray(rows, dtype=np.int64), np.asarray(starts, dtype=np.int64)
        if len(rows) > max_seqlets:
            keep = np.sort(rng.choice(len(rows), size=max_seqlets, replace=False))
            rows, starts = rows[keep], starts[keep]
        picked.append(rows)
        batches.append(scrambled_copies(X, rows, starts, width, draws, rng))
    if not batches or not sum(len(r) for r in picked):
        return [(float("nan"), float("nan")) for _ in sites]
    rows_all = np.concatenate(picked)
    base = predictor.predict(np.asarray(X, dtype=np.float32)[rows_all],
                             batch_size=batch_size)[0]
    scrambled = predictor.predict(np.concatenate(batches), batch_size=batch_size)[0]
    out, a = [], 0
    for rows in picked:
        m = len(rows)
        if m == 0:
            out.append((float("nan"), float("nan")))
            continue
        effect = base[a:a + m] - scrambled[a * draws:(a + m) * draws].reshape(m, draws).mean(1)
        out.append((float(effect.mean()), float(effect.std())))
        a += m
    return out
