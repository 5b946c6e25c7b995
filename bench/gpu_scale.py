"""GPU check of training at scale: do the defaults learn, how near the hardware's limit, and
how long one epoch of 6.4M rows takes. What ``bash bench/gpu_check.sh`` runs on a lent GPU.

    bash bench/gpu_check.sh OUTDIR [--budget-s 540]        # on the GPU host, one command
    python bench/gpu_report.py bench/results/gpu_check-DATE.json   # here, afterwards

Phases, one process each, in this order, under one time budget (``--budget-s``; each phase
stops itself at its deadline and still finishes its run, so every phase reports):

* ``reference-2048`` / ``reference-256``: ``promoter-model train``'s defaults (no learning
  rate, schedule or precision given: the preset's rate scaled to the batch, warm-up +
  cosine, bfloat16 on a GPU) on the demo ensemble's fold 0 (49,646 training rows of the
  bundled DREAM measurements, validated on fold 0, tested on the 9,045 public rows);
  each epoch's validation R², steady sequences/s, TFLOP/s and % of the GPU's bf16 peak.
* ``compact-1024``: the same for ``compact``.
* ``profile``: forward + backward time of the reference preset's stages alone (convolutions,
  transformer, BiLSTMs, head) at batch 2048, and the numpy reader's rate on this host
  (``bench/gpu_profile.py``).
* ``synthetic``: one epoch of 6.4M rows of DREAM-format synthetic data
  (``bench/make_synthetic.py``, 6,739,258 rows, prepared into shards in the background
  while the first phases train), ``reference`` at batch 2048, read from the shards with the
  numpy reader; if the budget ends first, the epoch's projected time from its steady rate.

Writes ``OUTDIR/gpu_check-DATE.json`` after every phase and ``OUTDIR/benchmarks-section.md``
(what ``gpu_report.py`` puts into ``docs/benchmarks.md``). ``--smoke`` runs every phase with
``tiny`` on small data in a few minutes on a CPU (``tests/test_gpu_scale.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC_ROWS = 6_739_258
# name, preset, global batch, epochs planned, seconds at most (the synthetic phase: the rest)
PHASES = [("reference-2048", "reference", 2048, 30, 150),
          ("reference-256", "reference", 256, 8, 110),
          ("compact-1024", "compact", 1024, 20, 55),
          ("profile", "reference", 2048, 0, 75),
          ("synthetic", "reference", 2048, 1, None)]
SMOKE = {"preset": "tiny", "epochs": 2, "rows": 12_000, "steps": 6, "batch": 64}
MIN_PHASE_S = 40       # a later phase is never left less than this
FINISH_S = 25          # kept after a phase's deadline for validation, test and saving
# dense bf16 tensor-core peaks (NVIDIA data sheets), FLOP/s, by device name
PEAKS = (("H200", 989e12), ("H100 PCIe", 756e12), ("H100", 989e12), ("A100", 312e12),
         ("L40S", 362e12), ("L4", 121e12))


def peak_bf16(kind: str) -> float | None:
    """The dense bf16 peak of a device named ``kind`` (JAX's ``device_kind``), or None."""
    for name, peak in PEAKS:
        if name in kind:
            return peak
    return None


# --------------------------------------------------------------------------- data
def prepare_demo_fold(work: Path, limit: int | None = None) -> Path:
    """Fold 0 of 5 of the bundled training pool, the public rows as the test split (the
    first ``limit`` rows of each, for a smoke test).
    """
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_demo_model import write_pool_files

    from promoter_model import records

    pool, public, _, _ = write_pool_files(work)
    if limit:
        for path in (pool, public):
            lines = path.read_text().splitlines(keepends=True)
            path.write_text("".join(lines[:limit if path == pool else limit // 5]))
    data = work / "data-fold0"
    records.prepare(pool, data, fold=(0, 5), test_fraction=0.0, test_input=public, seed=0,
                    shard_size=20_000)
    return data


def prepare_synthetic(work: Path, rows: int) -> dict:
    """Write ``rows`` synthetic DREAM rows and prepare them; returns the timings."""
    sys.path.insert(0, str(ROOT / "bench"))
    from make_synthetic import write_synthetic

    from promoter_model import records

    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    write_synthetic(work / "synthetic.txt", rows, seed=0)
    t1 = time.time()
    manifest = records.prepare(work / "synthetic.txt", work / "data")
    t2 = time.time()
    info = {"rows": rows, "generate_s": round(t1 - t0, 1), "prepare_s": round(t2 - t1, 1),
            "train_rows": manifest["splits"]["train"]["count"],
            "shards": len(manifest["splits"]["train"]["shards"])}
    (work / "done.json").write_text(json.dumps(info))
    return info


# --------------------------------------------------------------------------- one phase
def timing_callback(deadline: float, batch: int):
    """A callback that keeps each batch's end time and stops training at ``deadline``."""
    import keras

    class Timing(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs, self.stopped = [], False

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs.append([time.perf_counter()])

        def on_train_batch_end(self, step, logs=None):
            self.epochs[-1].append(time.perf_counter())
            if time.time() > deadline and not self.stopped:
                self.stopped = True
                self.model.stop_training = True

        def steady(self) -> dict:
            """Training seq/s after the first epoch (or after the first 20 batches of the
            only epoch), validation and checkpoints excluded.
            """
            spans = [e for e in self.epochs[1:] if len(e) > 2]
            if not spans and self.epochs and len(self.epochs[0]) > 22:
                spans = [self.epochs[0][21:]]
            steps = sum(len(e) - 2 for e in spans)
            secs = sum(e[-1] - e[1] for e in spans)
            if not steps or secs <= 0:
                return {"steady_seq_s": None, "step_ms": None}
            return {"steady_seq_s": round(steps * batch / secs, 1),
                    "step_ms": round(1e3 * secs / steps, 2)}

    return Timing()


def device_info() -> dict:
    import jax
    import keras

    d = jax.devices()[0]
    return {"device": d.device_kind, "platform": d.platform, "count": jax.device_count(),
            "jax": jax.__version__, "keras": keras.__version__,
            "backend": keras.backend.backend(), "host_cores": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def run_phase(spec: dict) -> dict:
    """Train one phase with the package's defaults; what it learned and how fast."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_training import forward_flops

    from promoter_model import records
    from promoter_model.model.architectures import preset
    from promoter_model.model.config import RunConfig, TrainConfig
    from promoter_model.runs import read_history
    from promoter_model.train import train

    info = device_info()
    cfg = RunConfig(preset=spec["preset"], model=preset(spec["preset"]),
                    train=TrainConfig(epochs=spec["epochs"], batch_size=spec["batch"],
                                      steps_per_epoch=spec.get("steps_per_epoch")))
    n_train = records.read_manifest(spec["data"])["splits"]["train"]["count"]
    timer = timing_callback(spec["deadline"] - FINISH_S, spec["batch"])
    t0 = time.time()
    metrics = train(spec["data"], spec["run"], cfg, verbose=2, callbacks=[timer],
                    report=lambda line: print(f"train: {line}", flush=True))
    wall = time.time() - t0
    history = read_history(spec["run"])
    effective = json.loads((Path(spec["run"]) / "config.json").read_text())["effective"]
    flops = 3 * forward_flops(cfg.model)["total"]
    out = {"phase": spec["name"], "preset": spec["preset"], "batch": spec["batch"],
           "epochs_planned": spec["epochs"], "epochs_done": len(history), "n_train": n_train,
           "stopped_at_deadline": timer.stopped, "wall_s": round(wall, 1),
           "effective": effective, "device": info,
           "val_r2": [round(float(v), 4) for v in history["val_r2"]],
           "epoch_s": [round(float(v), 1) for v in history["seconds"]],
           "batches_in_epochs": [len(e) - 1 for e in timer.epochs],
           "train_gflop_per_seq": round(flops / 1e9, 4),
           "validation": {k: metrics.get("validation", {}).get(k) for k in ("n", "r2",
                                                                            "pearson_r")},
           "test": {k: metrics.get("test", {}).get(k) for k in ("n", "r2", "pearson_r")},
           **timer.steady()}
    peak = peak_bf16(info["device"])
    if out["steady_seq_s"]:
        out["tflop_s"] = round(out["steady_seq_s"] * flops / 1e12, 2)
        out["pct_bf16_peak"] = round(100 * out["steady_seq_s"] * flops / peak, 2) if peak \
            else None
        out["projected_epoch_s"] = round(n_train / out["steady_seq_s"], 1)
    return out


# --------------------------------------------------------------------------- driver
def _child(args: list, log: Path, timeout: float) -> int:
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, __file__, *args], stdout=fh,
                                stderr=subprocess.STDOUT)
        try:
            return proc.wait(timeout=max(1.0, timeout))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return -9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default=None, help="default: OUT/work")
    parser.add_argument("--budget-s", type=float, default=540)
    parser.add_argument("--phases", default=",".join(p[0] for p in PHASES))
    parser.add_argument("--smoke", action="store_true", help="tiny preset, small data (CPU)")
    parser.add_argument("--no-tensorflow", action="store_true",
                        help="children run as if TensorFlow were not installed")
    args = parser.parse_args(argv)

    start = time.time()
    end = start + args.budget_s
    out = Path(args.out)
    work = Path(args.work) if args.work else out / "work"
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    flags = ["--no-tensorflow"] if args.no_tensorflow else []
    wanted = args.phases.split(",")
    rows = SMOKE["rows"] if args.smoke else SYNTHETIC_ROWS
    synth = None
    if "synthetic" in wanted:  # generate and prepare on the CPU while the GPU trains
        synth = subprocess.Popen([sys.executable, __file__, "synthetic-data", str(work / "synth"),
                                  str(rows), *flags], stdout=open(out / "synthetic-data.log", "w"),
                                 stderr=subprocess.STDOUT)
    limit = [str(SMOKE["rows"] // 10)] if args.smoke else []
    if _child(["demo-data", str(work), *limit, *flags], out / "demo-data.log", 300) != 0:
        print("gpu_scale: preparing the demo fold failed; see demo-data.log", file=sys.stderr)
        return 1
    date = time.strftime("%Y-%m-%d", time.gmtime())
    report = {"kind": "scale", "budget_s": args.budget_s, "smoke": args.smoke, "phases": []}
    result_file = out / f"gpu_check-{date}.json"
    todo = [p for p in PHASES if p[0] in wanted]
    for n, (name, preset_name, batch, epochs, cap) in enumerate(todo):
        later = MIN_PHASE_S * (len(todo) - n - 1)
        left = end - time.time() - later
        # a smoke run on a loaded CPU may take minutes to start a phase: only the budget
        # bounds it there (a phase's GPU cap stopped it mid-epoch, with no steady rate)
        seconds = left if cap is None or args.smoke else min(cap, left)
        if seconds < MIN_PHASE_S / 2:
            report["phases"].append({"phase": name, "skipped": "no time left in the budget"})
            continue
        if name == "synthetic":
            try:
                synth.wait(timeout=max(1.0, end - time.time() - MIN_PHASE_S))
            except subprocess.TimeoutExpired:
                pass
            done = work / "synth" / "done.json"
            if not done.exists():
                report["phases"].append({"phase": name, "skipped": "synthetic data not ready"})
                continue
            report["synthetic_data"] = json.loads(done.read_text())
            data = work / "synth" / "data"
            seconds = end - time.time()
        else:
            data = work / "data-fold0"
        steps = None
        if args.smoke:
            preset_name, epochs = SMOKE["preset"], (SMOKE["epochs"] if epochs > 1 else epochs)
            steps, batch = SMOKE["steps"], SMOKE["batch"]
        spec = {"name": name, "preset": preset_name, "batch": batch, "epochs": epochs,
                "steps_per_epoch": steps,
                "data": str(data), "run": str(work / f"run-{name}"),
                "deadline": time.time() + seconds, "result": str(work / f"{name}.json")}
        print(f"gpu_scale: {name} ({seconds:.0f} s)", flush=True)
        kind = "profile" if name == "profile" else "phase"
        rc = _child([kind, json.dumps(spec), *flags], out / f"{name}.log", seconds + 90)
        result = (json.loads(Path(spec["result"]).read_text()) if Path(spec["result"]).exists()
                  else {"phase": name, "failed": f"exit status {rc}; see {name}.log"})
        report["phases"].append(result)
        report["device"] = report.get("device") or result.get("device")
        _write(report, result_file, out)
    if synth is not None and synth.poll() is None:
        synth.kill()
    report["wall_s"] = round(time.time() - start, 1)
    _write(report, result_file, out)
    print(f"gpu_scale: wrote {result_file}", flush=True)
    return 0


def _write(report: dict, result_file: Path, out: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import gpu_report

    result_file.write_text(json.dumps(report, indent=2) + "\n")
    if report.get("device"):
        (out / "benchmarks-section.md").write_text(
            gpu_report.render_scale([result_file]))


def _entry(argv: list) -> int:
    """Child entry points: ``demo-data WORK``, ``synthetic-data DIR ROWS``, ``phase SPEC``,
    ``profile SPEC``; anything else is the driver (:func:`main`).
    """
    if argv and argv[0] in ("demo-data", "synthetic-data", "phase", "profile"):
        if "--no-tensorflow" in argv:
            argv = [a for a in argv if a != "--no-tensorflow"]
            sys.modules["tensorflow"] = None  # as on a GPU host with JAX alone
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("KERAS_BACKEND", "jax")
        if argv[0] == "demo-data":
            print(prepare_demo_fold(Path(argv[1]), int(argv[2]) if len(argv) > 2 else None))
        elif argv[0] == "synthetic-data":
            print(prepare_synthetic(Path(argv[1]), int(argv[2])))
        else:
            spec = json.loads(argv[1])
            if argv[0] == "profile":
                sys.path.insert(0, str(ROOT / "bench"))
                from gpu_profile import profile

                result = profile(spec)
            else:
                result = run_phase(spec)
            Path(spec["result"]).write_text(json.dumps(result, indent=2))
        return 0
    return main(argv)


if __name__ == "__main__":
    sys.exit(_entry(sys.argv[1:]))
