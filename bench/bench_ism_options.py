"""What ISM of one sequence through the demo ensemble in 0.3 s would cost: each way to fewer
member passes per mutant, its time, and how far its answers move from what is served;
writes the ``## Ensemble ISM: what 0.3 s would cost`` section of ``docs/benchmarks.md``.

Usage::

    .venv/bin/python bench/bench_ism_options.py [--run ENSEMBLE] [--n 10] [--no-write]

Every option is exact windowed ISM (``interpret.fast_ism``) of a predictor; they differ in
what the predictor is:

* ``served``: all members, both strands averaged: what the CLI and the dashboard serve;
* ``served, one graph``: the same numbers, all members in one compiled graph;
* ``forward strand only``: all members, no reverse-complement averaging;
* ``3 members``: the first three folds' members, both strands;
* and the combinations.

On the ISM of ``--n`` sequences of the bundled training pool (``assets/data/train_demo.txt``,
never the public-leaderboard rows), each option's mean effects and members' sd are compared
with ``served``'s: Pearson r over the 330 mutations, the largest difference relative to the
largest served effect, how many of the 10 strongest mutations are the same, and the r of the
members' sd. Times: one call per option per sequence, interleaved, after a warm-up call
each (first-call costs: ``bench_ensemble.py``); median over the sequences.
"""

from __future__ import annotations

import argparse
import dataclasses
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
SECTION = "## Ensemble ISM: what 0.3 s would cost"
TARGET_S = 0.3


def options(pred) -> dict:
    """Name -> (predictor, one graph), ``served`` first."""
    k = len(pred.members)
    few = min(3, k)
    fwd = dataclasses.replace(pred, rc_average=False)
    sub = dataclasses.replace(pred, members=pred.members[:few])
    return {"served": (pred, False),
            "served, one graph": (pred, True),
            "forward strand only": (fwd, False),
            "forward strand only, one graph": (fwd, True),
            f"{few} members": (sub, False),
            f"{few} members, forward strand only": (dataclasses.replace(sub, rc_average=False),
                                                    False)}


def member_effects(pred, x, one_graph: bool):
    """Each member's ISM effects of one sequence ``x`` (L, 4), shape (members, L, 4)."""
    import numpy as np

    from promoter_model.interpret import fast_ism
    from promoter_model.interpret import ism as I

    if not one_graph:
        return I.ism(pred, x[None], members=True)[:, 0]
    engine = fast_ism.engine_for(pred.models, fused=True)
    alt = I.alternatives(I.reference_codes(x)).ravel()[None]
    preds = fast_ism.snv_member_predictions(engine, pred, x[None].astype(np.float32), alt,
                                            None, 512)
    return I._scores_from_predictions(x, preds[:, 0], preds[:, 1:]).astype(np.float32)


def agreement(served, other, x) -> dict:
    """How far ``other``'s answer (member effects) is from ``served``'s for sequence ``x``."""
    import numpy as np

    from promoter_model.interpret.ism_summary import _variant_entries

    a = _variant_entries(served.mean(axis=0), x)[3]
    b = _variant_entries(other.mean(axis=0), x)[3]
    top = set(np.argsort(-np.abs(a))[:10]) & set(np.argsort(-np.abs(b))[:10])
    out = {"r": float(np.corrcoef(a, b)[0, 1]),
           "rel": float(np.abs(a - b).max() / np.abs(a).max()),
           "top10": len(top)}
    if len(served) > 1 and len(other) > 1:
        sa = _variant_entries(served.std(axis=0), x)[3]
        sb = _variant_entries(other.std(axis=0), x)[3]
        out["sd_r"] = float(np.corrcoef(sa, sb)[0, 1])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "assets" / "demo_ensemble")
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    from promoter_model.predictor import load_predictor
    from promoter_model.sequence import one_hot

    pred = load_predictor(args.run)
    if not pred.is_ensemble:
        raise SystemExit(f"{args.run}: not an ensemble")
    lines = (ROOT / "assets" / "data" / "train_demo.txt").read_text().splitlines()
    X = one_hot([ln.split("\t")[0] for ln in lines[:args.n]], length=pred.input_length)
    opts = options(pred)
    load_start = os.getloadavg()[0]
    for p, graph in opts.values():  # warm-up: traces (first-call costs: bench_ensemble.py)
        member_effects(p, X[0], graph)
    times = {name: [] for name in opts}
    found = {name: [] for name in opts}
    for x in X:
        effects = {}
        for name, (p, graph) in opts.items():
            t = time.perf_counter()
            effects[name] = member_effects(p, x, graph)
            times[name].append(time.perf_counter() - t)
        for name in opts:
            found[name].append(agreement(effects["served"], effects[name], x))
    load_end = os.getloadavg()[0]

    served_s = statistics.median(times["served"])
    text = [SECTION, "",
            f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
            f"{benchdoc.cpu_model()}, {os.cpu_count()} CPU cores (1-minute load average "
            f"{load_start:.1f} at the start, {load_end:.1f} at the end), Python "
            f"{platform.python_version()}, by `bench/bench_ism_options.py` on "
            f"`{args.run.name}` ({len(pred.members)} members; reverse-complement averaging "
            f"{'on' if pred.rc_average else 'off'} as served).", "",
            f"ISM of one sequence ({args.n} sequences of the bundled training pool, median); "
            "every option is exact windowed ISM of a different predictor. Agreement with "
            "`served` over the 330 mutations of each sequence: Pearson r of the mean effects "
            "(median over sequences), the largest difference relative to the largest served "
            "effect (worst sequence), the strongest 10 mutations in common (median), and the "
            "r of the members' sd (median).", "",
            "| option | member passes per mutant | median s | within "
            f"{TARGET_S} s | effects r | largest difference | top 10 shared | sd r |",
            "|---|---:|---:|---|---:|---:|---:|---:|"]
    for name, (p, _) in opts.items():
        s = statistics.median(times[name])
        a = found[name]
        sd_r = [f["sd_r"] for f in a if "sd_r" in f]
        text.append(
            f"| {name} | {len(p.members) * (2 if p.rc_average else 1)} | {s:.3f} | "
            f"{'yes' if s <= TARGET_S else 'no'} | "
            f"{statistics.median(f['r'] for f in a):.4f} | {max(f['rel'] for f in a):.1%} | "
            f"{statistics.median(f['top10'] for f in a):.0f} | "
            f"{f'{statistics.median(sd_r):.3f}' if sd_r else ''} |")
    within = [n for n in opts if statistics.median(times[n]) <= TARGET_S]
    text += ["",
             f"Served: {served_s:.3f} s. " + (
                 "Within the target: " + ", ".join(f"`{n}`" for n in within) + ". Each of "
                 "these serves numbers other than the served ensemble's (table above), so "
                 "adopting one is a decision about the answers, not only about speed."
                 if within else f"No option here is within {TARGET_S} s on this machine."),
             ""]
    return benchdoc.publish("\n".join(text), write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
