"""Where an ensemble ISM's time goes after windowing: each later stage of one member on the
mutants of one sequence, against what this CPU's matrix units can do; writes the
``## Ensemble ISM: where the time goes`` section of ``docs/benchmarks.md``.

Usage::

    .venv/bin/python bench/bench_ism_floor.py [--run ENSEMBLE] [--repeats 15] [--no-write]

Exact windowed ISM (``interpret.fast_ism``) recomputes the convolutions only around each
mutated base, but every stage from the transformer on sees the whole sequence, so every
mutant runs it in full: with reverse-complement averaging, ``2 x 331`` inputs per member.
This benchmark times those stages of the first member on that batch (random activations of
the right shape; the time does not depend on the values): the position embedding, the
attention, the rest of the transformer block (residual adds, layer norms, feed-forward),
the bidirectional LSTM and the head; the whole tail as the engine runs it, and under XLA
(``jit_compile=True``). Each stage's analytic FLOPs give its rate, compared with the rate
of one large matrix product (2048 x 2048, float32 and bfloat16) on the same machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import benchdoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Ensemble ISM: where the time goes"
TARGET_S = 0.3


def _median_s(fn, arg, repeats: int) -> float:
    import numpy as np

    np.asarray(fn(arg))  # trace
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        np.asarray(fn(arg))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def matmul_rate(dtype: str, repeats: int, n: int = 2048) -> float:
    """GFLOP/s of an ``n x n`` float matrix product (TensorFlow, this process's threads)."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal([n, n], seed=0), dtype)
    f = tf.function(tf.autograph.experimental.do_not_convert(lambda x: tf.matmul(x, x)))
    return 2 * n ** 3 / _median_s(f, a, repeats) / 1e9


def stages(tail, batch: int):
    """The tail's stages as callables and each stage's analytic GFLOP on ``batch`` inputs."""
    import keras

    layers = tail.layers[1:]  # after the input layer
    names = [la.__class__.__name__ for la in layers]
    if names.count("TransformerBlock") != 1 or "Bidirectional" not in names:
        raise SystemExit(f"expected one transformer block and one LSTM: {names}")
    i_lstm = names.index("Bidirectional")
    pos = layers[names.index("PositionEmbedding")]
    blk, lstm = layers[names.index("TransformerBlock")], layers[i_lstm]
    head = keras.Sequential(layers[i_lstm + 1:])
    L, d = tail.input_shape[1], tail.input_shape[2]
    shape = dict(L=L, d=d, heads=blk.attention.num_heads, ff=blk.ff_dim,
                 units=lstm.forward_layer.units)
    hd = blk.attention.num_heads * blk.attention.key_dim
    g = batch * 2 / 1e9  # a multiply-add is 2 FLOPs; over the batch, in GFLOP
    dense = sum(int(la.kernel.shape[0]) * int(la.kernel.shape[1])
                for la in head.layers if isinstance(la, keras.layers.Dense))
    fns = {"pos": lambda x: pos(x), "attention": lambda x: blk.attention(x, x, training=False),
           "block": lambda x: blk(x, training=False), "lstm": lambda x: lstm(x, training=False),
           "head": lambda x: head(x, training=False)}
    gflop = {"attention": g * L * (3 * d * hd + 2 * L * hd + hd * d),
             "rest": g * L * 2 * d * shape["ff"],
             "lstm": g * 2 * L * 4 * shape["units"] * (d + shape["units"]), "head": g * dense}
    return fns, gflop, shape


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "assets" / "demo_ensemble")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from promoter_model.interpret.fast_ism_plan import plan_for
    from promoter_model.predictor import load_predictor

    pred = load_predictor(args.run)
    k = len(pred.members)
    tail = plan_for(pred.models[0]).tail
    strands = 2 if pred.rc_average else 1
    batch = strands * 331
    load_start = os.getloadavg()[0]
    peak = {dtype: matmul_rate(dtype, args.repeats) for dtype in ("float32", "bfloat16")}
    fns, gflop, shape = stages(tail, batch)
    x = tf.constant(np.random.default_rng(0).standard_normal(
        (batch, shape["L"], shape["d"])).astype(np.float32))
    fn = {k_: tf.function(tf.autograph.experimental.do_not_convert(f)) for k_, f in fns.items()}
    h1 = fn["pos"](x)
    h2 = fn["block"](h1)
    h3 = fn["lstm"](h2)
    t = {name: _median_s(fn[name], arg, args.repeats) for name, arg in
         [("pos", x), ("attention", h1), ("block", h1), ("lstm", h2), ("head", h3)]}
    rows = [("position embedding", t["pos"], 0.0),
            ("attention (query, key, value, scores, softmax, output)", t["attention"],
             gflop["attention"]),
            ("rest of the transformer block (residuals, 2 layer norms, feed-forward)",
             t["block"] - t["attention"], gflop["rest"]),
            ("bidirectional LSTM", t["lstm"], gflop["lstm"]),
            ("head (flatten, dense layers)", t["head"], gflop["head"])]
    whole = {jit: _median_s(tf.function(tf.autograph.experimental.do_not_convert(
        lambda z: tail(z, training=False)), jit_compile=jit), x, args.repeats)
        for jit in (False, True)}
    load_end = os.getloadavg()[0]

    total_gflop = sum(r[2] for r in rows)
    arithmetic = ("; the time goes to small matrix products, the softmax, the layer norms, "
                  f"the GELU and the LSTM's 2 x {shape['L']} sequential steps"
                  if total_gflop / whole[False] < 0.5 * peak["float32"] else "")
    per_position = sum(s for name, s, _ in rows if not name.startswith("attention"))
    lines = [SECTION, "",
             f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
             f"{benchdoc.cpu_model()}, {os.cpu_count()} CPU cores (1-minute load average "
             f"{load_start:.1f} at the start, {load_end:.1f} at the end), Python "
             f"{platform.python_version()}, by `bench/bench_ism_floor.py` on `{args.run.name}`"
             f" ({k} members; width {shape['d']}, {shape['heads']} heads, feed-forward "
             f"{shape['ff']}, LSTM {shape['units']} units, {shape['L']} positions).", "",
             f"One member's later stages on the {batch} inputs that exact windowed ISM sends "
             f"through them for one sequence ({'both strands of ' if strands == 2 else ''}331 "
             f"mutants); median of {args.repeats}. One 2048 x 2048 matrix product reaches "
             f"{peak['float32']:.0f} GFLOP/s in float32 and {peak['bfloat16']:.0f} GFLOP/s in "
             "bfloat16 here.", "",
             "| stage | ms | GFLOP | GFLOP/s | share of the float32 matmul rate |",
             "|---|---:|---:|---:|---:|"]
    for name, s, gflop in rows:
        rate = gflop / s if gflop else 0.0
        lines.append(f"| {name} | {s * 1e3:.1f} | {gflop:.2f} | "
                     f"{rate:.0f} | {rate / peak['float32']:.0%} |" if gflop else
                     f"| {name} | {s * 1e3:.1f} | 0 | | |")
    lines += [f"| whole tail (as the engine runs it) | {whole[False] * 1e3:.1f} | "
              f"{total_gflop:.2f} | {total_gflop / whole[False]:.0f} | "
              f"{total_gflop / whole[False] / peak['float32']:.0%} |",
              f"| whole tail under XLA (`jit_compile=True`) | {whole[True] * 1e3:.1f} | "
              f"{total_gflop:.2f} | {total_gflop / whole[True]:.0f} | "
              f"{total_gflop / whole[True] / peak['float32']:.0%} |", ""]
    budget = TARGET_S / k  # a member's share of the target if nothing else cost anything
    window = (": an attention that recomputed only the mutated window's keys and queries "
              "could not get there either" if per_position >= budget else
              f", which would leave {(budget - per_position) * 1e3:.0f} ms a member for the "
              "attention and the windowed convolutions together: an attention that "
              "recomputed only the mutated window's keys and queries (its every query still "
              "sees changed keys) would have to fit in that")
    lines += [
        f"So the {k} members' tails alone take {k} x {whole[False] * 1e3:.0f} ms = "
        f"{k * whole[False]:.2f} s of any exact ISM of one sequence here "
        f"({k * whole[True]:.2f} s under XLA). Even if the windowed convolutions cost "
        f"nothing, {TARGET_S} s leaves {budget * 1e3:.0f} ms a member: the tail would have to "
        f"run {whole[False] / budget:.1f}x faster than TensorFlow runs it "
        f"({whole[True] / budget:.1f}x faster than under XLA). The stages that a mutant "
        "changes at every position (all but the attention) take "
        f"{per_position * 1e3:.0f} ms a member{window}. The tail is not "
        f"bound by arithmetic: its {total_gflop:.1f} GFLOP would take "
        f"{total_gflop / peak['float32'] * 1e3:.0f} ms a member at the float32 matmul "
        f"rate{arithmetic}. What remains is kernels that run these small shapes near that "
        "rate (beyond TensorFlow's and XLA's here), fewer member passes per mutant (no "
        "reverse-complement averaging in ISM, or fewer members), or an approximation "
        "(bfloat16, a distilled model); the last two change what the served numbers mean.", ""]
    return benchdoc.publish("\n".join(lines), write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
