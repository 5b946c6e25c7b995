"""Sequence families: which rows are near copies of one another, and splits that respect it.

Modules
-------
group
    ``group_families``: near copies, shared long k-mers and explicit pairs, linked into
    families (connected components), vectorised for the 6.7M-row training file.
"""

from promoter_model.families.group import Families, group_families, variable_regions

__all__ = ["Families", "group_families", "variable_regions"]
