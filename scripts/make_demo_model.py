"""Rebuild the bundled demo run (``make demo-model``) from the bundled DREAM measurements.

Training pool: the 62,058 rows of ``assets/data/test_measured.tsv.gz`` with
``public_leaderboard == 0`` (a seeded 5% validation slice is held out from them by
``prepare``). Test set: the 9,045 public-leaderboard rows, never trained on or tuned against;
they are scored once, at the end, with the challenge's metrics.

The run is built in a work folder and moved into place only when complete, then the model
card is written from the run's own numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_pool_files(work: Path):
    """DREAM-format files of the training pool and of the public test rows."""
    from promoter_model import atomic, dream

    work.mkdir(parents=True, exist_ok=True)
    pool, public = dream.training_pool(), dream.public_test_set()
    for name, df in (("pool.txt", pool), ("public_test.txt", public)):
        lines = (df["sequence"] + "\t" + df["expression"].map("{:.6f}".format)).tolist()
        text = "\n".join(lines) + "\n"
        path = work / name
        # unchanged files are left alone: members trained in parallel share them
        if not path.exists() or path.read_text() != text:
            atomic.write_text(path, text)
    return work / "pool.txt", work / "public_test.txt", len(pool), len(public)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "assets" / "demo_model"))
    parser.add_argument("--work", default=str(ROOT / "build" / "demo"))
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--lr-schedule", default="cosine")
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from promoter_model import records
    from promoter_model.cli.data import parse_overrides
    from promoter_model.model.architectures import preset
    from promoter_model.model.config import RunConfig, TrainConfig
    from promoter_model.train import train

    start = time.time()
    work = Path(args.work)
    pool_file, test_file, n_pool, n_test = write_pool_files(work)
    data_dir = work / "data"
    manifest = records.prepare(pool_file, data_dir, val_fraction=args.val_fraction,
                               test_input=test_file, seed=args.seed, shard_size=20_000)
    run_dir = work / "run"
    config = RunConfig(
        preset=args.preset, model=preset(args.preset, **parse_overrides(args.set)),
        train=TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                          learning_rate=args.lr, lr_schedule=args.lr_schedule,
                          seed=args.seed, rc_augment=True),
        notes="demo model: DREAM 2022 high-quality measurements, public leaderboard held out")
    train(data_dir, run_dir, config)

    finalize(run_dir, work / "pool.txt", val_fraction=args.val_fraction,
             started=start, n_pool=n_pool, n_test=n_test,
             n_train=manifest["splits"]["train"]["count"],
             n_val=manifest["splits"]["val"]["count"])
    install(run_dir, Path(args.out))
    return 0


def finalize(run_dir, pool_file, *, val_fraction, started, n_pool, n_test, n_train,
             n_val, experiments=ROOT / "scripts" / "demo_model_experiments.md"):
    """Score the finished run on the public leaderboard, cache its motifs, write its card.

    Idempotent: safe to run again on a finished run.
    """
    import model_card

    from promoter_model import atomic, dream
    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.model.predict import predict_sequences
    from promoter_model.runs import load_run, read_metrics, write_checksums
    from promoter_model.sequence import one_hot, read_sequences

    run_dir = Path(run_dir)
    run = load_run(run_dir, verify=False)
    scores = dream.score_public_leaderboard(lambda seqs: predict_sequences(run.model, seqs))
    metrics = read_metrics(run_dir)
    metrics["test"]["data"] = ("public-leaderboard rows of test_measured.tsv.gz "
                               f"(n={metrics['test']['n']}), MAUDE-normalised expression")
    metrics["validation"]["data"] = (f"seeded {val_fraction:.0%} validation slice of the "
                                     f"training pool (n={metrics['validation']['n']})")
    metrics["dream_public_leaderboard"] = scores
    metrics["unit"] = "MAUDE-normalised expression"
    metrics.pop("target", None)
    # first-layer motifs on training-pool sequences (never the test set), cached in the run
    pool = read_sequences(pool_file)
    compute_motifs(run_dir, one_hot(pool.sequences[:2000]))
    build = metrics.get("build", {})
    if started is not None:  # None: re-finalising a run built earlier; keep its timing
        build = {"wall_seconds": round(time.time() - started, 1),
                 "machine": f"{os.cpu_count()} cores, {_cpu_model()}",
                 "date": time.strftime("%Y-%m-%d")}
    build.update(n_train=n_train, n_val=n_val, n_pool=n_pool, n_test=n_test,
                 parameters=int(run.model.count_params()))
    metrics["build"] = build
    atomic.write_json(run_dir / "metrics.json", metrics)
    exp = Path(experiments).read_text() if Path(experiments).exists() else None
    atomic.write_text(run_dir / "MODEL_CARD.md", model_card.render(run_dir, exp))
    write_checksums(run_dir)
    print(json.dumps({k: scores[k] for k in ("pearson_r2_all", "pearson_score",
                                            "spearman_score")}, indent=2))


def install(run_dir, out: Path) -> None:
    """Copy a finished run to ``out``, replacing any previous one only once complete."""
    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(run_dir, staging)
    if out.exists():
        shutil.rmtree(out.with_name(out.name + ".old"), ignore_errors=True)
        out.rename(out.with_name(out.name + ".old"))
    staging.rename(out)
    shutil.rmtree(out.with_name(out.name + ".old"), ignore_errors=True)
    print(f"demo run written to {out}")


if __name__ == "__main__":
    sys.exit(main())
