"""Does XLA make the train step faster on a CPU? Each preset, XLA off and on.

    python bench/bench_xla_cpu.py [--presets tiny,compact,reference] [--batch 128]

For every preset, a fresh seeded model is compiled twice (``jit_compile=False``, the Keras
default on a CPU-only TensorFlow host, and ``True``) and trained on random one-hot
sequences: the first ``fit`` call (trace, and XLA compilation where on) is timed apart,
then ``--steps`` steps (``--reference-steps`` for ``reference``, whose step takes
seconds). Off and on run one after the other in separate processes, so neither inherits
the other's thread pools or compiled code.

Writes ``bench/results/xla_cpu-DATE.json`` and the ``## XLA on the CPU`` section of
``docs/benchmarks.md``: why ``train`` leaves XLA off on a CPU unless ``PROMOTER_XLA=1``
(``promoter_model.train.fit``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import benchdoc  # noqa: E402

ROOT = benchdoc.ROOT


def one(preset: str, jit: bool, batch: int, steps: int) -> dict:
    """Seconds of the first fit call and per later step, in this process."""
    import keras
    import numpy as np

    from promoter_model.model.architectures import build_model
    from promoter_model.model.architectures import preset as get_preset

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (batch * steps, 110))]
    y = rng.normal(size=batch * steps).astype("float32")
    model = build_model(get_preset(preset), precision="float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", jit_compile=jit)
    t = time.perf_counter()
    model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, shuffle=False, verbose=0)
    first = time.perf_counter() - t
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    step = (time.perf_counter() - t) / steps
    return {"preset": preset, "xla": jit, "batch": batch, "steps": steps,
            "first_call_s": round(first, 2), "step_s": round(step, 4),
            "load": round(os.getloadavg()[0], 2)}


def render(report: dict) -> str:
    rows = {(r["preset"], r["xla"]): r for r in report["rows"]}
    lines = ["## XLA on the CPU", "",
             f"Measured {report['date']} by `bench/bench_xla_cpu.py` on {report['machine']} "
             f"(TensorFlow {report['tensorflow']}, Keras {report['keras']}); training steps "
             f"of batch {report['batch']} on random sequences, XLA off and on in separate "
             "processes, one after the other; the 1-minute load average after each is given.",
             "", "| preset | XLA off: s per step (load) | XLA on: s per step (load) | "
             "on / off | first call off / on (s) |", "| --- | ---: | ---: | ---: | ---: |"]
    for preset in report["presets"]:
        off, on = rows[(preset, False)], rows[(preset, True)]
        lines.append(f"| {preset} | {off['step_s']:.3f} ({off['load']}) | "
                     f"{on['step_s']:.3f} ({on['load']}) | {on['step_s'] / off['step_s']:.2f}x"
                     f" | {off['first_call_s']:.0f} / {on['first_call_s']:.0f} |")
    lines += ["", "`train` leaves XLA off on a CPU-only host, as Keras does, for every "
              "preset; `PROMOTER_XLA=1` turns it on (`promoter_model.train.fit`).", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default="tiny,compact,reference")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--reference-steps", type=int, default=4)
    parser.add_argument("--one", nargs=2, metavar=("PRESET", "XLA"), help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.one:
        preset, jit = args.one[0], args.one[1] == "1"
        steps = args.reference_steps if preset == "reference" else args.steps
        print(json.dumps(one(preset, jit, args.batch, steps)))
        return 0
    import keras
    import tensorflow as tf

    presets = args.presets.split(",")
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": f"{os.cpu_count()} cores, {benchdoc.cpu_model()}",
              "tensorflow": tf.__version__, "keras": keras.__version__,
              "batch": args.batch, "presets": presets, "rows": []}
    for preset in presets:
        for jit in ("0", "1"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", preset, jit, "--batch", str(args.batch),
                 "--steps", str(args.steps), "--reference-steps", str(args.reference_steps)],
                check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            print(row, flush=True)
            report["rows"].append(row)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"xla_cpu-{time.strftime('%Y%m%d')}.json").write_text(
        json.dumps(report, indent=1) + "\n")
    return benchdoc.publish(render(report), write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
