"""Train the demo ensemble's cross-validated members, one at a time, resuming where it stopped.

    python scripts/make_demo_ensemble.py                 # every member not yet finished
    python scripts/make_demo_ensemble.py --members 2     # only member 2

Split by family (``promoter_model.families.dream.demo_split``): the 71,103 rows of
``assets/data/test_measured.tsv.gz`` are grouped into families (near copies, shared 30-mers,
the alt/ref tables); whole families are held out as the test set so that every challenge
subset is represented, and the other families are dealt into ``k`` folds of equal size. The
split is written once to ``OUT/split.tsv.gz`` (``pos, family, fold``; ``fold`` is the member
index or ``test``) and read back on every later run, so resumed members use the same split.
Member ``i`` is trained on the other folds and selected (best epoch by validation R²) on
fold ``i``, so the members' out-of-fold predictions together cover the pool once; the test
families are scored only, never trained, selected or calibrated on.

Each member is trained in ``WORK/members/fold-i`` (``train`` resumes an interrupted member
from its last finished epoch) and, once complete, copied to ``OUT/members/fold-i``; a member
already there is never retrained. Several processes may run at once (on 2 cores, two
one-thread processes trained 15-40 % more epochs an hour than one using both): each member is
claimed with a lock (``WORK/members/fold-i.lock``), and a member another process holds is
skipped. Each member's ``metrics.json`` records what its data were, its family fold and how
long it took.

When all ``k`` members are in ``OUT/members``, the ensemble is finalised
(:func:`promoter_model.crossval.finalize_ensemble`). Re-running it is safe; members'
predictions are cached in ``WORK/predictions``.

    python scripts/make_demo_ensemble.py --finalize-only   # members are all there
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

UNIT = "MAUDE-normalised expression"


def member_config(i: int, args):
    """The run config of member ``i`` (seeded by its index)."""
    from promoter_model.model.architectures import preset
    from promoter_model.model.config import RunConfig, TrainConfig

    return RunConfig(
        preset=args.preset, model=preset(args.preset),
        train=TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                          learning_rate=args.lr, lr_schedule="cosine", seed=i,
                          rc_augment=True),
        unit=UNIT,
        notes=(f"demo ensemble member {i} of {args.k}: trained on the other family folds "
               f"of the DREAM 2022 high-quality measurements, selected on family fold {i}; "
               "the test families held out"))


def describe_member(run_dir: Path, i: int, k: int, started_load: float) -> None:
    """Name each metric's data and the member's cost in its metrics.json (re-checksummed)."""
    from make_demo_model import _cpu_model

    from promoter_model import atomic
    from promoter_model.runs import read_history, read_metrics, write_checksums

    metrics = read_metrics(run_dir)
    if "build" in metrics:
        return
    metrics["validation"]["data"] = (f"family fold {i} of {k} of the training pool "
                                     f"(n={metrics['validation']['n']}), {UNIT}")
    metrics["test"]["data"] = ("held-out test families of test_measured.tsv.gz "
                               f"(n={metrics['test']['n']}; no family shared with training "
                               f"or validation), {UNIT}; scored only")
    history = read_history(run_dir)
    metrics["build"] = {"training_seconds": round(float(history["seconds"].sum()), 1),
                        "epochs": int(len(history)),
                        "machine": _machine(_cpu_model()),
                        "load_average_at_start": started_load,
                        "load_average_at_end": round(os.getloadavg()[0], 2),
                        "date": time.strftime("%Y-%m-%d")}
    metrics["unit"] = UNIT
    atomic.write_json(run_dir / "metrics.json", metrics)
    write_checksums(run_dir)


def _machine(cpu: str) -> str:
    """The host, and the accelerator when Keras trains on one (JAX on a GPU or TPU)."""
    import keras

    host = f"{os.cpu_count()} cores, {cpu}"
    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return (f"{jax.device_count()} x {device.device_kind} (Keras {keras.__version__} "
                    f"on JAX {jax.__version__}); host {host}")
    return host


def load_or_make_split(out: Path, k: int):
    """The family split: read from ``OUT/split.tsv.gz``, or made and written there once."""
    import pandas as pd

    from promoter_model import atomic
    from promoter_model.families.dream import demo_split

    path = out / "split.tsv.gz"
    if path.exists():
        split = pd.read_csv(path, sep="\t", dtype={"fold": str})
        folds = sorted(set(split["fold"]) - {"test"})
        if folds != [str(i) for i in range(k)]:
            raise SystemExit(f"{path} has folds {folds}, not 0..{k - 1}: remove it (and the "
                             "members trained on it) to make a new split")
        return split
    split, summary = demo_split(k)
    print(f"family split: {summary}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, gzip.compress(split.to_csv(sep="\t", index=False).encode(),
                                           mtime=0))
    return split


def write_fold_files(work: Path, split, i: int):
    """DREAM-format files of member ``i``: train (other folds), val (fold i), test."""
    from promoter_model import atomic, dream

    table = dream.load_test_table()
    fold = split["fold"].to_numpy()
    files = {}
    for name, rows in (("train", (fold != "test") & (fold != str(i))),
                       ("val", fold == str(i)), ("test", fold == "test")):
        df = table[rows]
        text = "\n".join(df["sequence"] + "\t" + df["expression"].map("{:.6f}".format))
        path = work / ("test.txt" if name == "test" else f"{name}-fold{i}.txt")
        if not path.exists() or path.read_text() != text + "\n":
            atomic.write_text(path, text + "\n")
        files[name] = path
    return files


def claim_member(work: Path, i: int):
    """An open file holding an exclusive lock on training member ``i``, or None when another
    process holds it. The lock lasts until the file is closed or the process ends (killed
    included). Where ``fcntl`` is missing (Windows), nothing is locked.
    """
    import contextlib

    try:
        import fcntl
    except ImportError:
        return contextlib.nullcontext()
    path = work / "members" / f"fold-{i}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a")  # noqa: SIM115 - the caller closes it (a context manager)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


def install_member(run_dir: Path, target: Path) -> None:
    """Copy a complete member into the bundled ensemble (staged, then renamed)."""
    from promoter_model.runs import check_run

    check_run(run_dir)
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(run_dir, staging, ignore=shutil.ignore_patterns("checkpoint"))
    check_run(staging)
    staging.rename(target)
    print(f"member written to {target}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "assets" / "family_ensemble"))
    parser.add_argument("--previous", default=str(ROOT / "assets" / "demo_ensemble"),
                        help="an earlier (hash-split) ensemble whose public-leaderboard "
                             "scores the card quotes as a labelled footnote")
    parser.add_argument("--work", default=str(ROOT / "build" / "ensemble"))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--members", default=None,
                        help="comma-separated member indices (default: all not finished)")
    parser.add_argument("--preset", default="compact")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--finalize-only", action="store_true",
                        help="train nothing; finalise the ensemble if every member is there")
    parser.add_argument("--prepare-only", action="store_true",
                        help="prepare the k folds' data in WORK and stop (e.g. before "
                             "copying WORK to a machine without TensorFlow)")
    parser.add_argument("--no-finalize", action="store_true",
                        help="train members only; do not finalise the ensemble")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from promoter_model import records
    from promoter_model.crossval.finalize import record_member_split
    from promoter_model.runs import RunError, check_run
    from promoter_model.train import train

    work, out = Path(args.work), Path(args.out)
    wanted = ([] if args.finalize_only else range(args.k) if args.members is None
              else [int(m) for m in args.members.split(",")])
    work.mkdir(parents=True, exist_ok=True)
    if args.finalize_only:
        return finalize(out, work, args.k, Path(args.previous))
    split = load_or_make_split(out, args.k)

    def prepare_fold(i: int) -> Path:
        """Fold ``i``'s data (train: the other folds; val: fold i; test: the test families)."""
        files = write_fold_files(work, split, i)
        data_dir = work / f"data-fold{i}"
        records.prepare(files["train"], data_dir, val_input=files["val"], test_fraction=0.0,
                        test_input=files["test"], seed=0, shard_size=20_000)
        return data_dir

    if args.prepare_only:
        for i in range(args.k):
            prepare_fold(i)
        print(f"prepared {args.k} folds in {work}", flush=True)
        return 0
    (out / "members").mkdir(parents=True, exist_ok=True)
    for i in wanted:
        target = out / "members" / f"fold-{i}"
        lock = claim_member(work, i)
        if lock is None:
            print(f"member {i}: another process is training it; skipped", flush=True)
            continue
        with lock:  # checked under the lock: another process may have just installed it
            try:
                check_run(target)
                print(f"member {i}: already in {target}", flush=True)
                continue
            except RunError:
                shutil.rmtree(target, ignore_errors=True)
            data_dir = prepare_fold(i)
            run_dir = work / "members" / f"fold-{i}"
            load = round(os.getloadavg()[0], 2)
            print(f"member {i}: training in {run_dir}", flush=True)
            train(data_dir, run_dir, member_config(i, args))
            describe_member(run_dir, i, args.k, load)
            record_member_split(run_dir, i, split)  # metrics.json: its family fold
            install_member(run_dir, target)
    if not args.no_finalize:
        return finalize(out, work, args.k, Path(args.previous))
    return 0


