"""Design toward the 99th percentile; writes the ``## Design`` section of ``docs/benchmarks.md``.

From 20 seeded random public-test promoters of median measured expression (45th-55th
percentile), each strategy (greedy ISM-guided, beam, genetic) designs one sequence toward
the 99th percentile of measured test expression with at most 5 mutations. Reports how many
designs reach it (predicted within the tolerance, or above), the median predicted gain and
the median seconds per design on this CPU.

Usage::

    .venv/bin/python bench/bench_design.py [--run RUN_DIR] [--n-starts 20] [--no-write]

The held-out member check needs an ensemble; with a single run it is reported as pending.
Public-leaderboard rows are only used as starts here, never to train, select or calibrate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
from pathlib import Path

import benchdoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Design"
STRATEGIES = ("greedy", "beam", "genetic")


def median_starts(n: int, seed: int = 0):
    """Return ``n`` seeded public-test rows with measured expression between the 45th and
    55th percentile, and the 99th percentile of all measured test expression.
    """
    import numpy as np

    from promoter_model.dream import load_test_table, public_test_set

    allm = load_test_table()["expression"].to_numpy(np.float64)
    target = float(np.percentile(allm, 99))
    pub = public_test_set()
    lo, hi = np.percentile(pub["expression"], [45, 55])
    band = pub[(pub["expression"] >= lo) & (pub["expression"] <= hi)]
    rows = band.sample(n=min(n, len(band)), random_state=seed).sort_values("pos")
    return rows, target, (float(lo), float(hi))


def main(argv=None) -> int:
    """Run the benchmark and write (or print) the section."""
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    from promoter_model.design import Objective, design, held_out_check
    from promoter_model.design.constraints import Constraints
    from promoter_model.predictor import load_predictor

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=str(ROOT / "assets" / "demo_model"),
                    help="run or ensemble folder (default: the demo run)")
    ap.add_argument("--n-starts", type=int, default=20)
    ap.add_argument("--budget", type=int, default=5)
    ap.add_argument("--tolerance", type=float, default=0.1)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    pred = load_predictor(args.run)
    rows, target, band = median_starts(args.n_starts)
    objective = Objective("target", target=target, tolerance=args.tolerance)
    constraints = Constraints(max_mutations=args.budget)
    pred.predict(np.zeros((2, pred.input_length, 4), np.float32))  # warm-up
    records = []
    for strategy in STRATEGIES:
        for r in rows.itertuples():
            res = design(pred, r.sequence, objective=objective, constraints=constraints,
                         strategy=strategy, n_designs=1, seed=0)
            start_pred = float(res.table["prediction"].iloc[0])
            d = res.designs
            p = float(d["prediction"].iloc[0]) if len(d) else start_pred
            records.append({"strategy": strategy, "pos": r.pos, "seconds": res.seconds,
                            "evaluations": res.evaluations, "start": start_pred,
                            "design": p, "n_mutations": int(d["n_mutations"].iloc[0])
                            if len(d) else 0,
                            "reached": p >= target - args.tolerance})
        print(f"{strategy}: done", file=sys.stderr)
    df = pd.DataFrame(records)
    held_text = ("Held-out member check: pending the demo ensemble (`" + Path(args.run).name
                 + "` is a single run: no spread, no member to leave out).")
    if pred.is_ensemble:
        agree = np.concatenate([held_out_check(pred, r.sequence, objective=objective,
                                               constraints=constraints,
                                               n_designs=1)["agrees"].to_numpy(bool)
                                for r in rows.itertuples()])
        held_text = (f"Held-out member check (greedy, each member left out in turn: the "
                     f"design made with the other {len(pred.members) - 1}, scored by the one "
                     f"left out): the left-out member agrees that the design went up in "
                     f"{int(agree.sum())} of {len(agree)} designs "
                     f"({100 * float(agree.mean()):.0f}%).")
    load = os.getloadavg()[0]
    kind = f"ensemble of {len(pred.members)}" if pred.is_ensemble else "single run"
    lines = [SECTION, "",
             f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on "
             f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), Python "
             f"{platform.python_version()}, TensorFlow {tf.__version__} CPU; 1-minute load "
             f"average {load:.1f} at the end (other jobs share the CPU) by "
             "`bench/bench_design.py`.", "",
             f"Model: `{Path(args.run).name}` ({kind}). Starts: "
             f"{len(rows)} seeded random public-test promoters of median measured "
             f"expression ({band[0]:.2f} to {band[1]:.2f}, the 45th-55th percentile). "
             f"Target: the 99th percentile of measured test expression, {target:.3f}; "
             f"at most {args.budget} mutations; one design per start; reached = predicted "
             f"at least target - {args.tolerance:g}.", "",
             "| strategy | reached | median predicted start | median predicted design | "
             "median gain | median mutations | median seconds per design | "
             "median sequences scored |", "|---|---|---|---|---|---|---|---|"]
    for strategy, g in df.groupby("strategy", sort=False):
        lines.append(
            f"| {strategy} | {int(g['reached'].sum())} of {len(g)} | "
            f"{g['start'].median():.3f} | {g['design'].median():.3f} | "
            f"{(g['design'] - g['start']).median():+.3f} | {g['n_mutations'].median():.0f} | "
            f"{statistics.median(g['seconds']):.2f} | {g['evaluations'].median():.0f} |")
    greedy = df[df["strategy"] == "greedy"]["seconds"].median()
    lines += ["", f"Aim: under 5 s per design: greedy {'met' if greedy < 5 else 'not met'} "
              f"({greedy:.2f} s) with `{Path(args.run).name}` ({kind}).", "", held_text, "",
              "These are the model's predictions of its own designs, not measurements: a "
              "design that reaches the target in silico is a hypothesis for the bench "
              "(docs/design.md)."]
    section = "\n".join(lines) + "\n"
    return benchdoc.publish(section, write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
