"""Batched, vectorised prediction.

Inference goes through ``model(x, training=False)`` compiled once per architecture (under
TensorFlow a ``tf.function`` of the weights and a fixed input signature, so new batch sizes
never retrace and the members of an ensemble share one trace; ``jax.jit`` under JAX).
Unlike ``model.predict`` this is safe to call from several threads, as the dashboard does.
"""

from __future__ import annotations

import threading
import weakref

import keras
import numpy as np

from ..sequence import SEQ_LEN, codes_to_one_hot, encode_codes

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_TEMPLATES: dict = {}  # signature -> compiled function of (weights, x), shared by like models
_MAX_TEMPLATES = 32
_LOCK = threading.Lock()


def input_length(model) -> int:
    """The model's input length (a subclassed model without ``input_shape``: 110 bp)."""
    try:
        return model.input_shape[1] or SEQ_LEN
    except (AttributeError, TypeError, IndexError):
        return SEQ_LEN


def signature(model) -> tuple:
    """Same graph and variable layout: one compiled function (weights as arguments) serves
    every model with this signature, such as the members of an ensemble.
    """
    import json

    return (json.dumps(model.get_config(), sort_keys=True, default=str),
            tuple((tuple(v.shape), str(v.dtype)) for v in model.variables))


def _template(model):
    """The concrete function ``(weights, x) -> model(x)`` of ``model``'s architecture
    (TensorFlow).

    Traced at once, on this model, inside a ``keras.StatelessScope`` that maps its
    variables to the ``weights`` argument (the variables themselves, read inside the
    graph); like models with variables of the same kind then call the same trace with their
    own. The trace keeps no model alive.
    """
    import tensorflow as tf

    try:  # the variables' kind too: a trace on plain variables refuses mirrored ones
        key = (signature(model), tuple(sorted({type(v.value).__name__ for v in model.variables})))
    except Exception:  # noqa: BLE001  (no serialisable config: a trace of its own, unshared)
        key = None
    fn = _TEMPLATES.get(key) if key is not None else None
    if fn is None:
        ref = weakref.ref(model)
        length = input_length(model)

        def call(weights, x):
            m = ref()  # the model it is traced on, alive while tracing
            with keras.StatelessScope(state_mapping=list(zip(m.variables, weights))):
                return m(x, training=False)

        # traced now, while this model is alive, with its variables (resource handles, read
        # inside the graph: passing their values would cost an eager read each per call) and
        # any batch size; calls go straight to this concrete function
        fn = tf.function(call).get_concrete_function(
            [v.value for v in model.variables], tf.TensorSpec([None, length, 4], tf.float32))
        if key is not None:
            if len(_TEMPLATES) >= _MAX_TEMPLATES:
                _TEMPLATES.pop(next(iter(_TEMPLATES)))
            _TEMPLATES[key] = fn
    return fn


def compiled(model):
    """The compiled inference function of ``model``, ``x (n, L, 4) -> (n, 1)``, cached per model.

    What :func:`predict` calls batch by batch; training's whole-set validation calls it on
    a dataset's batches (``train.callbacks``).
    """
    with _LOCK:
        fn = _CACHE.get(model)
        if fn is None:
            ref = weakref.ref(model)  # the cached function must not keep the model alive
            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                template = _template(model)

                def fn(x):
                    return template([v.value for v in ref().variables],
                                    tf.convert_to_tensor(x, tf.float32))
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
                def fn(x):
                    return ref()(x, training=False)
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
    fn = compiled(model)
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
    length = input_length(model)
    return predict_codes(model, encode_codes(list(sequences), length=length),
                         batch_size=batch_size)


def warm_up(model) -> None:
    """Trace the compiled predictor once so the first user request is fast."""
    length = input_length(model)
    predict(model, np.zeros((1, length, 4), np.float32))
