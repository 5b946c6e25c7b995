"""Family-aware splits: no family on two sides, strata represented, balanced folds."""

from __future__ import annotations

import numpy as np
import pytest

from promoter_model.families.split import (
    check_family_split,
    family_folds,
    hashed_family_split,
    hold_out_families,
)


def _labels(seed=0, n_fam=500):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, size=n_fam)
    return np.repeat(np.arange(n_fam), sizes)[rng.permutation(sizes.sum())]


def test_folds_keep_families_whole_and_balanced():
    label = _labels()
    folds = family_folds(label, 5, seed=1)
    check_family_split(label, folds)
    counts = np.bincount(folds, minlength=5)
    assert counts.min() > 0 and counts.max() - counts.min() <= 29  # one family's size
    assert np.array_equal(folds, family_folds(label, 5, seed=1))


def test_held_out_families_cover_every_stratum():
    label = _labels(2)
    rng = np.random.default_rng(2)
    fam_stratum = rng.choice(["a", "b", "rare"], size=label.max() + 1, p=[0.6, 0.38, 0.02])
    strata = {s: fam_stratum[label] == s for s in ("a", "b", "rare")}
    test = hold_out_families(label, strata, fraction=0.2, seed=0)
    check_family_split(label, test)
    for s, mask in strata.items():
        share = (test & mask).sum() / mask.sum()
        assert share >= 0.2 and share < 0.5, (s, share)
    folds = family_folds(label, 4, exclude=test)
    assert (folds[test] == -1).all() and (folds[~test] >= 0).all()
    check_family_split(label, np.where(test, -1, folds))


def test_a_stratum_that_is_one_giant_family_is_held_out_whole():
    label = np.r_[np.zeros(300, int), np.arange(1, 701)]
    strata = {"giant": label == 0, "rest": label > 0}
    test = hold_out_families(label, strata, fraction=0.1, max_family_share=0.05)
    assert test[label == 0].all()
    assert 0.05 <= test[label > 0].mean() <= 0.15


def test_a_split_family_is_named():
    with pytest.raises(ValueError, match="1 families sit on more than one side"):
        check_family_split(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))


def test_hashed_split_follows_the_family_not_the_row():
    label = _labels(3)
    key = np.random.default_rng(3).integers(0, 2**63, size=len(label)).astype(np.uint64)
    split = hashed_family_split(label, key, 0.1, 0.1)
    check_family_split(label, split)
    shares = np.bincount(split, minlength=3) / len(split)
    assert 0.05 < shares[1] < 0.15 and 0.05 < shares[2] < 0.15
    order = np.random.default_rng(4).permutation(len(label))
    assert np.array_equal(hashed_family_split(label[order], key[order], 0.1, 0.1),
                          split[order])


def test_family_assignment_keeps_families_whole_and_excludes_test_relatives():
    from test_families_group import planted_library

    from promoter_model.families.group import variable_regions
    from promoter_model.families.split import family_assignment

    seqs, truth = planted_library(4)
    codes = variable_regions(seqs)
    split, summary = family_assignment(codes, val_fraction=0.3, test_fraction=0.2, seed=1)
    assert summary["families"] == len(set(truth)) and summary["excluded"] == 0
    check_family_split(truth, split)
    assert set(split) == {0, 1, 2}
    # a separate test file holding one mutant of series0: all of series0 is left out
    member = np.flatnonzero(truth == "series0")[1]
    mutant = codes[member].copy()
    mutant[40] = (mutant[40] + 1) % 4
    split, summary = family_assignment(codes, test_codes=mutant[None, :], val_fraction=0.3,
                                       test_fraction=0.0)
    assert (split[truth == "series0"] == -1).all()
    assert summary["excluded"] == (truth == "series0").sum()
    assert (split[truth != "series0"] >= 0).all()
    folds = [family_assignment(codes, fold=(i, 3), test_fraction=0.0)[0] for i in range(3)]
    assert (np.sum(folds, axis=0) == 1).all()  # each row validates in exactly one fold
    for f in folds:
        check_family_split(truth, f)


def _family_library(n_fam=300, per_family=8, seed=0):
    """Families of near copies whose level is a family effect plus small noise."""
    rng = np.random.default_rng(seed)
    parents = rng.integers(0, 4, size=(n_fam, 80)).astype(np.uint8)
    label = np.repeat(np.arange(n_fam), per_family)
    codes = parents[label].copy()
    rows = np.arange(len(codes))
    pos = rng.integers(0, 80, size=len(codes))  # one substitution a row: siblings <= 2 apart
    codes[rows, pos] = (codes[rows, pos] + rng.integers(1, 4, size=len(codes))) % 4
    y = rng.normal(0, 1, n_fam)[label] + rng.normal(0, 0.1, len(codes))
    return codes, label, y


def _nearest_neighbour_oof(codes, y, folds):
    """Out-of-fold predictions of a model that recalls its nearest training row within 3
    bases and otherwise predicts the training mean (a memoriser, the leak in miniature).
    """
    from promoter_model.families.novelty import nearest

    pred = np.empty(len(y))
    for f in np.unique(folds):
        test, train = folds == f, folds != f
        dist, row = nearest(codes[test], codes[train])
        recalled = y[train][row]
        pred[test] = np.where(dist <= 3, recalled, y[train].mean())
    return pred


def test_family_folds_calibrate_where_hash_folds_under_cover():
    """Intervals calibrated on out-of-fold residuals reach their level on held-out
    families only when the folds themselves keep families whole.
    """
    from promoter_model.families.novelty import nearest
    from promoter_model.uncertainty.calibration import fit_calibration

    codes, label, y = _family_library()
    test = hold_out_families(label, {"all": np.ones(len(label), bool)}, 0.25, seed=0)
    pool = ~test
    # the served model: the memoriser trained on the whole pool
    dist, row = nearest(codes[test], codes[pool])
    served = np.where(dist <= 3, y[pool][row], y[pool].mean())
    rng = np.random.default_rng(1)
    folds = {"hash": rng.integers(0, 5, size=pool.sum()),
             "family": family_folds(label[pool], 5, seed=1)}
    covered = {}
    for name, f in folds.items():
        oof = _nearest_neighbour_oof(codes[pool], y[pool], f)
        cal = fit_calibration(y[pool], oof, n_bins=1)
        lo, hi = cal.interval(served, 0.9)
        covered[name] = float(np.mean((y[test] >= lo) & (y[test] <= hi)))
    assert 0.85 <= covered["family"] <= 0.95, covered
    assert covered["hash"] < 0.5, covered
