"""In-silico mutagenesis and attribution maps for the pages: one cached ISM per sequence.

:func:`ism_result` is the one ISM computation of a sequence (each member's effects and each
member's prediction of the sequence, from one model pass); what the pages show of it (the
mean map, the prediction, the members' spread, the interval along a trajectory) is read off
that result without another model call or cache. :func:`ism_batch` is the ISM of many
sequences at once (the Predict page's robustness), and :func:`attribution` a logo's map.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.cache.predict import DEFAULT_LEVEL, interval_dict
from app.cache.runs import get_predictor


@st.cache_data(max_entries=256, show_spinner=False)
def ism_result(path: str, stamp: float, sequence: str):
    """The one ISM of a sequence: each member's effects (members, 110, 4) and each member's
    prediction of the sequence itself (members,), which the ISM computes anyway.
    """
    from promoter_model.interpret.ism import ism as compute_ism

    effects, reference = compute_ism(get_predictor(path, stamp), [sequence], members=True,
                                     reference=True)
    return effects[:, 0], reference[:, 0]


def ism_prediction(path: str, stamp: float, sequence: str):
    """Mean prediction and members' sd (None for one run) of a sequence, from its ISM.

    For pages that show a sequence's ISM anyway (the Mutagenesis page): its numbers then
    all come from one model pass, with no separate prediction call.
    """
    reference = ism_result(path, stamp, sequence)[1]
    sd = float(reference.std()) if get_predictor(path, stamp).is_ensemble else None
    return float(reference.mean()), sd


def ism(path: str, stamp: float, sequence: str):
    """Reference prediction and ISM scores (110, 4) of one sequence (the members' mean)."""
    effects, reference = ism_result(path, stamp, sequence)
    return float(reference.mean()), effects.mean(axis=0, dtype=np.float64).astype(np.float32)


def ism_spread(path: str, stamp: float, sequence: str):
    """Members' sd and their confident sign disagreement of one sequence's ISM, or None for
    one run.

    Returns
    -------
    tuple of (sd, disagree), shapes (L, 4), or None
        ``sd`` is the population sd of the members' effects, ``disagree``
        :func:`~promoter_model.interpret.ism_summary.confident_disagreement`: cells whose
        change is larger than the members' noise (:func:`ism_noise`) and that a member
        predicts with the opposite sign.
    """
    from promoter_model.interpret.ism_summary import confident_disagreement

    if not get_predictor(path, stamp).is_ensemble:
        return None
    members = ism_result(path, stamp, sequence)[0]  # (members, L, 4): the one ISM of the page
    return (members.std(axis=0),
            np.asarray(confident_disagreement(members, ism_noise(path, stamp, sequence)),
                       dtype=bool))


def ism_cell_intervals(path: str, stamp: float, sequence: str):
    """The 90% interval of every ISM cell's measured change of one sequence
    (:func:`~promoter_model.interpret.ism_summary.ism_intervals`): ``(lower, upper)`` of
    shape (L, 4), or ``(None, None)`` without a calibration.
    """
    from promoter_model.interpret.ism_summary import ism_intervals
    from promoter_model.sequence import one_hot

    cal = getattr(get_predictor(path, stamp), "calibration", None)
    if cal is None:
        return None, None
    ref_pred, scores = ism(path, stamp, sequence)
    x = one_hot([sequence], length=len(sequence), fit=False)
    lower, upper = ism_intervals(cal, [ref_pred], np.asarray(scores)[None], x)
    return lower[0], upper[0]


def ism_noise(path: str, stamp: float, sequence: str) -> float | None:
    """The members' noise of a sequence's ISM (median members' sd over the cells, at least
    ``SIGN_TOL``), or None for one run.
    """
    from promoter_model.interpret.ism_summary import SIGN_TOL, members_noise

    if not get_predictor(path, stamp).is_ensemble:
        return None
    return max(members_noise(ism_result(path, stamp, sequence)[0]), SIGN_TOL)


def ism_interval(path: str, stamp: float, sequences: tuple,
                 level: float = DEFAULT_LEVEL) -> dict:
    """:func:`~app.cache.predict.predict_interval` of sequences whose ISM the page shows
    anyway (a mutation trajectory): predictions and sd from each sequence's ISM, no other
    model call.
    """
    pairs = [ism_prediction(path, stamp, s) for s in sequences]
    sd = None if pairs[0][1] is None else [v for _, v in pairs]
    return interval_dict(path, stamp, np.array([m for m, _ in pairs], dtype=np.float64),
                         None if sd is None else np.array(sd, dtype=np.float64), level)


@st.cache_data(max_entries=64, show_spinner=False)
def ism_batch(path: str, stamp: float, sequences: tuple) -> np.ndarray:
    """ISM scores of many sequences, shape (n, 110, 4)."""
    from promoter_model.interpret.ism import ism as compute_ism

    return compute_ism(get_predictor(path, stamp), list(sequences))[0]


@st.cache_data(max_entries=128, show_spinner=False)
def attribution(path: str, stamp: float, sequence: str, method: str) -> np.ndarray:
    """Attribution matrix (110, 4) by ``method`` (ism, gradient_x_input, ...); for an
    ensemble the members' mean map.
    """
    from promoter_model.sequence import one_hot

    predictor = get_predictor(path, stamp)
    x = one_hot([sequence], length=predictor.input_length)[0]
    if method == "ism":
        from promoter_model.interpret.ism_summary import logo_matrix

        _, scores = ism(path, stamp, sequence)
        return logo_matrix(scores, x)  # the package's one formula for the ISM logo
    from promoter_model.interpret.attributions import attribution as _attr

    return np.asarray(_attr(predictor, x, method), dtype=np.float32)


@st.cache_data(max_entries=256, show_spinner=False)
def logo_png(matrix: np.ndarray, title: str = "", ylabel: str = "attribution") -> bytes:
    """Screen rendering (PNG) of an attribution logo, cached by its values."""
    from app import export, figures

    return export.mpl_bytes(figures.attribution_logo(matrix, title=title, ylabel=ylabel),
                            "png", dpi=100, tight=False)
