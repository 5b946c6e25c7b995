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

* Defaults that learn at any scale: each preset's rate scaled to the batch, warm-up +
  cosine, bfloat16 arithmetic on accelerators; ``config.json`` records what they resolved
  to (``effective``).

The package: :mod:`.strategy` (devices, distribution, precision, :class:`TrainingError`),
:mod:`.schedules` (default rates, the batch-size rule, :class:`WarmupCosine`),
:mod:`.callbacks` (:class:`WholeSetValidation`, :class:`AtomicBackupAndRestore`),
:mod:`.finetune` (``--init-from``: a trained run's weights, the output scale refitted,
freezing) and :mod:`.fit` (:func:`train`, :func:`finish_run`). Their public names are
available here.
"""

from promoter_model.train.strategy import (
    TrainingError,
    accelerator,
    init_multi_host,
    resolve_distribution,
    resolve_precision,
    resolve_strategy,
    split_cpu,
)

# The Keras-based names are resolved on first use (PEP 562): importing them here would load
# TensorFlow (about 3 s) whenever the CLI imports TrainingError for its error handling.
_LAZY = {
    "HISTORY_COLUMNS": "callbacks", "MODE_CHECK_MIN": "callbacks",
    "MODE_CHECK_PASSES": "callbacks", "MODE_CHECK_SIZE": "callbacks",
    "AtomicBackupAndRestore": "callbacks", "WholeSetValidation": "callbacks",
    "mode_agreement": "callbacks", "training_mode_predict": "callbacks",
    "train": "fit", "finish_run": "fit", "resolve_effective": "fit",
    "WarmupCosine": "schedules", "resolve_schedule": "schedules", "scaled_lr": "schedules",
}

__all__ = ["TrainingError", "accelerator", "init_multi_host", "resolve_distribution",
           "resolve_precision", "resolve_strategy", "split_cpu", *_LAZY]


def __getattr__(name):
    """Resolve the callbacks/fit names (see ``_LAZY``) on first use."""
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(f"promoter_model.train.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
