"""The measurements of ``bench_training.py``: forward FLOPs per sequence (counted per layer
from the ``ModelConfig``, and by TensorFlow's graph profiler), this machine's matmul rate,
and the training, prediction and ISM throughput of a preset, each the median of repeated
runs with the median load average during them; the reference preset's per-stage
ablations, timed interleaved. ``bench_training.py`` renders them into
``docs/benchmarks.md``; other benchmarks import :func:`forward_flops` and
:func:`matmul_peak` from there.
"""

from __future__ import annotations

import os
import statistics
import time

PRESETS = ("tiny", "compact", "reference")
BATCH = {"tiny": 256, "compact": 256, "reference": 32}
TRAIN_STEPS = {"tiny": 100, "compact": 12, "reference": 2}   # per timed fit call
PREDICT_ROWS = {"tiny": 16384, "compact": 4096, "reference": 256}


# --------------------------------------------------------------------------- FLOPs
def forward_flops(cfg) -> dict:
    """Forward FLOPs per sequence by stage (2 per multiply-add; element-wise ops excluded).

    Parameters
    ----------
    cfg : ModelConfig

    Returns
    -------
    dict
        FLOPs of each stage and ``"total"``.
    """
    L = cfg.seq_len
    f = {}
    f["rc_conv (both strands)"] = 2 * (2 * L * cfg.rc_kernel * 4 * cfg.rc_filters)
    f["coop_conv"] = 2 * L * (2 * cfg.coop_kernel * cfg.rc_filters) * cfg.coop_filters
    C = cfg.coop_filters
    f["residual stack"] = cfg.res_blocks * 2 * (2 * L * cfg.res_kernel * C * C)
    d = cfg.model_width
    att = 0
    if cfg.attention_blocks:
        if d != C:
            att += 2 * L * C * d
        ff = cfg.ff_multiplier * d
        per_block = (2 * L * d * d * 4          # Q, K, V, output projections
                     + 2 * L * L * d * 2        # scores and weighted sum, all heads
                     + 2 * L * d * ff * 2)      # feed-forward
        att += cfg.attention_blocks * per_block
    f["transformer"] = att
    lstm = 0
    width = d if cfg.attention_blocks else C
    for _ in range(cfg.lstm_layers):
        u = cfg.lstm_units
        lstm += 2 * L * 2 * 4 * (width + u) * u   # 2 directions, 4 gates
        width = 2 * u
    f["bidirectional LSTMs"] = lstm
    du = cfg.dense_units
    f["dense head"] = 2 * (L * width * du + du * max(1, du // 2) + max(1, du // 2))
    f["total"] = sum(f.values())
    return f


def profiler_flops(model) -> float | None:
    """Forward FLOPs per sequence counted by TensorFlow's graph profiler (batch 1).

    The profiler counts ops with a registered FLOP statistic (MatMul, Conv2D, BiasAdd,
    element-wise Mul/Add, ...); a ``while`` loop body (the LSTMs) is counted once, not
    ``L`` times. None if the profiler is unavailable.
    """
    try:
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False))
        graph = fn.get_concrete_function(
            tf.TensorSpec([1, model.input_shape[1], 4], tf.float32)).graph
        opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        opts["output"] = "none"
        prof = tf.compat.v1.profiler.profile(graph=graph, options=opts)
        return float(prof.total_float_ops)
    except Exception:  # noqa: BLE001 - best-effort cross-check
        return None


# --------------------------------------------------------------------------- timing
def load_average() -> float:
    """The 1-minute load average (NaN where the system has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _median(fn, repeats):
    times, loads = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        loads.append(load_average())
    return statistics.median(times), statistics.median(loads)


def matmul_peak(repeats=5, n=2048) -> dict:
    """float32 matmul GFLOP/s (median) with TensorFlow (oneDNN) and numpy (OpenBLAS)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    flops = 2 * n ** 3
    a @ b
    t_np, _ = _median(lambda: a @ b, repeats)
    A, B = tf.constant(a), tf.constant(b)
    mm = tf.function(lambda x, y: tf.matmul(x, y))
    mm(A, B).numpy()
    t_tf, load = _median(lambda: mm(A, B).numpy(), repeats)
    return {"tf": flops / t_tf, "numpy": flops / t_np, "load": load}


