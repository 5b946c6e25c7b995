"""Run and ensemble folders: the only places a model is loaded from.

Modules
-------
run
    A run folder (``config.json``, ``model.keras``, ``history.csv``, ``metrics.json``,
    ``checksums.json``, ``MODEL_CARD.md``): :func:`check_run`, :func:`load_run` (Keras safe
    mode), :func:`save_run`, :func:`write_checksums`, reading its history, metrics and card,
    :func:`resolve_under` and listing the runs under a folder.
safety
    The bounds checked before anything in a run is loaded or shown (no links, size caps,
    the model archive's members and parameter count) and :func:`plain_markdown`.
gate
    The one gate every file of a run or ensemble goes through: reads (no links, size from
    the directory entry, JSON depth and type, finite values) and writes (never the input,
    never through a link, only into existing folders, atomic): :func:`gate.read_json`,
    :func:`gate.check_write`, :func:`gate.write_bytes`.
ensemble
    The ensemble folder format (``ensemble.json`` naming member runs, optional calibration,
    out-of-fold and public-leaderboard predictions): :func:`read_ensemble_spec`,
    :func:`write_ensemble`, :func:`stored_public_predictions`, :func:`stored_test_predictions`,
    :func:`read_split`, :func:`read_novelty_index` and :func:`save_metrics` (a run's or an
    ensemble's ``metrics.json`` with its checksums).
catalog
    Which folders under a root are usable runs or ensembles, checked without loading a
    model (the dashboard's run picker).

Loading a folder as one model (a run or an ensemble) is
:func:`promoter_model.predictor.load_predictor`, above this package. File digests are
:func:`promoter_model.records.fs.sha256_file`.
"""

from promoter_model.runs.catalog import Entry, check_folder, scan
from promoter_model.runs.ensemble import (
    ENSEMBLE_CHECKSUMMED,
    ENSEMBLE_FILE,
    ENSEMBLE_FORMAT,
    NOVELTY_FILE,
    PUBLIC_COLUMNS,
    PUBLIC_FILE,
    PUBLIC_MAX_BYTES,
    SPLIT_FILE,
    TEST_COLUMNS,
    TEST_FILE,
    is_ensemble,
    read_ensemble_spec,
    read_novelty_index,
    read_split,
    save_metrics,
    stored_public_predictions,
    stored_test_predictions,
    update_checksums,
    write_ensemble,
)
from promoter_model.runs.run import (
    CARD,
    CHECKSUMMED,
    MAX_MODEL_CONFIG_BYTES,
    REQUIRED,
    Run,
    RunError,
    check_run,
    code_in_model,
    folders_under,
    list_runs,
    load_run,
    read_history,
    read_metrics,
    read_model_card,
    resolve_under,
    save_run,
    scan_runs,
    sha256_file,
    write_checksums,
)
from promoter_model.runs.safety import RunSafetyError, check_model_bounds, plain_markdown

__all__ = [
    "CARD", "CHECKSUMMED", "ENSEMBLE_CHECKSUMMED", "ENSEMBLE_FILE", "ENSEMBLE_FORMAT",
    "MAX_MODEL_CONFIG_BYTES", "PUBLIC_COLUMNS", "PUBLIC_FILE", "PUBLIC_MAX_BYTES", "REQUIRED",
    "Entry", "Run", "RunError", "RunSafetyError", "check_folder", "check_model_bounds",
    "check_run", "code_in_model", "folders_under", "is_ensemble", "list_runs", "load_run",
    "plain_markdown", "read_ensemble_spec", "read_history", "read_metrics",
    "read_model_card", "resolve_under", "save_run", "scan", "scan_runs", "sha256_file",
    "stored_public_predictions", "stored_test_predictions", "read_split", "save_metrics",
    "read_novelty_index", "NOVELTY_FILE", "SPLIT_FILE", "TEST_COLUMNS", "TEST_FILE",
    "update_checksums", "write_checksums", "write_ensemble",
]
