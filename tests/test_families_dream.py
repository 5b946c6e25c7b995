"""The DREAM test file split by family (the demo ensemble's split)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promoter_model import dream
from promoter_model.families.dream import (
    all_subsets,
    demo_split,
    never_trained_rows,
    snv_pairs,
    split_subsets,
)
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


def test_never_trained_rows_are_public_rows_of_held_out_families():
    table = pd.DataFrame({"pos": [10, 11, 12, 13, 14], "sequence": ["A"] * 5,
                          "expression": [0.0] * 5, "public_leaderboard": [1, 0, 1, 1, 0]})
    split = pd.DataFrame({"pos": [10, 11, 12, 13, 14], "family": [0, 0, 1, 2, 2],
                          "fold": ["test", "test", "0", "test", "1"]})
    assert never_trained_rows(split, table).tolist() == [10, 13]


def test_the_dashboards_examples_were_never_trained_on():
    """Every example the pages offer is a public row of a held-out test family of the
    shipped family split: no bundled model trained on its measured value.
    """
    from pathlib import Path

    from app.cache import data

    split_file = Path(__file__).resolve().parents[1] / "assets/family_ensemble/split.tsv.gz"
    split = pd.read_csv(split_file, sep="\t", dtype={"fold": str})
    table = dream.load_test_table()
    allowed = set(never_trained_rows(split, table).tolist())
    ex = data.examples.__wrapped__()
    seq_to_pos = dict(zip(table["sequence"], table["pos"]))
    assert len(ex) == 12 and set(ex["group"]) == {"native yeast", "high expresser",
                                                  "low expresser"}
    assert all(seq_to_pos[s] in allowed for s in ex["sequence"])


def test_held_out_rows_follow_the_models_own_split(tmp_path):
    """A family-split ensemble's never-trained rows are its test families; a model without
    a split gets the public rows, and the sentence says which.
    """
    from promoter_model.families.dream import held_out_rows
    from tests.family_fixture import build_family_ensemble
    from tests.toy_models import linear_ensemble

    ens = build_family_ensemble(tmp_path)
    table = pd.read_csv(tmp_path / "family_toy_test.tsv", sep="\t")
    split = pd.read_csv(ens / "split.tsv.gz", sep="\t", dtype={"fold": str})
    pos, how = held_out_rows(ens, table)
    assert pos.tolist() == sorted(split.loc[split["fold"] == "test", "pos"].tolist())
    assert "test-family rows" in how and f"{len(pos):,}" in how

    plain, _ = linear_ensemble(tmp_path / "plain")
    table["public_leaderboard"] = (table["pos"] % 7 == 0).astype(int)
    pos, how = held_out_rows(plain, table)
    assert pos.tolist() == table.loc[table["pos"] % 7 == 0, "pos"].tolist()
    assert "public-leaderboard rows" in how and "no family split" in how
