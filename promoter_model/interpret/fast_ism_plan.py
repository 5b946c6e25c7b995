"""Recognise a :func:`promoter_model.model.architectures.build_model` graph for :mod:`.fast_ism`.

:func:`plan_for` reads the local convolutional stages (their kernels as 1-D convolutions, the
per-position layers after them) and cuts the model after them; any other graph, wiring,
padding, stride, dilation, even kernel or dtype policy gives None.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras


@dataclass
class ConvStage:
    """One local convolution as a 1-D kernel ``(2r + 1, c_in, c_out)`` over ``(L, c_in)``."""

    kernel: object  # callable returning the kernel tensor (reads the live variables)
    bias: object  # callable or None
    r: int


@dataclass
class Plan:
    """The convolutional stack of one member and the model that takes it from there."""

    rc_conv: ConvStage
    rc_post: list  # per-position layers after rc_conv, applied to (..., 2, F)
    coop_conv: ConvStage
    coop_post: list
    res: list  # per block: (conv1, [bn1, act], conv2, add, [bn2, act])
    tail: keras.Model
    width: int  # channels of the stack's output

    @property
    def radius(self) -> int:
        """Half-width of the window a single-base change reaches at the stack's output."""
        return self.rc_conv.r + self.coop_conv.r + sum(b[0].r + b[2].r for b in self.res)


def _layer(model, name):
    return next((la for la in model.layers if la.name == name), None)


def _float32(layer) -> bool:
    return getattr(getattr(layer, "dtype_policy", None), "compute_dtype", "float32") == "float32"


def _conv1d(layer):
    """A ``Conv1D(padding="same")`` as a :class:`ConvStage`, or None if it is anything else."""
    cfg = layer.get_config()
    k = cfg["kernel_size"][0]
    if (not isinstance(layer, keras.layers.Conv1D) or cfg["padding"] != "same" or k % 2 == 0
            or tuple(cfg["strides"]) != (1,) or tuple(cfg["dilation_rate"]) != (1,)
            or cfg["groups"] != 1 or cfg["activation"] != "linear"
            or cfg["data_format"] != "channels_last"):
        return None
    bias = (lambda: layer.bias) if cfg["use_bias"] else None
    return ConvStage(kernel=lambda: layer.kernel, bias=bias, r=k // 2)


def plan_for(model) -> Plan | None:
    """Parse a ``build_model`` graph; None for any model with another structure."""
    from ..model.layers import ReverseComplementConv1D

    names = ["rc_conv", "rc_bn", "rc_gelu", "coop_pad", "coop_conv", "coop_bn", "coop_gelu",
             "coop_squeeze"]
    layers = {n: _layer(model, n) for n in names}
    if any(v is None for v in layers.values()) or not all(map(_float32, model.layers)):
        return None
    rc, pad, coop = layers["rc_conv"], layers["coop_pad"], layers["coop_conv"]
    if (type(rc) is not ReverseComplementConv1D or rc.kernel_size % 2 == 0
            or not isinstance(coop, keras.layers.Conv2D)):
        return None
    ccfg = coop.get_config()
    kc = ccfg["kernel_size"]
    if (kc[0] != 2 or kc[1] % 2 == 0 or ccfg["padding"] != "valid"
            or tuple(ccfg["strides"]) != (1, 1) or tuple(ccfg["dilation_rate"]) != (1, 1)
            or ccfg["groups"] != 1 or ccfg["activation"] != "linear"
            or tuple(map(tuple, pad.get_config()["padding"])) != ((0, 0), (kc[1] // 2,) * 2)):
        return None

    def rc_kernel():
        # the reverse strand is the forward conv with the kernel flipped in length and in
        # base (A<->T, C<->G): one conv with both banks side by side, (k, 4, 2F)
        w = rc.kernel
        return keras.ops.concatenate([w, keras.ops.flip(w, axis=(0, 1))], axis=-1)

    def coop_kernel():
        w = coop.kernel  # (2, k, F, C) -> (k, 2F, C), strand-major like the (L, 2, F) layout
        k, f, c = w.shape[1], w.shape[2], w.shape[3]
        return keras.ops.reshape(keras.ops.transpose(w, (1, 0, 2, 3)), (k, 2 * f, c))

    if not all(_per_position(layers[n]) for n in ("rc_bn", "rc_gelu", "coop_bn", "coop_gelu")):
        return None
    coop_bias = (lambda: coop.bias) if ccfg["use_bias"] else None
    res, i, last = [], 0, layers["coop_squeeze"]
    chain = [layers[n] for n in names]
    while _layer(model, f"res{i}_conv1") is not None:
        block = [_layer(model, f"res{i}_{n}")
                 for n in ("conv1", "bn1", "gelu", "conv2", "add", "bn2", "act")]
        if any(b is None for b in block):
            return None
        c1, c2 = _conv1d(block[0]), _conv1d(block[3])
        if (c1 is None or c2 is None or not isinstance(block[4], keras.layers.Add)
                or not all(map(_per_position, block[1:3] + block[5:7]))):
            return None
        res.append((c1, block[1:3], c2, block[4], block[5:7]))
        chain += [*block[:4], (block[4], last, block[3]), *block[5:]]
        last, i = block[6], i + 1
    if not _wired(model, chain):
        return None
    try:
        tail = keras.Model(last.output, model.output)
    except Exception:  # noqa: BLE001 - any graph Keras cannot cut is "not recognised"
        return None
    return Plan(rc_conv=ConvStage(rc_kernel, None, rc.kernel_size // 2),
                rc_post=[layers["rc_bn"], layers["rc_gelu"]],
                coop_conv=ConvStage(coop_kernel, coop_bias, kc[1] // 2),
                coop_post=[layers["coop_bn"], layers["coop_gelu"]], res=res, tail=tail,
                width=int(last.output.shape[-1]))


def _wired(model, chain) -> bool:
    """Whether the layers form exactly this chain from the model's input (each layer called
    once; an ``Add`` takes the residual block's input and its second convolution).
    """
    try:
        prev = model.inputs[0]
        for layer in chain:
            if isinstance(layer, tuple):  # (add, block input layer, conv2)
                add, skip, conv2 = layer
                if {id(t) for t in add.input} != {id(skip.output), id(conv2.output)}:
                    return False
                prev = add.output
                continue
            if layer.input is not prev:
                return False
            prev = layer.output
        return True
    except (AttributeError, ValueError):  # a layer called more than once, or not at all
        return False


def _per_position(layer) -> bool:
    """Layers :func:`_apply` reproduces: BN over the channels (no renorm), activations."""
    if isinstance(layer, keras.layers.BatchNormalization):
        return (not layer.renorm and layer.axis in (-1, len(layer.input.shape) - 1))
    return isinstance(layer, (keras.layers.Activation, keras.layers.LeakyReLU))
