"""Training on an existing distributed engine, with whole-set validation metrics and resume.

* Distribution: ``tf.distribute`` (default strategy, ``MirroredStrategy`` over several GPUs or
  logical CPUs, ``TPUStrategy`` when a TPU resolves) under the TensorFlow backend, and
  ``keras.distribution.DataParallel`` under the JAX backend (the route to TPU pods and
  multi-host GPU, see ``docs/training.md``). The model is built and compiled inside the scope.
* Validation R² and Pearson r are computed over the **whole** validation split at each
  epoch end (not averaged over batches), and the best model by validation R² is kept.
* Resume: :class:`AtomicBackupAndRestore` (Keras's ``BackupAndRestore`` with atomic,
  epoch-named commits) lets the same command continue a run killed at any moment, losing at
  most the current epoch. Every file of the run is written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic
from .config import RunConfig
from .metrics import pearson_r, r2_score, regression_metrics

log = logging.getLogger("promoter_model.train")

HISTORY_COLUMNS = ["epoch", "loss", "val_loss", "val_r2", "val_pearson", "lr", "seconds",
                   "val_mode_r", "val_mode_r2"]
MODE_CHECK_SIZE = 256     # validation sequences in the fixed inference/training-mode check
MODE_CHECK_MIN = 0.8      # warn when r or R² between the two modes is below this
MODE_CHECK_PASSES = 8     # training-mode passes averaged (dropout draws)


class TrainingError(RuntimeError):
    """A training run that cannot start or continue, with the reason."""


# --------------------------------------------------------------------------- devices
def split_cpu(n: int) -> None:
    """Split the host CPU into ``n`` logical devices (to exercise multi-device code on CPU).

    Must run before TensorFlow initialises its devices.
    """
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError as exc:
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise TrainingError(f"cannot split the CPU into {n} devices after TensorFlow "
                                f"started ({exc})") from None


def init_multi_host(force: bool = False) -> bool:
    """Join a multi-host JAX job (TPU pod slice, several GPU hosts) before anything runs.

    Calls ``keras.distribution.initialize()`` (i.e. ``jax.distributed.initialize``) when
    ``force`` is set or ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` or
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` is in the environment; on a Cloud TPU pod the
    coordinator, process count and index are discovered from the TPU metadata. Must run
    before any JAX computation. Returns whether it initialised. No-op under other backends.
    """
    import keras

    if keras.backend.backend() != "jax":
        return False
    if not (force or os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
            or os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES")):
        return False
    keras.distribution.initialize()
    import jax

    log.info("multi-host JAX: process %d of %d, %d local / %d global devices",
             jax.process_index(), jax.process_count(), jax.local_device_count(),
             jax.device_count())
    return True


def _tpu_visible() -> bool:
    return bool(os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR")
                or os.environ.get("TPU_WORKER_HOSTNAMES") or Path("/dev/accel0").exists()
                or Path("/dev/vfio").exists() and os.environ.get("TPU_ACCELERATOR_TYPE"))


def resolve_strategy(name: str = "auto", tpu: str | None = None):
    """Choose a ``tf.distribute`` strategy.

    Parameters
    ----------
    name : {"auto", "default", "mirrored", "tpu"}
        ``auto``: TPUStrategy when a TPU resolves, MirroredStrategy on several GPUs, the
        default strategy otherwise. ``mirrored`` on a machine without GPUs mirrors over the
        logical CPU devices (see :func:`split_cpu`).
    tpu : str, optional
        TPU name or address for the cluster resolver ('' or None: the local TPU VM).

    Returns
    -------
    tf.distribute.Strategy
    """
    import tensorflow as tf

    if name not in ("auto", "default", "mirrored", "tpu"):
        raise TrainingError(f"unknown strategy {name!r}; use auto, default, mirrored or tpu")
    if name == "tpu" or (name == "auto" and (tpu or _tpu_visible())):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as exc:
            if name == "tpu":
                raise TrainingError(f"no TPU could be resolved ({exc}); see docs/training.md"
                                    " for the supported TPU routes") from None
            log.info("no TPU resolved (%s); falling back", exc)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "auto" and len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


class _NoScope:
    num_replicas_in_sync = 1

    def scope(self):
        import contextlib

        return contextlib.nullcontext()


def resolve_distribution(name: str = "auto", tpu: str | None = None):
    """The distribution for the active Keras backend.

    Under TensorFlow, a ``tf.distribute`` strategy (:func:`resolve_strategy`). Under JAX,
    ``keras.distribution.DataParallel`` over all devices is set globally when there is more
    than one device (or ``name='mirrored'``), and a no-op scope is returned.
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        return resolve_strategy(name, tpu)
    if keras.backend.backend() == "jax":
        import jax

        devices = jax.devices()
        scope = _NoScope()
        if name in ("mirrored", "tpu") or (name == "auto" and len(devices) > 1):
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            scope.num_replicas_in_sync = len(devices)
        return scope
    return _NoScope()


