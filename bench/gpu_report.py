"""Write the GPU check's results (``bench/gpu_check.py`` JSON files) into docs/benchmarks.md.

    python bench/gpu_report.py bench/results/gpu_check-*.json [--dry-run]

One table row per phase and one per member; every number comes from the files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import publish  # noqa: E402

SECTION = "## On one GPU (the ensemble issue's GPU check)"


def _phase_row(source: str, p: dict) -> str:
    done = len(p["members"]) - len(p["stopped_at_deadline"])
    return (f"| {source} | {p['preset']} | {len(p['members'])} ({done} finished) | "
            f"{p['epochs']} | {p['batch_size']} | {p['lr']:g} | {p['wall_seconds']:.0f} | "
            f"{p['throughput_seq_s']:,.0f} | {p['steady_seq_s']:,.0f} | "
            f"{p['train_gflop_per_seq']:.3f} | {p['steady_tflop_s']:.1f} | "
            f"{p['steady_pct_of_bf16_peak']:.1f}% / {p['steady_pct_of_tf32_peak']:.1f}% |")


def _member_row(source: str, p: dict, m: dict) -> str:
    v, t = m.get("validation", {}), m.get("public_test")
    secs = m.get("epoch_seconds", [])
    steady = sorted(secs[1:])[len(secs[1:]) // 2] if len(secs) > 1 else float("nan")
    state = "complete" if m.get("complete") else f"stopped after epoch {m.get('epochs_done', 0)}"
    public = f"{t['r2']:.3f} / {t['pearson_r']:.3f}" if t else "n/a (not finished)"
    return (f"| {source} | {p['preset']} | fold-{m['member']} | {state} | "
            f"{secs[0]:.0f} | {steady:.1f} | {v.get('r2', float('nan')):.3f} / "
            f"{v.get('pearson_r', float('nan')):.3f} | {public} |")


def render(files: list[Path]) -> str:
    reports = [(f.name, json.loads(f.read_text())) for f in files]
    dev = reports[0][1]["device"]
    lines = [SECTION, "",
             f"Run by `bench/gpu_check.sh` on {dev['count']} x {dev['device']} ({dev['platform']}, "
             f"host {dev['host_cores']} cores), Keras {dev['keras']} on JAX {dev['jax']}, no "
             f"TensorFlow on that machine (the prepared folds were read with numpy), "
             f"{dev['date']}; sources: " + ", ".join(f"`bench/results/{n}`" for n, _ in reports)
             + ". All members of a phase trained at once, one process each, sharing the GPU.",
             "",
             "Throughput counts every sequence trained over the phase's wall time (start-up, "
             "XLA compilation and the per-epoch whole-fold validation included); steady is "
             "the sum over members of training sequences per epoch-second after the first "
             "epoch. The FLOP rate is steady seq/s x 3 x the analytic forward FLOPs per "
             "sequence, against the H200's dense tensor-core peaks (989 TFLOP/s bf16, 494 "
             "TFLOP/s tf32; the members train in float32).", "",
             "| run | preset | members | epochs | batch | lr | wall s | seq/s | steady seq/s "
             "| train GFLOP/seq | steady TFLOP/s | % of bf16 / tf32 peak |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [_phase_row(n, p) for n, r in reports for p in r["phases"]]
    lines += ["", "Members: first-epoch seconds (compilation included), median later epoch, "
              "and validation (own held-out fold) and public-leaderboard R² / Pearson r "
              "(a member stopped at the deadline: its last finished epoch).", "",
              "| run | preset | member | state | epoch 1 s | later epoch s | validation R² / r "
              "| public R² / r |", "|---|---|---|---|---:|---:|---:|---:|"]
    lines += [_member_row(n, p, m) for n, r in reports for p in r["phases"]
              for m in p["results"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="print only")
    args = parser.parse_args(argv)
    return publish(render(args.files), write=not args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
