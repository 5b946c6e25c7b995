"""p_up: the probability that a measured effect is positive (uncertainty/direction.py)."""

from __future__ import annotations

import numpy as np
import pytest

from promoter_model.uncertainty import (
    LEVELS,
    excluding_level,
    fit_calibration,
    fit_differences,
    p_up_calibrated,
    p_up_from_spread,
)


def _pairs(n, rng):
    y_ref = rng.normal(0, 1, n)
    y_alt = y_ref + rng.normal(0, 0.3, n)
    shared = rng.normal(0, 0.5, n)
    return (y_alt, y_ref, y_alt + shared + rng.normal(0, 0.15, n),
            y_ref + shared + rng.normal(0, 0.15, n), rng.integers(1, 4, n))


@pytest.fixture(scope="module")
def cal():
    y_alt, y_ref, p_alt, p_ref, m = _pairs(6000, np.random.default_rng(0))
    c = fit_calibration(np.r_[y_alt, y_ref], np.r_[p_alt, p_ref], n_bins=2)
    # groups by edit size only: the rule from interval to p_up is under test here; the
    # bins by predicted change are tested in test_uncertainty_difference
    c.differences = fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS, n_bins=1)
    return c


def test_level_is_where_the_difference_interval_starts_to_hold_zero(cal):
    rng = np.random.default_rng(1)
    _, _, p_alt, p_ref, m = _pairs(300, rng)
    m = np.where(rng.random(300) < 0.3, 5, m)  # some pairs get the Bonferroni bound
    level = excluding_level(cal, p_alt, p_ref, m)
    checked = 0
    for k in np.flatnonzero((level > 0) & (level < 0.99)):
        lo, hi = cal.difference_interval(p_alt[k], p_ref[k], level[k], mismatches=m[k])
        assert lo > 0 or hi < 0
        above = LEVELS[np.searchsorted(LEVELS, level[k] + 1e-9)]
        lo, hi = cal.difference_interval(p_alt[k], p_ref[k], above, mismatches=m[k])
        assert lo <= 0 <= hi
        checked += 1
    assert checked > 100


def test_p_up_is_calibrated_on_fresh_pairs(cal):
    y_alt, y_ref, p_alt, p_ref, m = _pairs(6000, np.random.default_rng(2))
    p = p_up_calibrated(cal, p_alt, p_ref, m)
    up = y_alt - y_ref > 0
    for lo, hi in [(0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)]:
        rows = (p >= lo) & (p < hi)
        assert rows.sum() > 300
        assert abs(up[rows].mean() - p[rows].mean()) < 0.06
    assert p.min() >= 0.0005 - 1e-12 and p.max() <= 0.9995 + 1e-12


def test_zero_effect_is_even_and_sign_follows_delta(cal):
    p = p_up_calibrated(cal, [0.3, 0.3, 5.0, -5.0], [0.3, 0.31, 0.0, 0.0], [1, 1, 1, 1])
    assert p[0] == 0.5 and 0.4 < p[1] < 0.5 and p[2] == pytest.approx(0.9995)
    assert p[3] == pytest.approx(0.0005)


def test_spread_p_up_is_the_normal_probability():
    effects = np.array([[1.0, -1.0, 0.0, 2.0], [3.0, -3.0, 0.0, 2.0]])  # 2 members
    p = p_up_from_spread(effects)
    assert p[0] == pytest.approx(0.9772498680518208)  # mean 2, sd 1: Phi(2)
    assert p[1] == pytest.approx(1 - 0.9772498680518208)
    assert p[2] == 0.5 and p[3] == 1.0
    assert np.isnan(p_up_from_spread(effects[:1])).all()
