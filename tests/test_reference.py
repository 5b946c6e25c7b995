"""interpret/reference.py: one reference set for the filter analysis (CLI and dashboard)."""

import numpy as np
import pytest

from promoter_model.interpret.reference import DEFAULT_N, filter_reference


def test_default_is_a_seeded_sample_of_the_bundled_training_data():
    X, y, described = filter_reference()
    assert X.shape == (DEFAULT_N, 110, 4) and y.shape == (DEFAULT_N,)
    assert np.isfinite(y).all()
    assert described.startswith(f"{DEFAULT_N} of ") and "train_demo.txt" in described
    assert described.endswith("seed 0") and "/" not in described  # no install path in it
    X2, y2, described2 = filter_reference()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert described2 == described
    X3, _, described3 = filter_reference(seed=1)
    assert described3 != described and not np.array_equal(X, X3)


def test_own_file_without_expression(tmp_path):
    f = tmp_path / "mine.txt"
    f.write_text("".join(f"{'ACGT'[k % 4] * 80}\n" for k in range(5)))
    X, y, described = filter_reference(f, n=3)
    assert X.shape == (3, 110, 4) and y is None
    assert described == f"3 of 5 sequences from {f}, seed 0"


def test_no_sequences_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="at least one sequence"):
        filter_reference(n=0)
