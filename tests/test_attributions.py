"""Attributions: exact on a linear toy, peaking on a planted REB1 site on the REB1 toy."""

from __future__ import annotations

import numpy as np
import pytest
from toy_models import linear_model, promoter_with_site, reb1_model

from promoter_model.interpret import attributions as A
from promoter_model.model.predict import predict
from promoter_model.sequence import one_hot

SITE = set(range(50, 57))  # 0-based positions of the planted TTACCCG


@pytest.fixture(scope="module")
def linear():
    return linear_model(seed=5)


@pytest.fixture(scope="module")
def reb1():
    return reb1_model()


def test_center():
    s = np.array([[1.0, 2.0, 3.0, 6.0]])
    np.testing.assert_allclose(A.center(s), [[-2, -1, 0, 3]])
    np.testing.assert_allclose(A.center(np.ones((3, 5, 4))).sum(-1), 0)


def test_gradients_linear_exact(linear, promoters):
    model, W, _ = linear
    X = one_hot(promoters[:3])
    np.testing.assert_allclose(A.gradients(model, X), np.broadcast_to(W, X.shape), atol=1e-5)
    gx = A.gradient_x_input(model, X)
    np.testing.assert_allclose(gx, (W - W.mean(1, keepdims=True)) * X, atol=1e-5)
    raw = A.gradient_x_input(model, X, centered=False)
    np.testing.assert_allclose(raw, W * X, atol=1e-5)


def test_integrated_gradients_linear_exact(linear, promoters):
    model, W, bias = linear
    X = one_hot(promoters[:2])
    ig = A.integrated_gradients(model, X, steps=4)
    np.testing.assert_allclose(ig, W * X, atol=1e-5)
    uni = A.integrated_gradients(model, X, baseline="uniform", steps=4)
    np.testing.assert_allclose(uni, W * (X - 0.25), atol=1e-5)


def test_integrated_gradients_completeness(reb1):
    x = one_hot(promoter_with_site(start=50, seed=7))
    ig = A.integrated_gradients(reb1, x, steps=128)
    gap = predict(reb1, x)[0] - predict(reb1, np.zeros_like(x))[0]
    assert gap > 1
    assert ig.sum() == pytest.approx(gap, rel=0.05)


def test_shap_linear_single_background_exact(linear, promoters):
    model, W, _ = linear
    X = one_hot(promoters[4:6])
    bg = A.random_background(1, seed=2)
    phi = A.shap_values(model, X, background=bg, nsamples=8)
    assert phi.shape == (2, 110, 4)
    np.testing.assert_allclose(phi, W * (X - bg), atol=1e-4)


def test_shap_of_an_ensemble_is_the_member_mean(promoters, tmp_path):
    from toy_models import linear_ensemble

    from promoter_model.predictor import load_predictor

    root, (W0, W1) = linear_ensemble(tmp_path / "ens")
    X = one_hot(promoters[4:6])
    bg = A.random_background(1, seed=2)
    phi = A.shap_values(load_predictor(root), X, background=bg, nsamples=8)
    np.testing.assert_allclose(phi, (W0 + W1) / 2 * (X - bg), atol=1e-4)
    logo = A.attribution(load_predictor(root), X[0], "shap", background=bg, nsamples=8)
    np.testing.assert_allclose(logo, phi[0].sum(-1, keepdims=True) * X[0], atol=1e-4)


def test_shap_is_seeded_and_leaves_global_rng(linear, promoters):
    model, _, _ = linear
    X = one_hot(promoters[6])
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    a = A.shap_values(model, X, nsamples=16, seed=1)
    assert np.random.random() == expected_next
    b = A.shap_values(model, X, nsamples=16, seed=1)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", A.METHODS)
def test_attribution_peaks_on_planted_site(reb1, method):
    seq = promoter_with_site(start=50, seed=8)
    a = A.attribution(reb1, seq, method)
    assert a.shape == (110, 4)
    x = one_hot(seq)[0]
    assert (a[x == 0] == 0).all()  # only observed bases carry a value
    per_position = a.sum(-1)
    top = set(np.argsort(-per_position)[:5].tolist())
    assert top <= SITE
    inside = np.abs(per_position[sorted(SITE)]).sum()
    assert inside > 0.8 * np.abs(per_position).sum()


def test_attribution_unknown_method(reb1):
    with pytest.raises(ValueError, match="unknown attribution method"):
        A.attribution(reb1, "ACGT" * 20, "deeplift")


def test_dinucleotide_shuffle_keeps_counts(promoters):
    rng = np.random.default_rng(0)
    x = one_hot(promoters[7])[0]

    def dinucleotides(o):
        s = o.argmax(-1)
        c = np.zeros((4, 4), int)
        np.add.at(c, (s[:-1], s[1:]), 1)
        return c

    shuffles = [A.dinucleotide_shuffle(x, rng) for _ in range(5)]
    for s in shuffles:
        np.testing.assert_array_equal(dinucleotides(s), dinucleotides(x))
        assert s[0].argmax() == x[0].argmax() and s[-1].argmax() == x[-1].argmax()
    assert any((s != x).any() for s in shuffles)


def test_shap_dinucleotide_background_runs(reb1):
    seq = promoter_with_site(start=50, seed=9)
    phi = A.shap_values(reb1, seq, background="dinucleotide", n_background=8, nsamples=16)
    assert phi.shape == (1, 110, 4)
    assert np.isfinite(phi).all()
