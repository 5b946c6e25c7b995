"""Batched, vectorised prediction.

Inference goes through ``model(x, training=False)`` compiled once per model (a
``tf.function`` with a fixed input signature under TensorFlow, so new batch sizes never
retrace; ``jax.jit`` under JAX). Unlike ``model.predict`` this is safe to call from several
threads, as the dashboard does.
"""

from __future__ import annotations

import threading
import weakref

import keras
import numpy as np

from .sequence import SEQ_LEN, codes_to_one_hot, encode_codes

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _compiled(model):
    with _LOCK:
        fn = _CACHE.get(model)
        if fn is None:
            length = model.input_shape[1] or SEQ_LEN
            ref = weakref.ref(model)  # the cached function must not keep the model alive

            def call(x):
                return ref()(x, training=False)

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                fn = tf.function(call, input_signature=[
                    tf.TensorSpec([None, length, 4], tf.float32)])
            elif keras.backend.backend() == "jax":
                import jax

                # the weights are arguments, not constants baked into the trace: a jitted
                # closure over the model would keep predicting with the weights it first saw
                @jax.jit
                def stateless(trainable, non_trainable, x):
                    y, _ = ref().stateless_call(trainable, non_trainable, x, training=False)
                    return y

                def fn(x):
                    m = ref()
                    return stateless([v.value for v in m.trainable_variables],
                                     [v.value for v in m.non_trainable_variables], x)
            else:  # pragma: no cover
                fn = call
            _CACHE[model] = fn
        return fn


def predict(model, X, batch_size: int = 1024) -> np.ndarray:
    """Predict expression for one-hot sequences.

    Parameters
    ----------
    model : keras.Model
    X : np.ndarray, shape (n, L, 4)
    batch_size : int

    Returns
    -------
    np.ndarray, shape (n,), float32
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    fn = _compiled(model)
    out = [np.asarray(fn(X[i:i + batch_size])).reshape(-1)
           for i in range(0, len(X), batch_size)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def predict_codes(model, codes, batch_size: int = 1024, chunk: int = 65_536) -> np.ndarray:
    """Predict expression for base-coded sequences, one-hot encoding a chunk at a time.

    Memory stays at one byte per base for the whole input plus the float32 one-hot of
    ``chunk`` sequences (115 MB for 65,536 x 110 bp), so millions of sequences can be
    predicted in one call (the whole one-hot of 6.7M sequences would be 11.8 GB).

    Parameters
    ----------
    model : keras.Model
    codes : np.ndarray, shape (n, L), integer 0-4 (A, C, G, T, N)
    batch_size : int
    chunk : int
        Sequences encoded at once.

    Returns
    -------
    np.ndarray, shape (n,), float32
    """
    codes = np.asarray(codes)
    if codes.ndim == 1:
        codes = codes[None]
    out = [predict(model, codes_to_one_hot(codes[i:i + chunk]), batch_size=batch_size)
           for i in range(0, len(codes), chunk)]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def predict_sequences(model, sequences, batch_size: int = 1024) -> np.ndarray:
    """Predict expression for DNA strings (fitted by ``sequence.fit_to_length``).

    Returns
    -------
    np.ndarray, shape (n,), float32
    """
    length = model.input_shape[1] or SEQ_LEN
    return predict_codes(model, encode_codes(list(sequences), length=length),
                         batch_size=batch_size)


def warm_up(model) -> None:
    """Trace the compiled predictor once so the first user request is fast."""
    length = model.input_shape[1] or SEQ_LEN
    predict(model, np.zeros((1, length, 4), np.float32))
