"""Cached wrappers of the package's uncertainty functions for the dashboard.

Nothing is computed here: the members' spread, the conformal intervals and the sign
disagreement all come from :mod:`promoter_model.uncertainty`,
:class:`promoter_model.uncertainty.calibration.Calibration` and :mod:`promoter_model.interpret.ism`.
Results are cached by ``(run path, run stamp, ...)`` like :mod:`app.services`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.services import get_predictor, ism_members, ism_prediction, predict_mean_sd
from promoter_model.uncertainty.intervals import UNAVAILABLE  # noqa: F401  (part of this interface)

UNAVAILABLE_SENTENCE = UNAVAILABLE[0].upper() + UNAVAILABLE[1:] + "."  # as a caption

DEFAULT_LEVEL = 0.9


def calibrated(path: str, stamp: float) -> bool:
    """Whether the run or ensemble at ``path`` carries a calibration (intervals exist)."""
    return getattr(get_predictor(path, stamp), "calibration", None) is not None


def has_spread(path: str, stamp: float) -> bool:
    """Whether the model is an ensemble of more than one member (an sd exists)."""
    return bool(get_predictor(path, stamp).is_ensemble)


def _interval_dict(path: str, stamp: float, mean, sd, level: float) -> dict:
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
    return _interval_dict(path, stamp, mean, sd, level)


def ism_interval(path: str, stamp: float, sequences: tuple,
                 level: float = DEFAULT_LEVEL) -> dict:
    """:func:`predict_interval` of sequences whose ISM the page shows anyway (a mutation
    trajectory): predictions and sd from each sequence's ISM, no other model call.
    """
    pairs = [ism_prediction(path, stamp, s) for s in sequences]
    sd = None if pairs[0][1] is None else [v for _, v in pairs]
    return _interval_dict(path, stamp, np.array([m for m, _ in pairs], dtype=np.float64),
                          None if sd is None else np.array(sd, dtype=np.float64), level)


def interval_of(path: str, stamp: float, mean, level: float = DEFAULT_LEVEL):
    """Interval ``(lower, upper)`` of predictions already made, or None without calibration."""
    from promoter_model.uncertainty.intervals import interval_from_mean

    iv = interval_from_mean(get_predictor(path, stamp), np.asarray(mean, np.float64), None,
                            level)
    return None if iv.lower is None else (iv.lower, iv.upper)


def difference_interval(path: str, stamp: float, alt, ref, level: float = DEFAULT_LEVEL):
    """Bonferroni interval of ``alt - ref`` (``Calibration.difference_interval``) or None."""
    cal = getattr(get_predictor(path, stamp), "calibration", None)
    if cal is None:
        return None
    return cal.difference_interval(np.asarray(alt, np.float64), np.asarray(ref, np.float64),
                                   level)


@st.cache_data(max_entries=256, show_spinner=False)
def ism_spread(path: str, stamp: float, sequence: str, tol: float = 0.01):
    """Members' sd and sign disagreement of one sequence's ISM, or None for one run.

    Returns
    -------
    tuple of (sd, disagree), shapes (L, 4), or None
        ``sd`` is the population sd of the members' effects, ``disagree`` is
        :func:`~promoter_model.interpret.ism_summary.sign_disagreement` at ``tol``.
    """
    from promoter_model.interpret.ism_summary import sign_disagreement

    if not get_predictor(path, stamp).is_ensemble:
        return None
    members = ism_members(path, stamp, sequence)  # (members, L, 4): the one ISM of the page
    return members.std(axis=0), np.asarray(sign_disagreement(members, tol), dtype=bool)


@st.cache_data(max_entries=64, show_spinner=False)
def variant_effect(path: str, stamp: float, ref_seq: str, alt_seq: str,
                   level: float = DEFAULT_LEVEL) -> dict:
    """``interpret.variants.variant_effect`` of one variant: its one row as a dict.

    An ensemble's row has ``delta_sd`` and ``members_disagree``; a calibrated one
    ``delta_lower`` and ``delta_upper``.
    """
    from promoter_model.interpret.variants import variant_effect as _effect

    return _effect(get_predictor(path, stamp), ref_seq, [alt_seq], level=level).iloc[0].to_dict()


def interval_sentence(iv: dict, k: int = 0) -> str:
    """``"90% interval a to b; members' sd s"`` of row ``k`` of :func:`predict_interval`."""
    parts = []
    if iv["lower"] is not None:
        parts.append(f"{iv['level']:.0%} interval {iv['lower'][k]:.3f} to {iv['upper'][k]:.3f}")
    if iv["sd"] is not None:
        parts.append(f"members' sd {iv['sd'][k]:.3f}")
    return "; ".join(parts)
