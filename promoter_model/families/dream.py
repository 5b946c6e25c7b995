"""The DREAM 2022 test file split by family: the demo ensemble's test families and folds.

The 71,103 measured rows come in families (single-base series, motif tilings and
perturbations of a parent, overlapping native fragments). Every row's challenge subsets
are in ``data/test_subsets/*.csv`` (public and private rows alike); the single-base pairs
(the challenge's "SNVs") are recovered from the sequences: rows whose variable regions
differ at exactly one base.

``demo_split`` holds out whole families as the test set so that every subset is represented,
and deals the other families into ``k`` folds; ``split_subsets`` gives the subsets of one
part in the form :func:`promoter_model.metrics.dream_scores` scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promoter_model import dream
from promoter_model.families.group import group_families, near_copy_pairs, variable_regions
from promoter_model.families.split import check_family_split, family_folds, hold_out_families

SUBSET_DIR = Path(dream.__file__).resolve().parent / "data" / "test_subsets"
SINGLE_FILES = {"random": "all_random_seqs.csv", "yeast": "yeast_seqs.csv",
                "high": "high_exp_seqs.csv", "low": "low_exp_seqs.csv",
                "challenging": "challenging_seqs.csv"}
PAIR_FILES = {"motif_perturbation": "motif_perturbation_seqs.csv",
              "motif_tiling": "motif_tiling_seqs.csv"}
TEST_FRACTION = 0.15
SEED = 0


def snv_pairs(codes: np.ndarray) -> np.ndarray:
    """Row pairs whose variable regions differ at exactly one base, as ``[alt, ref]``.

    The challenge does not say which of a recovered pair is the reference, so the row
    with the higher ``pos`` is ``alt``; a pair's r² of differences does not depend on it.
    """
    codes = variable_regions(codes)
    pairs = near_copy_pairs(codes, max_mismatches=1)
    one = (codes[pairs[:, 0]] != codes[pairs[:, 1]]).sum(axis=1) == 1
    return pairs[one][:, ::-1].copy()


def all_subsets(table: pd.DataFrame | None = None, subset_dir=SUBSET_DIR) -> dict:
    """Every row's DREAM subsets: ``name -> pos array`` or ``name -> [[alt, ref], ...]``.

    Covers public and private rows; ``all`` is every row and ``SNVs`` the recovered pairs.
    """
    table = dream.load_test_table() if table is None else table
    out = {"all": table["pos"].to_numpy()}
    for name, file in SINGLE_FILES.items():
        out[name] = np.unique(pd.read_csv(Path(subset_dir) / file)["pos"].to_numpy())
    for name, file in PAIR_FILES.items():
        df = pd.read_csv(Path(subset_dir) / file)
        out[name] = df[["alt_pos", "ref_pos"]].to_numpy()
    out["SNVs"] = table["pos"].to_numpy()[snv_pairs(table["sequence"].tolist())]
    return out


def dream_families(table: pd.DataFrame | None = None, subsets: dict | None = None):
    """Families of the test file's rows (row order = ``pos``), with the alt/ref tables as
    explicit links; returns ``(Families, subsets)``.
    """
    table = dream.load_test_table() if table is None else table
    subsets = all_subsets(table) if subsets is None else subsets
    pairs = np.concatenate([subsets[name] for name in PAIR_FILES])
    return group_families(table["sequence"].tolist(), pairs=pairs), subsets


def strata_masks(subsets: dict, n: int) -> dict:
    """``name -> bool mask``: rows in each subset (both rows of a pair count)."""
    masks = {}
    for name, idx in subsets.items():
        if name == "all":
            continue
        mask = np.zeros(n, dtype=bool)
        mask[np.ravel(idx)] = True
        masks[name] = mask
    return masks


def demo_split(k: int = 5, fraction: float = TEST_FRACTION, seed: int = SEED,
               table: pd.DataFrame | None = None) -> tuple:
    """The demo ensemble's split of the test file: ``(split, summary)``.

    ``split`` has columns ``pos, family, fold``: ``fold`` is ``"test"`` for the held-out
    families and the member index ``"0"`` .. ``"k-1"`` for the rest, where member ``i`` is
    selected on fold ``i`` and trained on the others. ``summary`` counts families and rows.
    """
    table = dream.load_test_table() if table is None else table
    fams, subsets = dream_families(table)
    n = len(table)
    test = hold_out_families(fams.label, strata_masks(subsets, n), fraction, seed)
    folds = family_folds(fams.label, k, seed, exclude=test)
    fold = np.where(test, "test", folds.astype(str))
    check_family_split(fams.label, fold)
    split = pd.DataFrame({"pos": table["pos"].to_numpy(), "family": fams.label, "fold": fold})
    summary = fams.summary()
    summary.update({"test_rows": int(test.sum()),
                    "test_families": int(np.unique(fams.label[test]).size),
                    "fold_rows": [int((folds == i).sum()) for i in range(k)],
                    "fraction": fraction, "seed": seed, "k": k})
    return split, summary


def split_subsets(subsets: dict, rows: np.ndarray) -> dict:
    """The subsets restricted to ``rows`` (a bool mask by ``pos``): single subsets keep
    their rows inside, pair subsets the pairs with both rows inside.
    """
    rows = np.asarray(rows, dtype=bool)
    out = {}
    for name, idx in subsets.items():
        idx = np.asarray(idx)
        keep = rows[idx].all(axis=1) if idx.ndim == 2 else rows[idx]
        out[name] = idx[keep]
    return out


def test_family_rows(split: pd.DataFrame) -> np.ndarray:
    """Positions (``pos``), sorted, of the rows a family split holds out as its test
    families (``fold == "test"``).
    """
    test = split["fold"].astype(str).to_numpy() == "test"
    return np.sort(split["pos"].to_numpy()[test].astype(np.int64))


def never_trained_rows(split: pd.DataFrame, table: pd.DataFrame | None = None) -> np.ndarray:
    """Positions (``pos``) of test-file rows that no bundled model trained on.

    A row qualifies when it is in a held-out test family of ``split`` (the family-split
    ensemble never trained, selected or calibrated on its family) and is a public-leaderboard
    row (the hash-split models trained on the other rows only). The dashboard's examples
    come from these rows, so an example's measured value is never a training label.
    """
    table = dream.load_test_table() if table is None else table
    public = table.loc[table["public_leaderboard"].astype(bool), "pos"].astype(np.int64)
    return np.intersect1d(test_family_rows(split), public.to_numpy())


def held_out_rows(run_dir, table: pd.DataFrame | None = None) -> tuple[np.ndarray, str]:
    """Positions (``pos``) of test-file rows that the model in ``run_dir`` never trained on,
    and a sentence saying how that is known.

    A family-split ensemble (one with ``split.tsv.gz``) never trained, selected or
    calibrated on its test families: those rows. Any other model is taken to follow the
    hash-split convention of the earlier bundled models, which trained on every row but the
    public-leaderboard ones: the public rows, with the caveat that a user's run may differ.
    """
    from promoter_model.runs.ensemble import read_split

    table = dream.load_test_table() if table is None else table
    split = read_split(run_dir)
    if split is not None:
        test = test_family_rows(split)
        families = split.loc[split["pos"].isin(test), "family"].nunique()
        return test, (f"this ensemble's {len(test):,} test-family rows ({families:,} "
                      "families none of its members trained, selected or calibrated on)")
    public = table.loc[table["public_leaderboard"].astype(bool), "pos"].astype(int)
    return np.sort(public.to_numpy()), (
        "the public-leaderboard rows, which the hash-split bundled models never trained on; "
        "this model has no family split, so check its model card for what it trained on")
