"""The reference-family model, built from a :class:`~promoter_model.model.config.ModelConfig`.

Stages (``docs/model.md`` explains each choice and what was fixed from the original deck):

1. :class:`~promoter_model.model.layers.ReverseComplementConv1D` over both strands, BN, GELU (or
   the exponential activation, ``first_activation="exp"``, layer ``rc_exp``).
2. Strand co-operativity: zero-pad the length axis, Conv2D ``(2, k)`` across the two strand
   maps, BN, GELU, reshape to ``(L, coop_filters)``.
3. Residual Conv1D blocks.
4. Transformer blocks over the ``L`` positions (learned position embedding). The deck's
   7.2M-parameter Dense "bottleneck" on the flattened map is dropped: attention needs one
   token per position, and the flattened vector destroyed that structure.
5. Bidirectional LSTMs returning sequences, flattened.
6. Dense head with one linear output (expression).
"""

from __future__ import annotations

import contextlib
import dataclasses

import keras

from .config import ModelConfig
from .layers import PositionEmbedding, ReverseComplementConv1D, TransformerBlock

PRESETS: dict = {
    # the deck's widths and depths
    "reference": ModelConfig(),
    # same structure, small enough to train on a 2-core CPU in under an hour on ~60k sequences
    "compact": ModelConfig(rc_filters=64, coop_filters=64, res_blocks=2, attention_blocks=1,
                           attention_heads=4, model_width=64, ff_multiplier=2, lstm_layers=1,
                           lstm_units=8, dense_units=64, dropout=0.2),
    # for tests: seconds to train
    "tiny": ModelConfig(rc_filters=8, coop_filters=8, res_blocks=1, attention_blocks=1,
                        attention_heads=2, model_width=8, ff_multiplier=2, lstm_layers=1,
                        lstm_units=4, dense_units=16, dropout=0.1, l2=0.0),
}


# compute precisions: float32, or bfloat16 arithmetic on float32 variables (the dense head,
# and so the output and the loss, stay float32)
PRECISIONS = ("float32", "mixed_bfloat16")


