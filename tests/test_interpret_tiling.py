"""Tiling a native promoter into 80 bp windows between the plasmid flanks (issue 30)."""

from __future__ import annotations

import numpy as np
import pytest
from toy_models import linear_ensemble, toy_calibration

from promoter_model.interpret.tiling import (
    COLUMNS,
    native_note,
    strongest_window,
    tile,
    window_starts,
    yeast_score,
)
from promoter_model.predictor import load_predictor
from promoter_model.sequence import FLANK_3, FLANK_5

LONG = "".join(np.random.default_rng(7).choice(list("ACGT"), 205))


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    root, weights = linear_ensemble(tmp_path_factory.mktemp("tile") / "ens",
                                    calibration=toy_calibration())
    return load_predictor(root), weights


def test_window_starts_cover_the_three_prime_end():
    assert window_starts(205, 50).tolist() == [0, 50, 100, 125]
    assert window_starts(180, 50).tolist() == [0, 50, 100]
    assert window_starts(80, 7).tolist() == [0]
    with pytest.raises(ValueError, match="at least 1 bp"):
        window_starts(205, 0)
    with pytest.raises(ValueError, match="shorter than one 80 bp window"):
        window_starts(79, 1)


def test_each_window_predicts_as_the_core_between_the_flanks(calibrated):
    pred, weights = calibrated
    t = tile(pred, LONG, step=50)
    assert list(t.columns) == COLUMNS and t["id"].tolist() == ["sequence"] * 4
    assert t["start"].tolist() == [0, 50, 100, 125] and (t["end"] - t["start"] == 80).all()
    idx = {b: i for i, b in enumerate("ACGT")}
    for row in t.itertuples():
        seq = FLANK_5 + LONG[row.start:row.end] + FLANK_3
        members = [W[np.arange(110), [idx[b] for b in seq]].sum() + 0.5 for W in weights]
        assert row.prediction == pytest.approx(np.mean(members), abs=1e-3)
        assert row.sd == pytest.approx(np.std(members), abs=1e-3)
        lo, hi = pred.calibration.interval(row.prediction, 0.9)
        assert row.lower == pytest.approx(float(lo)) and row.upper == pytest.approx(float(hi))
    best = strongest_window(t)
    assert best["start"].iloc[0] == t.loc[t["prediction"].idxmax(), "start"]


def test_several_sequences_and_the_window_cap(calibrated):
    pred, _ = calibrated
    t = tile(pred, [LONG, LONG[:100]], ids=["a", "b"], step=10)
    assert (t["id"] == "b").sum() == 3 and (t["id"] == "a").sum() == 14
    assert strongest_window(t)["id"].tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="over the limit of 5"):
        tile(pred, LONG, step=10, max_windows=5)


def test_native_note_quotes_the_measured_yeast_score():
    assert yeast_score({"note": "none"}) is None
    metrics = {"dream_public_leaderboard": {"pearson_r2_yeast": 0.5, "n_yeast": 208},
               "test_families": {"pearson_r2_yeast": 0.61234, "n_yeast": 91}}
    assert yeast_score(metrics) == (0.61234, 91, "the held-out test families")
    note = native_note(metrics)
    assert "outside its training distribution" in note and "0.612" in note and "n=91" in note
    assert "no score on native" in native_note({})
