"""GPU check: train cross-validated members on one accelerator; record throughput and scores.

    bash bench/gpu_check.sh OUTDIR        # what a session with a GPU runs (see that file)
    python bench/gpu_check.py --phase reference --epochs 10 --batch-size 256 --out OUTDIR

Each phase trains the members of one preset on the demo ensemble's folds (hash folds of the
62,058-row training pool, the public-leaderboard rows as every member's test split), one
process per member through ``scripts/make_demo_ensemble.py``, all members at once on the one
GPU, under Keras 3 on JAX. It stops members still running at its deadline and reports the
epochs they finished.

What a phase reports (``OUTDIR/gpu_check.json``, rewritten after each phase):

* each member's validation scores (its own held-out fold) and public-leaderboard scores, or
  the last finished epoch's validation scores of a member stopped at the deadline;
* training throughput: sequences trained per second over the phase's wall time, all members
  together (compilation and the per-epoch whole-fold validation included), and in steady
  state (the sum over members of sequences per epoch-second, first epoch excluded);
* the FLOP rate that throughput means, 3 x the analytic forward FLOPs per sequence
  (``bench_training.forward_flops``), as a share of the GPU's dense bf16 peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
K = 5
# dense tensor-core peaks of the H200 SXM (NVIDIA's data sheet), FLOP/s
PEAK = {"bf16": 989e12, "tf32": 494e12}
# the demo ensemble's own settings (make_demo_ensemble defaults), and the reference preset's:
# at the reference design's lr 1e-3 (batch 256, cosine, no warm-up) it did not learn on this
# 50k-row pool (validation R² ~0 after 3 epochs, 2026-12-01); 3e-4 did (docs/training.md)
PHASES = {
    "demo": {"preset": "compact", "epochs": 20, "batch_size": 128, "lr": 2e-3},
    "reference": {"preset": "reference", "epochs": 12, "batch_size": 256, "lr": 3e-4},
}


def device_info() -> dict:
    import jax
    import keras

    d = jax.devices()[0]
    return {"device": d.device_kind, "platform": d.platform, "count": jax.device_count(),
            "jax": jax.__version__, "keras": keras.__version__,
            "host_cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                 time.gmtime())}


def _train_count(work: Path, i: int) -> int:
    manifest = json.loads((work / f"data-fold{i}" / "manifest.json").read_text())
    return int(manifest["splits"]["train"]["count"])


def _member_result(i: int, run: Path, installed: Path, n_train: int) -> dict:
    """What one member reached: final metrics if complete, else its last finished epoch."""
    from promoter_model.runs import read_history

    history = read_history(run) if (run / "history.csv").exists() else None
    out = {"member": i, "n_train": n_train, "complete": (installed / "checksums.json").exists()}
    if history is None or len(history) == 0:
        return out
    secs = history["seconds"].astype(float).tolist()
    out.update(epochs_done=len(secs), epoch_seconds=secs,
               val_r2_curve=[round(float(v), 4) for v in history["val_r2"]])
    if out["complete"]:
        m = json.loads((installed / "metrics.json").read_text())
        out["validation"] = {k: m["validation"][k] for k in ("n", "r2", "pearson_r")}
        out["public_test"] = {k: m["test"][k] for k in ("n", "r2", "pearson_r")}
    else:
        last = history.iloc[-1]
        out["validation"] = {"r2": float(last["val_r2"]), "pearson_r": float(last["val_pearson"]),
                             "note": f"last finished epoch ({len(secs)}), stopped at deadline"}
    return out


def run_phase(name: str, work: Path, out: Path, members: list[int], deadline: float,
              settings: dict) -> dict:
    """Train ``members`` of one phase at once; stop them at ``deadline`` (time.time())."""
    from bench_training import forward_flops

    from promoter_model.model.architectures import preset

    phase_work, phase_out = out / f"work-{name}", out / f"{name}_ensemble"
    (phase_work).mkdir(parents=True, exist_ok=True)
    from make_demo_model import write_pool_files

    write_pool_files(phase_work)  # once, before the members' processes read it
    for i in range(K):  # the prepared folds are shared by every phase
        link = phase_work / f"data-fold{i}"
        if not link.exists():
            link.symlink_to((work / f"data-fold{i}").resolve())
    cmd = [sys.executable, str(ROOT / "scripts" / "make_demo_ensemble.py"), "--no-finalize",
           "--k", str(K), "--work", str(phase_work), "--out", str(phase_out),
           "--preset", settings["preset"], "--epochs", str(settings["epochs"]),
           "--batch-size", str(settings["batch_size"]), "--lr", str(settings["lr"])]
    start = time.time()
    procs = {}
    for i in members:
        log = open(out / f"{name}-member{i}.log", "w")  # noqa: SIM115 - closed below
        procs[i] = (subprocess.Popen(cmd + ["--members", str(i)], stdout=log,
                                     stderr=subprocess.STDOUT), log)
    stopped = []
    while any(p.poll() is None for p, _ in procs.values()):
        if time.time() > deadline:
            for i, (p, _) in procs.items():
                if p.poll() is None:
                    p.kill()
                    stopped.append(i)
            break
        time.sleep(2)
    wall = time.time() - start
    for p, log in procs.values():
        p.wait()
        log.close()

    cfg = preset(settings["preset"])
    train_flops = 3 * forward_flops(cfg)["total"]
    results = [_member_result(i, phase_work / "members" / f"fold-{i}",
                              phase_out / "members" / f"fold-{i}", _train_count(work, i))
               for i in members]
    seqs = sum(r["n_train"] * r.get("epochs_done", 0) for r in results)
    steady = sum(r["n_train"] / statistics.median(r["epoch_seconds"][1:])
                 for r in results if len(r.get("epoch_seconds", [])) > 1)
    report = {"phase": name, **settings, "members": members, "stopped_at_deadline": stopped,
              "return_codes": {i: p.returncode for i, (p, _) in procs.items()},
              "wall_seconds": round(wall, 1), "sequences_trained": seqs,
              "throughput_seq_s": round(seqs / wall, 1), "steady_seq_s": round(steady, 1),
              "train_gflop_per_seq": round(train_flops / 1e9, 4), "results": results}
    for key, rate in (("throughput", seqs / wall), ("steady", steady)):
        report[f"{key}_tflop_s"] = round(rate * train_flops / 1e12, 2)
        for dtype, peak in PEAK.items():
            report[f"{key}_pct_of_{dtype}_peak"] = round(100 * rate * train_flops / peak, 2)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="results folder")
    parser.add_argument("--work", default=str(ROOT / "build" / "ensemble"),
                        help="folder holding data-fold0..4 (prepared by make_demo_ensemble)")
    parser.add_argument("--phase", action="append", choices=sorted(PHASES),
                        help="phases to run, in order (default: demo, then reference)")
    parser.add_argument("--members", default="0,1,2,3,4")
    parser.add_argument("--budget-s", type=float, default=480,
                        help="seconds for all phases; members still training are stopped")
    parser.add_argument("--reserve-s", type=float, default=200,
                        help="seconds of the budget kept for the last phase")
    parser.add_argument("--epochs", type=int, help="override the phase's epochs")
    parser.add_argument("--batch-size", type=int, help="override the phase's batch size")
    parser.add_argument("--preset", help="override the phase's preset (tiny: a smoke run)")
    parser.add_argument("--lr", type=float, help="override the phase's peak learning rate")
    args = parser.parse_args(argv)

    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "scripts")]
    from promoter_model import atomic

    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(K) if not (work / f"data-fold{i}" / "manifest.json").exists()]
    if missing:
        print(f"gpu_check: {work} lacks data-fold{missing[0]}; prepare the folds first "
              "(python scripts/make_demo_ensemble.py --prepare-only)", file=sys.stderr)
        return 2
    end = time.time() + args.budget_s
    members = [int(m) for m in args.members.split(",")]
    report = {"device": device_info(), "phases": []}
    phases = args.phase or ["demo", "reference"]
    for n, name in enumerate(phases):
        settings = dict(PHASES[name])
        if args.epochs:
            settings["epochs"] = args.epochs
        if args.batch_size:
            settings["batch_size"] = args.batch_size
        if args.preset:
            settings["preset"] = args.preset
        if args.lr:
            settings["lr"] = args.lr
        # earlier phases leave the last one at least --reserve-s
        deadline = end if n == len(phases) - 1 else end - args.reserve_s
        print(f"gpu_check: phase {name} {settings}, {deadline - time.time():.0f} s", flush=True)
        report["phases"].append(run_phase(name, work, out, members, deadline, settings))
        atomic.write_json(out / "gpu_check.json", report)
        p = report["phases"][-1]
        print(f"gpu_check: {name}: {p['wall_seconds']} s, {p['throughput_seq_s']} seq/s "
              f"({p['throughput_pct_of_bf16_peak']}% of bf16 peak), steady "
              f"{p['steady_seq_s']} seq/s, stopped {p['stopped_at_deadline']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
