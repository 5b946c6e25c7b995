"""Write the GPU checks' results into docs/benchmarks.md.

    python bench/gpu_report.py bench/results/gpu_check-DATE.json [--dry-run]

Files written by ``bench/gpu_scale.py`` (``"kind": "scale"``: the defaults, throughput and
the 6.4M-row epoch) go into the section *Training at scale on one GPU*; the older files of
``bench/gpu_check.py`` (ensemble members trained at once) into *On one GPU*. Every number
comes from the files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import publish  # noqa: E402

SECTION = "## On one GPU (the ensemble issue's GPU check)"
SCALE_SECTION = "## Training at scale on one GPU"
R2_GOAL, PEAK_GOAL = 0.90, 25.0  # issue 32: validation R² within the run, % of bf16 peak


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


def _num(v, fmt: str = ",.0f") -> str:
    return "n/a" if v is None else format(v, fmt)


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.1f}%"


def _phase_line(p: dict) -> str:
    if "skipped" in p or "failed" in p:
        return f"| {p['phase']} | {p.get('skipped') or p.get('failed')} |" + " |" * 11
    e = p["effective"]
    curve = " ".join(f"{v:.2f}" for v in p["val_r2"])
    best = max(p["val_r2"]) if p["val_r2"] else None
    return (f"| {p['phase']} | {p['preset']} | {p['batch']:,} | {e['precision']} | "
            f"{e['learning_rate']:.3g} | {e['warmup_steps']:,} / {e['total_steps']:,} | "
            f"{p['epochs_done']} of {p['epochs_planned']}"
            f"{' (deadline)' if p['stopped_at_deadline'] else ''} | {curve} | "
            f"{_num(best, '.3f')} | {_num(p.get('steady_seq_s'))} | "
            f"{_num(p.get('tflop_s'), '.1f')} | {_pct(p.get('pct_bf16_peak'))} | "
            f"{p['epoch_s'][0] if p['epoch_s'] else 'n/a'} |")


def _goals(phases: dict) -> list:
    lines = []
    for name in ("reference-2048", "reference-256"):
        p = phases.get(name)
        if p and p.get("val_r2"):
            best = max(p["val_r2"])
            lines.append(f"- `{name}`: best validation R² {best:.3f} "
                         f"({'meets' if best >= R2_GOAL else 'misses'} the {R2_GOAL:.2f} goal "
                         f"with defaults), {_pct(p.get('pct_bf16_peak'))} of bf16 peak "
                         f"({'meets' if (p.get('pct_bf16_peak') or 0) >= PEAK_GOAL else 'misses'}"
                         f" the {PEAK_GOAL:.0f}% goal).")
    return lines


def _profile(p: dict, full_ms) -> list:
    if not p or "stages" not in p:
        return []
    lines = ["", f"**Where the time goes** (`bench/gpu_profile.py`): each stage of "
             f"`{p['preset']}` alone, one jitted forward + backward pass at batch "
             f"{p['batch']:,} in {p['precision']}, median of 10 after compilation; the full "
             f"training step of `reference-2048` took {_num(full_ms, '.1f')} ms.", "",
             "| stage | ms | train GFLOP | TFLOP/s | share of the stages' sum |",
             "|---|---:|---:|---:|---:|"]
    for r in p["stages"]:
        if "ms" in r:
            lines.append(f"| {r['stage']} | {r['ms']:.1f} | {r['train_gflop']:,.1f} | "
                         f"{r['tflop_s']:.1f} | {r['ms'] / p['sum_ms']:.0%} |")
        else:
            lines.append(f"| {r['stage']} | {r['skipped']} | | | |")
    lines += ["", f"Data: the numpy reader made {p['reader_seq_s']:,.0f} one-hot sequences/s "
              f"(batch {p['batch']:,}, shuffled, reverse-complement augmented, one thread of "
              "this host)."]
    return lines


def _synthetic(report: dict, p: dict) -> list:
    if not p or "effective" not in p:
        return []
    d = report.get("synthetic_data", {})
    done = sum(p["batches_in_epochs"]) * p["batch"]
    whole = not p["stopped_at_deadline"]
    return ["", f"**The whole file**: {d.get('rows', 0):,} synthetic DREAM-format rows "
            f"(`bench/make_synthetic.py`) written in {d.get('generate_s')} s and prepared into "
            f"{d.get('shards')} training shards in {d.get('prepare_s')} s on the host's CPU "
            "while the first phases trained; "
            f"{p['n_train']:,} training rows read from the shards with the numpy reader. "
            + (f"One epoch of `{p['preset']}` at batch {p['batch']:,} took "
               f"{p['epoch_s'][0]} s (validation included) at a steady "
               f"{_num(p.get('steady_seq_s'))} sequences/s." if whole else
               f"The budget ended after {done:,} of {p['n_train']:,} rows; at the steady "
               f"{_num(p.get('steady_seq_s'))} sequences/s one epoch of `{p['preset']}` at "
               f"batch {p['batch']:,} takes {_num(p.get('projected_epoch_s'))} s "
               "(projected).")]


def render_scale(files: list) -> str:
    """The *Training at scale on one GPU* section from ``gpu_scale.py`` result files."""
    lines = [SCALE_SECTION, ""]
    for f in files:
        r = json.loads(Path(f).read_text())
        dev = r.get("device") or {}
        phases = {p["phase"]: p for p in r["phases"]}
        smoke = "SMOKE TEST, tiny preset, " if r["smoke"] else ""
        lines += [f"Run by `bash bench/gpu_check.sh` ({smoke}"
                  f"budget {r['budget_s']:.0f} s, wall {r.get('wall_s', 'n/a')} s) on "
                  f"{dev.get('count')} x {dev.get('device')} ({dev.get('platform')}, host "
                  f"{dev.get('host_cores')} cores), Keras {dev.get('keras')} on JAX "
                  f"{dev.get('jax')}, {dev.get('date')}; source `bench/results/{Path(f).name}`. "
                  "Every phase is `promoter-model train` with its defaults (no learning rate, "
                  "schedule or precision given) on the demo ensemble's fold 0 (validation: "
                  "fold 0; test: the public rows); steady sequences/s count training batches "
                  "after the first epoch (compilation) without validation; TFLOP/s = steady "
                  "seq/s x 3 x the analytic forward FLOPs.", "",
                  "| phase | preset | batch | precision | peak lr | warm-up / total steps | "
                  "epochs | validation R² by epoch | best | steady seq/s | TFLOP/s | "
                  "% of bf16 peak | first epoch s |",
                  "|---|---|---:|---|---:|---:|---|---|---:|---:|---:|---:|---:|"]
        lines += [_phase_line(p) for p in r["phases"] if p["phase"] != "profile"]
        lines += ["", "Goals (issue 32):", *_goals(phases)]
        lines += _profile(phases.get("profile"),
                          phases.get("reference-2048", {}).get("step_ms"))
        lines += _synthetic(r, phases.get("synthetic"))
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="print only")
    args = parser.parse_args(argv)
    scale = [f for f in args.files if json.loads(f.read_text()).get("kind") == "scale"]
    older = [f for f in args.files if f not in scale]
    if scale:
        publish(render_scale(scale), write=not args.dry_run)
    return publish(render(older), write=not args.dry_run) if older else 0


if __name__ == "__main__":
    sys.exit(main())
