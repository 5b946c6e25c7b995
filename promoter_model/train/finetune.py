"""Start from a trained model: fine-tune a run, or one ensemble member, on a new library.

``train --init-from RUN`` builds the source run's architecture (in the new run's precision),
copies its weights (the source is loaded in safe mode, checksums first), then learns the
labels' scale afresh: the output layer is refitted by least squares so that ``a * old
prediction + b`` matches the new labels (:func:`refit_output_scale`). A library measured in
another unit or on another range starts from the old model's ranking on the new scale.
Training then updates every layer (``finetune="all"``) or the dense head only (``"head"``:
the stages before it are frozen, their BatchNormalization in inference mode).

Default peak rates (no ``--lr``): the preset's default rate times :data:`LR_FACTOR`; the
measurement behind them is in ``docs/training.md``, *Starting from a trained model*.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from promoter_model.model.architectures import HEAD_LAYERS, build_model
from promoter_model.model.config import RunConfig
from promoter_model.records.fs import sha256_file
from promoter_model.runs.ensemble import is_ensemble, read_ensemble_spec
from promoter_model.runs.run import RunError, check_run, load_run, resolve_under
from promoter_model.train.callbacks import evaluate_dataset
from promoter_model.train.strategy import TrainingError

MODES = ("all", "head")
LR_FACTOR = {"all": 0.1, "head": 1.0}   # x the preset's default peak rate
REFIT_ROWS = 200_000                     # training rows the output scale is refitted on


def source_run(path, member: int | None = None) -> Path:
    """The run folder to start from: ``path`` itself, or member ``member`` of an ensemble.

    Raises
    ------
    TrainingError
        An ensemble without ``member`` (or out of range), ``member`` for a single run, or a
        folder that is not a complete run.
    """
    path = Path(path)
    try:
        if is_ensemble(path):
            members = read_ensemble_spec(path)["members"]
            if member is None or not 0 <= member < len(members):
                raise TrainingError(
                    f"{path} is an ensemble of {len(members)} members: choose one with "
                    f"--init-member 0..{len(members) - 1}")
            path = resolve_under(path, members[member])
        elif member is not None:
            raise TrainingError(f"{path} is a single run; --init-member is for an ensemble "
                                "folder")
        check_run(path)
    except RunError as exc:
        raise TrainingError(f"--init-from: {exc}") from None
    return path


def source_config(path, member: int | None = None) -> RunConfig:
    """The config of the run :func:`source_run` selects (its preset and architecture)."""
    return RunConfig.from_json((source_run(path, member) / "config.json").read_text())


def initial_model(path, member: int | None, precision: str):
    """The source run's architecture in ``precision`` with its trained weights.

    Returns
    -------
    model : keras.Model
    info : dict
        ``run`` (the folder), ``model_sha256`` and ``source_precision``, for ``config.json``.
    """
    run_dir = source_run(path, member)
    run = load_run(run_dir)  # safe mode, after the checksums
    model = build_model(run.config.model, precision=precision)
    model.set_weights(run.model.get_weights())
    info = {"run": str(run_dir), "model_sha256": sha256_file(run_dir / "model.keras"),
            "source_precision": run.config.precision}
    return model, info


def refit_output_scale(model, dataset, max_rows: int = REFIT_ROWS) -> dict:
    """Refit the output layer so the model's predictions fit ``dataset``'s labels.

    Least squares ``y ~ a * prediction + b`` over the first ``max_rows`` rows of
    ``dataset`` (``(x, y)`` batches), folded into the ``expression`` layer (kernel ``* a``,
    bias ``* a + b``): the model then predicts ``a * old + b`` exactly.

    Returns
    -------
    dict
        ``scale`` (a), ``offset`` (b), ``rows``, and the Pearson r of the old predictions
        with the labels, ``r_before``.
    """
    pred, y = evaluate_dataset(model, _first_rows(dataset, max_rows))
    pred, y = pred.astype(np.float64), y.astype(np.float64)
    if len(y) < 2 or np.ptp(pred) == 0:
        raise TrainingError("cannot refit the output scale: fewer than 2 training rows, or "
                            "the source model predicts a constant")
    a, b = np.polyfit(pred, y, 1)
    layer = model.get_layer("expression")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel * a, bias * a + b])
    return {"scale": float(a), "offset": float(b), "rows": int(len(y)),
            "r_before": float(np.corrcoef(pred, y)[0, 1])}


def _first_rows(dataset, n: int):
    """The first ``n`` rows of a finite ``(x, y)`` batch iterable, batch by batch."""
    total = 0
    for x, y in dataset:
        if total >= n:
            return
        yield x, y
        total += len(np.asarray(y))


def freeze(model, mode: str) -> int:
    """Make only what ``mode`` trains trainable; returns the trainable parameter count.

    ``all``: every layer. ``head``: the dense head (``HEAD_LAYERS``); the stages before it
    are frozen, so their BatchNormalization runs in inference mode.
    """
    if mode not in MODES:
        raise TrainingError(f"unknown fine-tuning mode {mode!r}; use {' or '.join(MODES)}")
    for layer in model.layers:
        layer.trainable = mode == "all" or layer.name in HEAD_LAYERS
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))
