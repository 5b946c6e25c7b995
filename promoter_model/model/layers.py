"""Registered custom layers of the reference architecture.

Every layer here is a serialisable class (no ``Lambda``), so a saved ``model.keras`` loads
with ``keras.saving.load_model(path, safe_mode=True)``. All code is backend-agnostic
(``keras.ops``): the same model trains under TensorFlow and JAX.
"""

from __future__ import annotations

import keras
from keras import ops

PACKAGE = "promoter_model"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReverseComplementConv1D(keras.layers.Layer):
    """One Conv1D filter bank scanned over both strands.

    The same kernel is applied to the forward sequence and to its reverse complement; the
    reverse-strand map is flipped back so that position ``i`` of both maps describes the same
    base pair.

    Input ``(batch, L, 4)`` one-hot in A, C, G, T order; output ``(batch, 2, L, filters)``
    with the forward strand at index 0 and the reverse strand at index 1.
    """

    def __init__(self, filters, kernel_size, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, int(input_shape[-1]), self.filters),
            initializer="glorot_uniform", regularizer=self.kernel_regularizer)

    def call(self, x):
        fwd = ops.conv(x, self.kernel, strides=1, padding="same")
        rc_input = ops.flip(x, axis=(1, 2))  # reverse the sequence, complement A<->T, C<->G
        rev = ops.flip(ops.conv(rc_input, self.kernel, strides=1, padding="same"), axis=1)
        return ops.stack([fwd, rev], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2, input_shape[1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size,
                      kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer))
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class PositionEmbedding(keras.layers.Layer):
    """Add a learned embedding of each position, shape ``(batch, L, d) -> (batch, L, d)``."""

    def build(self, input_shape):
        self.embedding = self.add_weight(
            name="embedding", shape=(int(input_shape[-2]), int(input_shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, x):
        return x + ops.expand_dims(ops.cast(self.embedding, x.dtype), 0)


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransformerBlock(keras.layers.Layer):
    """Post-norm transformer encoder block over sequence positions.

    ``x -> LayerNorm(x + Dropout(MHA(x, x))) -> LayerNorm(h + Dropout(FF(h)))`` with a GELU
    feed-forward of width ``ff_dim`` (wider than the model width, unlike the deck's 8).
    Shape ``(batch, L, d) -> (batch, L, d)``.
    """

    def __init__(self, num_heads, ff_dim, dropout=0.1, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.ff_dim = int(ff_dim)
        self.dropout = float(dropout)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        d = int(input_shape[-1])
        if d % self.num_heads:
            raise ValueError(f"model width {d} is not divisible by {self.num_heads} heads")
        reg = self.kernel_regularizer
        # the block's own policy (mixed precision included), also when loaded from a file
        kw = {"dtype": self.dtype_policy}
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, d // self.num_heads, dropout=self.dropout, kernel_regularizer=reg,
            name="attention", **kw)
        self.attention.build(input_shape, input_shape)
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm1", **kw)
        self.norm1.build(input_shape)
        self.ff1 = keras.layers.Dense(self.ff_dim, activation="gelu", kernel_regularizer=reg,
                                      name="ff1", **kw)
        self.ff1.build(input_shape)
        self.ff2 = keras.layers.Dense(d, kernel_regularizer=reg, name="ff2", **kw)
        self.ff2.build((*input_shape[:-1], self.ff_dim))
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm2", **kw)
        self.norm2.build(input_shape)
        self.drop1 = keras.layers.Dropout(self.dropout, **kw)
        self.drop2 = keras.layers.Dropout(self.dropout, **kw)

    def call(self, x, training=None):
        attended = self.attention(x, x, training=training)
        h = self.norm1(x + self.drop1(attended, training=training))
        ff = self.ff2(self.ff1(h))
        return self.norm2(h + self.drop2(ff, training=training))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, ff_dim=self.ff_dim, dropout=self.dropout,
                      kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer))
        return config
