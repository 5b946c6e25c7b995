"""The bundled cross-validated demo ensemble: its stored scores, coverage and calibration are
recomputed from its members and its out-of-fold file.

Skipped, with the reason, until ``assets/demo_ensemble/ensemble.json`` exists (written by
``scripts/make_demo_ensemble.py`` once every member is trained).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from promoter_model import dream
from promoter_model.metrics import dream_scores
from promoter_model.sequence import one_hot

ENSEMBLE = Path(__file__).resolve().parents[1] / "assets" / "demo_ensemble"
pytestmark = pytest.mark.skipif(
    not (ENSEMBLE / "ensemble.json").is_file(),
    reason="assets/demo_ensemble/ensemble.json does not exist yet: the demo ensemble is "
           "finalised by scripts/make_demo_ensemble.py once all its members are trained")


@pytest.fixture(scope="module")
def predictor():
    from promoter_model.predictor import load_predictor

    return load_predictor(ENSEMBLE)


def test_calibration_is_refitted_from_the_stored_oof_file(predictor):
    from promoter_model.uncertainty.calibration import fit_calibration

    cal = predictor.calibration
    assert cal is not None
    oof = pd.read_csv(ENSEMBLE / "oof.tsv.gz", sep="\t")
    used = oof[oof["calibrated"] == 1]
    assert len(oof) == predictor.metrics["build"]["n_pool"] == 62_058
    assert set(oof["fold"]) == set(range(len(predictor.members)))
    refit = fit_calibration(used["measured"], used["prediction"], n_bins=cal.n_bins)
    np.testing.assert_allclose(refit.edges, cal.edges, atol=1e-6)
    finite = np.isfinite(cal.quantiles)
    np.testing.assert_allclose(refit.quantiles[finite], cal.quantiles[finite], atol=1e-5)
    assert predictor.metrics["oof"]["n"] == len(used)


def test_the_public_predictions_are_stored_for_the_training_page():
    from promoter_model.runs import read_metrics
    from promoter_model.runs.ensemble import stored_public_predictions

    kept = stored_public_predictions(ENSEMBLE)
    t = dream.load_test_table()
    public = t["public_leaderboard"].to_numpy() == 1
    np.testing.assert_array_equal(kept["pos"], t.loc[public, "pos"])
    full = np.full(len(t), np.nan)
    full[public] = kept["prediction"]
    fresh = dream_scores(t["expression"].to_numpy(np.float64), full, dream.load_subsets())
    stored = read_metrics(ENSEMBLE)["dream_public_leaderboard"]
    for key in ("pearson_score", "pearson_r2_all", "pearson_r2_SNVs"):
        assert fresh[key] == pytest.approx(stored[key], abs=1e-5)
    assert (kept["sd"] > 0).all()


@pytest.mark.slow
def test_stored_public_scores_and_coverage_are_reproduced(predictor):
    """The members reproduce the stored public predictions and sd (on a seeded sample of
    1,500 of the 9,045 public rows: predicting all of them took 300-525 s of the suite),
    and the stored predictions give the stored scores and interval coverage on every row.
    """
    from promoter_model.runs.ensemble import stored_public_predictions
    from promoter_model.uncertainty.intervals import interval_from_mean

    df = dream.load_test_table()
    subsets = dream.load_subsets()
    public = df["public_leaderboard"].to_numpy() == 1
    kept = stored_public_predictions(ENSEMBLE)
    np.testing.assert_array_equal(kept["pos"], df.loc[public, "pos"])
    prediction, sd = kept["prediction"].to_numpy(np.float64), kept["sd"].to_numpy(np.float64)
    sample = np.sort(np.random.default_rng(0).choice(len(kept), 1500, replace=False))
    sequences = df.loc[public, "sequence"].to_numpy()[sample].tolist()
    iv = predictor.interval(one_hot(sequences), level=0.9)
    np.testing.assert_allclose(prediction[sample], iv.mean, atol=1e-5)
    np.testing.assert_allclose(sd[sample], iv.sd, atol=1e-5)
    # every public row, from the stored predictions the members were just shown to give
    y = df["expression"].to_numpy(np.float64)
    full = np.full(len(df), np.nan)
    full[public] = prediction
    fresh = dream_scores(y, full, subsets)
    stored = predictor.metrics["dream_public_leaderboard"]
    for key in ("pearson_score", "pearson_r2_all", "pearson_r2_SNVs", "spearman_score"):
        assert fresh[key] == pytest.approx(stored[key], abs=1e-4)
    whole = interval_from_mean(predictor, prediction, sd, 0.9)
    cov = float(np.mean((y[public] >= whole.lower) & (y[public] <= whole.upper)))
    assert cov == pytest.approx(predictor.metrics["interval"]["all"]["coverage"], abs=1e-3)
    # the ensemble is at least as good as its average member
    members = [m["dream_public_leaderboard"]["pearson_score"]
               for m in predictor.metrics["members"].values()]
    assert stored["pearson_score"] >= np.mean(members) - 1e-3
