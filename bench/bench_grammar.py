"""Grammar operations through the demo ensemble: one position-and-orientation scan of a
JASPAR motif over 100 backgrounds, and one full epistasis window; writes the
``## Benchmarks`` section of ``docs/grammar.md``.

Usage::

    .venv/bin/python bench/bench_grammar.py [--run ENSEMBLE] [--motif REB1]
        [--backgrounds 100] [--window 0 80] [--no-write]

Targets (issue 31): the scan in under 10 s, the window in under 30 s on the 2-core CPU.
Each operation is timed once after a warm-up call that compiles the members' prediction
functions; the 1-minute load average is read before and after, since the machine is shared.
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "grammar.md"
SECTION = "## Benchmarks"
TARGETS = {"position": 10.0, "epistasis": 30.0}


def uptime() -> str:
    """``uptime``'s line (the load averages), or the load averages alone."""
    try:
        import subprocess

        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=str(ROOT / "assets" / "demo_ensemble"))
    ap.add_argument("--motif", default="REB1")
    ap.add_argument("--backgrounds", type=int, default=100)
    ap.add_argument("--window", type=int, nargs=2, default=(0, 80))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    from promoter_model.dream import public_test_set
    from promoter_model.grammar import draw_backgrounds, epistasis_window, position_scan
    from promoter_model.predictor import load_predictor

    up_start, load_start = uptime(), os.getloadavg()[0]
    pred, t_load = timed(lambda: load_predictor(args.run))
    members, rc = len(pred.members), 2 if pred.rc_average else 1
    bg = draw_backgrounds(args.backgrounds, seed=0)
    position_scan(pred, args.motif, backgrounds=draw_backgrounds(2, seed=1),
                  positions=[0])  # warm-up: compiles each member's prediction function
    scan, t_scan = timed(lambda: position_scan(pred, args.motif, backgrounds=bg))
    n_scan = len(bg) * (1 + len(scan))
    seq = public_test_set()["sequence"].iloc[0]
    epi, t_epi = timed(lambda: epistasis_window(pred, seq, window=tuple(args.window)))
    w = args.window[1] - args.window[0]
    n_epi = 1 + 3 * w + len(epi)  # reference, every single (to pick), the doubles
    up_end, load_end = uptime(), os.getloadavg()[0]
    print(up_start, up_end, sep="\n")

    def row(name, what, n, t):
        ok = "met" if t <= TARGETS[name] else "not met"
        passes = n * members * rc
        return (f"| {what} | {n:,} | {passes:,} | {t:.1f} | {passes / t:,.0f} | "
                f"< {TARGETS[name]:.0f} s: {ok} |")

    top = scan.iloc[scan["effect"].abs().argmax()]
    section = "\n".join([
        SECTION, "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
        f"{benchdoc.cpu_model()}, {os.cpu_count()} CPU cores shared with other jobs "
        f"(1-minute load average {load_start:.1f} at the start, {load_end:.1f} at the end; "
        f"`uptime` before: `{up_start}`; after: `{up_end}`), Python "
        f"{platform.python_version()}, by `bench/bench_grammar.py` on "
        f"`{Path(args.run).name}` ({members} members, reverse-complement averaging "
        f"{'on' if rc == 2 else 'off'}: each sequence is {members * rc} forward passes). "
        f"Loading the ensemble took {t_load:.1f} s (not counted); each operation ran once "
        "after a warm-up call.", "",
        "| operation | sequences | forward passes | seconds | passes/s | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        row("position", f"`position_scan` of {args.motif} ({scan.attrs['site']}), "
            f"{len(bg)} backgrounds, {len(scan) // 2} starts x 2 strands", n_scan, t_scan),
        row("epistasis", f"`epistasis_window` {tuple(args.window)}, strongest "
            f"alternatives ({3 * w} singles, {len(epi):,} pairs)", n_epi, t_epi),
        "",
        f"Strongest {args.motif} effect: {top['effect']:+.3f} at start {top['position']} "
        f"({top['strand']}), members' sd {top['sd']:.3f}.",
    ])
    print(section)
    if not args.no_write:
        benchdoc.write_section(section, doc=DOC)
    return 0


if __name__ == "__main__":
    sys.exit(main())
