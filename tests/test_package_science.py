"""Science the app used to recompute, now in the package.

Percentiles against the measured distribution, the DREAM subset scores of public
predictions, and the ISM logo matrix.
"""

import numpy as np
import pytest

from promoter_model import dream
from promoter_model.interpret.ism_summary import logo_matrix, position_summary
from promoter_model.metrics import dream_scores
from promoter_model.sequence import one_hot


def test_percentile_counts_values_at_or_below():
    measured = np.array([3.0, 1.0, 2.0, 2.0])
    assert dream.percentile(measured, 2.0) == 75.0
    np.testing.assert_array_equal(dream.percentile(measured, [0.0, 1.0, 9.0]), [0, 25, 100])
    assert np.isnan(dream.percentile([], 1.0))


def test_public_scores_match_scoring_every_row():
    table = dream.load_test_table()
    subsets = dream.load_subsets()
    public = table["public_leaderboard"].to_numpy() == 1
    rng = np.random.default_rng(0)
    y = table["expression"].to_numpy(np.float64)
    noisy = y + rng.normal(scale=0.5, size=len(y))
    got = dream.public_scores(table.loc[public, "pos"], noisy[public])
    p = np.where(public, noisy, np.nan)
    want = dream_scores(np.where(public, y, np.nan), p, subsets)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], nan_ok=True)


def test_logo_matrix_is_minus_the_mean_substitution_effect(promoters):
    x = one_hot(promoters[:1])[0]
    x[5] = 0.0  # an N: unknown, no letter
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(110, 4)).astype(np.float32)
    scores[x.astype(bool)] = 0.0
    scores[5] = np.nan
    m = logo_matrix(scores, x)
    expected = x * -np.nan_to_num(position_summary(scores, "mean"))[:, None]
    np.testing.assert_allclose(m, expected, atol=1e-6)
    assert (m[5] == 0).all() and ((m != 0).sum(axis=1)[x.any(axis=1)] <= 1).all()
    # a string is encoded to the scores' length
    np.testing.assert_allclose(logo_matrix(scores, promoters[0])[6:], m[6:], atol=1e-6)
