"""The conformal quantile itself, and the check of a coverage level: shared by the
single-sequence calibration (:mod:`.calibration`) and the pair differences
(:mod:`.difference`).
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
