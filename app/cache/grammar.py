"""Motif grammar for the Grammar page: position and spacing scans, marginal effects and the
DREAM designed pairs measured against predicted (thin, cached calls of
:mod:`promoter_model.grammar`).

Motifs are passed as text (a JASPAR ID or name, a discovered pattern's name with
``run_dir`` the folder that holds it, or an IUPAC site), so results are cached by what the
user picked. Each result is a dict: the package's table unchanged (``table``), what is
drawn from its ``attrs`` (``spread``: the effect's sd over backgrounds), ``provenance``
(one line) and ``seconds`` (how long it took, shown on the page).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from app.cache.data import test_measured
from app.cache.runs import get_predictor


def _result(df, t0: float, **extra) -> dict:
    from promoter_model.grammar import provenance

    spread = df.attrs.get("background_sd")
    return {"table": df, "spread": None if spread is None else np.asarray(spread),
            "provenance": provenance(df), "seconds": time.perf_counter() - t0, **extra}


@st.cache_data(max_entries=32, show_spinner=False)
def position(path: str, stamp: float, motif: str, run_dir: str | None, n: int,
             seed: int) -> dict:
    """:func:`promoter_model.grammar.position_scan` of one motif over ``n`` backgrounds."""
    from promoter_model.grammar import position_scan

    t0 = time.perf_counter()
    df = position_scan(get_predictor(path, stamp), motif, n_backgrounds=n, seed=seed,
                       run_dir=run_dir)
    return _result(df, t0)


@st.cache_data(max_entries=32, show_spinner=False)
def spacing(path: str, stamp: float, motif_a: str, motif_b: str, run_dir: str | None,
            n: int, seed: int, max_spacing: int) -> dict:
    """:func:`promoter_model.grammar.spacing_scan` of a pair, spacings 0..``max_spacing``."""
    from promoter_model.grammar import spacing_scan

    t0 = time.perf_counter()
    df = spacing_scan(get_predictor(path, stamp), motif_a, motif_b,
                      spacings=range(max_spacing + 1), n_backgrounds=n, seed=seed,
                      run_dir=run_dir)
    return _result(df, t0)


@st.cache_data(max_entries=32, show_spinner=False)
def marginal(path: str, stamp: float, motifs: tuple, run_dir: str | None, n: int,
             seed: int) -> dict:
    """:func:`promoter_model.grammar.marginalize` of the motifs, and each motif's effect in
    each background (the members' mean; ``per_background``: ``{motif: array (n,)}``).
    """
    from promoter_model.grammar import marginalize, marginalize_members

    t0 = time.perf_counter()
    pred = get_predictor(path, stamp)
    df = marginalize(pred, list(motifs), n_backgrounds=n, seed=seed, run_dir=run_dir)
    r = marginalize_members(pred, list(motifs), n_backgrounds=n, seed=seed, run_dir=run_dir)
    per = r["effects"].mean(axis=0)  # (backgrounds, motifs)
    return _result(df, t0, per_background={name: per[:, k]
                                           for k, name in enumerate(df["motif"])})


@st.cache_data(max_entries=8, show_spinner=False)
def held_out_pairs(path: str, stamp: float) -> dict:
    """Which DREAM grammar pairs the model at ``path`` never trained on
    (:func:`promoter_model.families.dream.held_out_rows`): ``pos`` (its never-trained rows),
    ``how`` (a sentence), ``held`` and ``pool`` (pairs with both sequences held out, and
    the others) and the sequences each choice predicts (``held_sequences``,
    ``all_sequences``).
    """
    from promoter_model.families.dream import held_out_rows
    from promoter_model.grammar import load_pairs

    pos, how = held_out_rows(path, test_measured())
    pairs = load_pairs()
    keep = pairs["alt_pos"].isin(pos) & pairs["ref_pos"].isin(pos)
    held = pairs[keep]
    return {"pos": pos, "how": how, "held": int(keep.sum()), "pool": int((~keep).sum()),
            "held_sequences": int(np.unique(held[["alt_pos", "ref_pos"]]).size),
            "all_sequences": int(np.unique(pairs[["alt_pos", "ref_pos"]]).size)}


@st.cache_data(max_entries=8, show_spinner=False)
def measured_pairs(path: str, stamp: float, include_pool: bool = False) -> dict:
    """The DREAM ``motif_tiling`` and ``motif_perturbation`` pairs, measured against
    predicted ``alt - ref``: only the pairs the model never trained on (both sequences in
    :func:`held_out_pairs`), or with ``include_pool`` all 6,180 (5,914 sequences).

    Returns ``pairs`` (:func:`~promoter_model.grammar.pair_effects` plus ``held_out``),
    ``agreement`` (per motif: the held-out pairs, and all pairs when included),
    ``profiles`` (:func:`~promoter_model.grammar.compare_profiles` of the tiling pairs
    given) and ``seconds``.
    """
    from promoter_model.grammar import (
        compare_profiles,
        load_pairs,
        measured_vs_predicted,
        pair_effects,
        tiling_profiles,
    )

    t0 = time.perf_counter()
    table = test_measured()
    pairs = load_pairs()
    held = held_out_pairs(path, stamp)["pos"]
    keep = pairs["alt_pos"].isin(held) & pairs["ref_pos"].isin(held)
    if not include_pool:
        pairs, keep = pairs[keep].reset_index(drop=True), keep[keep].reset_index(drop=True)
    pos = np.unique(np.concatenate([pairs["alt_pos"], pairs["ref_pos"]]))
    seqs = table.set_index("pos").loc[pos, "sequence"].tolist()
    mean, sd = get_predictor(path, stamp).predict_sequences(seqs)[:2]
    preds = pd.DataFrame({"pos": pos, "prediction": np.asarray(mean, dtype=np.float64)})
    if sd is not None:
        preds["sd"] = np.asarray(sd, dtype=np.float64)
    effects = pair_effects(pairs, preds).assign(held_out=keep.to_numpy())
    parts = [measured_vs_predicted(pairs[keep], preds).assign(pairs="never trained on")]
    if include_pool:
        parts.append(measured_vs_predicted(pairs, preds).assign(pairs="all"))
    agree = pd.concat(parts, ignore_index=True)
    profiles = compare_profiles(tiling_profiles(pairs, preds))
    return {"pairs": effects, "agreement": agree, "profiles": profiles,
            "seconds": time.perf_counter() - t0}
