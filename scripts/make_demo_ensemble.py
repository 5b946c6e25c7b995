"""Train the demo ensemble's cross-validated members, one at a time, resuming where it stopped.

    python scripts/make_demo_ensemble.py                 # every member not yet finished
    python scripts/make_demo_ensemble.py --members 2     # only member 2

Training pool: the 62,058 rows of ``assets/data/test_measured.tsv.gz`` with
``public_leaderboard == 0``. It is split into ``k`` folds by a hash of each sequence
(``records.split_of(..., fold=(i, k))``: identical sequences share a fold). Member ``i`` is
trained on the other folds and selected (best epoch by validation R²) on fold ``i``, so the
members' out-of-fold predictions together cover the whole pool once. The 9,045
public-leaderboard rows are the test split of every member: scored, never trained, selected
or calibrated on.

Each member is trained in ``WORK/members/fold-i`` (``train`` resumes an interrupted member
from its last finished epoch) and, once complete, copied to ``OUT/members/fold-i``; a member
already there is never retrained. Its ``metrics.json`` records what its data were and how
long it took.

When all ``k`` members are in ``OUT/members``, the ensemble is finalised
(:func:`promoter_model.ensemble_build.finalize_ensemble`): out-of-fold and public
predictions, the reverse-complement decision, the conformal calibration, ``metrics.json``,
``oof.tsv.gz``, ``calibration.json`` and ``MODEL_CARD.md``. Re-running it is safe; members'
predictions are cached in ``WORK/predictions``.

    python scripts/make_demo_ensemble.py --finalize-only   # members are all there
    python scripts/make_demo_ensemble.py --store-public    # add public.tsv.gz to an
                                                           # ensemble finalised without it
"""

from __future__ import annotations

import argparse
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
    from promoter_model.architectures import preset
    from promoter_model.config import RunConfig, TrainConfig

    return RunConfig(
        preset=args.preset, model=preset(args.preset),
        train=TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                          learning_rate=args.lr, lr_schedule="cosine", seed=i,
                          rc_augment=True),
        unit=UNIT,
        notes=(f"demo ensemble member {i} of {args.k}: trained on the other folds of the "
               "DREAM 2022 high-quality training pool, selected on fold {i}; public "
               "leaderboard held out").replace("{i}", str(i)))


def describe_member(run_dir: Path, i: int, k: int, started_load: float) -> None:
    """Name each metric's data and the member's cost in its metrics.json (re-checksummed)."""
    from make_demo_model import _cpu_model

    from promoter_model import atomic
    from promoter_model.runs import read_history, read_metrics, write_checksums

    metrics = read_metrics(run_dir)
    if "build" in metrics:
        return
    metrics["validation"]["data"] = (f"hash fold {i} of {k} of the training pool "
                                     f"(n={metrics['validation']['n']}), {UNIT}")
    metrics["test"]["data"] = ("public-leaderboard rows of test_measured.tsv.gz "
                               f"(n={metrics['test']['n']}), {UNIT}; scored only")
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
    parser.add_argument("--out", default=str(ROOT / "assets" / "demo_ensemble"))
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
    parser.add_argument("--store-public", action="store_true",
                        help="only add public.tsv.gz (the public rows' predictions, which "
                             "the dashboard shows) to an ensemble finalised without it")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.store_public:
        from promoter_model.ensemble_build import store_public_predictions

        store_public_predictions(args.out, progress=lambda msg: print(msg, flush=True))
        return 0
    from make_demo_model import write_pool_files

    from promoter_model import records
    from promoter_model.runs import RunError, check_run
    from promoter_model.train import train

    work, out = Path(args.work), Path(args.out)
    wanted = ([] if args.finalize_only else range(args.k) if args.members is None
              else [int(m) for m in args.members.split(",")])
    pool_file, test_file, _n_pool, _n_test = write_pool_files(work)
    def prepare_fold(i: int) -> Path:
        """Fold ``i``'s data (train: the other folds; val: fold i; test: the public rows)."""
        data_dir = work / f"data-fold{i}"
        records.prepare(pool_file, data_dir, fold=(i, args.k), test_fraction=0.0,
                        test_input=test_file, seed=0, shard_size=20_000)
        return data_dir

    if args.prepare_only:
        for i in range(args.k):
            prepare_fold(i)
        print(f"prepared {args.k} folds in {work}", flush=True)
        return 0
    (out / "members").mkdir(parents=True, exist_ok=True)
    for i in wanted:
        target = out / "members" / f"fold-{i}"
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
        install_member(run_dir, target)
    if not args.no_finalize:
        return finalize(out, work, args.k)
    return 0


def finalize(out: Path, work: Path, k: int) -> int:
    """Finalise the ensemble when all ``k`` members are installed (else say what is missing)."""
    from promoter_model.ensemble_build import finalize_ensemble
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
                                progress=lambda msg: print(msg, flush=True))
    d = metrics["dream_public_leaderboard"]
    print(f"ensemble: pearson_score {d['pearson_score']:.4f}, r2 all "
          f"{d['pearson_r2_all']:.4f}; 90% interval coverage "
          f"{metrics['interval']['all']['coverage']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
