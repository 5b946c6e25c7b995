"""Training and inference cost of each preset on this CPU, and what the full DREAM set
costs here and on accelerators; writes the ``## Training and inference throughput`` section
of ``docs/benchmarks.md`` (other sections are left as they are).

Usage::

    .venv/bin/python bench/bench_training.py [--repeats 3] [--no-profile] [--no-write]

What is measured (median of ``--repeats`` runs after a warm-up that compiles):

* the machine's float32 matmul rate (TensorFlow/oneDNN and numpy/OpenBLAS, 2048², all
  cores), taken as this machine's attainable peak;
* forward FLOPs per sequence, counted analytically per layer from the ``ModelConfig``
  (:func:`forward_flops`; 2 FLOPs per multiply-add of every convolution, dense, attention
  and LSTM-gate product; element-wise ops excluded) and cross-checked with TensorFlow's
  graph profiler; training ≈ 3 × forward;
* training throughput: ``model.fit`` on in-memory one-hot arrays (no input pipeline), Adam,
  MSE, default ``jit_compile`` (which Keras resolves to off on a CPU-only machine);
* prediction throughput: :func:`promoter_model.model.predict.predict`, batch 1024;
* ISM latency: :func:`promoter_model.interpret.ism.ism`, one sequence (331 rows);
* with profiling on (default): per-stage ablations of the reference preset and XLA on/off.

The reference preset trains at a smaller batch than 256 here (see ``BATCH``): its batch-256
step needs several GB of RAM on a machine shared with others, and per-sequence cost on CPU
does not depend on the batch at these sizes.
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
SECTION = "## Training and inference throughput"

N_TRAIN = 6_402_295          # training split of the full DREAM set (95 %)
PRESETS = ("tiny", "compact", "reference")
BATCH = {"tiny": 256, "compact": 256, "reference": 32}
TRAIN_STEPS = {"tiny": 100, "compact": 12, "reference": 2}   # per timed fit call
PREDICT_ROWS = {"tiny": 16384, "compact": 4096, "reference": 256}
# Published peak rates, FLOP/s
TPU_V3_8 = 420e12            # 4 chips x 2 cores, bf16 matrix units, total
A100_BF16 = 312e12           # dense tensor-core bf16
A100_FP32 = 19.5e12          # plain fp32 (no TF32)
UTILISATION = (0.35, 0.10)   # optimistic (large dense models), LegNet-like small convnet
LEGNET_SEQ_S = 80 * 1000 * 1024 / (8 * 3600)   # 80 epochs x 1000 batches x 1024 in ~8 h


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
def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _median(fn, repeats):
    times, loads = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        loads.append(_load())
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
            loads[label].append(_load())
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


# --------------------------------------------------------------------------- report
def _hours(n, rate):
    return n / rate / 3600


def _fmt_h(h):
    if h >= 10:
        return f"{h:,.0f} h"
    if h >= 1:
        return f"{h:.1f} h"
    return f"{h * 60:.0f} min" if h * 60 >= 1 else f"{h * 3600:.0f} s"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the reference-preset ablations and XLA on/off")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from promoter_model.model.architectures import preset

    started = time.time()
    load_start = _load()
    r = args.repeats
    peak = matmul_peak()
    print(f"matmul: TF {peak['tf'] / 1e9:.1f} GFLOP/s, numpy {peak['numpy'] / 1e9:.1f} "
          f"GFLOP/s (load {peak['load']:.1f})", flush=True)
    peak_rate = max(peak["tf"], peak["numpy"])

    rows, ablations = {}, []
    for name in args.presets.split(","):
        cfg = preset(name)
        fl = forward_flops(cfg)
        if name == "reference" and not args.no_profile:
            # the reference row is the baseline of the interleaved ablations below
            ablations = reference_ablations(r)
            tr = ablations[0][2]
        else:
            tr = train_throughput(cfg, BATCH[name], TRAIN_STEPS[name], r)
        model = tr.pop("model", None) or build_model_seeded(cfg)
        prof = profiler_flops(model)
        pr = predict_throughput(model, PREDICT_ROWS[name], r)
        ism = ism_latency(model, r)
        rows[name] = {"flops": fl, "train": tr, "predict": pr, "ism": ism, "prof": prof}
        print(f"{name}: fwd {fl['total'] / 1e6:.1f} MFLOP (profiler {prof and prof / 1e6:.1f}), "
              f"train {tr['seq_s']:.1f} seq/s (first step {tr['first_step_s']:.1f} s, load "
              f"{tr['load']:.1f}), predict {pr['seq_s']:.0f} seq/s (load {pr['load']:.1f}), "
              f"ISM {ism['s']:.3f} s (load {ism['load']:.1f})", flush=True)
        del model
        keras.backend.clear_session()

    elapsed = time.time() - started
    section = _report(rows, ablations, peak, peak_rate, load_start, elapsed, r, tf)
    print(section)
    if not args.no_write:
        write_section(section)
    return 0


NOTES = "<!-- notes below are written by hand and kept when bench_training.py reruns -->"


def write_section(section: str, notes: str | None = None) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the hand-written
    notes after :data:`NOTES` (or replacing them with ``notes``).
    """
    if notes is None:
        old = benchdoc.read_section(SECTION) or ""
        if NOTES in old:
            notes = old[old.index(NOTES) + len(NOTES):].strip("\n")
    benchdoc.write_section(section.rstrip("\n") + "\n\n" + NOTES + "\n\n"
                           + (notes or "").strip("\n") + "\n")


