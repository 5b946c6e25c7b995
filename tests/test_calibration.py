"""Conformal calibration on synthetic data of known noise: nominal coverage at several levels,
monotone in the level, binned for heteroscedastic noise, Bonferroni difference intervals, and
a lossless round trip through calibration.json.
"""

import json

import numpy as np
import pytest

from promoter_model.uncertainty import coverage
from promoter_model.uncertainty.calibration import (
    Calibration,
    check_level,
    conformal_quantiles,
    fit_calibration,
    load_calibration,
)

LEVELS = (0.5, 0.8, 0.9, 0.95)


def draw(n, seed, hetero=False):
    """``y = f + N(0, sigma^2)``; with ``hetero`` sigma grows with f (0.1 to 0.9)."""
    rng = np.random.default_rng(seed)
    f = rng.uniform(-1, 1, n)
    sigma = 0.5 + 0.4 * f if hetero else np.full(n, 0.3)
    return f, f + rng.normal(size=n) * sigma, sigma


def test_conformal_quantile_is_the_finite_sample_order_statistic():
    s = np.arange(1, 10, dtype=float)  # 9 scores 1..9
    q = conformal_quantiles(s, [0.5, 0.9, 0.95])
    # rank ceil(10 * level): 5, 9, 10 (> n: infinite)
    assert q[0] == 5 and q[1] == 9 and np.isinf(q[2])


@pytest.mark.parametrize("hetero", [False, True])
def test_coverage_is_nominal_at_several_levels(hetero):
    f_cal, y_cal, _ = draw(20_000, seed=1, hetero=hetero)
    cal = fit_calibration(y_cal, f_cal, n_bins=10)
    f, y, sigma = draw(40_000, seed=2, hetero=hetero)
    for level in LEVELS:
        lo, hi = cal.interval(f, level)
        got = coverage(y, lo, hi)["coverage"]
        assert got == pytest.approx(level, abs=0.012), (level, got)
        if hetero:  # binned by the prediction: also right where the noise is small or large
            for part in (f < -0.5, f > 0.5):
                part_cov = np.mean((y[part] >= lo[part]) & (y[part] <= hi[part]))
                assert part_cov == pytest.approx(level, abs=0.03), (level, part_cov)
    if hetero:  # and the width follows the noise
        w = cal.half_width(np.array([-0.9, 0.9]), 0.9)
        assert w[1] > 3 * w[0]
        assert w[0] == pytest.approx(1.645 * 0.5 + 0.4 * -0.9 * 1.645, rel=0.2)


def test_one_bin_misses_conditional_coverage_under_heteroscedastic_noise():
    """What binning buys: a single pooled quantile over-covers quiet and under-covers noisy."""
    f_cal, y_cal, _ = draw(20_000, seed=1, hetero=True)
    cal = fit_calibration(y_cal, f_cal, n_bins=1)
    f, y, _ = draw(40_000, seed=2, hetero=True)
    lo, hi = cal.interval(f, 0.9)
    noisy = f > 0.5
    assert np.mean((y[noisy] >= lo[noisy]) & (y[noisy] <= hi[noisy])) < 0.85
    assert coverage(y, lo, hi)["coverage"] == pytest.approx(0.9, abs=0.012)


def test_width_is_monotone_in_level_and_any_level_works():
    f, y, _ = draw(5_000, seed=3, hetero=True)
    cal = fit_calibration(y, f, n_bins=5, min_per_bin=200)
    grid = np.linspace(0.01, 0.99, 197)
    w = np.stack([cal.half_width(f[:50], lv) for lv in grid])
    assert np.all(np.diff(w, axis=0) >= 0)
    # a level between grid points is never narrower than the grid level below it
    assert np.all(cal.half_width(f[:50], 0.9005) >= cal.half_width(f[:50], 0.9))
    with pytest.raises(ValueError, match="above the highest calibrated level"):
        cal.half_width(f[:5], 0.9995)
    for bad in (0, 1, 1.5, -0.1, float("nan"), "x"):
        with pytest.raises(ValueError, match="between 0 and 1|not a number"):
            check_level(bad)


def test_too_few_rows_per_bin_give_infinite_high_levels():
    cal = fit_calibration([0.0, 1.0, 2.0], [0.1, 0.9, 2.2], n_bins=10)
    assert cal.n_bins == 1
    assert np.isinf(cal.half_width([0.0], 0.9)[0])
    lo, hi = cal.interval([0.0], 0.9)
    assert coverage([5.0], lo, hi)["coverage"] == 1.0


def test_difference_interval_is_bonferroni_and_covers_independent_noise():
    f_cal, y_cal, _ = draw(20_000, seed=4)
    cal = fit_calibration(y_cal, f_cal, n_bins=4)
    fa, ya, _ = draw(20_000, seed=5)
    fr, yr, _ = draw(20_000, seed=6)
    lo, hi = cal.difference_interval(fa, fr, 0.9)
    w = cal.half_width(fa, 0.95) + cal.half_width(fr, 0.95)
    np.testing.assert_allclose(hi - lo, 2 * w)
    # conservative: the union bound covers at least the level
    assert coverage(ya - yr, lo, hi)["coverage"] >= 0.9


def test_round_trip_through_calibration_json(tmp_path):
    f, y, _ = draw(3_000, seed=7, hetero=True)
    cal = fit_calibration(y, f, n_bins=6, min_per_bin=100, info={"data": "synthetic"})
    cal.save(tmp_path / "calibration.json")
    back = load_calibration(tmp_path / "calibration.json")
    assert back.info["data"] == "synthetic" and back.n_bins == 6
    np.testing.assert_allclose(back.edges, cal.edges)
    for level in (0.1, 0.5, 0.9, 0.99, 0.999):
        np.testing.assert_allclose(back.half_width(f, level), cal.half_width(f, level),
                                   atol=1e-6)
    d = json.loads((tmp_path / "calibration.json").read_text())
    d["quantiles"] = d["quantiles"][:-1]
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="inconsistent"):
        load_calibration(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="not a calibration"):
        Calibration.from_dict({"format": "other"})
    assert cal.extrapolating([f.min() - 1, 0.0, f.max() + 1]).tolist() == [True, False, True]
