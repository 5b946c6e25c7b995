"""All members in one compiled call (bench/fused.py) predict what each does alone."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from toy_models import linear_ensemble, member_copies

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fused  # noqa: E402

from promoter_model.model.predict import predict  # noqa: E402
from promoter_model.predictor import load_predictor  # noqa: E402
from promoter_model.sequence import one_hot  # noqa: E402


@pytest.fixture(scope="module")
def linear_pair(tmp_path_factory):
    root, weights = linear_ensemble(tmp_path_factory.mktemp("ens") / "two_linear")
    return load_predictor(root), weights


def test_linear_members_exact(linear_pair, promoters):
    pred, weights = linear_pair
    X = one_hot(promoters[:10])
    out = fused.predict_members(pred.models, X)
    assert out.shape == (2, 10) and out.dtype == np.float32
    expected = np.stack([(X * W[None]).sum(axis=(1, 2)) + 0.5 for W in weights])
    np.testing.assert_allclose(out, expected, atol=1e-4)
    np.testing.assert_array_equal(out, np.stack([predict(m, X) for m in pred.models]))
    np.testing.assert_allclose(pred.predict_members(X), out, atol=1e-6)


def test_tiny_members_equal_alone(tiny_run, tmp_path, promoters):
    pred = load_predictor(member_copies(tiny_run, tmp_path / "pair"))
    X = one_hot(promoters[:20])
    alone = np.stack([predict(m, X) for m in pred.models])
    assert np.abs(alone[0] - alone[1]).max() > 1e-4  # the members differ
    for batch_size in (7, 1024):  # several calls, or one
        np.testing.assert_allclose(fused.predict_members(pred.models, X, batch_size=batch_size),
                                   alone, atol=1e-6)
    np.testing.assert_allclose(fused.predict_members(pred.models, X[0]), alone[:, :1], atol=1e-6)
    assert fused.predict_members(pred.models, X[:0]).shape == (2, 0)


def test_weights_are_read_when_called(linear_pair, promoters):
    pred, _ = linear_pair
    X = one_hot(promoters[:3])
    model = pred.models[1]
    before = fused.predict_members(pred.models, X)
    kernel, bias = model.get_weights()
    model.set_weights([kernel, bias + 2.0])
    try:
        after = fused.predict_members(pred.models, X)
    finally:
        model.set_weights([kernel, bias])
    np.testing.assert_allclose(after[0], before[0])
    np.testing.assert_allclose(after[1], before[1] + 2.0, atol=1e-5)
