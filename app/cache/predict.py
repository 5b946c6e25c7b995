"""Predictions for the pages: mean and members' sd, calibrated intervals, variant effects.

Nothing is computed here that the package does not compute: the members' spread and the
conformal intervals come from :class:`promoter_model.predictor.Predictor` and
:mod:`promoter_model.uncertainty`, the variant effects from
:mod:`promoter_model.interpret.variants`.
Results are cached by ``(run path, run stamp, ...)`` (:mod:`app.cache.runs`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.cache.runs import get_predictor

DEFAULT_LEVEL = 0.9


@st.cache_data(max_entries=256, show_spinner=False)
def predict_mean_sd(path: str, stamp: float, sequences: tuple):
    """Mean prediction and members' sd (None for one run) of DNA strings: the one cached
    model call behind :func:`predict_sequences` and the pages' intervals.
    """
    return get_predictor(path, stamp).predict_sequences(list(sequences))


def predict_sequences(path: str, stamp: float, sequences: tuple) -> np.ndarray:
    """Mean predictions of DNA strings by the run or ensemble at ``path`` (cached)."""
    return predict_mean_sd(path, stamp, sequences)[0].astype(np.float32)


def calibrated(path: str, stamp: float) -> bool:
    """Whether the run or ensemble at ``path`` carries a calibration (intervals exist)."""
    return getattr(get_predictor(path, stamp), "calibration", None) is not None


def has_spread(path: str, stamp: float) -> bool:
    """Whether the model is an ensemble of more than one member (an sd exists)."""
    return bool(get_predictor(path, stamp).is_ensemble)


def interval_dict(path: str, stamp: float, mean, sd, level: float) -> dict:
    """The pages' form of ``uncertainty.interval_from_mean``: float64 arrays or None."""
    from promoter_model.uncertainty.intervals import interval_from_mean

    iv = interval_from_mean(get_predictor(path, stamp), mean, sd, level)

    def arr(v):
        return None if v is None else np.asarray(v, dtype=np.float64)

    return {"mean": arr(iv.mean), "sd": arr(iv.sd), "lower": arr(iv.lower),
            "upper": arr(iv.upper), "level": float(iv.level)}


@st.cache_data(max_entries=256, show_spinner=False)
def predict_interval(path: str, stamp: float, sequences: tuple,
                     level: float = DEFAULT_LEVEL) -> dict:
    """Prediction, members' sd and interval of DNA strings (``uncertainty``'s numbers).

    Returns
    -------
    dict
        ``mean`` (n,), ``sd`` (n,) or None (one run), ``lower``/``upper`` (n,) or None
        (no calibration) and ``level``.
    """
    mean, sd = predict_mean_sd(path, stamp, tuple(sequences))  # no new model call per level
    return interval_dict(path, stamp, mean, sd, level)


def interval_of(path: str, stamp: float, mean, level: float = DEFAULT_LEVEL):
    """Interval ``(lower, upper)`` of predictions already made, or None without calibration."""
    from promoter_model.uncertainty.intervals import interval_from_mean

    iv = interval_from_mean(get_predictor(path, stamp), np.asarray(mean, np.float64), None,
                            level)
    return None if iv.lower is None else (iv.lower, iv.upper)


def difference_interval(path: str, stamp: float, alt, ref, level: float = DEFAULT_LEVEL,
                        mismatches=None):
    """Interval of the measured ``alt - ref`` (``Calibration.difference_interval``: calibrated
    on measured pairs for ``mismatches`` of 1-3 bases where the calibration has them, else
    the Bonferroni bound), or None without a calibration.
    """
    cal = getattr(get_predictor(path, stamp), "calibration", None)
    if cal is None:
        return None
    return cal.difference_interval(np.asarray(alt, np.float64), np.asarray(ref, np.float64),
                                   level, mismatches=mismatches)


def pair_calibrated(path: str, stamp: float, mismatches: int) -> bool:
    """Whether a change of ``mismatches`` bases gets an interval calibrated on measured
    pairs (else the Bonferroni bound).
    """
    cal = getattr(get_predictor(path, stamp), "calibration", None)
    return bool(cal is not None and cal.calibrated_pairs([mismatches])[0])


@st.cache_data(max_entries=64, show_spinner=False)
def variant_effect(path: str, stamp: float, ref_seq: str, alt_seq: str,
                   level: float = DEFAULT_LEVEL) -> dict:
    """``interpret.variants.variant_effect`` of one variant: its one row as a dict.

    An ensemble's row has ``delta_sd`` and ``members_disagree``; a calibrated one
    ``delta_lower`` and ``delta_upper``.
    """
    from promoter_model.interpret.variants import variant_effect as _effect

    return _effect(get_predictor(path, stamp), ref_seq, [alt_seq], level=level).iloc[0].to_dict()


@st.cache_data(max_entries=256, show_spinner=False)
def nearest_training(path: str, stamp: float, sequences: tuple):
    """``Predictor.nearest_training`` of DNA strings: (distances (n,), nearest training
    variable regions) or ``(None, None)`` when the model has no novelty index.
    """
    distance, nearest = get_predictor(path, stamp).nearest_training(list(sequences))
    if distance is None:
        return None, None
    return np.asarray(distance, dtype=np.int64), list(nearest)
