"""Compare the first-layer activation (GELU vs exponential) on a subset of the demo pool.

Koo & Ploenzke (Nature Machine Intelligence 2021) report that an exponential activation in
the first layer makes its filters more motif-like. This trains the same preset twice, only
``first_activation`` differing, on a seeded subset of the demo training pool
(``dream.training_pool``: public-leaderboard rows never enter), then counts first-layer
filters whose best JASPAR CORE fungi match has q < 0.05 (``promoter-model motifs``
settings, 2,000 reference sequences, no influence pass). Prints one JSON object; the
numbers quoted in ``docs/model.md`` come from it.

Usage::

    python scripts/first_activation_experiment.py --n 20000 --epochs 4 --preset compact
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default=str(ROOT / "build" / "first_activation"))
    parser.add_argument("--n", type=int, default=20000, help="training-pool rows used")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--activations", default="gelu,exp")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import pandas as pd

    from promoter_model import dream, records
    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.interpret.reference import filter_reference
    from promoter_model.model.architectures import preset
    from promoter_model.model.config import RunConfig, TrainConfig
    from promoter_model.motifs.store import SIGNIFICANT_Q
    from promoter_model.runs import load_run
    from promoter_model.train import train

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    pool = dream.training_pool().sample(n=args.n, random_state=args.seed)
    subset = work / "subset.txt"
    subset.write_text("\n".join(pool["sequence"] + "\t" + pool["expression"].map("{:.6f}".format))
                      + "\n")
    data = work / "data"
    if not (data / "manifest.json").exists():
        records.prepare(subset, data, val_fraction=0.1, test_fraction=0.0, seed=args.seed,
                        shard_size=20_000)
    manifest = json.loads((data / "manifest.json").read_text())
    X_ref, _, described = filter_reference(None, 2000, args.seed)
    out = {"preset": args.preset, "pool_rows": args.n, "epochs": args.epochs,
           "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
           "splits": {k: v["count"] for k, v in manifest["splits"].items()},
           "motif_reference": described, "significant_q": SIGNIFICANT_Q, "runs": {}}
    for act in args.activations.split(","):
        run_dir = work / f"run_{act}"
        start = time.time()
        cfg = RunConfig(preset=args.preset,
                        model=preset(args.preset, first_activation=act),
                        train=TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                                          learning_rate=args.lr, lr_schedule="cosine",
                                          seed=args.seed),
                        notes=f"first-activation experiment ({act})")
        train(data, run_dir, cfg, verbose=2)
        seconds = time.time() - start
        history = pd.read_csv(run_dir / "history.csv")
        run = load_run(run_dir)
        mot = compute_motifs(run_dir, X_ref, model=run.model, influence=False,
                             reference=described)
        best = mot["matches"][mot["matches"]["rank"] == 1]
        sig = best[(best["q_value"] < SIGNIFICANT_Q) & (mot["counts"][best["filter"]] > 0)]
        out["runs"][act] = {
            "val_pearson_last": round(float(history["val_pearson"].iloc[-1]), 4),
            "val_pearson_best": round(float(history["val_pearson"].max()), 4),
            "filters": int(len(mot["counts"])),
            "filters_with_sites": int((mot["counts"] > 0).sum()),
            "filters_matching_q05": int(len(sig)),
            "matched": sorted(f"{r.name} (q={r.q_value:.2g})" for r in sig.itertuples()),
            "median_best_q": round(float(np.median(best["q_value"])), 3),
            "train_seconds": round(seconds)}
        print(json.dumps(out["runs"][act]), file=sys.stderr, flush=True)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
