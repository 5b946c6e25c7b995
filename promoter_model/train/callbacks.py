"""Training callbacks: whole-set validation metrics and atomic, resumable checkpoints.

:class:`WholeSetValidation` adds ``val_loss``, ``val_r2`` and ``val_pearson`` over the whole
validation split (and the inference- vs training-mode agreement check);
:class:`AtomicBackupAndRestore` commits each epoch atomically so a killed run resumes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from promoter_model import atomic
from promoter_model.metrics import pearson_r, r2_score, regression_metrics
from promoter_model.model.architectures import build_model
from promoter_model.model.predict import compiled

log = logging.getLogger("promoter_model.train")

HISTORY_COLUMNS = ["epoch", "loss", "val_loss", "val_r2", "val_pearson", "lr", "seconds",
                   "val_mode_r", "val_mode_r2"]
MODE_CHECK_SIZE = 256     # validation sequences in the fixed inference/training-mode check
MODE_CHECK_MIN = 0.8      # warn when r or R² between the two modes is below this
MODE_CHECK_PASSES = 8     # training-mode passes averaged (dropout draws)


# --------------------------------------------------------------------------- callbacks
def evaluate_dataset(model, dataset):
    """Predictions and labels over a whole (finite) dataset, as numpy arrays.

    Uses the compiled predictor of :mod:`promoter_model.model.predict` (a ``tf.function`` under
    TensorFlow, ``jax.jit`` of a stateless call under JAX) rather than op-by-op eager calls.
    """
    fn = compiled(model)
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
    inference = np.asarray(compiled(model)(X), dtype=np.float64).reshape(-1)
    training = training_mode_predict(model, X, passes)
    return pearson_r(training, inference), r2_score(training, inference)


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

    def __init__(self, dataset, model_config=None, precision="float32"):
        super().__init__()
        self.dataset = dataset
        self.model_config = model_config
        self.precision = precision
        self.check_batch = None
        self.twin = None

    def on_epoch_end(self, epoch, logs=None):
        # a model trained in mixed precision is saved in float32 (float32_export): its
        # validation scores are those of that float32 copy
        model = self.model
        if self.precision != "float32" and self.model_config is not None:
            model = self._twin()
        pred, y = evaluate_dataset(model, self.dataset)
        m = regression_metrics(y, pred)
        logs["val_loss"] = m["mse"]
        logs["val_r2"] = m["r2"]
        logs["val_pearson"] = m["pearson_r"]
        logs["val_mode_r"], logs["val_mode_r2"] = self._mode_agreement(epoch + 1)

    def _twin(self):
        """A dropout-free float32 copy of the model with its current weights."""
        if self.twin is None:
            self.twin = build_model(dataclasses.replace(self.model_config, dropout=0.0))
        self.twin.set_weights(self.model.get_weights())
        return self.twin

    def _mode_agreement(self, epoch: int) -> tuple[float, float]:
        if self.check_batch is None:
            self.check_batch = _first_sequences(self.dataset, MODE_CHECK_SIZE)
        if self.model_config is not None:
            # a dropout-free copy: the two modes then differ only in normalisation
            r, r2 = mode_agreement(self._twin(), self.check_batch, passes=1)
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

    def __init__(self, run_dir, monitor="val_r2", export=None):
        self.run_dir = Path(run_dir)
        super().__init__(backup_dir=str(self.run_dir / "checkpoint"),
                         delete_checkpoint=False)
        self.monitor = monitor
        self.export = export  # model -> the model saved as best.keras (float32_export)
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
            saved = self.export(self.model) if self.export else self.model
            atomic.save_model(saved, ckpt / "best.keras")
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



def float32_export(model_config):
    """``model -> float32 copy`` for :class:`AtomicBackupAndRestore` (one copy, reused).

    A run trained in mixed precision is saved in float32: its variables are float32
    already, so nothing is lost, and every tool (CPU inference, the exact windowed ISM)
    then predicts what the validation scores measured.
    """
    holder = []

    def export(model):
        if not holder:
            holder.append(build_model(model_config))
        holder[0].set_weights(model.get_weights())
        return holder[0]

    return export


def _current_lr(model) -> float:
    lr = model.optimizer.learning_rate
    try:
        return float(np.asarray(lr))
    except TypeError:  # a schedule
        return float(np.asarray(lr(model.optimizer.iterations)))
