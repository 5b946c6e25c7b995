"""Families and leakage: how fast rows are grouped, and what the old demo ensemble's scores meant.

    python bench/bench_families.py                       # 71k test file + 1M synthetic rows
    python bench/bench_families.py --synthetic-rows 6739258
    python bench/bench_families.py --write               # rewrite docs/benchmarks.md's section

1. Grouping time (``promoter_model.families.group_families``) on the DREAM test file's
   71,103 rows and on synthetic DREAM-format rows (``bench/make_synthetic.py``: random
   regions, so almost every row is a family of its own), with peak memory.
2. The shipped ensembles' public or test predictions and 90% intervals stratified by each
   row's distance to the nearest row its members could have trained on, from the shipped
   files only (``public.tsv.gz``/``test.tsv.gz``, ``calibration.json``, ``split.tsv.gz``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import ROOT, cpu_model, write_section  # noqa: E402

HEADING = "## Families and leakage"
OLD = ROOT / "assets" / "demo_ensemble"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_grouping(synthetic_rows: int) -> list:
    """Rows, seconds, families, largest family and peak RSS of each grouping run."""
    from make_synthetic import write_synthetic

    from promoter_model import dream
    from promoter_model.families import group_families
    from promoter_model.sequence import iter_dream_chunks

    out = []
    table = dream.load_test_table()
    start = time.perf_counter()
    fams = group_families(table["sequence"].tolist())
    out.append({"data": "DREAM test file", "rows": len(table),
                "seconds": time.perf_counter() - start, **fams.summary(),
                "peak_mb": _peak_mb()})
    if synthetic_rows:
        path = Path("/tmp") / f"synthetic-{synthetic_rows}.txt"
        if not path.exists():
            write_synthetic(path, synthetic_rows, seed=0)
        from promoter_model.families.group import variable_regions

        parts = [variable_regions(seqs) for seqs, _, _ in iter_dream_chunks(path, 500_000)]
        codes = np.concatenate(parts)
        del parts
        start = time.perf_counter()
        fams = group_families(codes)
        out.append({"data": "synthetic DREAM-format rows (random regions)",
                    "rows": len(codes), "seconds": time.perf_counter() - start,
                    **fams.summary(), "peak_mb": _peak_mb()})
    return out


def old_ensemble_table() -> tuple:
    """The old (hash-fold) demo ensemble's public rows by distance to its training pool."""
    from promoter_model import dream
    from promoter_model.families.dream import dream_families
    from promoter_model.families.leakage import stratified_scores
    from promoter_model.families.novelty import nearest
    from promoter_model.uncertainty.calibration import load_calibration

    table = dream.load_test_table()
    public = table["public_leaderboard"].to_numpy() == 1
    stored = pd.read_csv(OLD / "public.tsv.gz", sep="\t").set_index("pos")
    stored = stored.loc[table.loc[public, "pos"]]
    pool_seqs = table.loc[~public, "sequence"].tolist()
    distance, _ = nearest(table.loc[public, "sequence"].tolist(), pool_seqs)
    lower, upper = load_calibration(OLD / "calibration.json").interval(
        stored["prediction"].to_numpy(), 0.9)
    fams, _ = dream_families(table)
    pool_families = np.unique(fams.label[~public])
    no_pool = ~np.isin(fams.label[public], pool_families)
    scores = stratified_scores(distance, stored["measured"], stored["prediction"], lower,
                               upper, groups={"family without any pool row": no_pool})
    return scores, distance


def _fmt(df: pd.DataFrame) -> str:
    lines = ["| rows | n | r² | 90% interval covers |", "| --- | ---: | ---: | ---: |"]
    for _, r in df.iterrows():
        lines.append(f"| {r['rows']} | {r['n']:,} | {r['r2']:.3f} | "
                     f"{100 * r['coverage']:.1f}% |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic-rows", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    import os

    load = os.getloadavg()[0]
    timing = time_grouping(args.synthetic_rows)
    for t in timing:
        print(t, flush=True)
    old, distance = old_ensemble_table()
    print(old.to_string(index=False))
    shares = {k: float(np.mean(distance <= k)) for k in (1, 2)}
    text = [HEADING, "",
            f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, {cpu_model()}, "
            f"load average {load:.1f} at the start (a training job shared the machine).", "",
            "Grouping rows into families (near copies within 3 of the 80 variable bases, "
            "shared non-repeat 30-mers, explicit pairs; `promoter_model.families`):", "",
            "| data | rows | seconds | families | largest | rows in shared families | "
            "peak RSS |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for t in timing:
        text.append(f"| {t['data']} | {t['rows']:,} | {t['seconds']:.1f} | "
                    f"{t['families']:,} | {t['largest_family']:,} | "
                    f"{t['rows_in_shared_families']:,} | {t['peak_mb']:,.0f} MB |")
    text += ["", "The old demo ensemble (`assets/demo_ensemble`, hash folds of the "
             "non-public rows): its stored public-leaderboard predictions and shipped 90% "
             "intervals, by each public row's distance to the nearest row of its training "
             f"pool. {100 * shares[1]:.0f}% of the public rows have a pool row one base "
             f"away, {100 * shares[2]:.0f}% one within two bases:", "", _fmt(old), ""]
    if args.write:
        write_section("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