def _report(rows, ablations, peak, peak_rate, load_start, elapsed, r, tf) -> str:
    import keras

    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = benchdoc.cpu_model()
    out = [SECTION, "",
           f"Measured {when} by `bench/bench_training.py` on {platform.machine()}, "
           f"{os.cpu_count()} vCPUs ({cpu}, AVX-512), Python {platform.python_version()}, "
           f"TensorFlow {tf.__version__} CPU, Keras {keras.__version__}. The CPU was shared "
           f"with a long training job and other engineers: 1-minute load average "
           f"{load_start:.1f} at the start, {_load():.1f} at the end (each row gives the "
           f"median load during its runs); the whole benchmark took {elapsed / 60:.1f} min. "
           f"Medians of {r} runs after a warm-up/compile. Numbers from a loaded 2-vCPU machine "
           "are lower bounds.", "",
           f"**This machine's peak**: float32 2048×2048 matmul on all cores, "
           f"{peak['tf'] / 1e9:.0f} GFLOP/s with TensorFlow (oneDNN, AVX-512) and "
           f"{peak['numpy'] / 1e9:.0f} GFLOP/s with numpy (OpenBLAS built for Haswell), "
           f"median of 5 at load {peak['load']:.1f}. The fractions below use "
           f"{peak_rate / 1e9:.0f} GFLOP/s.", "",
           "**FLOPs** are counted analytically per layer from the preset's `ModelConfig` "
           "(`forward_flops`: 2 per multiply-add of every convolution, dense layer, attention "
           "product and LSTM gate; element-wise ops such as BN, GELU, softmax excluded); "
           "training ≈ 3 × forward. The TensorFlow graph profiler "
           "(`tf.compat.v1.profiler`, batch 1) is shown as a cross-check: it also counts "
           "element-wise ops but counts the LSTM `while` body once instead of 110 times.", "",
           "| preset | parameters | forward MFLOP / seq (profiler) | train batch | "
           "train seq/s (load) | first step s | train GFLOP/s | fraction of peak | "
           "predict seq/s, batch 1024 (load) | ISM 1 seq, s (load) | hours / epoch of "
           f"{N_TRAIN / 1e6:.1f}M on this CPU |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, d in rows.items():
        fwd = d["flops"]["total"]
        tr, pr, ism = d["train"], d["predict"], d["ism"]
        gf = 3 * fwd * tr["seq_s"] / 1e9
        prof = f"{d['prof'] / 1e6:,.1f}" if d["prof"] else "n/a"
        out.append(f"| {name} | {tr['params']:,} | {fwd / 1e6:,.1f} ({prof}) | {BATCH[name]} | "
                   f"{tr['seq_s']:,.1f} ({tr['load']:.1f}) | {tr['first_step_s']:.1f} | "
                   f"{gf:.1f} | {gf * 1e9 / peak_rate:.0%} | {pr['seq_s']:,.0f} "
                   f"({pr['load']:.1f}) | {ism['s']:.3f} ({ism['load']:.1f}) | "
                   f"{_fmt_h(_hours(N_TRAIN, tr['seq_s']))} |")
    out += ["", "Forward FLOPs per sequence by stage:", "",
            "| stage | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]
    stages = [k for k in next(iter(rows.values()))["flops"] if k != "total"]
    for st in stages:
        cells = []
        for d in rows.values():
            v, tot = d["flops"][st], d["flops"]["total"]
            cells.append(f"{v / 1e6:,.2f}M ({v / tot:.0%})")
        out.append(f"| {st} | " + " | ".join(cells) + " |")

    # accelerators
    out += ["", f"**Estimated time per epoch of {N_TRAIN:,} training sequences** from "
            "published peak rates (TPU v3-8: 420 TFLOP/s bf16 over 8 cores; A100: 312 "
            "TFLOP/s bf16 dense tensor core, 19.5 TFLOP/s plain fp32) at two assumed "
            "utilisations: 35 % (what large dense models reach) and 10 % (what a small "
            "convnet at batch 1024 reaches, see the LegNet check below). Training FLOPs = 3 × "
            "forward. The input pipeline must then deliver the sequences/s in brackets: "
            "`make_dataset` with shuffle + reverse-complement augmentation gave 294k seq/s "
            "on this loaded 2-vCPU machine (Data pipeline section), and TPU-VM / GPU hosts "
            "have tens of cores.", "",
            "| preset | this CPU (measured) | TPU v3-8 @35 % | TPU v3-8 @10 % | "
            "A100 bf16 @35 % | A100 bf16 @10 % | A100 fp32 @35 % |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name, d in rows.items():
        train_f = 3 * d["flops"]["total"]
        cells = [_fmt_h(_hours(N_TRAIN, d["train"]["seq_s"]))]
        for peak_acc, u in ((TPU_V3_8, .35), (TPU_V3_8, .10), (A100_BF16, .35),
                            (A100_BF16, .10), (A100_FP32, .35)):
            rate = peak_acc * u / train_f
            cells.append(f"{_fmt_h(_hours(N_TRAIN, rate))} ({rate / 1e3:,.0f}k seq/s)")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", f"Sanity check (REFERENCE_MODEL.md): LegNet (1.85M parameters) trained 80 × "
            f"1,000 batches of 1,024 in about 8 h on one RTX A5000, i.e. "
            f"~{LEGNET_SEQ_S:,.0f} seq/s. Counting its forward cost roughly as 2 × parameters "
            "× positions (~0.4-0.6 GFLOP; an estimate, LegNet was not run here), that is "
            "3.5-5 TFLOP/s of training compute, 5-20 % of an A5000's 27.8 TFLOP/s fp32 / "
            "~110 TFLOP/s tensor-core peak: hence the 10 % column. By the same count the "
            "`reference` preset costs ~4× LegNet per sequence, so on an A5000-class GPU "
            "expect roughly a quarter of LegNet's rate.", ""]

    if ablations:
        base = ablations[0][2]["seq_s"]
        out += ["### Where the reference preset's time goes (CPU)", "",
                f"Per-stage ablations of `reference` (training, batch {BATCH['reference']}, "
                "same harness, all variants compiled first and then timed **interleaved**, "
                "one fit of each per round, so the shared machine's load hits them alike; "
                "each variant removes a stage, so the difference in time per sequence is that "
                "stage's cost):", "",
                "| variant | forward MFLOP / seq | train seq/s (load) | ms / seq | "
                "first step s (trace + compile) | train GFLOP/s |",
                "|---|---:|---:|---:|---:|---:|"]
        for label, fl, res in ablations:
            out.append(f"| {label} | {fl / 1e6:,.0f} | {res['seq_s']:.1f} ({res['load']:.1f}) | "
                       f"{1e3 / res['seq_s']:.0f} | {res['first_step_s']:.1f} | "
                       f"{3 * fl * res['seq_s'] / 1e9:.1f} |")
        out += ["", f"Baseline {1e3 / base:.0f} ms per training sequence.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