def previous_scores(folder: Path) -> dict | None:
    """The public-leaderboard scores of an earlier hash-split ensemble, for the card's
    footnote (None when there is none).
    """
    import json

    try:
        d = json.loads((folder / "metrics.json").read_text())["dream_public_leaderboard"]
    except (OSError, KeyError, ValueError):
        return None
    return {"label": f"The earlier demo ensemble ({folder.name}, split by sequence hash)",
            "pearson_score": d.get("pearson_score"), "pearson_r2_all": d.get("pearson_r2_all"),
            "data": d.get("data", "the public-leaderboard rows")}


def finalize(out: Path, work: Path, k: int, previous: Path) -> int:
    """Finalise the ensemble when all ``k`` members are installed (else say what is missing)."""
    from promoter_model.crossval.finalize import finalize_ensemble
    from promoter_model.runs import RunError, check_run

    missing = []
    for i in range(k):
        try:
            check_run(out / "members" / f"fold-{i}")
        except RunError:
            missing.append(str(i))
    if missing:
        print(f"not finalised: member(s) {', '.join(missing)} of {k} still to train",
              flush=True)
        return 0
    metrics = finalize_ensemble(out, k, cache=work / "predictions",
                                previous=previous_scores(previous),
                                progress=lambda msg: print(msg, flush=True))
    d, iv = metrics["test_families"], metrics["interval"]
    print(f"ensemble on the test families: pearson_score {d['pearson_score']:.4f}, r2 all "
          f"{d['pearson_r2_all']:.4f}; 90% interval coverage {iv['all']['coverage']:.3f} "
          f"(novel rows {iv['novel']['coverage']:.3f}); SNV pairs "
          f"{iv['SNVs']['coverage']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