# --------------------------------------------------------------------------- callbacks
def _evaluate_dataset(model, dataset):
    """Predictions and labels over a whole (finite) dataset, as numpy arrays.

    Uses the compiled predictor of :mod:`promoter_model.predict` (a ``tf.function`` under
    TensorFlow, ``jax.jit`` of a stateless call under JAX) rather than op-by-op eager calls.
    """
    from .predict import _compiled

    fn = _compiled(model)
    preds, ys = [], []
    for x, y in dataset:
        preds.append(np.asarray(fn(np.asarray(x, dtype=np.float32))).reshape(-1))
        ys.append(np.asarray(y).reshape(-1))
    if not preds:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(preds), np.concatenate(ys)


def _first_sequences(dataset, n: int) -> np.ndarray:
    """Return the first ``n`` one-hot sequences of a (finite, unshuffled) dataset."""
    xs, total = [], 0
    for x, _y in dataset:
        xs.append(np.asarray(x, dtype=np.float32))
        total += len(xs[-1])
        if total >= n:
            break
    return np.concatenate(xs)[:n]


def training_mode_predict(model, X, passes: int = MODE_CHECK_PASSES) -> np.ndarray:
    """Training-mode predictions of ``X``, averaged over ``passes`` dropout draws, shape (n,).

    BatchNormalization uses the batch's own statistics here. The passes are stateless: they
    read the model's variables and update none of them (no moving statistics, no seed
    state), so calling this changes nothing.
    """
    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]
    total = np.zeros(len(X))
    for _ in range(passes):
        out, frozen = model.stateless_call(trainable, frozen, X, training=True)
        total += np.asarray(out, dtype=np.float64).reshape(-1)
    return total / passes


def mode_agreement(model, X, passes: int = MODE_CHECK_PASSES) -> tuple[float, float]:
    """How well inference-mode predictions of ``X`` reproduce training-mode ones.

    Returns
    -------
    (r, r2) : tuple of float
        Pearson r, and R² of the inference-mode predictions against the training-mode ones
        (averaged over dropout draws, see :func:`training_mode_predict`). Lagging
        normalisation statistics show as a low r (collapsed predictions) or a low R² (right
        order, wrong scale or offset).
    """
    from .predict import _compiled

    inference = np.asarray(_compiled(model)(X), dtype=np.float64).reshape(-1)
    training = training_mode_predict(model, X, passes)
    return pearson_r(training, inference), r2_score(training, inference)


