"""What the grammar operations share: members' summaries, bounds, provenance, checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from toy_models import linear_ensemble, linear_model, toy_calibration

import promoter_model.grammar as grammar
from promoter_model.grammar.core import (
    annotate,
    difference_bounds,
    predictor_110,
    provenance,
    region_starts,
    summarise,
)
from promoter_model.predictor import Predictor, as_predictor


def test_summarise_means_members_sd_and_background_sd():
    e = np.array([[[1.0, 2.0], [3.0, 4.0]],      # member 0: backgrounds x 2 values
                  [[3.0, 2.0], [5.0, 8.0]]])     # member 1
    s = summarise(e, background_axis=1)
    np.testing.assert_allclose(s["effect"], [3.0, 4.0])
    np.testing.assert_allclose(s["sd"], [1.0, 1.0])  # member means (2, 3) and (4, 5)
    np.testing.assert_allclose(s["background_sd"], [1.0, 2.0])  # of (2, 4) and (2, 6)
    one = summarise(e[:1], background_axis=None)
    assert np.isnan(one["sd"]).all() and np.isnan(one["background_sd"]).all()


def test_difference_bounds_only_when_calibrated_and_on_the_model_scale():
    runs = [as_predictor(linear_model(seed=s)[0]).members[0] for s in (0, 1)]
    plain = Predictor(path=Path("toy"), members=runs)
    calibrated = Predictor(path=Path("toy"), members=runs, calibration=toy_calibration())
    alt, ref = np.zeros((5, 3)), np.zeros((5, 1))
    assert difference_bounds(plain, alt, ref, 0.9) is None
    assert difference_bounds(calibrated, alt, ref, 0.9, func=np.exp) is None
    assert difference_bounds(calibrated, alt, ref, None) is None
    lo, hi = difference_bounds(calibrated, alt, ref, 0.9)
    assert lo.shape == (3,) and (lo < 0).all() and np.allclose(lo, -hi)


def test_provenance_and_region_checks():
    df = annotate(pd.DataFrame({"x": [1]}), motif="REB1", n_backgrounds=100, seed=3,
                  backgrounds="shuffle", members=5, level=0.9, calibrated=True,
                  values=np.arange(2))
    assert provenance(df) == ("REB1, over 100 backgrounds (shuffle, seed 3), 5 members, "
                              "calibrated interval at 0.9")
    assert df.attrs["values"] == [0, 1]
    assert region_starts(9).tolist() == list(range(72))
    assert region_starts(9, 5).tolist() == [5]
    with pytest.raises(ValueError, match="does not fit"):
        region_starts(81)


def test_folders_are_loaded_and_the_subpackage_exports_its_operations(tmp_path):
    root, _ = linear_ensemble(tmp_path / "ens")
    pred = predictor_110(root)
    assert pred.is_ensemble and predictor_110(str(root)).is_ensemble
    for name in grammar.__all__:
        assert getattr(grammar, name) is not None
    assert callable(grammar.position_scan) and callable(grammar.measured_vs_predicted)
