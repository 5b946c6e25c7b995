"""Where a training step of the reference preset goes: its stages alone, and the data.

Called by ``bench/gpu_scale.py`` (phase ``profile``). Each stage of ``build_model`` is
rebuilt as a model of its own at the phase's batch and precision (the convolutions from the
one-hot input to the residual stack's output; the transformer blocks with the position
embedding; the bidirectional LSTMs; the dense head) and one forward + backward pass of it
(gradients of the mean squared output with respect to its weights, one ``jax.jit``) is
timed: the median of repeated calls after compilation. The sum is compared with the full
training step that phase ``reference-2048`` measured. The data row is the numpy reader
(:class:`promoter_model.records.arrays.ArrayBatches`, shuffled, reverse-complement
augmented) producing one-hot batches on this host's CPU, one thread.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

REPEATS = 10


def _time_grad(model, x) -> float:
    """Median milliseconds of one jitted forward + backward pass of ``model`` on ``x``."""
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def loss(tv, x):
        y, _ = model.stateless_call(tv, frozen, x, training=True)
        return jnp.mean(jnp.square(y.astype(jnp.float32)))

    step = jax.jit(jax.grad(loss))
    jax.block_until_ready(step(trainable, x))  # compile
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        jax.block_until_ready(step(trainable, x))
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def stage_models(cfg, precision: str) -> dict:
    """``name -> (model, input shape without batch)`` for each stage of ``build_model``."""
    import keras

    from promoter_model.model.architectures import build_model, dtype_policy
    from promoter_model.model.layers import PositionEmbedding, TransformerBlock

    L, C, d = cfg.seq_len, cfg.coop_filters, cfg.model_width
    full = build_model(cfg, precision=precision)
    last_conv = f"res{cfg.res_blocks - 1}_act" if cfg.res_blocks else "coop_squeeze"
    stages = {"convolutions": (keras.Model(full.input, full.get_layer(last_conv).output),
                               (L, 4))}
    width = C
    with dtype_policy(precision):
        if cfg.attention_blocks:
            x = keras.Input((L, C))
            h = keras.layers.Dense(d)(x) if d != C else x
            h = PositionEmbedding()(h)
            for _ in range(cfg.attention_blocks):
                h = TransformerBlock(cfg.attention_heads, cfg.ff_multiplier * d,
                                     dropout=cfg.dropout)(h)
            stages["transformer"] = (keras.Model(x, h), (L, C))
            width = d
        if cfg.lstm_layers:
            x = keras.Input((L, width))
            h = x
            for _ in range(cfg.lstm_layers):
                h = keras.layers.Bidirectional(
                    keras.layers.LSTM(cfg.lstm_units, return_sequences=True))(h)
            stages["bidirectional LSTMs"] = (keras.Model(x, h), (L, width))
            width = 2 * cfg.lstm_units
    head_in = full.get_layer("head_dense1").input
    stages["dense head"] = (keras.Model(head_in, full.output), (L * width,))
    return stages


def reader_rate(batch: int, rows: int = 500_000, batches: int = 100) -> float:
    """One-hot batches per second of the numpy reader on this CPU, as sequences/s."""
    from promoter_model.records.arrays import ArrayBatches

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 5, (rows, 110), dtype=np.uint8)
    ds = ArrayBatches(codes, rng.normal(size=rows).astype(np.float32), batch_size=batch,
                      shuffle=True, rc_augment=True)
    n = min(batches, len(ds))
    t = time.perf_counter()
    for i in range(n):
        ds[i]
    return n * batch / (time.perf_counter() - t)


def profile(spec: dict) -> dict:
    """Stage timings of ``spec["preset"]`` at ``spec["batch"]``; see the module docstring."""
    import sys
    from pathlib import Path

    import jax

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_training import forward_flops
    from gpu_scale import device_info

    from promoter_model.model.architectures import preset

    info = device_info()
    precision = "float32" if info["platform"] == "cpu" else "mixed_bfloat16"
    cfg = preset(spec["preset"])
    batch = spec["batch"]
    fl = forward_flops(cfg)
    stage_flops = {"convolutions": fl["rc_conv (both strands)"] + fl["coop_conv"]
                   + fl["residual stack"], "transformer": fl["transformer"],
                   "bidirectional LSTMs": fl["bidirectional LSTMs"],
                   "dense head": fl["dense head"]}
    rows = []
    key = jax.random.PRNGKey(0)
    for name, (model, shape) in stage_models(cfg, precision).items():
        if time.time() > spec["deadline"] - 10:
            rows.append({"stage": name, "skipped": "deadline"})
            continue
        x = jax.random.normal(key, (batch, *shape), dtype="float32")
        if name == "convolutions":
            x = jax.nn.one_hot(jax.random.randint(key, (batch, shape[0]), 0, 4), 4)
        ms = _time_grad(model, x)
        gflop = 3 * stage_flops[name] * batch / 1e9
        rows.append({"stage": name, "ms": round(ms, 2), "train_gflop": round(gflop, 2),
                     "tflop_s": round(gflop / ms, 2)})
    return {"phase": "profile", "preset": spec["preset"], "batch": batch,
            "precision": precision, "device": info, "stages": rows,
            "sum_ms": round(sum(r.get("ms", 0) for r in rows), 2),
            "reader_seq_s": round(reader_rate(batch), 0)}