def _make_callbacks_base():
    import keras

    class WholeSetValidation(keras.callbacks.Callback):
        """Add ``val_loss`` (MSE), ``val_r2``, ``val_pearson`` over the whole val split.

        Also ``val_mode_r`` and ``val_mode_r2``: agreement of inference-mode with
        training-mode predictions on a fixed batch of validation sequences
        (:func:`mode_agreement`, on a dropout-free copy of the model when its config is
        given, so that only the normalisation differs), with a warning naming the epoch when
        either is below ``MODE_CHECK_MIN``: BatchNormalization statistics that lag behind
        the weights make inference-mode predictions collapse while training-mode ones are
        fine.
        """

        def __init__(self, dataset, model_config=None):
            super().__init__()
            self.dataset = dataset
            self.model_config = model_config
            self.check_batch = None
            self.twin = None

        def on_epoch_end(self, epoch, logs=None):
            pred, y = _evaluate_dataset(self.model, self.dataset)
            m = regression_metrics(y, pred)
            logs["val_loss"] = m["mse"]
            logs["val_r2"] = m["r2"]
            logs["val_pearson"] = m["pearson_r"]
            logs["val_mode_r"], logs["val_mode_r2"] = self._mode_agreement(epoch + 1)

        def _mode_agreement(self, epoch: int) -> tuple[float, float]:
            if self.check_batch is None:
                self.check_batch = _first_sequences(self.dataset, MODE_CHECK_SIZE)
            if self.model_config is not None:
                # a dropout-free copy: the two modes then differ only in normalisation
                if self.twin is None:
                    from .architectures import build_model

                    self.twin = build_model(dataclasses.replace(self.model_config,
                                                                dropout=0.0))
                self.twin.set_weights(self.model.get_weights())
                r, r2 = mode_agreement(self.twin, self.check_batch, passes=1)
            else:
                r, r2 = mode_agreement(self.model, self.check_batch)
            if not (r >= MODE_CHECK_MIN and r2 >= MODE_CHECK_MIN):
                log.warning(
                    "epoch %d: inference-mode predictions disagree with training-mode ones on "
                    "%d validation sequences (Pearson r %.3f, R² %.3f; below %.2f): the "
                    "model's BatchNormalization statistics may lag behind its weights (see "
                    "docs/model.md, 'BatchNormalization momentum')",
                    epoch, len(self.check_batch), r, r2, MODE_CHECK_MIN)
            return r, r2

    class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
        """``BackupAndRestore`` whose commits are atomic and carry the run's history.

        Per epoch: weights go to ``epoch-K.weights.h5`` (atomic), the best model so far to
        ``best.keras``, then ``state.json`` (atomic) names them: that rename is the commit.
        A kill before it leaves the previous state whole. After the commit the run's
        ``history.csv`` and ``model.keras`` are refreshed from the state (idempotent, redone
        on resume).
        """

        def __init__(self, run_dir, monitor="val_r2"):
            self.run_dir = Path(run_dir)
            super().__init__(backup_dir=str(self.run_dir / "checkpoint"),
                             delete_checkpoint=False)
            self.monitor = monitor
            self.state_path = Path(self.backup_dir) / "state.json"
            self.state = {"epoch": 0, "history": [], "best": None, "best_epoch": None,
                          "weights": None}
            self._epoch_start = time.time()

        # restore
        def on_train_begin(self, logs=None):
            if self.state_path.exists():
                self.state = json.loads(self.state_path.read_text())
                weights = Path(self.backup_dir) / self.state["weights"]
                if not self.model.optimizer.built:
                    self.model.optimizer.build(self.model.trainable_variables)
                self.model.load_weights(weights)
                self.model._initial_epoch = self.state["epoch"]
                self._publish()
                log.info("resumed after epoch %d from %s", self.state["epoch"], weights)

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_start = time.time()

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            row = {"epoch": epoch + 1, "loss": float(logs.get("loss", np.nan)),
                   "val_loss": float(logs.get("val_loss", np.nan)),
                   "val_r2": float(logs.get("val_r2", np.nan)),
                   "val_pearson": float(logs.get("val_pearson", np.nan)),
                   "lr": _current_lr(self.model),
                   "seconds": round(time.time() - self._epoch_start, 2),
                   "val_mode_r": float(logs.get("val_mode_r", np.nan)),
                   "val_mode_r2": float(logs.get("val_mode_r2", np.nan))}
            ckpt = Path(self.backup_dir)
            ckpt.mkdir(parents=True, exist_ok=True)
            score = row[self.monitor]
            improved = np.isfinite(score) and (self.state["best"] is None
                                               or score > self.state["best"])
            if improved:
                atomic.save_model(self.model, ckpt / "best.keras")
            weights_name = f"epoch-{epoch + 1}.weights.h5"
            tmp = ckpt / f".tmp-{weights_name}"
            self.model.save_weights(tmp, overwrite=True)
            os.replace(tmp, ckpt / weights_name)
            old = self.state.get("weights")
            new_state = dict(self.state, epoch=epoch + 1, weights=weights_name,
                             history=self.state["history"] + [row])
            if improved:
                new_state.update(best=float(score), best_epoch=epoch + 1)
            atomic.write_json(self.state_path, new_state)  # the commit
            self.state = new_state
            if old and old != weights_name and (ckpt / old).exists():
                (ckpt / old).unlink()
            self._publish(improved)

        def _publish(self, model_changed=True):
            history = pd.DataFrame(self.state["history"], columns=HISTORY_COLUMNS)
            atomic.write_text(self.run_dir / "history.csv", history.to_csv(index=False))
            best = Path(self.backup_dir) / "best.keras"
            if model_changed and best.exists():
                atomic.write_bytes(self.run_dir / "model.keras", best.read_bytes())

        def on_train_batch_end(self, batch, logs=None):
            pass

        def on_train_end(self, logs=None):
            pass

    return WholeSetValidation, AtomicBackupAndRestore


def _current_lr(model) -> float:
    lr = model.optimizer.learning_rate
    try:
        return float(np.asarray(lr))
    except TypeError:  # a schedule
        return float(np.asarray(lr(model.optimizer.iterations)))


# --------------------------------------------------------------------------- training
def _make_optimizer(cfg, steps_per_epoch):
    import keras

    lr = cfg.train.learning_rate
    if cfg.train.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            lr, decay_steps=max(1, cfg.train.epochs * steps_per_epoch), alpha=0.01)
    if cfg.train.weight_decay > 0:
        return keras.optimizers.AdamW(lr, weight_decay=cfg.train.weight_decay)
    return keras.optimizers.Adam(lr)


