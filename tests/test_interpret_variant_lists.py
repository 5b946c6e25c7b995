"""Variant lists against a wild type, and pairs tables: known answers on linear toys."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from toy_models import linear_ensemble, toy_pair_calibration

from promoter_model.interpret.variant_lists import pair_effects, wt_effects
from promoter_model.predictor import load_predictor
from promoter_model.sequence import FLANK_3, FLANK_5, read_variant_list

rng = np.random.default_rng(5)
WT = "".join(rng.choice(list("ACGT"), 80))
IDX = {b: i for i, b in enumerate("ACGT")}


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    root, weights = linear_ensemble(tmp_path_factory.mktemp("vl") / "ens")
    return load_predictor(root), weights


@pytest.fixture(scope="module")
def paired(tmp_path_factory):
    root, weights = linear_ensemble(tmp_path_factory.mktemp("vlp") / "ens",
                                    calibration=toy_pair_calibration())
    return load_predictor(root), weights


def _sub_effect(weights, pos, alt):
    """Each member's effect of a substitution at 1-based WT position ``pos``."""
    i = len(FLANK_5) + pos - 1
    return np.array([W[i, IDX[alt]] - W[i, IDX[WT[pos - 1]]] for W in weights])


def test_substitution_effects_are_the_weight_differences(plain):
    pred, weights = plain
    alt = "A" if WT[9] != "A" else "C"
    v = read_variant_list(f"s1\t{WT[9]}10{alt}\n", WT)
    res = wt_effects(pred, WT, v.sequences, ids=v.ids, labels=v.labels)
    e = _sub_effect(weights, 10, alt)
    row = res.table.iloc[0]
    assert row["edits"] == f"{WT[9]}10{alt}" and row["mismatches"] == 1
    assert row["effect"] == pytest.approx(e.mean(), abs=1e-4)
    assert row["effect_sd"] == pytest.approx(e.std(), abs=1e-4)
    assert row["p_up"] == pytest.approx(norm.cdf(e.mean() / e.std()), abs=1e-4)
    wt_pred = np.mean([W[np.arange(17, 97), [IDX[b] for b in WT]].sum()
                       + W[np.arange(17), [IDX[b] for b in FLANK_5]].sum()
                       + W[np.arange(97, 110), [IDX[b] for b in FLANK_3]].sum() + 0.5
                       for W in weights])
    assert res.reference_prediction == pytest.approx(wt_pred, abs=1e-3)
    assert row["prediction"] == pytest.approx(wt_pred + e.mean(), abs=1e-3)
    assert np.isnan(row["effect_lower"]) and any("not calibrated" in n for n in res.notes)


def test_one_to_three_bases_get_the_pair_calibrated_interval(paired):
    pred, weights = paired
    alts = {p: "A" if WT[p - 1] != "A" else "G" for p in (10, 20, 30, 40)}
    lines = [f"one\t{WT[9]}10{alts[10]}",
             "three\t" + ";".join(f"{WT[p - 1]}{p}{alts[p]}" for p in (10, 20, 30)),
             "four\t" + ";".join(f"{WT[p - 1]}{p}{alts[p]}" for p in (10, 20, 30, 40))]
    v = read_variant_list("\n".join(lines), WT)
    res = wt_effects(pred, WT, v.sequences, ids=v.ids, labels=v.labels, level=0.9)
    t = res.table.set_index("id")
    assert t["mismatches"].tolist() == [1, 3, 4]
    assert t["pair_calibrated"].tolist() == [True, True, False]
    cal = pred.calibration
    for name, m in (("one", 1), ("three", 3), ("four", 4)):
        lo, hi = cal.difference_interval(t.loc[name, "prediction"], res.reference_prediction,
                                         0.9, mismatches=m)
        assert t.loc[name, "effect_lower"] == pytest.approx(float(lo))
        assert t.loc[name, "effect_upper"] == pytest.approx(float(hi))
    width = (t["effect_upper"] - t["effect_lower"]).to_numpy()
    assert width[0] < 0.25 * width[2]  # pair-calibrated: far narrower than Bonferroni
    e = t.loc["one", "effect"]
    assert (t.loc["one", "p_up"] > 0.5) == (e > 0)


def test_flanked_wild_type_variants_stay_between_the_flanks(plain):
    pred, _ = plain
    v = read_variant_list("ins41:ACGT\n", WT)
    res = wt_effects(pred, WT, v.sequences, ids=v.ids, labels=v.labels)
    assert any("keep their 3'-most 80 bp" in n for n in res.notes)
    same = wt_effects(pred, WT, [(WT[:40] + "ACGT" + WT[40:])[-80:]])
    assert res.table["prediction"].iloc[0] == pytest.approx(same.table["prediction"].iloc[0])


def test_edits_outside_what_the_model_reads_are_said(plain):
    pred, _ = plain
    long_wt = "A" * 50 + FLANK_5 + WT + FLANK_3  # 160 bp: the model reads the last 110
    res = wt_effects(pred, long_wt, ["C" + long_wt[1:]], ids=["far"])
    assert res.table["effect"].iloc[0] == 0
    assert any("outside the 110 bp the model reads" in n and "far" in n for n in res.notes)


def test_pairs_are_ref_alt_effects(paired):
    pred, weights = paired
    ref = FLANK_5 + WT + FLANK_3
    alt = ref[:50] + ("A" if ref[50] != "A" else "C") + ref[51:]
    res = pair_effects(pred, [ref, alt], [alt, ref], ids=["p", "q"])
    t = res.table
    assert t["effect"].iloc[0] == pytest.approx(-t["effect"].iloc[1])
    assert t["alt_prediction"].iloc[0] == pytest.approx(t["ref_prediction"].iloc[1])
    member = [W[50, IDX[alt[50]]] - W[50, IDX[ref[50]]] for W in weights]
    assert t["effect"].iloc[0] == pytest.approx(np.mean(member), abs=1e-4)
    assert t["effect_sd"].iloc[0] == pytest.approx(np.std(member), abs=1e-4)
    assert t["pair_calibrated"].all()
    with pytest.raises(ValueError, match="2 reference and 1 alternative"):
        pair_effects(pred, [ref, alt], [alt])


def test_single_run_has_no_p_up_and_says_so(tmp_path):
    root, _ = linear_ensemble(tmp_path / "ens", seeds=(0,), calibration=None)
    res = wt_effects(load_predictor(root / "members" / "fold-0"), WT, [WT[:-1] + "A"])
    assert np.isnan(res.table["p_up"]).all() and any("single run" in n for n in res.notes)
