"""Measured against predicted grammar: tags parsed, r, n and coverage per motif."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promoter_model.grammar.measured import (
    COLUMNS,
    agreement,
    load_pairs,
    measured_vs_predicted,
    pair_effects,
    parse_tags,
)


def test_parse_tags_of_every_design():
    df = parse_tags(["rand311_Mot3.RC_5", "rand466_Reb1.s.RC_0A.1A_20", "rand74_Hsf1tri.3L",
                     "rand754_Hsf1mono.16", "rand311_polyA_0", "rand9_Reb1.m_12T_20", "odd"])
    assert df["motif"].tolist() == ["Mot3", "Reb1", "Hsf1", "Hsf1", "polyA", "Reb1", ""]
    assert df["strand"].tolist() == ["-", "-", "+", "+", "+", "+", "+"]
    assert df["position"].tolist()[:2] == [5, 20] and pd.isna(df["position"][2])
    assert df["position"][3] == 16 and df["position"][4] == 0
    assert df["variant"].tolist() == ["", "s", "tri", "mono", "", "m", ""]
    assert df["edit"].tolist() == ["", "0A.1A", "", "", "", "12T", ""]
    assert df["sites"][2] == 3 and df["side"][2] == "L" and pd.isna(df["sites"][0])
    assert df["background"].tolist()[:3] == ["rand311", "rand466", "rand74"]


def test_every_shipped_grammar_tag_parses():
    pairs = load_pairs()
    assert (pairs["experiment"] == "motif_tiling").sum() == 2653
    assert (pairs["experiment"] == "motif_perturbation").sum() == 3527
    tags = parse_tags(pairs["alt_tag"])
    assert (tags["background"] == pairs["ref_tag"]).all()
    tiling = tags[pairs["experiment"] == "motif_tiling"]
    assert set(tiling["motif"]) == {"Azf1", "Mga1", "Mot3", "Skn7", "Ume6", "polyA"}
    assert tiling["position"].notna().all() and tiling["position"].max() <= 76
    assert set(tags[pairs["experiment"] == "motif_perturbation"]["motif"]) == {"Reb1", "Hsf1"}


def synthetic(seed: int = 0):
    """Pairs of two motifs over 40 positions, measured values and predictions per pos."""
    rng = np.random.default_rng(seed)
    rows = []
    for m, motif in enumerate(["Abc1", "Xyz2"]):
        for p in range(20):
            rows.append({"alt_tag": f"rand1_{motif}_{p}", "ref_tag": "rand1",
                         "alt_pos": 1 + m * 20 + p, "ref_pos": 0, "experiment": "motif_tiling"})
    pairs = pd.DataFrame(rows)
    measured = pd.DataFrame({"pos": np.arange(41), "expression": rng.normal(size=41)})
    return pairs, measured


def test_perfect_predictions_give_r_one_and_intervals_their_coverage():
    pairs, measured = synthetic()
    y = measured["expression"].to_numpy()
    half = np.where(np.arange(41) % 2 == 0, 0.0, 1.0)  # even pos: zero-width intervals
    yhat = y + np.where(np.arange(41) > 0, 0.5, 0.0)  # every alt 0.5 too high, ref exact
    preds = pd.DataFrame({"pos": np.arange(41), "prediction": yhat, "sd": 0.1,
                          "lower": yhat - half, "upper": yhat + half})
    df = measured_vs_predicted(pairs, preds, measured)
    assert list(df.columns) == COLUMNS
    assert df["motif"].tolist() == ["Abc1", "Xyz2", "all"]
    assert (df["n"] == [20, 20, 40]).all()
    np.testing.assert_allclose(df["r"], 1.0)
    # the ref (pos 0) interval has no width, so a pair's interval is its alt's, 0.5 off the
    # measured difference: covered exactly when the alt pos is odd (half-width 1)
    odd = (pairs["alt_pos"] % 2 == 1).groupby(pairs["alt_tag"].str[6:10]).mean()
    assert df.loc[0, "coverage"] == pytest.approx(odd["Abc1"])
    assert df.loc[2, "mean_width"] == pytest.approx(1.0)
    effects = pair_effects(pairs, preds, measured)
    np.testing.assert_allclose(effects["sd"], np.hypot(0.1, 0.1))
    np.testing.assert_allclose(effects["predicted"], effects["measured"] + 0.5)


def test_series_and_arrays_as_predictions_and_missing_values():
    pairs, measured = synthetic()
    noisy = measured["expression"].to_numpy() + np.random.default_rng(1).normal(0, .1, 41)
    noisy[5] = np.nan
    by_array = measured_vs_predicted(pairs, noisy, measured)
    by_series = measured_vs_predicted(pairs, pd.Series(noisy), measured)
    pd.testing.assert_frame_equal(by_array, by_series)
    assert by_array.loc[0, "n"] == 19 and np.isnan(by_array.loc[0, "coverage"])
    assert by_array["r"].min() > 0.9
    no_exp = measured_vs_predicted(pairs.drop(columns="experiment"), noisy, measured)
    assert no_exp["experiment"].eq("").all()


def test_duplicated_pairs_count_once_and_agreement_edge_cases():
    pairs, measured = synthetic()
    doubled = pd.concat([pairs, pairs.iloc[:5]])
    y = measured["expression"].to_numpy()
    assert measured_vs_predicted(doubled, y, measured).loc[0, "n"] == 20
    assert np.isnan(agreement([1, 2], [1, 2])["r"])
    assert np.isnan(agreement([1, 1, 1], [1, 2, 3])["r"])
    with pytest.raises(ValueError, match="lacks"):
        pair_effects(pairs.drop(columns="ref_pos"), y, measured)
