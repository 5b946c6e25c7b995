"""A design's gain over its start, with the interval of the measured gain
(``promoter_model.design.gain``): pair-calibrated for 1-3 mutations, Bonferroni beyond.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from promoter_model.design.gain import with_gain
from tests.toy_models import toy_calibration, toy_pair_calibration


def _table():
    return pd.DataFrame({"id": ["start", "d1", "d2", "d3"], "sequence": ["x"] * 4,
                         "prediction": [1.0, 1.5, 2.0, 3.0], "sd": [0.1] * 4,
                         "lower": [0.0] * 4, "upper": [4.0] * 4,
                         "n_mutations": [0, 1, 3, 5], "mutations": ["", "a", "b", "c"]})


def test_gain_intervals_are_pair_calibrated_up_to_three_mutations():
    cal = toy_pair_calibration()
    out = with_gain(_table(), SimpleNamespace(calibration=cal))
    assert list(out.columns[:10]) == ["id", "sequence", "prediction", "sd", "lower", "upper",
                                      "gain", "gain_lower", "gain_upper", "gain_calibrated"]
    assert np.isnan(out.loc[0, ["gain", "gain_lower", "gain_upper"]].astype(float)).all()
    np.testing.assert_allclose(out["gain"][1:], [0.5, 1.0, 2.0])
    lo, hi = cal.difference_interval([1.5, 2.0, 3.0], [1.0] * 3, 0.9, mismatches=[1, 3, 5])
    np.testing.assert_allclose(out["gain_lower"][1:], lo)
    np.testing.assert_allclose(out["gain_upper"][1:], hi)
    assert out["gain_calibrated"].tolist() == [False, True, True, False]
    bonf = cal.bonferroni_half_width([3.0], [1.0], 0.9)[0]
    assert out["gain_upper"][3] - out["gain"][3] == np.float64(bonf)  # 5 edits: Bonferroni
    assert out["gain_upper"][1] - out["gain"][1] < bonf  # 1 edit: far narrower


def test_no_calibration_no_gain_columns_and_bonferroni_without_pairs():
    table = _table()
    assert with_gain(table, SimpleNamespace(calibration=None)).equals(table)
    out = with_gain(table, SimpleNamespace(calibration=toy_calibration()))  # no pair groups
    assert not out["gain_calibrated"].any()


def test_a_calibrated_ensemble_designs_with_gain_intervals(tmp_path):
    from promoter_model.design import Constraints, Objective, design
    from promoter_model.predictor import load_predictor
    from tests.conftest import random_promoters
    from tests.toy_models import linear_ensemble

    root, _ = linear_ensemble(tmp_path / "ens", calibration=toy_pair_calibration())
    pred = load_predictor(root)
    t = design(pred, random_promoters(1, seed=3)[0], objective=Objective("maximize"),
               constraints=Constraints(max_mutations=2), n_designs=2).table
    designs = t.iloc[1:]
    np.testing.assert_allclose(designs["gain"], designs["prediction"] - t["prediction"][0])
    assert designs["gain_calibrated"].all() and (designs["n_mutations"] <= 2).all()
    lo, hi = pred.calibration.difference_interval(
        designs["prediction"], np.full(len(designs), t["prediction"][0]), 0.9,
        mismatches=designs["n_mutations"])
    np.testing.assert_allclose(designs["gain_lower"], lo)
    np.testing.assert_allclose(designs["gain_upper"], hi)
