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

The measurements are in ``training_measure.py``; this script runs them and renders the
section.

The reference preset trains at a smaller batch than 256 here (see ``BATCH``): its batch-256
step needs several GB of RAM on a machine shared with others, and per-sequence cost on CPU
does not depend on the batch at these sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import benchdoc
from training_measure import (
    BATCH,
    PREDICT_ROWS,
    PRESETS,
    TRAIN_STEPS,
    build_model_seeded,
    forward_flops,
    ism_latency,
    load_average,
    matmul_peak,
    predict_throughput,
    profiler_flops,
    reference_ablations,
    train_throughput,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Training and inference throughput"

N_TRAIN = 6_402_295          # training split of the full DREAM set (95 %)
# Published peak rates, FLOP/s
TPU_V3_8 = 420e12            # 4 chips x 2 cores, bf16 matrix units, total
A100_BF16 = 312e12           # dense tensor-core bf16
A100_FP32 = 19.5e12          # plain fp32 (no TF32)
UTILISATION = (0.35, 0.10)   # optimistic (large dense models), LegNet-like small convnet
LEGNET_SEQ_S = 80 * 1000 * 1024 / (8 * 3600)   # 80 epochs x 1000 batches x 1024 in ~8 h


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
    load_start = load_average()
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
           f"{load_start:.1f} at the start, {load_average():.1f} at the end (each row gives the "
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
