"""Batched prediction agrees with the model and does not retrace per batch size."""

import keras
import numpy as np
import pytest

from promoter_model.model import predict as P
from promoter_model.model.architectures import build_model
from promoter_model.sequence import one_hot


def test_predict_matches_model_call_across_batches(promoters):
    keras.utils.set_random_seed(0)
    model = build_model("tiny")
    X = one_hot(promoters)
    direct = np.asarray(model(X, training=False)).ravel()
    np.testing.assert_allclose(P.predict(model, X, batch_size=7), direct, atol=1e-5)
    np.testing.assert_allclose(P.predict_sequences(model, promoters), direct, atol=1e-5)
    assert P.predict(model, X[:0]).shape == (0,)


def test_predict_codes_encodes_chunk_by_chunk(promoters):
    """Base codes (1 byte per base) are one-hot encoded a chunk at a time: same predictions."""
    from promoter_model.sequence import encode_codes

    keras.utils.set_random_seed(0)
    model = build_model("tiny")
    codes = encode_codes(promoters)
    whole = P.predict(model, one_hot(promoters))
    np.testing.assert_allclose(P.predict_codes(model, codes, batch_size=4, chunk=3), whole,
                               atol=1e-5)
    assert P.predict_codes(model, codes[0]).shape == (1,)
    assert P.predict_codes(model, codes[:0]).shape == (0,)
    assert P.predict_sequences(model, []).shape == (0,)


def test_one_trace_for_any_batch_size(promoters):
    model = build_model("tiny")
    X = one_hot(promoters)
    for n in (1, 5, 33, 64):
        P.predict(model, X[:n])
    fn = P._template(model)  # one concrete function: it cannot retrace, only refuse a shape
    assert fn.structured_input_signature[0][1].shape.as_list() == [None, X.shape[1], 4]
    assert P._template(model) is fn


@pytest.mark.slow
def test_like_models_share_one_trace_and_predict_with_their_own_weights(promoters):
    """Members of an ensemble (same architecture) share one trace; each predicts with its
    own weights, also after the model it was traced on is gone, and after a weight update.
    """
    import copy
    import gc

    X = one_hot(promoters)
    keras.utils.set_random_seed(1)
    first = build_model("tiny")
    like = first.get_config()  # as members load: the same config, layer names included
    second = keras.Model.from_config(copy.deepcopy(like))
    second.set_weights([w * 1.1 for w in first.get_weights()])
    expected = [np.asarray(m(X, training=False)).reshape(-1) for m in (first, second)]
    np.testing.assert_allclose(P.predict(first, X), expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(P.predict(second, X), expected[1], rtol=1e-5, atol=1e-5)
    template = P._template(second)
    assert template is P._template(first)
    assert not np.allclose(expected[0], expected[1])
    del first
    gc.collect()
    third = keras.Model.from_config(copy.deepcopy(like))
    np.testing.assert_allclose(P.predict(third, X),
                               np.asarray(third(X, training=False)).ravel(), rtol=1e-5, atol=1e-5)
    second.set_weights([w * 0.5 for w in second.get_weights()])  # as training does
    np.testing.assert_allclose(P.predict(second, X),
                               np.asarray(second(X, training=False)).ravel(), rtol=1e-5, atol=1e-5)
    assert P._template(second) is template and not template.captured_inputs  # no weights baked in


def test_short_sequences_are_fitted():
    model = build_model("tiny")
    out = P.predict_sequences(model, ["ACGT" * 10, "A" * 130])
    assert out.shape == (2,) and np.isfinite(out).all()


def test_cached_predictor_does_not_keep_the_model_alive():
    import gc
    import weakref

    model = build_model("tiny")
    P.warm_up(model)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_a_model_without_a_config_gets_a_trace_of_its_own(promoters):
    """A subclassed model whose config cannot be read still predicts (nothing is shared)."""

    class Mean(keras.Model):
        def __init__(self, scale):  # a positional argument get_config cannot recover
            super().__init__()
            self.scale = scale
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(keras.ops.mean(x, axis=1)) * self.scale

        def get_config(self):
            raise NotImplementedError

    X = one_hot(promoters)
    model = Mean(2.0)
    model(X[:1])
    np.testing.assert_allclose(P.predict(model, X), np.asarray(model(X)).ravel(), rtol=1e-5,
                               atol=1e-6)


def test_a_model_built_under_a_strategy_and_a_plain_like_model_both_predict(promoters):
    """Training builds the model under a tf.distribute strategy (mirrored variables); a
    like model loaded in the same process has plain ones: each gets a trace it accepts.
    """
    import copy

    import tensorflow as tf

    X = one_hot(promoters)
    plain = build_model("tiny")
    P.predict(plain, X)  # the plain model's trace first
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        mirrored = keras.Model.from_config(copy.deepcopy(plain.get_config()))
    mirrored.set_weights(plain.get_weights())
    np.testing.assert_allclose(P.predict(mirrored, X), P.predict(plain, X), rtol=1e-5,
                               atol=1e-6)
    assert P._template(mirrored) is not P._template(plain)
