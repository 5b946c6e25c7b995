"""``train``: build, compile and fit a model on prepared records; ``finish_run`` completes it."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import keras

from promoter_model import atomic, records
from promoter_model.metrics import regression_metrics
from promoter_model.model.architectures import build_model
from promoter_model.model.config import RunConfig
from promoter_model.runs.run import CHECKSUMMED, read_metrics, write_checksums
from promoter_model.train import finetune
from promoter_model.train.callbacks import (
    AtomicBackupAndRestore,
    WholeSetValidation,
    evaluate_dataset,
    float32_export,
)
from promoter_model.train.schedules import describe, make_optimizer, resolve_schedule
from promoter_model.train.strategy import (
    TrainingError,
    accelerator,
    resolve_distribution,
    resolve_precision,
)

log = logging.getLogger("promoter_model.train")

# --------------------------------------------------------------------------- training
#: ``PROMOTER_XLA=1`` (on, true, yes) compiles the train step of a single-device CPU-only
#: TensorFlow run with XLA. Off by default, as in Keras: on 2 cores XLA made the step of
#: ``compact`` 8x and of ``tiny`` 4x slower, and that of ``reference`` 1.5x faster at batch 32
#: (an earlier ablation) but 1.9x slower at batch 128 (docs/benchmarks.md, "XLA on the CPU").
XLA_ENV = "PROMOTER_XLA"


def xla_setting(config, replicas: int):
    """``"auto"`` (Keras's choice: XLA on JAX and GPUs, off on a CPU-only TensorFlow host),
    or ``True`` on a single-device CPU-only TensorFlow host where :data:`XLA_ENV` asks.

    With several replicas (MirroredStrategy over logical CPUs) the XLA step fails at graph
    execution, so ``"auto"`` is kept there whatever is asked.
    """
    if keras.backend.backend() != "tensorflow" or config.strategy == "tpu" or replicas > 1:
        return "auto"
    if os.environ.get(XLA_ENV, "").strip().lower() not in ("1", "on", "true", "yes"):
        return "auto"
    import tensorflow as tf  # only under the TensorFlow backend (JAX runs never import it)

    return True if not tf.config.list_logical_devices("GPU") else "auto"


def resolve_effective(config: RunConfig, steps_per_epoch: int, replicas: int,
                      device: str) -> dict:
    """What the run's settings resolve to here: rate, schedule, precision, batch, device.

    Written into ``config.json`` as ``effective`` and reused when the run resumes.
    """
    t = config.train
    factor, why = 1.0, ""
    if t.init_from:
        factor, why = finetune.LR_FACTOR[t.finetune], f"for fine-tuning ({t.finetune})"
    effective = resolve_schedule(t, config.preset, steps_per_epoch, factor, why)
    effective.update(precision=resolve_precision(t.precision, device),
                     batch_size=int(t.batch_size), steps_per_epoch=int(steps_per_epoch),
                     replicas=int(replicas), device=device,
                     backend=keras.backend.backend())
    return effective


def train(data_dir, run_dir, config: RunConfig, *, tpu: str | None = None,
          verbose: int | None = None, report=None, callbacks=()) -> dict:
    """Train a model on prepared TFRecords and write a complete run directory.

    Running the same call again continues an interrupted run, or returns at once if the run
    is already complete.

    Parameters
    ----------
    data_dir : str
        Output of ``promoter-model prepare`` (local or ``gs://``).
    run_dir : str or Path
        Where ``config.json``, ``model.keras``, ``history.csv``, ``metrics.json`` go.
    config : RunConfig
        With ``train.init_from`` set, the preset and architecture are the source run's.
    tpu : str, optional
    verbose : int, optional
        Keras verbosity; default: progress bar on a terminal, one line per epoch otherwise.
    report : callable, optional
        Called with one line saying the effective settings (learning rate and where it
        came from, schedule, precision, batch; the fine-tuning start); default: the log.
    callbacks : sequence of keras.callbacks.Callback
        Run after the package's own (e.g. timing in ``bench/gpu_scale.py``).

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    run_dir = Path(run_dir)
    report = report or log.info
    config.data_dir = str(data_dir)
    config.backend = keras.backend.backend()
    t = config.train
    if t.init_from:
        source = finetune.source_config(t.init_from, t.init_member)
        config.preset, config.model = source.preset, source.model
    cfg_path = run_dir / "config.json"
    previous = None
    if cfg_path.exists():
        previous = RunConfig.from_json(cfg_path.read_text())
        if _comparable(previous) != _comparable(config):
            raise TrainingError(
                f"{run_dir} holds a run with different settings; use a new --out folder "
                "(or delete this one) to start another run")
        if (run_dir / "checksums.json").exists():
            log.info("run %s is already complete", run_dir)
            _tidy_complete_run(run_dir)
            return read_metrics(run_dir)

    # check the data before writing anything: a corrupt shard leaves no run folder behind
    records.verify_shards(data_dir)
    manifest = records.read_manifest(data_dir)
    n_train = manifest["splits"]["train"]["count"]
    if n_train == 0:
        raise TrainingError(f"{data_dir}: the training split is empty")

    keras.utils.set_random_seed(t.seed)
    strategy = resolve_distribution(config.strategy, tpu)
    replicas = strategy.num_replicas_in_sync
    batch = t.batch_size
    drop = replicas > 1 or config.strategy == "tpu"
    steps = t.steps_per_epoch or max(1, (n_train // batch) if drop else -(-n_train // batch))
    # a resumed run keeps what it started with (rate, schedule, precision)
    config.effective = (dict(previous.effective) if previous is not None and previous.effective
                        else resolve_effective(config, steps, replicas,
                                               accelerator(strategy)))
    report(describe(config.effective))
    # with steps_per_epoch, epochs cross the split's end (ArrayBatches has no .repeat())
    train_ds = records.make_dataset(data_dir, "train", batch_size=batch, shuffle=True,
                                    seed=t.seed, drop_remainder=drop,
                                    rc_augment=t.rc_augment, shuffle_buffer=t.shuffle_buffer,
                                    repeat=bool(t.steps_per_epoch))
    val_split = "val" if manifest["splits"].get("val", {}).get("count", 0) else "train"
    val_ds = records.make_dataset(data_dir, val_split, batch_size=1024)

    precision = config.effective["precision"]
    resuming = (run_dir / "checkpoint" / "state.json").exists()
    with strategy.scope():
        model = build_model(config.model, precision=precision)
        if t.init_from:
            _start_from(model, config, data_dir, resuming, report)
        model.compile(optimizer=make_optimizer(config.effective, t.weight_decay), loss="mse",
                      jit_compile=xla_setting(config, replicas))
    if not cfg_path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_text(cfg_path, config.to_json() + "\n")

    export = float32_export(config.model) if precision != "float32" else None
    extra, callbacks = list(callbacks), [WholeSetValidation(val_ds, config.model, precision),
                                         AtomicBackupAndRestore(run_dir, export=export)]
    if t.lr_schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_r2", mode="max",
                                                           factor=0.5, patience=2))
    if t.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_r2", mode="max", patience=t.early_stopping_patience))
    callbacks += extra
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    log.info("training %s (%d parameters) on %d sequences, %d replica(s)",
             config.preset, model.count_params(), n_train, replicas)
    model.fit(train_ds, epochs=t.epochs, steps_per_epoch=steps, shuffle=False,
              callbacks=callbacks, verbose=verbose)

    return finish_run(run_dir, data_dir, val_split)


def _start_from(model, config: RunConfig, data_dir, resuming: bool, report) -> None:
    """Weights of ``train.init_from``, the output scale refitted, layers frozen by mode.

    On resume the checkpoint's weights replace these anyway; only the freezing is redone.
    """
    t = config.train
    if not resuming:
        source, info = finetune.initial_model(t.init_from, t.init_member,
                                              config.effective["precision"])
        model.set_weights(source.get_weights())
        refit = finetune.refit_output_scale(
            model, records.make_dataset(data_dir, "train", batch_size=1024))
        config.effective["init"] = {**info, "finetune": t.finetune, "output_refit": refit}
        report(f"starting from {info['run']}: output refitted as {refit['scale']:.4g} x "
               f"prediction + {refit['offset']:.4g} on {refit['rows']:,} training rows "
               f"(r {refit['r_before']:.3f}); training {t.finetune} layers")
    trainable = finetune.freeze(model, t.finetune)
    config.effective.setdefault("init", {})["trainable_parameters"] = trainable


def finish_run(run_dir, data_dir, val_split="val") -> dict:
    """Evaluate the best model on the held-out splits and mark the run complete."""
    run_dir = Path(run_dir)
    if not (run_dir / "model.keras").exists():
        raise TrainingError(f"{run_dir}: no model was saved (did any epoch finish?)")
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True, compile=False)
    manifest = records.read_manifest(data_dir)
    metrics = {}
    for split, key in ((val_split, "validation"), ("test", "test")):
        if manifest["splits"].get(split, {}).get("count", 0) == 0:
            continue
        pred, y = evaluate_dataset(model, records.make_dataset(data_dir, split,
                                                                batch_size=1024))
        m = regression_metrics(y, pred)
        m["data"] = f"{split} split of {data_dir} (n={m['n']}; labels as in the input file)"
        metrics[key] = m
    # how the rows were split: by family (no near copy on two sides) or by sequence hash
    metrics["split"] = manifest.get("split") or {"method": "hash"}
    atomic.write_json(run_dir / "metrics.json", metrics)
    write_checksums(run_dir)
    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    return metrics


def _tidy_complete_run(run_dir: Path) -> None:
    """Remove what an interrupted end of training left in a complete run.

    ``finish_run`` writes ``checksums.json`` (the run is complete) and then removes
    ``checkpoint/``; a kill between the two, or during an atomic write, leaves the folder or
    a ``.NAME.*.tmp`` file behind. Re-running the same command removes them.
    """
    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    for name in CHECKSUMMED + ("checksums.json", "MODEL_CARD.md"):
        atomic.remove_stale_tmp(run_dir / name, min_age=0)


def _comparable(cfg: RunConfig) -> dict:
    """The settings a command asks for (not what they resolved to, nor the notes)."""
    d = cfg.to_dict()
    d.pop("notes", None)
    d.pop("effective", None)
    return d
