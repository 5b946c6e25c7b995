"""Designing promoters toward a target expression: a few edits, within constraints.

Modules
-------
objective
    What a design aims at (:class:`Objective`: reach a target, maximise or minimise, with an
    ensemble's spread penalised), :func:`design` (the driver: start, search, scoring, the
    results table and each design's path), :func:`held_out_check` and :func:`fasta_text`.
search
    The search strategies over base codes: greedy ISM-guided substitution, beam search, a
    genetic algorithm; one batched predictor call per step; :func:`diverse_best` (designs a
    minimum distance apart).
oligos
    Designs ready to order: :func:`oligos` (each insert between the user's cloning
    overhangs, checked DNA), :func:`check_overhang`, :func:`oligo_fasta`.
gain
    :func:`with_gain`: each design's gain over its start, with the interval of the
    measured gain (pair-calibrated for 1-3 mutations) where the predictor is calibrated.
constraints
    :class:`Constraints` (mutation budget, kept positions, forbidden sites such as the
    Golden Gate ones, GC range, homopolymers) checked over a batch of candidates, and
    :func:`parse_positions` for the ``--keep`` syntax.

``constraints``, ``oligos`` and ``search`` are imported here at once; the ``objective`` names are
resolved on first use (PEP 562): they load the predictor and Keras. What a design is and is
not: ``docs/design.md``.
"""

from promoter_model.design.constraints import (
    GOLDEN_GATE,
    Constraints,
    feasible,
    gc_fraction,
    longest_homopolymer,
    mutable_mask,
    parse_positions,
    site_hits,
    start_violations,
    variable_slice,
)
from promoter_model.design.oligos import check_overhang, oligo_fasta, oligos
from promoter_model.design.search import (
    beam,
    check_min_distance,
    diverse_best,
    genetic,
    greedy,
    neighbours,
)

_LAZY = dict.fromkeys(("MAX_DESIGNS", "OVERSAMPLE", "OBJECTIVES", "STRATEGIES",
                       "TABLE_COLUMNS", "Z90", "DesignResult",
                       "Objective", "decode_codes", "design", "fasta_text", "held_out_check",
                       "mutation_labels", "prepare_start", "random_start"), "objective")

__all__ = ["GOLDEN_GATE", "Constraints", "beam", "check_min_distance", "check_overhang",
           "diverse_best", "feasible", "oligo_fasta", "oligos", "gc_fraction", "genetic",
           "greedy", "longest_homopolymer", "mutable_mask", "neighbours", "parse_positions",
           "site_hits", "start_violations", "variable_slice", *_LAZY]


def __getattr__(name):
    """Resolve the ``objective`` names (see ``_LAZY``) on first use."""
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(f"promoter_model.design.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
