"""Motif grammar: where a site sits, how it faces, which partner it needs.

Every operation takes a predictor (a run or ensemble folder, a ``Predictor`` or a Keras
model; :func:`promoter_model.predictor.as_predictor`) and sequences or motifs, builds all
its sequences as one array, predicts them in one batched ``Predictor.predict_members``
call, and returns a tidy table: the members' mean, their sd (NaN for one run) and, where
the ensemble is calibrated and the quantity is a difference, the interval. Positions are
0-based in the 80 bp variable region. Results record their backgrounds' number, seed and
method in ``DataFrame.attrs`` (:func:`provenance` says it in a line).

Modules
-------
backgrounds
    Backgrounds drawn like the training data: seeded pool promoters, variable regions
    dinucleotide-shuffled (or as they are); never uniform random.
sites
    Motifs as sites to insert: JASPAR name or ID, discovered pattern, consensus or IUPAC;
    vectorised insertion.
core
    What the operations share: the 110 bp check, the batched prediction, members' mean and
    sd, calibrated difference bounds, provenance.
marginalize
    A motif inserted into N backgrounds: the effect's mean, sd over backgrounds and members.
position
    Position and orientation: the effect at every start of the variable region, both
    strands.
spacing
    A pair's interaction ``f(AB) - f(A) - f(B) + f(none)`` against spacing and the four
    relative orientations.
epistasis
    One sequence's pairwise interactions: all pairs of a window (strongest alternatives) or
    the grid of picked mutations.
instances
    Non-overlapping motif instances in one sequence (log-odds scan, relative score).
necessity
    CREME's necessity (instance shuffled) and sufficiency (instance alone in shuffled
    contexts) tests.
measured
    The DREAM ``motif_tiling`` and ``motif_perturbation`` pairs: tags parsed, measured
    against predicted ``alt - ref`` per motif (r, n, interval coverage).
tiling
    The model's position profile against the measured tiling profile, per motif, strand
    and background, with a sentence where they disagree.
"""

from promoter_model.grammar.backgrounds import (
    Backgrounds,
    as_backgrounds,
    default_pool,
    dinucleotide_shuffle,
    draw_backgrounds,
)
from promoter_model.grammar.core import provenance
from promoter_model.grammar.epistasis import epistasis, epistasis_grid, epistasis_window
from promoter_model.grammar.instances import find_instances
from promoter_model.grammar.marginalize import marginalize, marginalize_members
from promoter_model.grammar.measured import (
    load_pairs,
    measured_vs_predicted,
    pair_effects,
    parse_tags,
)
from promoter_model.grammar.necessity import necessity_sufficiency
from promoter_model.grammar.position import position_members, position_scan
from promoter_model.grammar.sites import Site, insert, resolve_site, site_from_text
from promoter_model.grammar.spacing import ORIENTATIONS, spacing_members, spacing_scan
from promoter_model.grammar.tiling import compare_profiles, scan_profiles, tiling_profiles

__all__ = [
    "Backgrounds", "ORIENTATIONS", "Site", "as_backgrounds", "compare_profiles",
    "default_pool", "dinucleotide_shuffle", "draw_backgrounds", "epistasis",
    "epistasis_grid", "epistasis_window", "find_instances", "insert", "load_pairs",
    "marginalize", "marginalize_members", "measured_vs_predicted", "necessity_sufficiency",
    "pair_effects", "parse_tags", "position_members", "position_scan", "provenance",
    "resolve_site", "scan_profiles", "site_from_text", "spacing_members", "spacing_scan",
    "tiling_profiles",
]
