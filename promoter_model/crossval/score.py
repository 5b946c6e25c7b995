"""Scores of a family-split ensemble on its held-out test families.

Everything here is computed on rows whose family was never trained, selected or
calibrated on: the challenge's weighted scores per subset (pairs on alt - ref), each
member beside the ensemble, the interval's coverage per subset, and both again by each
row's distance to the nearest training row.
"""

from __future__ import annotations

import numpy as np

from promoter_model.families.leakage import stratified_scores
from promoter_model.families.novelty import NOVEL
from promoter_model.metrics import dream_scores, regression_metrics
from promoter_model.uncertainty.intervals import coverage, subset_coverage

REPORT_LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)
DESIGNED = ("high", "low", "challenging")  # evolved by a genetic algorithm in the challenge


def family_scores(y_all, pred_rows, rows, subsets: dict, data: str) -> dict:
    """Regression metrics and the challenge's scores of predictions of ``rows``.

    Parameters
    ----------
    y_all : array, shape (N,)
        Measured value of every row of the test table (by ``pos``).
    pred_rows : array, shape (rows.sum(),)
        Predictions of the rows in ``rows``.
    rows : array of bool, shape (N,)
    subsets : dict
        The challenge's subsets restricted to ``rows``
        (:func:`promoter_model.families.dream.split_subsets`).
    data : str
        What the rows are, stored as ``data``.
    """
    full = np.full(len(y_all), np.nan)
    full[rows] = pred_rows
    out = regression_metrics(np.asarray(y_all)[rows], pred_rows)
    out.update(dream_scores(y_all, full, subsets))
    out["data"] = data
    return out


def interval_report(y_all, mean_rows, sd_rows, rows, calibration, subsets, codes,
                    distance, level: float = 0.9) -> dict:
    """Coverage of the calibrated intervals on ``rows``: per subset (pairs with the
    pair-calibrated interval and the Bonferroni one beside it), at several levels, and by
    distance to the nearest training row.
    """
    y_all = np.asarray(y_all, dtype=np.float64)
    mean_full = np.full(len(y_all), np.nan)
    sd_full = np.full(len(y_all), np.nan)
    mean_full[rows], sd_full[rows] = mean_rows, sd_rows
    out = subset_coverage(y_all, mean_full, calibration, subsets, level, sd=sd_full,
                          codes=codes)
    y = y_all[rows]
    out["all_levels"] = {f"{lv:g}": coverage(y, *calibration.interval(mean_rows, lv))
                         for lv in REPORT_LEVELS}
    lower, upper = calibration.interval(mean_rows, level)
    table = stratified_scores(distance, y, mean_rows, lower, upper)
    out["by_distance"] = table.to_dict(orient="records")
    novel = np.asarray(distance) >= NOVEL
    out["novel"] = {**coverage(y[novel], lower[novel], upper[novel]),
                    "rule": f"no training row within {NOVEL - 1} bases"}
    # the challenge's designed sequences (a genetic algorithm evolved the high, low and
    # challenging rows): split-conformal intervals are known to under-cover designs
    designed = np.zeros(len(y_all), dtype=bool)
    for name in DESIGNED:
        if name in subsets:
            designed[np.asarray(subsets[name], dtype=np.int64)] = True
    designed = designed[rows]
    out["designed"] = {**coverage(y[designed], lower[designed], upper[designed]),
                       "subsets": list(DESIGNED)}
    out["extrapolating"] = int(calibration.extrapolating(mean_rows).sum())
    out["spread_vs_error"] = _spread_vs_error(y, mean_rows, sd_rows)
    return out


def _spread_vs_error(y, mean, sd) -> dict:
    """Whether the members' sd tracks the error: Spearman rho of sd and |error|, and the
    mean |error| in the sd's lowest and highest thirds.
    """
    from scipy import stats

    err = np.abs(np.asarray(y) - np.asarray(mean))
    sd = np.asarray(sd)
    ok = np.isfinite(err) & np.isfinite(sd)
    if ok.sum() < 10:
        return {}
    lo, hi = np.quantile(sd[ok], [1 / 3, 2 / 3])
    return {"spearman_sd_abs_error": float(stats.spearmanr(sd[ok], err[ok])[0]),
            "mean_abs_error_low_sd": float(err[ok & (sd <= lo)].mean()),
            "mean_abs_error_high_sd": float(err[ok & (sd >= hi)].mean())}