def preset(name: str, **overrides) -> ModelConfig:
    """A copy of a named preset, optionally with some settings changed."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)


def _regularizer(cfg: ModelConfig):
    if cfg.l1 == 0 and cfg.l2 == 0:
        return None
    return keras.regularizers.L1L2(l1=cfg.l1, l2=cfg.l2)


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Layers created inside use ``precision`` (Keras's global policy is thread-local)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def build_model(config: ModelConfig | str, name: str = "promoter_model",
                precision: str = "float32") -> keras.Model:
    """Build (not compile) the model.

    Parameters
    ----------
    config : ModelConfig or str
        A config or a preset name.
    name : str
    precision : {"float32", "mixed_bfloat16"}
        ``mixed_bfloat16``: every stage up to the LSTMs computes in bfloat16 on float32
        variables; the dense head computes in float32, so the output (and the loss) is
        float32. The policy is saved with each layer, so such a model loads as it was
        built; ``train`` saves its runs in float32 (``train.callbacks.float32_export``).

    Returns
    -------
    keras.Model
        Input ``(batch, seq_len, 4)`` one-hot, output ``(batch, 1)`` predicted expression,
        float32.
    """
    cfg = preset(config) if isinstance(config, str) else config
    with dtype_policy(precision):
        inputs, x = _body(cfg)
    return _head(cfg, inputs, x, name)


def _body(cfg: ModelConfig):
    """The stages before the dense head: ``(inputs, features)``, in the active policy."""
    reg = _regularizer(cfg)
    L = cfg.seq_len
    inputs = keras.Input((L, 4), name="one_hot")

    # 1. both strands through one filter bank
    x = ReverseComplementConv1D(cfg.rc_filters, cfg.rc_kernel, kernel_regularizer=reg,
                                name="rc_conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=cfg.bn_momentum, name="rc_bn")(x)
    if cfg.first_activation == "exp":  # Koo & Ploenzke 2021; a built-in, safe_mode loads it
        x = keras.layers.Activation("exponential", name="rc_exp")(x)
    else:
        x = keras.layers.Activation("gelu", name="rc_gelu")(x)

    # 2. forward/reverse co-operativity: (batch, 2, L, F) -> (batch, 1, L, C) -> (batch, L, C)
    pad = cfg.coop_kernel // 2
    x = keras.layers.ZeroPadding2D(((0, 0), (pad, pad)), name="coop_pad")(x)
    x = keras.layers.Conv2D(cfg.coop_filters, (2, cfg.coop_kernel), padding="valid",
                            kernel_regularizer=reg, name="coop_conv")(x)
    x = keras.layers.BatchNormalization(momentum=cfg.bn_momentum, name="coop_bn")(x)
    x = keras.layers.Activation("gelu", name="coop_gelu")(x)
    x = keras.layers.Reshape((L, cfg.coop_filters), name="coop_squeeze")(x)

    # 3. residual stack
    for i in range(cfg.res_blocks):
        h = keras.layers.Conv1D(cfg.coop_filters, cfg.res_kernel, padding="same",
                                kernel_regularizer=reg, name=f"res{i}_conv1")(x)
        h = keras.layers.BatchNormalization(momentum=cfg.bn_momentum, name=f"res{i}_bn1")(h)
        h = keras.layers.Activation("gelu", name=f"res{i}_gelu")(h)
        h = keras.layers.Conv1D(cfg.coop_filters, cfg.res_kernel, padding="same",
                                kernel_regularizer=reg, name=f"res{i}_conv2")(h)
        x = keras.layers.Add(name=f"res{i}_add")([x, h])
        x = keras.layers.BatchNormalization(momentum=cfg.bn_momentum, name=f"res{i}_bn2")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.01, name=f"res{i}_act")(x)

    # 4. transformer over positions
    if cfg.attention_blocks:
        if cfg.model_width != cfg.coop_filters:
            x = keras.layers.Dense(cfg.model_width, kernel_regularizer=reg,
                                   name="token_projection")(x)
        x = PositionEmbedding(name="position_embedding")(x)
        for i in range(cfg.attention_blocks):
            x = TransformerBlock(cfg.attention_heads, cfg.ff_multiplier * cfg.model_width,
                                 dropout=cfg.dropout, kernel_regularizer=reg,
                                 name=f"transformer{i}")(x)

    # 5. bidirectional LSTMs
    for i in range(cfg.lstm_layers):
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(cfg.lstm_units, return_sequences=True), name=f"bilstm{i}")(x)
        x = keras.layers.Dropout(cfg.dropout, name=f"bilstm{i}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    return inputs, x


def _head(cfg: ModelConfig, inputs, x, name: str) -> keras.Model:
    """6. The dense head, always float32 (its first layer casts bfloat16 features up)."""
    reg = _regularizer(cfg)
    f32 = {"dtype": "float32"}
    x = keras.layers.Dense(cfg.dense_units, kernel_regularizer=reg, name="head_dense1",
                           **f32)(x)
    x = keras.layers.Activation("gelu", name="head_gelu1", **f32)(x)
    x = keras.layers.Dropout(cfg.dropout, name="head_dropout1", **f32)(x)
    x = keras.layers.Dense(max(1, cfg.dense_units // 2), kernel_regularizer=reg,
                           name="head_dense2", **f32)(x)
    x = keras.layers.Activation("gelu", name="head_gelu2", **f32)(x)
    x = keras.layers.Dropout(cfg.dropout, name="head_dropout2", **f32)(x)
    outputs = keras.layers.Dense(1, name="expression", **f32)(x)
    return keras.Model(inputs, outputs, name=name)


HEAD_LAYERS = ("head_dense1", "head_dense2", "expression")  # the trainable head


def model_precision(model) -> str:
    """``mixed_bfloat16`` if any layer computes in bfloat16, else ``float32``."""
    for layer in model.layers:
        if getattr(layer.dtype_policy, "compute_dtype", "float32") == "bfloat16":
            return "mixed_bfloat16"
    return "float32"


def first_conv_layer(model: keras.Model) -> keras.layers.Layer:
    """The first-layer filter bank (``rc_conv``) whose kernels are the motif detectors."""
    try:
        return model.get_layer("rc_conv")
    except ValueError:
        for layer in model.layers:
            if isinstance(layer, (ReverseComplementConv1D, keras.layers.Conv1D)):
                return layer
        raise ValueError("the model has no first-layer convolution") from None
