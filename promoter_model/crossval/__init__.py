"""Cross-validated ensembles: finalising one once its members are trained, and its card.

Modules
-------
finalize
    :func:`finalize_ensemble`: out-of-fold predictions of the hash folds the members were
    trained on, the conformal calibration fitted on them, public-leaderboard scores of the
    ensemble and of every member, all written as an ensemble folder;
    :func:`store_public_predictions` adds the stored public predictions to an older one.
card
    ``MODEL_CARD.md`` of such an ensemble, every number read from its metrics
    (:func:`render`).

This package sits above :mod:`promoter_model.predictor` (it predicts with the members and
loads the result as an ensemble); the folder format itself is
:mod:`promoter_model.runs.ensemble`. ``scripts/make_demo_ensemble.py`` trains the members
and calls :func:`finalize_ensemble`.
"""

from promoter_model.crossval.card import SHORTFALL, render
from promoter_model.crossval.finalize import (
    REPORT_LEVELS,
    UNIT,
    finalize_ensemble,
    pool_folds,
    reverse_complement_codes,
    store_public_predictions,
    write_table,
)

__all__ = ["REPORT_LEVELS", "SHORTFALL", "UNIT", "finalize_ensemble", "pool_folds", "render",
           "reverse_complement_codes", "store_public_predictions", "write_table"]
