"""``app/cache/`` outside a page: what a loaded model does to the garbage collector, and
the Mutagenesis page's predictions taken from its ISM.
"""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.cache import ism as services  # noqa: E402


def test_a_loaded_model_is_out_of_the_full_collections_walk(tiny_run):
    """Streamlit collects all generations after every script run: after a load, the
    objects alive then (TensorFlow, Keras, the model) are frozen out of that walk.
    """
    gc.unfreeze()
    gc.collect()  # what earlier tests left for the collector is not alive
    tracked = len(gc.get_objects())
    services.get_predictor.__wrapped__(str(tiny_run), 0.0)
    assert gc.get_freeze_count() >= 0.9 * tracked  # nearly everything alive is frozen
    assert len(gc.get_objects()) < 0.1 * tracked  # what a full collection still walks


def test_a_model_dropped_from_the_cache_is_collected_at_the_next_load(tiny_run):
    first = services.get_predictor.__wrapped__(str(tiny_run), 0.0)
    gone = weakref.ref(first.members[0].model)
    del first
    services.get_predictor.__wrapped__(str(tiny_run), 0.0)  # unfreezes, collects, freezes
    assert gone() is None


@pytest.mark.slow
def test_ism_prediction_is_the_predictors_prediction(tiny_run, tmp_path, promoters):
    """The Mutagenesis page's predictions come from each sequence's ISM: the same mean and
    members' sd as a prediction call (round-off apart).
    """
    from toy_models import member_copies

    from promoter_model.predictor import load_predictor

    ens = member_copies(tiny_run, tmp_path / "pair")
    for path in (str(tiny_run), str(ens)):
        mean, sd = load_predictor(path).predict_sequences(promoters[:1])
        got_mean, got_sd = services.ism_prediction(path, 0.0, promoters[0])
        assert got_mean == pytest.approx(float(mean[0]), abs=1e-5)
        if sd is None:
            assert got_sd is None
        else:
            assert got_sd == pytest.approx(float(sd[0]), abs=1e-5) and got_sd > 0
        ref, scores = services.ism(path, 0.0, promoters[0])
        assert ref == got_mean
        assert scores.shape == (110, 4) and np.isfinite(scores).all()
