"""The DREAM test file split by family (the demo ensemble's split)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promoter_model import dream
from promoter_model.families.dream import all_subsets, demo_split, snv_pairs, split_subsets
from promoter_model.families.split import check_family_split


def test_snv_pairs_differ_at_one_base():
    table = dream.load_test_table().iloc[:3000]
    pairs = snv_pairs(table["sequence"].tolist())
    seqs = table["sequence"].to_numpy()
    assert len(pairs) > 100
    for alt, ref in pairs[:50]:
        assert sum(a != b for a, b in zip(seqs[alt], seqs[ref])) == 1
        assert alt > ref


def test_split_subsets_keep_pairs_whole():
    subsets = {"all": np.arange(6), "x": np.array([0, 3, 5]),
               "pairs": np.array([[0, 1], [2, 3], [4, 5]])}
    rows = np.array([True, True, False, True, False, True])
    out = split_subsets(subsets, rows)
    assert out["x"].tolist() == [0, 3, 5] and out["pairs"].tolist() == [[0, 1]]


@pytest.mark.slow
def test_the_shipped_demo_split_is_the_one_demo_split_makes(tmp_path):
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[1] / "assets" / "family_ensemble" / \
        "split.tsv.gz"
    split, summary = demo_split()
    stored = pd.read_csv(shipped, sep="\t", dtype={"fold": str})
    assert stored.equals(split.astype({"fold": str}))
    check_family_split(split["family"].to_numpy(), split["fold"].to_numpy())
    test = (split["fold"] == "test").to_numpy()
    subsets = split_subsets(all_subsets(), test)
    # every challenge subset has held-out rows
    for name in ("random", "yeast", "high", "low", "challenging", "SNVs",
                 "motif_perturbation", "motif_tiling"):
        assert len(subsets[name]) > 0, name
    assert 0.12 < test.mean() < 0.2
    assert summary["largest_family"] < 0.06 * len(split)
