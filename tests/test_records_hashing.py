"""Tests of promoter_model.records.hashing: the split of a seeded hash of the fitted sequence
is deterministic, independent of row order and chunking, has the requested fractions,
and gives cross-validation folds (``prepare`` with a fold validates on it).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_records import random_rows

from promoter_model import records as R
from promoter_model import sequence as S


def test_split_is_deterministic_and_order_independent():
    seqs, _ = random_rows(2000, seed=4)
    a = R.split_of(seqs, 7, 0.1, 0.1)
    assert a.dtype == np.int8 and set(np.unique(a)) == {0, 1, 2}
    np.testing.assert_array_equal(a, R.split_of(seqs, 7, 0.1, 0.1))
    perm = np.random.default_rng(0).permutation(len(seqs))
    np.testing.assert_array_equal(a[perm], R.split_of([seqs[i] for i in perm], 7, 0.1, 0.1))
    chunked = np.concatenate([R.split_of(seqs[i:i + 333], 7, 0.1, 0.1)
                              for i in range(0, len(seqs), 333)])
    np.testing.assert_array_equal(a, chunked)
    # codes and strings give the same answer; another seed gives another split
    np.testing.assert_array_equal(a, R.split_of(S.encode_codes(seqs), 7, 0.1, 0.1))
    assert (a != R.split_of(seqs, 8, 0.1, 0.1)).mean() > 0.1


def test_split_fractions_and_val_stable_when_test_dropped():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, (40_000, 110)).astype(np.uint8)
    which = R.split_of(codes, 0, 0.025, 0.025)
    # binomial sd for 1000 expected is ~31: +-150 is a ~5 sd band
    assert abs(int((which == 1).sum()) - 1000) < 150
    assert abs(int((which == 2).sum()) - 1000) < 150
    no_test = R.split_of(codes, 0, 0.025, 0.0)
    np.testing.assert_array_equal(no_test == 1, which == 1)
    assert not (no_test == 2).any()


def test_split_uses_fitted_content():
    core = "ACGT" * 27 + "AC"  # 110 bp
    same = [core, "GGGG" + core, core.lower(), core.replace("T", "U")]
    assert len(set(R.split_of(same * 50, 3, 0.3, 0.3).tolist())) == 1
    hashes = R.hash_codes(S.encode_codes(same), 3)
    assert len(set(hashes.tolist())) == 1


def test_k_folds_partition_every_sequence_once_and_keep_duplicates_together():
    seqs, _ = random_rows(3000, seed=6)
    seqs = seqs + seqs[:200]  # duplicates must share a fold
    folds = np.stack([R.split_of(seqs, 0, 0.0, 0.0, fold=(i, 5)) for i in range(5)])
    assert set(np.unique(folds)) == {0, 1}
    np.testing.assert_array_equal(folds.sum(axis=0), 1)  # validated exactly once
    sizes = folds.sum(axis=1)
    assert sizes.min() > 0.8 * len(seqs) / 5 and sizes.max() < 1.2 * len(seqs) / 5
    np.testing.assert_array_equal(folds[:, :200], folds[:, 3000:])
    with pytest.raises(ValueError, match="fold must be"):
        R.split_of(seqs, 0, 0.0, 0.0, fold=(5, 5))
    with pytest.raises(ValueError, match="test_fraction must be 0"):
        R.split_of(seqs, 0, 0.0, 0.1, fold=(0, 5))


def test_prepare_with_a_fold_validates_on_that_fold(tmp_path):
    seqs, y = random_rows(1200, seed=7)
    src = tmp_path / "in.txt"
    src.write_text("".join(f"{s}\t{v}\n" for s, v in zip(seqs, y)))
    m = R.prepare(src, tmp_path / "f2", fold=(2, 4), test_fraction=0.0)
    expected = R.split_of(seqs, 0, 0.0, 0.0, fold=(2, 4))
    assert m["splits"]["val"]["count"] == int((expected == 1).sum())
    assert m["splits"]["train"]["count"] == int((expected == 0).sum())
    assert m["settings"]["fold"] == [2, 4]
    codes, _ = R.load_split(tmp_path / "f2", "val")
    np.testing.assert_array_equal(np.sort(R.hash_codes(codes)),
                                  np.sort(R.hash_codes(S.encode_codes(
                                      [s for s, f in zip(seqs, expected) if f == 1]))))


def test_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="below 1"):
        R.split_of(["A" * 110], 0, 0.6, 0.4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        R.split_of(["A" * 110], 0, -0.1, 0.1)
