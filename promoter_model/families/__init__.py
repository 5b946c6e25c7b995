"""Sequence families: which rows are near copies of one another, and splits that respect it.

Modules
-------
group
    :func:`group_families`: near copies, shared long k-mers and explicit pairs, linked into
    families (connected components), vectorised for the 6.7M-row training file.
split
    Whole families on one side: :func:`hold_out_families` (a test set per stratum),
    :func:`family_folds` (balanced folds), :func:`family_assignment` (what
    ``prepare --split family`` uses), :func:`check_family_split`.
novelty
    How new a sequence is to a model: :class:`NoveltyIndex`, :func:`nearest` (exact
    distance to the nearest training sequence), :func:`describe`.
leakage
    :func:`leakage_report`: a test set's distances to its training set and the scores
    stratified by them.
dream
    The DREAM test file split by family: :func:`demo_split` (the demo ensemble's test
    families and folds), :func:`all_subsets`, :func:`split_subsets`, :func:`snv_pairs`,
    :func:`held_out_rows` (the rows a model never trained on).
"""

from promoter_model.families.group import Families, group_families, variable_regions
from promoter_model.families.leakage import leakage_report, stratified_scores
from promoter_model.families.novelty import NoveltyIndex, describe, nearest
from promoter_model.families.split import (
    check_family_split,
    family_assignment,
    family_folds,
    hold_out_families,
)

__all__ = ["Families", "NoveltyIndex", "check_family_split", "describe", "family_assignment",
           "family_folds", "group_families", "hold_out_families", "leakage_report", "nearest",
           "stratified_scores", "variable_regions"]
