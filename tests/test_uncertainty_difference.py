"""Pair-calibrated difference intervals: nominal coverage, far narrower than Bonferroni."""

from __future__ import annotations

import numpy as np
import pytest

from promoter_model.uncertainty import (
    LEVELS,
    Calibration,
    count_mismatches,
    fit_calibration,
    fit_differences,
)


def _pairs(n, seed):
    """Pairs whose two rows share most of their error (one model, nearly one input)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.5, n)
    y_ref = rng.normal(0, 1, n)
    y_alt = y_ref + rng.normal(0, 0.3, n)
    pred_ref = y_ref + shared + rng.normal(0, 0.05, n)
    pred_alt = y_alt + shared + rng.normal(0, 0.05, n)
    mism = rng.integers(1, 4, n)
    return y_alt, y_ref, pred_alt, pred_ref, mism


def test_pair_intervals_cover_at_their_level_and_are_narrow():
    y_alt, y_ref, p_alt, p_ref, m = _pairs(6000, 0)
    diff = fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS)
    assert diff.mismatches.tolist() == [1, 2, 3] and diff.counts.sum() == 6000
    cal = fit_calibration(np.r_[y_alt, y_ref], np.r_[p_alt, p_ref], n_bins=1)
    cal.differences = diff
    y_alt, y_ref, p_alt, p_ref, m = _pairs(6000, 1)
    lo, hi = cal.difference_interval(p_alt, p_ref, 0.9, mismatches=m)
    covered = np.mean((y_alt - y_ref >= lo) & (y_alt - y_ref <= hi))
    assert 0.88 <= covered <= 0.92
    bonf = cal.difference_half_width(p_alt, p_ref, 0.9)
    assert np.median(hi - lo) < 0.25 * np.median(2 * bonf)


def test_larger_edits_fall_back_to_bonferroni_and_round_trip():
    y_alt, y_ref, p_alt, p_ref, m = _pairs(3000, 2)
    m = np.where(m == 3, 2, m)  # no 3-base pairs: that group is not calibrated
    cal = fit_calibration(np.r_[y_alt, y_ref], np.r_[p_alt, p_ref], n_bins=1)
    cal.differences = fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS)
    again = Calibration.from_dict(cal.to_dict())
    assert again.differences.mismatches.tolist() == [1, 2]
    w = again.difference_half_width([0.1, 0.1, 0.1], [0.0, 0.0, 0.0], 0.9,
                                    mismatches=[1, 3, 7])
    bonf = again.bonferroni_half_width([0.1], [0.0], 0.9)[0]
    assert w[0] < bonf and w[1] == bonf and w[2] == bonf
    assert again.calibrated_pairs([1, 2, 3]).tolist() == [True, True, False]
    assert np.allclose(again.difference_half_width([0.1], [0.0], 0.9), bonf)


def test_too_few_pairs_and_malformed_files_are_refused():
    y_alt, y_ref, p_alt, p_ref, m = _pairs(50, 3)
    with pytest.raises(ValueError, match="no edit size has 100"):
        fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS)
    cal = fit_calibration(y_alt, p_alt, n_bins=1)
    d = cal.to_dict()
    d["differences"] = {"mismatches": [1], "counts": [5], "quantiles": [[0.1]]}
    with pytest.raises(ValueError, match="inconsistent"):
        Calibration.from_dict(d)
    d["differences"] = {"mismatches": [1], "counts": [5],
                        "quantiles": [[float("nan")] * len(LEVELS)]}
    with pytest.raises(ValueError, match="inconsistent"):
        Calibration.from_dict(d)


def test_mismatches_count_n_as_different():
    a = np.array([[0, 1, 2, 3], [0, 1, 2, 4]])
    r = np.array([[0, 1, 2, 2], [0, 1, 2, 4]])
    assert count_mismatches(a, r).tolist() == [1, 1]


def test_a_level_past_bonferronis_grid_works_where_every_pair_is_calibrated():
    y_alt, y_ref, p_alt, p_ref, m = _pairs(3000, 4)
    cal = fit_calibration(np.r_[y_alt, y_ref], np.r_[p_alt, p_ref], n_bins=1)
    cal.differences = fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS)
    lo, hi = cal.difference_interval([0.2], [0.0], 0.999, mismatches=[1])
    assert np.isfinite(hi - lo).all() or np.isinf(hi - lo).all()
    with pytest.raises(ValueError, match="above the highest calibrated"):
        cal.difference_interval([0.2], [0.0], 0.999, mismatches=[7])


def test_bins_of_the_predicted_change_give_each_size_of_change_its_coverage():
    """Where a larger predicted change has a larger error, one width per edit size
    over-covers small changes and under-covers large ones; bins by the predicted change's
    size bring each quarter of changes near the level (fresh pairs, 90%).
    """
    def pairs(n, seed):
        rng = np.random.default_rng(seed)
        y_ref = rng.normal(0, 1, n)
        effect = rng.normal(0, 0.3, n)
        pred_ref = y_ref + rng.normal(0, 0.05, n)
        pred_effect = effect + rng.normal(0, 0.02 + np.abs(effect), n)
        return y_ref + effect, y_ref, pred_ref + pred_effect, pred_ref, np.ones(n, int)

    y_alt, y_ref, p_alt, p_ref, m = pairs(20000, 5)
    cal = fit_calibration(np.r_[y_alt, y_ref], np.r_[p_alt, p_ref], n_bins=1)
    y_alt2, y_ref2, p_alt2, p_ref2, m2 = pairs(20000, 6)
    size = np.abs(p_alt2 - p_ref2)
    quarter = np.searchsorted(np.quantile(size, [0.25, 0.5, 0.75]), size)
    cover = {}
    for bins in (1, 10):
        cal.differences = fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS, n_bins=bins)
        assert len(cal.differences.edges[0]) == bins - 1
        lo, hi = cal.difference_interval(p_alt2, p_ref2, 0.9, mismatches=m2)
        hit = (y_alt2 - y_ref2 >= lo) & (y_alt2 - y_ref2 <= hi)
        assert 0.88 <= hit.mean() <= 0.92
        cover[bins] = [hit[quarter == q].mean() for q in range(4)]
    assert cover[1][0] > 0.95 and cover[1][3] < 0.85  # one width: wrong at both ends
    assert all(0.86 <= c <= 0.94 for c in cover[10])
    with pytest.raises(ValueError, match="binned by the predicted change"):
        cal.differences.half_width([1], 0.9)  # a bin cannot be picked without the change
    again = Calibration.from_dict(cal.to_dict())  # the bins survive the file
    w = again.difference_half_width([0.0, 0.0], [0.01, 1.0], 0.9, mismatches=[1, 1])
    assert w[0] < w[1]
    assert np.allclose(w, cal.difference_half_width([0.0, 0.0], [0.01, 1.0], 0.9,
                                                    mismatches=[1, 1]))


def test_a_file_without_bins_reads_as_one_bin_per_edit_size():
    y_alt, y_ref, p_alt, p_ref, m = _pairs(3000, 7)
    cal = fit_calibration(np.r_[y_alt, y_ref], np.r_[p_alt, p_ref], n_bins=1)
    cal.differences = fit_differences(y_alt, y_ref, p_alt, p_ref, m, LEVELS, n_bins=1)
    d = cal.to_dict()
    for key in ("edges", "bin_counts"):  # as written before the bins existed
        d["differences"].pop(key)
    again = Calibration.from_dict(d)
    assert [e.size for e in again.differences.edges] == [0, 0, 0]
    assert np.allclose(again.difference_half_width([0.3], [0.0], 0.9, mismatches=[2]),
                       cal.difference_half_width([0.3], [0.0], 0.9, mismatches=[2]))
