"""Latency of the interpretation engine; writes the ``## Interpretation`` section of
``docs/benchmarks.md`` (other sections are left as they are).

Usage::

    .venv/bin/python bench/bench_interpret.py [--run RUN_DIR] [--repeats 7] [--no-write]

Model: ``--run``, else ``assets/demo_model`` if present, else a freshly built (untrained)
``compact`` preset; the output says which. Latency does not depend on the weights.
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
SECTION = "## Interpretation"


def _model(run):
    import keras

    from promoter_model.model.architectures import build_model, preset
    from promoter_model.runs import load_run

    if run is None and (ROOT / "assets" / "demo_model").is_dir():
        run = ROOT / "assets" / "demo_model"
    if run is not None:
        r = load_run(run)
        params = r.model.count_params()
        return r.model, r.config.model, f"run `{run}` ({params:,} parameters)"
    keras.utils.set_random_seed(0)
    model = build_model("compact")
    return model, preset("compact"), (
        f"freshly built `compact` preset, untrained ({model.count_params():,} parameters; "
        "no assets/demo_model yet)")


def _compute_note(cfg, ism_seconds: float) -> str:
    """How close one ISM call is to this machine's float32 peak (so what speed-up is left)."""
    from bench_training import forward_flops, matmul_peak

    flops = 331 * forward_flops(cfg)["total"]
    peak = matmul_peak(repeats=5)
    rate = flops / ism_seconds
    return (f"Compute: one ISM call is 331 forward passes of {flops / 331 / 1e6:.1f} MFLOP "
            f"(`bench_training.forward_flops`) = {flops / 1e9:.1f} GFLOP, i.e. "
            f"{rate / 1e9:.0f} GFLOP/s at the median above: {rate / peak['tf']:.0%} of this "
            f"machine's float32 peak measured just after (2048² matmul with TensorFlow, "
            f"{peak['tf'] / 1e9:.0f} GFLOP/s at load {peak['load']:.1f}). The time is the "
            "model's arithmetic on 2 shared cores, so it moves with the machine's load.")


def _median_time(fn, repeats):
    fn()  # warm up (tracing)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np

    from promoter_model.interpret import attributions, ism
    from promoter_model.model.predict import warm_up
    from promoter_model.motifs import jaspar as motifs
    from promoter_model.sequence import FLANK_3, FLANK_5, one_hot

    model, cfg, described = _model(args.run)
    warm_up(model)
    rng = np.random.default_rng(0)
    core = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, (16, 80))]
    seqs = [FLANK_5 + r.tobytes().decode() + FLANK_3 for r in core]
    X = one_hot(seqs)
    r = args.repeats
    rows = []
    rows.append(("ISM, 1 sequence (331 predictions, one call)",
                 _median_time(lambda: ism.ism(model, X[0])[0][0], r), 1))
    rows.append(("ISM, batch of 16 sequences (per sequence)",
                 _median_time(lambda: ism.ism(model, X)[0], max(1, r // 3)) / 16, 1))
    rows.append(("gradient x input, 1 sequence",
                 _median_time(lambda: attributions.gradient_x_input(model, X[:1]), r), 1))
    rows.append(("integrated gradients, 1 sequence, 32 steps",
                 _median_time(lambda: attributions.integrated_gradients(model, X[:1]), r), 1))
    rows.append(("SHAP GradientExplainer, 1 sequence, 64 samples",
                 _median_time(lambda: attributions.shap_values(model, X[:1]), r), 1))
    fungi = motifs.jaspar_fungi_motifs()
    q = rng.dirichlet(np.full(4, 0.5), size=(64, 7))
    rows.append((f"JASPAR matching, 64 filters x {len(fungi)} fungi motifs, 100 null shuffles",
                 _median_time(lambda: motifs.match_all(q, fungi), max(1, r // 3)), 1))

    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = (f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), "
               f"Python {platform.python_version()}")
    try:
        import tensorflow as tf

        machine += f", TensorFlow {tf.__version__} CPU"
    except ImportError:  # pragma: no cover
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    machine += f"; 1-minute load average {load:.1f} at the end (other jobs share the CPU)"
    lines = [SECTION, "",
             f"Measured {when} on {machine} by `bench/bench_interpret.py`; "
             f"median of {r} runs after a warm-up call.", "",
             f"Model: {described}.", "",
             "| operation | median seconds |", "|---|---|"]
    lines += [f"| {name} | {sec:.3f} |" for name, sec, _ in rows]
    target = rows[0][1]
    lines += ["", f"Target for ISM: under 0.2 s per sequence: "
              f"{'met' if target < 0.2 else 'NOT met'} ({target:.3f} s).", "",
              _compute_note(cfg, target), ""]
    section = "\n".join(lines)
    return benchdoc.publish(section, write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
