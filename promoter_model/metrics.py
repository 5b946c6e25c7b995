"""Agreement between predicted and measured expression, and the DREAM 2022 scores.

All functions take whole held-out sets (never per-batch averages).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# weights of the challenge's Pearson and Spearman scores (data README)
DREAM_WEIGHTS = {"all": 1.0, "high": 0.3, "low": 0.3, "yeast": 0.3, "random": 0.3,
                 "challenging": 0.5, "SNVs": 1.25, "motif_perturbation": 0.3,
                 "motif_tiling": 0.4}
SINGLE_SUBSETS = ("all", "random", "yeast", "high", "low", "challenging")
PAIR_SUBSETS = ("SNVs", "motif_perturbation", "motif_tiling")


def _clean(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} measurements but {y_pred.size} predictions")
    return y_true, y_pred


def finite_agreement(y_true, y_pred) -> tuple:
    """The finite pairs of measured and predicted values, with their r and R².

    Returns
    -------
    y_true, y_pred : np.ndarray, float64
        Pairs where both values are finite.
    r, r2 : float
        Pearson r and the coefficient of determination (NaN with fewer than two pairs).
    """
    y_true, y_pred = _clean(y_true, y_pred)
    ok = np.isfinite(y_true) & np.isfinite(y_pred)
    y_true, y_pred = y_true[ok], y_pred[ok]
    if y_true.size < 2:
        return y_true, y_pred, float("nan"), float("nan")
    return y_true, y_pred, pearson_r(y_true, y_pred), r2_score(y_true, y_pred)


def r2_score(y_true, y_pred) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (can be negative)."""
    y_true, y_pred = _clean(y_true, y_pred)
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    if ss_tot == 0:
        return float("nan")
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / ss_tot)


def pearson_r(y_true, y_pred) -> float:
    """Pearson's correlation; NaN when either side is constant."""
    y_true, y_pred = _clean(y_true, y_pred)
    if y_true.size < 2 or y_true.std() == 0 or y_pred.std() == 0:
        return float("nan")
    return float(np.corrcoef(y_true, y_pred)[0, 1])


def spearman_r(y_true, y_pred) -> float:
    """Spearman's rank correlation; NaN when either side is constant."""
    y_true, y_pred = _clean(y_true, y_pred)
    if y_true.size < 2 or y_true.std() == 0 or y_pred.std() == 0:
        return float("nan")
    return float(stats.spearmanr(y_true, y_pred).statistic)


def regression_metrics(y_true, y_pred) -> dict:
    """``n``, ``mse``, ``r2`` (coefficient of determination), ``pearson_r``, ``pearson_r2``
    and ``spearman_r``.
    """
    y_true, y_pred = _clean(y_true, y_pred)
    r = pearson_r(y_true, y_pred)
    return {"n": int(y_true.size), "mse": float(np.mean((y_true - y_pred) ** 2)),
            "r2": r2_score(y_true, y_pred), "pearson_r": r, "pearson_r2": r * r,
            "spearman_r": spearman_r(y_true, y_pred)}


def dream_scores(y_true, y_pred, subsets: dict) -> dict:
    """The DREAM 2022 challenge scores.

    Parameters
    ----------
    y_true, y_pred : array, shape (n,)
        Measured and predicted expression of every test sequence, indexed by ``pos``.
    subsets : dict
        ``name -> list of pos`` for single subsets and ``name -> list of [alt_pos, ref_pos]``
        for pair subsets (scored on alt - ref differences), as in ``public_leaderboard.json``.

    Returns
    -------
    dict
        ``pearson_r2_<subset>``, ``spearman_<subset>``, ``n_<subset>``, and the weighted
        ``pearson_score`` and ``spearman_score``.
    """
    y_true, y_pred = _clean(y_true, y_pred)
    out: dict = {}
    for name in SINGLE_SUBSETS + PAIR_SUBSETS:
        if name not in subsets:
            continue
        idx = np.asarray(subsets[name], dtype=np.int64)
        if name in PAIR_SUBSETS:
            t = y_true[idx[:, 0]] - y_true[idx[:, 1]]
            p = y_pred[idx[:, 0]] - y_pred[idx[:, 1]]
        else:
            t, p = y_true[idx], y_pred[idx]
        r = pearson_r(t, p)
        out[f"n_{name}"] = int(len(idx))
        out[f"pearson_r2_{name}"] = r * r
        out[f"spearman_{name}"] = spearman_r(t, p)
    if all(f"n_{k}" in out for k in DREAM_WEIGHTS):
        total = sum(DREAM_WEIGHTS.values())
        out["pearson_score"] = sum(w * out[f"pearson_r2_{k}"]
                                   for k, w in DREAM_WEIGHTS.items()) / total
        out["spearman_score"] = sum(w * out[f"spearman_{k}"]
                                    for k, w in DREAM_WEIGHTS.items()) / total
    return out
