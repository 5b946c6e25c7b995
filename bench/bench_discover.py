"""Motif discovery benchmark: wall time per stage of ``promoter-model discover``.

Runs :func:`promoter_model.interpret.discover.discover` once (``force=True``) on a run for
``--n`` reference sequences and records the seconds of each stage (attributions,
TF-MoDISco-lite, TOMTOM, effects), the 1-minute load average before and after (the CPU is
shared), and what was found. Writes the ``## Motif discovery`` section of
``docs/benchmarks.md`` (other sections untouched).

Usage::

    python bench/bench_discover.py [--run assets/demo_model] [--n 20000] [--method saliency]
                                   [--out DIR]

``--out`` defaults to a temporary folder; give ``assets/demo_model/motifs`` to store the
result with the demo model at the same time.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import benchdoc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=str(ROOT / "assets" / "demo_model"))
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--method", default="saliency", choices=["saliency", "ig", "ism"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-doc", action="store_true", help="print only")
    args = ap.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from promoter_model.interpret.discover import SIGNIFICANT_Q, best_significant_match, discover

    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        result, _ = discover(args.run, n=args.n, method=args.method, seed=args.seed,
                             force=True, out_dir=out,
                             progress=lambda m: print(f"[{time.perf_counter() - start:6.0f} s] "
                                                      f"{m}", file=sys.stderr, flush=True))
    wall = time.perf_counter() - start
    load_after = os.getloadavg()[0]
    stages = result["stage_seconds"]
    pats = result["patterns"]
    sig = [(p["name"], best_significant_match(p)) for p in pats]
    names = sorted({m["name"] for _, m in sig if m})
    rows = "\n".join(f"| {k} | {v:.1f} |" for k, v in stages.items())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = f"""## Motif discovery

Measured {when} on {platform.machine()}, {os.cpu_count()} CPU cores ({benchdoc.cpu_model()}),
shared with a training job and other engineers' tests: 1-minute load average
{load_before:.1f} at the start and {load_after:.1f} at the end, so these are upper bounds.
`python bench/bench_discover.py --n {args.n} --method {args.method}` on
`{Path(args.run).name}`: one run of `discover` (`force=True`), {result['reference']['n']:,}
reference sequences ({result['reference']['name']}, seed {args.seed}).

| stage | seconds |
|---|---:|
{rows}
| **total (incl. loading the model)** | **{wall:.1f}** |

Target: under 600 s for 20,000 sequences. Found {len(pats)} patterns
({sum(p['sign'] == '+' for p in pats)} positive, {sum(p['sign'] == '-' for p in pats)}
negative); {sum(m is not None for _, m in sig)} match a JASPAR 2024 fungi motif at
q < {SIGNIFICANT_Q} ({', '.join(names) if names else 'none'}).
"""
    print(section)
    if not args.no_doc:
        benchdoc.write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