def _jit_compile(config, replicas: int):
    """XLA for the train step on a single-device CPU host.

    Keras's ``"auto"`` turns XLA off on CPU-only TensorFlow hosts, but there it makes the
    reference preset's step ~1.5x faster (the LSTM loop is fused; docs/benchmarks.md). With
    several replicas (MirroredStrategy over logical CPUs) the XLA step fails at graph
    execution, so ``"auto"`` is kept there, and on GPU, TPU and JAX (which always compiles).
    """
    import keras

    if keras.backend.backend() != "tensorflow" or config.strategy == "tpu" or replicas > 1:
        return "auto"
    import tensorflow as tf

    return True if not tf.config.list_logical_devices("GPU") else "auto"


def train(data_dir, run_dir, config: RunConfig, *, tpu: str | None = None,
          verbose: int | None = None) -> dict:
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
    tpu : str, optional
    verbose : int, optional
        Keras verbosity; default: progress bar on a terminal, one line per epoch otherwise.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    import keras

    from . import records
    from .architectures import build_model
    from .runs import read_metrics

    run_dir = Path(run_dir)
    config.data_dir = str(data_dir)
    config.backend = keras.backend.backend()
    cfg_path = run_dir / "config.json"
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
    if not cfg_path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_text(cfg_path, config.to_json() + "\n")

    keras.utils.set_random_seed(config.train.seed)
    strategy = resolve_distribution(config.strategy, tpu)
    replicas = strategy.num_replicas_in_sync
    batch = config.train.batch_size
    drop = replicas > 1 or config.strategy == "tpu"
    train_ds = records.make_dataset(data_dir, "train", batch_size=batch, shuffle=True,
                                    seed=config.train.seed, drop_remainder=drop,
                                    rc_augment=config.train.rc_augment,
                                    shuffle_buffer=config.train.shuffle_buffer)
    steps = config.train.steps_per_epoch or max(1, (n_train // batch) if drop
                                                else -(-n_train // batch))
    if config.train.steps_per_epoch:
        train_ds = train_ds.repeat()
    val_split = "val" if manifest["splits"].get("val", {}).get("count", 0) else "train"
    val_ds = records.make_dataset(data_dir, val_split, batch_size=1024)

    with strategy.scope():
        model = build_model(config.model)
        model.compile(optimizer=_make_optimizer(config, steps), loss="mse",
                      jit_compile=_jit_compile(config, replicas))

    WholeSetValidation, AtomicBackupAndRestore = _make_callbacks_base()
    callbacks = [WholeSetValidation(val_ds, config.model), AtomicBackupAndRestore(run_dir)]
    if config.train.lr_schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_r2", mode="max",
                                                           factor=0.5, patience=2))
    if config.train.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_r2", mode="max", patience=config.train.early_stopping_patience))
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    log.info("training %s (%d parameters) on %d sequences, %d replica(s)",
             config.preset, model.count_params(), n_train, replicas)
    model.fit(train_ds, epochs=config.train.epochs, steps_per_epoch=steps, shuffle=False,
              callbacks=callbacks, verbose=verbose)

    return finish_run(run_dir, data_dir, val_split)


def finish_run(run_dir, data_dir, val_split="val") -> dict:
    """Evaluate the best model on the held-out splits and mark the run complete."""
    import shutil

    import keras

    from . import records
    from .runs import write_checksums

    run_dir = Path(run_dir)
    if not (run_dir / "model.keras").exists():
        raise TrainingError(f"{run_dir}: no model was saved (did any epoch finish?)")
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True, compile=False)
    manifest = records.read_manifest(data_dir)
    metrics = {}
    for split, key in ((val_split, "validation"), ("test", "test")):
        if manifest["splits"].get(split, {}).get("count", 0) == 0:
            continue
        pred, y = _evaluate_dataset(model, records.make_dataset(data_dir, split,
                                                                batch_size=1024))
        m = regression_metrics(y, pred)
        m["data"] = f"{split} split of {data_dir} (n={m['n']}; labels as in the input file)"
        metrics[key] = m
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
    import shutil

    from .runs import CHECKSUMMED

    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    for name in CHECKSUMMED + ("checksums.json", "MODEL_CARD.md"):
        atomic.remove_stale_tmp(run_dir / name, min_age=0)


def _comparable(cfg: RunConfig) -> dict:
    d = cfg.to_dict()
    d.pop("notes", None)
    return d
