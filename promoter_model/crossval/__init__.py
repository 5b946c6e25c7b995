"""Cross-validated ensembles split by family: finalising one once its members are trained.

Modules
-------
finalize
    :func:`finalize_ensemble`: family-out-of-fold predictions of the folds the members were
    selected on, the conformal calibration (and its pair-difference intervals) fitted on
    them, scores of the ensemble and every member on the held-out test families, all
    written as an ensemble folder; :func:`store_public_predictions` adds the stored
    public-leaderboard predictions to an older, hash-split one.
score
    The test families' scores (:func:`family_scores`) and the intervals' coverage per
    subset and by distance to training (:func:`interval_report`).
card
    ``MODEL_CARD.md`` of such an ensemble, every number read from its metrics
    (:func:`render`).

This package sits above :mod:`promoter_model.predictor` (it predicts with the members and
loads the result as an ensemble); the folder format itself is
:mod:`promoter_model.runs.ensemble`. ``scripts/make_demo_ensemble.py`` writes the split,
trains the members and calls :func:`finalize_ensemble`.
"""

from promoter_model.crossval.card import SHORTFALL, render
from promoter_model.crossval.finalize import (
    UNIT,
    finalize_ensemble,
    reverse_complement_codes,
    store_public_predictions,
    write_table,
)
from promoter_model.crossval.score import REPORT_LEVELS, family_scores, interval_report

__all__ = ["REPORT_LEVELS", "SHORTFALL", "UNIT", "family_scores", "finalize_ensemble",
           "interval_report", "render", "reverse_complement_codes",
           "store_public_predictions", "write_table"]
