"""The held-out test set (``app/cache/heldout.py``): the Training page's held-out predictions
come from an ensemble's stored file when it has one (no model is called), and are predicted
otherwise.
"""

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from app.cache import heldout
from promoter_model.crossval.finalize import write_table
from promoter_model.runs.ensemble import PUBLIC_FILE, write_ensemble


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _public():
    t = heldout.test_measured()
    return t[t["public_leaderboard"] == 1]


def _ensemble(folder, pos):
    """An ensemble folder holding only its spec and a stored public table."""
    write_table(folder / PUBLIC_FILE, pd.DataFrame({
        "pos": pos, "measured": np.zeros(len(pos)), "prediction": np.arange(len(pos)) / 10,
        "sd": np.full(len(pos), 0.2)}))
    write_ensemble(folder, ["members/fold-0", "members/fold-1"], unit="toy")
    return str(folder)


class _Counting:
    """A stand-in predictor: predicts the sequence's GC count, counting its calls."""

    def __init__(self):
        self.calls = 0

    def predict_sequences(self, seqs):
        self.calls += 1
        return np.array([s.count("G") + s.count("C") for s in seqs], float), None


def test_stored_predictions_are_shown_without_a_model(tmp_path, monkeypatch):
    test = _public()
    path = _ensemble(tmp_path / "ens", test["pos"].to_numpy())
    monkeypatch.setattr(heldout, "get_predictor",
                        lambda *a: pytest.fail("the stored predictions need no model"))
    seen = []
    tp = heldout.test_predictions(path, 1.0, progress=seen.append)
    assert tp.attrs["stored"] and seen == []
    assert len(tp) == len(test) == 9045
    np.testing.assert_allclose(tp["predicted"], np.arange(len(test)) / 10, rtol=1e-6)
    np.testing.assert_array_equal(tp["measured"], test["expression"])
    scores = heldout.test_dream_scores(path, 1.0)
    assert np.isfinite(scores["pearson_score"])


@pytest.mark.parametrize("change", ["other rows", "tampered", "single run"])
def test_otherwise_the_rows_are_predicted_in_parts(tmp_path, monkeypatch, change):
    test = _public()
    pos = test["pos"].to_numpy()
    path = _ensemble(tmp_path / "ens", pos[::-1] if change == "other rows" else pos)
    if change == "tampered":
        (tmp_path / "ens" / PUBLIC_FILE).write_bytes(b"not the stored file")
    if change == "single run":
        path = str(tmp_path)  # no ensemble.json: nothing stored
    fake = _Counting()
    monkeypatch.setattr(heldout, "get_predictor", lambda *a: fake)
    seen = []
    tp = heldout.test_predictions(path, 1.0, progress=seen.append)
    assert not tp.attrs.get("stored")
    assert fake.calls == heldout.TEST_CHUNKS and seen[-1] == 1.0
    gc = test["sequence"].str.count("[GC]").to_numpy()
    np.testing.assert_allclose(tp["predicted"], gc)
    heldout.test_predictions(path, 1.0)
    assert fake.calls == heldout.TEST_CHUNKS  # cached parts: predicted once
