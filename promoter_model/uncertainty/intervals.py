"""Intervals from a predictor, and how often they cover measured values.

:func:`predict_interval` is what callers use: the ensemble mean, the members' spread and,
when the predictor carries a :class:`~promoter_model.uncertainty.calibration.Calibration` (the demo
ensemble's ``calibration.json``), the conformal interval. A single run or an uncalibrated
ensemble has ``lower = upper = None``: "interval unavailable".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..metrics import PAIR_SUBSETS, SINGLE_SUBSETS
from .calibration import check_level

UNAVAILABLE = ("no prediction interval is available: this model has no calibration "
               "(a single run, or an ensemble without calibration.json)")


class Interval(NamedTuple):
    """Prediction, spread and interval of each sequence.

    Attributes
    ----------
    mean : np.ndarray, shape (n,)
        Member mean (the prediction).
    sd : np.ndarray or None
        Population sd across members; None for one run.
    lower, upper : np.ndarray or None
        Conformal interval at ``level``; None without a calibration.
    level : float
    """

    mean: np.ndarray
    sd: np.ndarray | None
    lower: np.ndarray | None
    upper: np.ndarray | None
    level: float


def interval_from_mean(predictor, mean, sd, level: float = 0.9) -> Interval:
    """:class:`Interval` of predictions already made by ``predictor``."""
    level = check_level(level)
    cal = getattr(predictor, "calibration", None)
    if cal is None:
        return Interval(mean, sd, None, None, level)
    lower, upper = cal.interval(mean, level)
    return Interval(mean, sd, lower, upper, level)


def predict_interval(predictor, X, level: float = 0.9, batch_size: int = 1024) -> Interval:
    """Prediction, members' sd and calibrated interval of one-hot sequences.

    Parameters
    ----------
    predictor : Predictor
    X : np.ndarray, shape (n, L, 4) or (L, 4)
    level : float
        Coverage in (0, 1), e.g. 0.9.
    batch_size : int

    Returns
    -------
    Interval
    """
    level = check_level(level)
    mean, sd = predictor.predict(X, batch_size=batch_size)
    return interval_from_mean(predictor, mean, sd, level)


def predict_interval_sequences(predictor, sequences, level: float = 0.9,
                               batch_size: int = 1024) -> Interval:
    """:func:`predict_interval` of DNA strings (fitted to the predictor's length)."""
    level = check_level(level)
    mean, sd = predictor.predict_sequences(sequences, batch_size=batch_size)
    return interval_from_mean(predictor, mean, sd, level)


def coverage(y, lower, upper) -> dict:
    """``n``, ``coverage`` (share of ``y`` inside ``[lower, upper]``) and ``mean_width``.

    Rows where any input is NaN are left out; an infinite bound counts as covering.
    """
    y, lo, hi = (np.asarray(a, dtype=np.float64).ravel() for a in (y, lower, upper))
    ok = ~(np.isnan(y) | np.isnan(lo) | np.isnan(hi))
    y, lo, hi = y[ok], lo[ok], hi[ok]
    if y.size == 0:
        return {"n": 0, "coverage": float("nan"), "mean_width": float("nan")}
    return {"n": int(y.size), "coverage": float(np.mean((y >= lo) & (y <= hi))),
            "mean_width": float(np.mean(hi - lo))}


def subset_coverage(y, mean, calibration, subsets: dict, level: float = 0.9,
                    sd=None, codes=None) -> dict:
    """Interval coverage and width per DREAM subset.

    Parameters
    ----------
    y, mean : array, shape (N,)
        Measured values and predictions of every test row, indexed by ``pos`` (NaN where
        not predicted).
    calibration : Calibration
    subsets : dict
        ``public_leaderboard.json`` subsets: lists of pos, or ``[alt, ref]`` pairs.
    level : float
    sd : array, shape (N,), optional
        The members' sd of each prediction. Given, the pair subsets also report the
        coverage of the uncalibrated ``delta +- z * sd_delta`` (``spread_``), where
        ``sd_delta`` is taken as ``sqrt(sd_alt^2 + sd_ref^2)``; a diagnostic only.
    codes : array, shape (N, L), uint8, optional
        Base codes of every row. Given, each pair's differing bases choose its
        pair-calibrated interval where the calibration has one
        (:meth:`Calibration.difference_interval`), and the Bonferroni interval's coverage
        and width are reported beside it (``bonferroni_coverage``,
        ``bonferroni_mean_width``).

    Returns
    -------
    dict
        ``{"level": level, "method": ..., "<subset>": {"n", "coverage", "mean_width"}}``;
        pair subsets are about the measured difference ``alt - ref``.
    """
    from scipy import stats

    from promoter_model.uncertainty.difference import count_mismatches

    level = check_level(level)
    y = np.asarray(y, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    paired = codes is not None and calibration.differences is not None
    bonferroni = "Bonferroni: delta +- (w_alt + w_ref) at level 1 - (1-level)/2 each"
    out = {"level": level, "method": calibration.info.get("method", "conformal"),
           "difference_rule": (f"calibrated on measured pairs 1-"
                               f"{int(calibration.differences.mismatches.max())} bases apart"
                               f" (by edit size and size of the predicted change) where a "
                               f"pair's edit size has a group; else {bonferroni}"
                               if paired else bonferroni)}
    for name in SINGLE_SUBSETS:
        if name in subsets:
            idx = np.asarray(subsets[name], dtype=np.int64)
            lo, hi = calibration.interval(mean[idx], level)
            out[name] = coverage(y[idx], lo, hi)
    z = float(stats.norm.ppf(0.5 + level / 2))
    for name in PAIR_SUBSETS:
        if name not in subsets:
            continue
        idx = np.asarray(subsets[name], dtype=np.int64).reshape(-1, 2)
        a, r = idx[:, 0], idx[:, 1]
        m = count_mismatches(codes[a], codes[r]) if codes is not None else None
        lo, hi = calibration.difference_interval(mean[a], mean[r], level, mismatches=m)
        out[name] = coverage(y[a] - y[r], lo, hi)
        if paired:
            blo, bhi = calibration.difference_interval(mean[a], mean[r], level)
            bonf = coverage(y[a] - y[r], blo, bhi)
            out[name]["bonferroni_coverage"] = bonf["coverage"]
            out[name]["bonferroni_mean_width"] = bonf["mean_width"]
            out[name]["pair_calibrated"] = int(calibration.calibrated_pairs(m).sum())
        if sd is not None:
            sd = np.asarray(sd, dtype=np.float64)
            delta = mean[a] - mean[r]
            w = z * np.sqrt(sd[a] ** 2 + sd[r] ** 2)
            out[name]["spread_coverage"] = coverage(y[a] - y[r], delta - w,
                                                    delta + w)["coverage"]
    return out
