"""All members of an ensemble in one compiled call.

:func:`predict_members` runs every member's ``model(x, training=False)`` inside one
``tf.function`` (one ``jax.jit`` of the members' ``stateless_call`` under JAX, with the
weights as arguments): one dispatch per batch instead of one per member, and TensorFlow may
run independent members side by side. Each member computes exactly what it computes alone
(``tests/test_fused.py``); the weights are read when called, never baked in.
"""

from __future__ import annotations

import threading
import weakref

import keras
import numpy as np

from promoter_model.model.predict import input_length

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class _Fused:
    def __init__(self, models):
        refs = [weakref.ref(m) for m in models]  # the function must not keep models alive
        self.refs = refs
        length = input_length(models[0])
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            def call(x):
                return tf.stack([tf.reshape(tf.cast(r()(x, training=False), tf.float32), [-1])
                                 for r in refs])

            self.fn = tf.function(call, input_signature=[
                tf.TensorSpec([None, length, 4], tf.float32)])
        elif backend == "jax":
            import jax
            import jax.numpy as jnp

            @jax.jit
            def stateless(trainables, non_trainables, x):
                outs = [r().stateless_call(t, n, x, training=False)[0].reshape(-1)
                        for r, t, n in zip(refs, trainables, non_trainables)]
                return jnp.stack(outs).astype(jnp.float32)

            def fn(x):
                ms = [r() for r in refs]
                return stateless([[v.value for v in m.trainable_variables] for m in ms],
                                 [[v.value for v in m.non_trainable_variables] for m in ms], x)

            self.fn = fn
        else:  # pragma: no cover
            self.fn = lambda x: np.stack([np.asarray(r()(x, training=False)).reshape(-1)
                                          for r in refs])

    def alive(self, models) -> bool:
        return len(models) == len(self.refs) and all(
            r() is m for r, m in zip(self.refs, models))


def _compiled(models) -> _Fused:
    key = tuple(id(m) for m in models)
    with _LOCK:
        table = _CACHE.setdefault(models[0], {})  # one per member list led by this model
        fused = table.get(key)
        if fused is None or not fused.alive(models):
            fused = _Fused(models)
            table[key] = fused
        return fused


def predict_members(models, X, batch_size: int = 1024) -> np.ndarray:
    """Every member's prediction of one-hot sequences, all members in one compiled call.

    Parameters
    ----------
    models : list of keras.Model
        Members taking the same input length.
    X : np.ndarray, shape (n, L, 4) or (L, 4)
    batch_size : int
        Rows per call.

    Returns
    -------
    np.ndarray, shape (n_members, n), float32
        Row ``k`` is what :func:`promoter_model.model.predict.predict` gives for ``models[k]``.
    """
    models = list(models)
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    fn = _compiled(models).fn
    out = [np.asarray(fn(X[i:i + batch_size])) for i in range(0, len(X), batch_size)]
    return (np.concatenate(out, axis=1).astype(np.float32) if out
            else np.zeros((len(models), 0), np.float32))
