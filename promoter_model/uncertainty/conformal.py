"""The conformal quantile itself, its Mondrian (binned) form, and the check of a coverage
level: shared by the single-sequence calibration (:mod:`.calibration`) and the pair
differences (:mod:`.difference`).
"""

from __future__ import annotations

import numpy as np

#: Levels whose conformal quantiles are stored: 0.001, 0.002, ..., 0.999.
LEVELS = np.round(np.arange(1, 1000) / 1000.0, 3)


def check_level(level) -> float:
    """``level`` as a float in (0, 1), or a ValueError naming it.

    Raises
    ------
    ValueError
        ``level`` is not a number strictly between 0 and 1.
    """
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"interval level {level!r} is not a number; give a coverage "
                         "between 0 and 1, e.g. 0.9") from None
    if not 0.0 < value < 1.0:  # also refuses NaN
        raise ValueError(f"interval level {level!r} must be between 0 and 1 (exclusive), "
                         "e.g. 0.9 for a 90% interval")
    return value


def conformal_quantiles(scores, levels=LEVELS) -> np.ndarray:
    """Conformal quantiles of nonconformity scores at each level.

    Parameters
    ----------
    scores : array, shape (n,)
    levels : array, shape (G,)

    Returns
    -------
    np.ndarray, shape (G,)
        The ``ceil((n + 1) * level)``-th smallest score; ``inf`` where that rank exceeds
        ``n`` (too few scores for the level).
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))
    n = s.size
    rank = np.ceil((n + 1) * np.asarray(levels, dtype=np.float64) - 1e-9).astype(np.int64)
    out = np.full(rank.shape, np.inf)
    ok = (rank >= 1) & (rank <= n)
    out[ok] = s[rank[ok] - 1]
    out[rank < 1] = 0.0
    return out


def binned_quantiles(scores, key, levels=LEVELS, n_bins: int = 10, min_per_bin: int = 500):
    """Mondrian conformal quantiles: ``scores`` split into bins of equal count along
    ``key``, each bin's :func:`conformal_quantiles`.

    Parameters
    ----------
    scores, key : array, shape (n,)
        Nonconformity scores, and what the bins follow (a predicted value, the size of a
        predicted change).
    levels : array, shape (G,)
    n_bins, min_per_bin : int
        Up to ``n_bins`` bins, fewer when a bin would hold fewer than ``min_per_bin``
        scores (1 bin: plain split conformal); tied edges merge.

    Returns
    -------
    edges : np.ndarray, shape (B - 1,)
        Inner edges (bin ``b`` holds ``edges[b-1] <= key < edges[b]``).
    quantiles : np.ndarray, shape (B, G)
    counts : np.ndarray, shape (B,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    key = np.asarray(key, dtype=np.float64)
    bins = int(max(1, min(n_bins, key.size // max(1, min_per_bin))))
    edges = np.unique(np.quantile(key, np.arange(1, bins) / bins)) if bins > 1 else \
        np.zeros(0)
    which = np.searchsorted(edges, key, side="right")
    quantiles = np.stack([conformal_quantiles(scores[which == b], levels)
                          for b in range(edges.size + 1)])
    return edges, quantiles, np.bincount(which, minlength=edges.size + 1)
