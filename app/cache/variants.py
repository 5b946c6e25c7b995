"""A biologist's own sequences for the Tile and Variant list pages: a native promoter's
80 bp windows, a variant list's effects, and the model's measured score on native yeast
promoters (thin, cached calls of :mod:`promoter_model.interpret.tiling` and
:mod:`promoter_model.interpret.variant_lists`).

Sequences arrive normalised and checked by the page (``promoter_model.sequence``), as
tuples so they key the cache.
"""

from __future__ import annotations

import streamlit as st

from app.cache.runs import get_predictor


@st.cache_data(max_entries=32, show_spinner=False)
def tile(path: str, stamp: float, sequence: str, seq_id: str, step: int, level: float):
    """:func:`promoter_model.interpret.tiling.tile` of one sequence: the windows' table
    (``id, start, end, prediction, sd, lower, upper``).
    """
    from promoter_model.interpret.tiling import tile as _tile

    return _tile(get_predictor(path, stamp), sequence, ids=[seq_id], step=step, level=level)


def _as_dict(result) -> dict:
    return {"table": result.table, "level": result.level, "notes": list(result.notes),
            "reference_prediction": result.reference_prediction,
            "reference_sd": result.reference_sd}


@st.cache_data(max_entries=32, show_spinner=False)
def wt_effects(path: str, stamp: float, wt: str, sequences: tuple, ids: tuple, labels: tuple,
               level: float) -> dict:
    """:func:`promoter_model.interpret.variant_lists.wt_effects` as a dict: ``table``,
    ``level``, ``notes``, ``reference_prediction``, ``reference_sd``.
    """
    from promoter_model.interpret.variant_lists import wt_effects as _effects

    return _as_dict(_effects(get_predictor(path, stamp), wt, list(sequences), ids=list(ids),
                             labels=list(labels), level=level))


@st.cache_data(max_entries=32, show_spinner=False)
def pair_effects(path: str, stamp: float, refs: tuple, alts: tuple, ids: tuple,
                 level: float) -> dict:
    """:func:`promoter_model.interpret.variant_lists.pair_effects` as a dict (as
    :func:`wt_effects`; the reference numbers are NaN).
    """
    from promoter_model.interpret.variant_lists import pair_effects as _effects

    return _as_dict(_effects(get_predictor(path, stamp), list(refs), list(alts), ids=list(ids),
                             level=level))


def computed_dream_metrics(path: str, stamp: float) -> dict:
    """``{"dream_public_leaderboard": scores}``: the DREAM subset scores (the native yeast
    one among them) computed from the model's predictions of the public-leaderboard test
    rows (the Training page's cached ones), in the form of ``metrics.json`` that
    :func:`promoter_model.interpret.tiling.native_note` reads.
    """
    from app.cache.heldout import test_dream_scores

    return {"dream_public_leaderboard": test_dream_scores(path, stamp)}
