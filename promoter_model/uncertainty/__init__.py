"""How far to trust a prediction: calibrated intervals and how often they cover.

Modules
-------
conformal
    The conformal quantile (:func:`conformal_quantiles`), the level grid and
    :func:`check_level`.
calibration
    Conformal interval quantiles fitted on out-of-fold predictions (Mondrian split-conformal,
    binned by the predicted value): :class:`Calibration`, :func:`fit_calibration`,
    :func:`load_calibration` (an ensemble's ``calibration.json``), :func:`check_level`.
difference
    Intervals for alt - ref calibrated on measured family-out-of-fold pairs 1-3 bases
    apart (:class:`DifferenceQuantiles`, :func:`fit_differences`, :func:`count_mismatches`),
    held by a :class:`Calibration` and used by its ``difference_interval``.
direction
    ``p_up``, the probability that a measured effect is positive: from the calibrated
    difference intervals (:func:`p_up_calibrated`, :func:`excluding_level`), or from the
    members' spread, uncalibrated (:func:`p_up_from_spread`).
intervals
    :func:`predict_interval` (mean, members' sd and the calibrated interval of a predictor),
    :func:`interval_from_mean`, :func:`coverage` and :func:`subset_coverage`.

A :class:`promoter_model.predictor.Predictor` carries its ensemble's calibration; fitting one
is part of finalising a cross-validated ensemble (:mod:`promoter_model.crossval`).
"""

from promoter_model.uncertainty.calibration import (
    CALIBRATION_FILE,
    CALIBRATION_FORMAT,
    LEVELS,
    METHOD,
    Calibration,
    check_level,
    conformal_quantiles,
    fit_calibration,
    load_calibration,
)
from promoter_model.uncertainty.difference import (
    DifferenceQuantiles,
    count_mismatches,
    fit_differences,
)
from promoter_model.uncertainty.direction import (
    excluding_level,
    p_up_calibrated,
    p_up_from_spread,
)
from promoter_model.uncertainty.intervals import (
    UNAVAILABLE,
    Interval,
    coverage,
    interval_from_mean,
    predict_interval,
    predict_interval_sequences,
    subset_coverage,
)

__all__ = [
    "CALIBRATION_FILE", "CALIBRATION_FORMAT", "LEVELS", "METHOD", "UNAVAILABLE", "Calibration",
    "DifferenceQuantiles", "Interval", "check_level", "conformal_quantiles",
    "count_mismatches", "coverage", "excluding_level", "fit_calibration", "fit_differences",
    "p_up_calibrated", "p_up_from_spread",
    "interval_from_mean", "load_calibration", "predict_interval", "predict_interval_sequences",
    "subset_coverage",
]
