"""Windowed ISM (interpret/fast_ism.py) gives what predicting every mutant in full gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from toy_models import linear_ensemble, linear_model, member_copies

from promoter_model.interpret import fast_ism, ism
from promoter_model.model.architectures import build_model, preset
from promoter_model.model.predict import predict
from promoter_model.predictor import from_run, load_predictor
from promoter_model.runs import load_run
from promoter_model.sequence import one_hot

DEMO = Path(__file__).resolve().parents[1] / "assets" / "demo_model"


@pytest.fixture(scope="module")
def tiny_pair(tiny_run, tmp_path_factory):
    """Two perturbed copies of the tiny run (non-trivial batch-norm statistics)."""
    return load_predictor(member_copies(tiny_run, tmp_path_factory.mktemp("ens") / "pair"))


def _sequences(promoters):
    # random promoters, one with unknown bases at both ends (NaN scores there)
    seqs = list(promoters[:3])
    seqs.append("N" * 4 + seqs[0][4:-3] + "NNN")
    return one_hot(seqs)


def _assert_same(fast, plain):
    mean_f, sd_f = fast
    mean_p, sd_p = plain
    scale = np.nanmax(np.abs(mean_p))
    assert scale > 1e-3  # the mutations change the prediction: the comparison is not vacuous
    np.testing.assert_array_equal(np.isnan(mean_f), np.isnan(mean_p))
    np.testing.assert_allclose(mean_f, mean_p, rtol=0, atol=1e-5 * scale + 1e-7)
    if sd_p is None:
        assert sd_f is None
    else:
        np.testing.assert_allclose(sd_f, sd_p, rtol=0, atol=1e-5 * scale + 1e-7)


def test_engine_recognises_build_model_graphs(tiny_pair):
    engine = fast_ism.engine_for(tiny_pair.models)
    assert engine is not None
    plan = fast_ism._cached_plan(tiny_pair.models[0])
    cfg = tiny_pair.config.model
    r = (cfg.rc_kernel // 2 + cfg.coop_kernel // 2 + 2 * cfg.res_blocks * (cfg.res_kernel // 2))
    assert plan.radius == r
    # like members share one compiled function (one trace for the ensemble)
    assert len({id(f) for f in engine._member_fn}) == 1


@pytest.mark.parametrize("rc_average", [False, True])
@pytest.mark.parametrize("func", [None, np.exp])
def test_windowed_equals_plain_ism_on_ensemble(tiny_pair, promoters, rc_average, func):
    tiny_pair.rc_average = rc_average
    try:
        X = _sequences(promoters)
        _assert_same(ism.ism(tiny_pair, X, func=func),
                     ism.ism(tiny_pair, X, func=func, fast=False))
    finally:
        tiny_pair.rc_average = False


@pytest.mark.parametrize("batch_size", [1, 4096])
def test_rc_average_with_several_sequences_per_call(tiny_pair, promoters, batch_size):
    """With RC averaging, one or several sequences per call (the larger batch size): the
    same scores as predicting every mutant.
    """
    tiny_pair.rc_average = True
    try:
        X = _sequences(promoters)
        _assert_same(ism.ism(tiny_pair, X, batch_size=batch_size),
                     ism.ism(tiny_pair, X, fast=False))
    finally:
        tiny_pair.rc_average = False


def test_xla_engine_equals_plain(tiny_pair, promoters):
    x = one_hot(promoters[:2])
    L = x.shape[1]
    alt = np.concatenate([ism.alternatives(ism.reference_codes(s)).ravel() for s in x])
    args = (x, np.repeat(np.arange(2), 3 * L), np.tile(np.repeat(np.arange(L), 3), 2), alt)
    engine = fast_ism.engine_for(tiny_pair.models, jit=True)
    assert engine.jit and engine is not fast_ism.engine_for(tiny_pair.models)
    ref, var = engine.predict(*args)
    np.testing.assert_allclose(ref, np.stack([predict(m, x) for m in tiny_pair.models]),
                               atol=1e-6)
    snv = np.stack([predict(m, ism.snv_batch(x[1]))[1:] for m in tiny_pair.models])
    np.testing.assert_allclose(var[:, 3 * L:], snv, atol=1e-5)


def test_windowed_one_graph_equals_shared_trace(tiny_pair, promoters):
    x = one_hot(promoters[:2])
    L = x.shape[1]
    alt = np.concatenate([ism.alternatives(ism.reference_codes(s)).ravel() for s in x])
    args = (x, np.repeat(np.arange(2), 3 * L), np.tile(np.repeat(np.arange(L), 3), 2), alt)
    shared = fast_ism.engine_for(tiny_pair.models).predict(*args)
    fused = fast_ism.engine_for(tiny_pair.models, fused=True).predict(*args)
    plain = np.stack([predict(m, x) for m in tiny_pair.models])
    for a, b in zip(shared, fused):
        np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(shared[0], plain, atol=1e-6)
    # mutant k of sequence 1 is row 1 + k of its snv batch
    snv = np.stack([predict(m, ism.snv_batch(x[1]))[1:] for m in tiny_pair.models])
    np.testing.assert_allclose(shared[1][:, 3 * L:], snv, atol=1e-5)


def test_single_run_and_batch_sizes(tiny_run, promoters):
    pred = load_predictor(tiny_run)
    X = _sequences(promoters)
    plain = ism.ism(pred, X, fast=False)
    for batch_size in (1, 512, 4096):  # one sequence per call, or several
        _assert_same(ism.ism(pred, X, batch_size=batch_size), plain)
    np.testing.assert_allclose(ism.ism(pred, X[1])[0][0], plain[0][1], atol=1e-6)


def test_weights_are_read_when_called(tiny_run, tmp_path, promoters):
    """No weights baked into the compiled function: a change shows in the next call."""
    pred = load_predictor(member_copies(tiny_run, tmp_path / "e", n=1, seed=3))
    X = _sequences(promoters)[:1]
    before = ism.ism(pred, X)[0]
    model = pred.models[0]
    model.set_weights([w * 1.5 if w.dtype.kind == "f" and w.ndim > 1 else w
                       for w in model.get_weights()])
    after = ism.ism(pred, X)[0]
    assert np.nanmax(np.abs(after - before)) > 1e-4
    _assert_same((after, None), ism.ism(pred, X, fast=False))


def test_unrecognised_models_fall_back(tmp_path, promoters, tiny_run):
    model, W, _ = linear_model(seed=2)
    assert fast_ism.engine_for([model]) is None
    x = one_hot(promoters[:1])
    ref = x[0].argmax(-1)
    np.testing.assert_allclose(ism.ism(model, x)[0][0], W - W[np.arange(110), ref][:, None],
                               atol=1e-4)
    root, _ = linear_ensemble(tmp_path / "lin")
    assert fast_ism.engine_for(load_predictor(root).models) is None
    # an even kernel has no centred window; a mixed ensemble is not recognised as a whole
    even = build_model(preset("tiny", res_kernel=4))
    assert fast_ism.engine_for([even]) is None
    assert fast_ism.engine_for([load_run(tiny_run).model, model]) is None


@pytest.mark.slow
@pytest.mark.skipif(not DEMO.is_dir(), reason="assets/demo_model not installed")
def test_windowed_equals_plain_ism_demo_model(train_demo_path):
    """The bundled compact run (trained weights, two residual blocks, 18 bp radius)."""
    pred = from_run(load_run(DEMO))
    seqs = [line.split("\t")[0] for line in train_demo_path.read_text().splitlines()[:4]]
    X = one_hot(seqs)
    _assert_same(ism.ism(pred, X), ism.ism(pred, X, fast=False))


def test_engine_does_not_keep_models_alive(promoters):
    import gc
    import weakref

    model = build_model("tiny")
    ism.ism(model, one_hot(promoters[:1]))
    assert fast_ism.engine_for([model]) is not None
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def _named_stack(skip_from_input: bool):
    """A small graph with build_model's layer names; the residual skip comes from the block
    input (as build_model wires it) or from the block's first batch norm (not recognised).
    """
    import keras

    from promoter_model.model.layers import ReverseComplementConv1D

    keras.utils.set_random_seed(5)
    inp = keras.Input((110, 4))
    x = ReverseComplementConv1D(4, 5, name="rc_conv")(inp)
    x = keras.layers.BatchNormalization(name="rc_bn")(x)
    x = keras.layers.Activation("gelu", name="rc_gelu")(x)
    x = keras.layers.ZeroPadding2D(((0, 0), (1, 1)), name="coop_pad")(x)
    x = keras.layers.Conv2D(4, (2, 3), name="coop_conv")(x)
    x = keras.layers.BatchNormalization(name="coop_bn")(x)
    x = keras.layers.Activation("gelu", name="coop_gelu")(x)
    x = keras.layers.Reshape((110, 4), name="coop_squeeze")(x)
    h1 = keras.layers.BatchNormalization(name="res0_bn1")(
        keras.layers.Conv1D(4, 3, padding="same", name="res0_conv1")(x))
    h = keras.layers.Conv1D(4, 3, padding="same", name="res0_conv2")(
        keras.layers.Activation("gelu", name="res0_gelu")(h1))
    y = keras.layers.Add(name="res0_add")([x if skip_from_input else h1, h])
    y = keras.layers.LeakyReLU(name="res0_act")(keras.layers.BatchNormalization(name="res0_bn2")(y))
    out = keras.layers.Dense(1)(keras.layers.Flatten()(y))
    return keras.Model(inp, out)


def test_only_build_model_wiring_is_recognised(promoters):
    X = one_hot(promoters[:2])
    wired = _named_stack(True)
    assert fast_ism.engine_for([wired]) is not None
    _assert_same(ism.ism(wired, X), ism.ism(wired, X, fast=False))
    assert fast_ism.engine_for([_named_stack(False)]) is None
