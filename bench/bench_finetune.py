"""Fine-tuning a trained model on a small library, against training from scratch and
against the untouched model, on families it never saw.

    python bench/bench_finetune.py [--epochs 10] [--n-tune 4000]

The library: ``train_demo.txt`` (``promoter_model/data``), 6,370 rows of the DREAM training
file, measured in another unit (single-cell FACS bins, 0-17) than the MAUDE-normalised
expression the demo model predicts, and on random promoters that model never saw. Grouped
by ``promoter_model.families`` where that package is installed (near copies within 3
mismatches of the 80 bp region and shared 30-mers): on 2026-12-06 every row was its own
family and no row shared a family with any row of the test file the demo model was trained
on, so a seeded split of rows is a split by family. ``--n-tune`` rows are the lab's
library (10 % of them validate the epochs), the rest are held out and scored.

Compared, each on the held-out rows: the untouched demo model (its Pearson r; its R² after
the labels' scale is fitted on the library: ``a * prediction + b``), ``train --init-from``
with the head only and with every layer (the defaults' rates), and ``compact`` trained from
scratch with the defaults; all for ``--epochs`` epochs, best epoch by validation R².

Writes ``bench/results/finetune-DATE.json`` and the section *Fine-tuning on a small
library* of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import benchdoc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Fine-tuning on a small library"
UNIT = "FACS expression bin (0-17)"


def library_split(n_tune: int, seed: int = 0):
    """Sequences and labels of the library and of the held-out rows, split by family."""
    import numpy as np

    from promoter_model.sequence import read_sequences

    table = read_sequences(ROOT / "promoter_model" / "data" / "train_demo.txt")
    seqs = list(table.sequences)
    y = np.asarray(table.expression, dtype=np.float64)
    try:
        from promoter_model.families import group_families

        families = np.asarray(group_families(seqs).label)
        how = "promoter_model.families"
    except ImportError:  # not on this branch: every row its own family (see above)
        families = np.arange(len(seqs))
        how = "one family per row (promoter_model.families found no shared family)"
    order = np.random.default_rng(seed).permutation(np.unique(families))
    tune_fams, total = set(), 0
    counts = {f: int(c) for f, c in zip(*np.unique(families, return_counts=True))}
    for f in order:
        if total >= n_tune:
            break
        tune_fams.add(int(f))
        total += counts[int(f)]
    tune = np.array([int(f) in tune_fams for f in families])
    pick = lambda m: ([s for s, k in zip(seqs, m) if k], y[m])  # noqa: E731
    return pick(tune), pick(~tune), how


def write_dream(path: Path, seqs, y) -> Path:
    path.write_text("".join(f"{s}\t{v:.6g}\n" for s, v in zip(seqs, y)))
    return path


def scores(y, pred) -> dict:
    from promoter_model.metrics import regression_metrics

    m = regression_metrics(y, pred)
    return {k: round(float(m[k]), 4) for k in ("pearson_r", "r2", "spearman_r") if k in m}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--n-tune", type=int, default=4000)
    parser.add_argument("--work", default=str(ROOT / "build" / "finetune"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from promoter_model import records
    from promoter_model.model.architectures import preset
    from promoter_model.model.config import RunConfig, TrainConfig
    from promoter_model.model.predict import predict_sequences
    from promoter_model.runs import load_run
    from promoter_model.train import train

    started, load0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    (tune_s, tune_y), (test_s, test_y), how = library_split(args.n_tune)
    data = work / "data"
    records.prepare(write_dream(work / "library.txt", tune_s, tune_y), data,
                    val_fraction=0.1, test_input=write_dream(work / "held_out.txt", test_s,
                                                             test_y))
    demo_dir = ROOT / "assets" / "demo_model"
    demo = load_run(demo_dir)
    old_tune = predict_sequences(demo.model, tune_s)
    a, b = np.polyfit(old_tune, tune_y, 1)
    untouched = predict_sequences(demo.model, test_s)
    results = [{"variant": "untouched demo model (scale fitted on the library)",
                "epochs": 0, **scores(test_y, a * untouched + b), "seconds": 0.0}]
    variants = [("fine-tuned, head only", dict(init_from=str(demo_dir), finetune="head")),
                ("fine-tuned, all layers", dict(init_from=str(demo_dir), finetune="all")),
                ("compact from scratch", {})]
    for label, kw in variants:
        keras.utils.set_random_seed(0)
        run_dir = work / label.replace(",", "").replace(" ", "-")
        cfg = RunConfig(preset="compact", model=preset("compact"), unit=UNIT,
                        train=TrainConfig(epochs=args.epochs, batch_size=128, **kw))
        t = time.time()
        train(data, run_dir, cfg, verbose=0)
        run = load_run(run_dir)
        pred = predict_sequences(run.model, test_s)
        results.append({"variant": label, "epochs": args.epochs,
                        "best_epoch": int(run.history["val_r2"].idxmax()) + 1,
                        "peak_lr": run.config.effective["learning_rate"],
                        **scores(test_y, pred), "seconds": round(time.time() - t, 1)})
        print(json.dumps(results[-1]), flush=True)
    report = {"date": started, "machine": f"{os.cpu_count()} cores, {benchdoc.cpu_model()}",
              "load_start": round(load0, 2), "load_end": round(os.getloadavg()[0], 2),
              "n_tune": len(tune_y), "n_held_out": len(test_y), "families": how,
              "unit": UNIT, "batch": 128, "results": results}
    out = ROOT / "bench" / "results" / f"finetune-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    section = render(report, out.name)
    print(section)
    if not args.no_write:
        benchdoc.write_section(section)
    return 0


def render(r: dict, source: str) -> str:
    lines = [SECTION, "",
             f"Measured {r['date']} by `bench/bench_finetune.py` on {r['machine']} (load "
             f"{r['load_start']} at the start, {r['load_end']} at the end), TensorFlow CPU; "
             f"source `bench/results/{source}`. Library: {r['n_tune']:,} rows of "
             "`train_demo.txt` (the DREAM training file's format and unit, "
             f"{r['unit']}; 10 % of them validate), scored on {r['n_held_out']:,} held-out "
             f"rows of other families ({r['families']}). Batch {r['batch']}, best epoch by "
             "validation R².", "",
             "| variant | epochs | peak lr | held-out Pearson r | held-out R² | Spearman | "
             "seconds |", "|---|---:|---:|---:|---:|---:|---:|"]
    for v in r["results"]:
        lr = f"{v['peak_lr']:.2g}" if "peak_lr" in v else "-"
        lines.append(f"| {v['variant']} | {v['epochs']} | {lr} | {v['pearson_r']:.3f} | "
                     f"{v['r2']:.3f} | {v.get('spearman_r', float('nan')):.3f} | "
                     f"{v['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