def _data(n, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, 110))]
    y = rng.normal(size=n).astype(np.float32)
    return X, y


def train_throughput(cfg, batch, steps, repeats, jit_compile="auto") -> dict:
    """Sequences/s of ``model.fit`` on in-memory arrays; compile time of the first step."""
    import keras

    from promoter_model.model.architectures import build_model

    keras.utils.set_random_seed(0)
    X, y = _data(batch * steps)
    model = build_model(cfg)
    model.compile(keras.optimizers.Adam(1e-3), "mse", jit_compile=jit_compile)
    t = time.perf_counter()
    model.fit(X[:batch], y[:batch], batch_size=batch, epochs=1, shuffle=False, verbose=0)
    first = time.perf_counter() - t
    sec, load = _median(lambda: model.fit(X, y, batch_size=batch, epochs=1, shuffle=False,
                                          verbose=0), repeats)
    return {"seq_s": batch * steps / sec, "first_step_s": first, "load": load,
            "params": model.count_params(), "model": model}


def predict_throughput(model, rows, repeats) -> dict:
    from promoter_model.model.predict import predict

    X, _ = _data(rows, seed=1)
    predict(model, X[:8])  # trace
    sec, load = _median(lambda: predict(model, X, batch_size=1024), repeats)
    return {"seq_s": rows / sec, "load": load}


def ism_latency(model, repeats) -> dict:
    from promoter_model.interpret.ism import ism

    X, _ = _data(1, seed=2)  # the predictor is already traced by predict_throughput
    sec, load = _median(lambda: ism(model, X[0])[0][0], repeats)
    return {"s": sec, "load": load}


def build_model_seeded(cfg):
    import keras

    from promoter_model.model.architectures import build_model

    keras.utils.set_random_seed(0)
    return build_model(cfg)


ABLATIONS = [
    ("reference (XLA off, the Keras default on CPU)", {}, "auto"),
    ("reference, XLA on (`jit_compile=True`)", {}, True),
    ("no LSTMs (`lstm_layers=0`)", {"lstm_layers": 0}, "auto"),
    ("no transformer (`attention_blocks=0`)", {"attention_blocks": 0}, "auto"),
    ("conv stages only (no transformer, no LSTMs)",
     {"attention_blocks": 0, "lstm_layers": 0}, "auto"),
]


def reference_ablations(repeats) -> list:
    """Training seq/s of the reference preset and its ablations, timed **interleaved**
    (one fit of each variant per round, ``repeats`` rounds) so that the load of the shared
    machine hits every variant alike; median per variant. The first variant keeps its model.
    """
    import keras

    from promoter_model.model.architectures import preset

    batch, steps = BATCH["reference"], TRAIN_STEPS["reference"]
    X, y = _data(batch * steps)
    built = []
    for label, over, jit in ABLATIONS:
        cfg = preset("reference", **over)
        model = build_model_seeded(cfg)
        model.compile(keras.optimizers.Adam(1e-3), "mse", jit_compile=jit)
        t = time.perf_counter()
        model.fit(X[:batch], y[:batch], batch_size=batch, epochs=1, shuffle=False, verbose=0)
        built.append((label, cfg, model, time.perf_counter() - t))
    times = {label: [] for label, *_ in built}
    loads = {label: [] for label, *_ in built}
    for _ in range(repeats):
        for label, _cfg, model, _first in built:
            t = time.perf_counter()
            model.fit(X, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
            times[label].append(time.perf_counter() - t)
            loads[label].append(load_average())
    out = []
    for i, (label, cfg, model, first) in enumerate(built):
        res = {"seq_s": batch * steps / statistics.median(times[label]),
               "first_step_s": first, "load": statistics.median(loads[label]),
               "params": model.count_params()}
        if i == 0:
            res["model"] = model
        out.append((label, forward_flops(cfg)["total"], res))
        print(f"ablation {label}: {res['seq_s']:.1f} seq/s, first step {first:.1f} s "
              f"(load {res['load']:.1f})", flush=True)
    return out
