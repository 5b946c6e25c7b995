"""Families and leakage: how fast rows are grouped, and what the old demo ensemble's scores meant.

    python bench/bench_families.py                       # 71k test file + 1M synthetic rows
    python bench/bench_families.py --synthetic-rows 6739258
    python bench/bench_families.py --write               # rewrite docs/benchmarks.md's section

1. Grouping time (``promoter_model.families.group_families``) on the DREAM test file's
   71,103 rows and on synthetic DREAM-format rows (``bench/make_synthetic.py``: random
   regions, so almost every row is a family of its own), with peak memory.
2. The shipped ensembles' public or test predictions and 90% intervals stratified by each
   row's distance to the nearest row its members could have trained on, from the shipped
   files only (``public.tsv.gz``/``test.tsv.gz``, ``calibration.json``, ``split.tsv.gz``):
   the old hash-split ensemble beside the family-split one, with their headline scores.
3. Should the interval's width follow the distance to training? The family ensemble's
   out-of-fold rows (what it is calibrated on) by distance to the rows their member trained
   on, with the calibrated interval's coverage there (``oof.tsv.gz``).
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
NEW = ROOT / "assets" / "family_ensemble"


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


def new_ensemble_table() -> pd.DataFrame:
    """The family-split ensemble's test-family rows by distance to its training pool,
    recomputed from the shipped ``test.tsv.gz``, ``calibration.json`` and ``novelty.npy``.
    """
    from promoter_model import dream
    from promoter_model.families.leakage import stratified_scores
    from promoter_model.families.novelty import NoveltyIndex
    from promoter_model.runs import read_novelty_index, stored_test_predictions
    from promoter_model.sequence import SEQ_LEN, encode_fitted
    from promoter_model.uncertainty.calibration import load_calibration

    stored = stored_test_predictions(NEW)
    table = dream.load_test_table().set_index("pos")
    codes = encode_fitted(table.loc[stored["pos"], "sequence"].tolist(), SEQ_LEN)[0]
    distance, _ = NoveltyIndex(read_novelty_index(NEW)).nearest(codes)
    if not np.array_equal(distance, stored["nearest_train_mismatches"].to_numpy()):
        raise SystemExit("test.tsv.gz's distances differ from novelty.npy's")
    lower, upper = load_calibration(NEW / "calibration.json").interval(
        stored["prediction"].to_numpy(), 0.9)
    return stratified_scores(distance, stored["measured"], stored["prediction"], lower,
                             upper, groups={"family without any pool row":
                                            np.ones(len(stored), dtype=bool)})


def oof_training_distance(oof: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """Each OOF row's distance to the rows its own member trained on: the other folds'
    rows of ``oof`` (``codes``: the OOF rows' base codes, in ``oof``'s order).
    """
    from promoter_model.families.novelty import NoveltyIndex, pack_regions

    fold = oof["fold"].to_numpy()
    distance = np.empty(len(oof), dtype=np.int64)
    for f in np.unique(fold):
        own = fold == f
        distance[own] = NoveltyIndex(pack_regions(codes[~own])).nearest(codes[own])[0]
    return distance


def oof_by_distance() -> pd.DataFrame:
    """The family ensemble's OOF rows by distance to their own member's training rows.

    With the 90% interval's coverage: is the calibration data's error larger far from
    training? (A member trained on the other folds.)
    """
    from promoter_model import dream
    from promoter_model.families.leakage import stratified_scores
    from promoter_model.sequence import SEQ_LEN, encode_fitted
    from promoter_model.uncertainty.calibration import load_calibration

    oof = pd.read_csv(NEW / "oof.tsv.gz", sep="\t", dtype={"fold": str})
    table = dream.load_test_table().set_index("pos")
    codes = encode_fitted(table.loc[oof["pos"], "sequence"].tolist(), SEQ_LEN)[0]
    distance = oof_training_distance(oof, codes)
    lower, upper = load_calibration(NEW / "calibration.json").interval(
        oof["prediction"].to_numpy(), 0.9)
    return stratified_scores(distance, oof["measured"], oof["prediction"], lower, upper)


def _headline(folder: Path) -> dict:
    import json

    m = json.loads((folder / "metrics.json").read_text())
    return m.get("test_families") or m["dream_public_leaderboard"]


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
            f"load average {load:.1f} at the start.", "",
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
    new = new_ensemble_table()
    print(new.to_string(index=False))
    oof = oof_by_distance()
    print(oof.to_string(index=False))
    old_h, new_h = _headline(OLD), _headline(NEW)
    text += ["The family-split ensemble (`assets/family_ensemble`): its stored test-family "
             "predictions and shipped 90% intervals, by each test row's distance to the "
             "nearest row any member trained on (from `test.tsv.gz`, `calibration.json` and "
             "`novelty.npy`). Whole families were held out, so no test row has a training "
             "row within 3 bases:", "", _fmt(new), "",
             "| ensemble | scored on | n | Pearson score | r² all |",
             "| --- | --- | ---: | ---: | ---: |",
             f"| old, hash folds | public-leaderboard rows (leaky) | {old_h['n_all']:,} | "
             f"{old_h['pearson_score']:.3f} | {old_h['pearson_r2_all']:.3f} |",
             f"| new, family folds | held-out test families | {new_h['n_all']:,} | "
             f"{new_h['pearson_score']:.3f} | {new_h['pearson_r2_all']:.3f} |", "",
             "Should the width follow the distance to training? The family ensemble's "
             "out-of-fold rows (the data its interval is calibrated on), by distance to the "
             "rows their own member trained on:", "", _fmt(oof), ""]
    if args.write:
        write_section("\n".join(text))
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
