"""Batched prediction agrees with the model and does not retrace per batch size."""

import keras
import numpy as np

from promoter_model import predict as P
from promoter_model.architectures import build_model
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
    fn = P._compiled(model)
    assert fn.experimental_get_tracing_count() == 1


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
