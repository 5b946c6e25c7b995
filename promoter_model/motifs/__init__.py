"""Motifs: matrices, JASPAR, TOMTOM, TF-MoDISco-lite patterns and the stored results.

Nothing here runs a model: this package sits below :mod:`promoter_model.interpret`, whose
operations (the first-layer filters' JASPAR matches, motif discovery from attributions,
motif scans) call it. Discovery's driver, which does run the model, is
:mod:`promoter_model.interpret.discover`.

Modules
-------
pfm
    :class:`Motif` and position frequency matrices: normalising, consensus, the one
    :func:`information_content`, sampling, reverse complement, the MEME minimal format
    (:func:`to_meme`, :func:`read_meme`).
jaspar
    JASPAR CORE fungi motifs (offline, from pyjaspar's bundled databases),
    :func:`find_motif`, and the Tomtom-like matcher the first-layer filters use
    (:func:`match_all`: Pearson column scores, empirical null).
tomtom
    TOMTOM p-values (memelite) and Benjamini-Hochberg q-values of discovered patterns
    against JASPAR fungi.
modisco
    TF-MoDISco-lite settings for 110 bp inputs, the run, and each pattern's summary.
effects
    A pattern's effect: the predicted change when its seqlets are scrambled.
store
    ``RUN/motifs/discovered.json`` and ``.csv``: checked reading and writing, the CSV
    table, significant matches, and :func:`model_checksum` (the one rule for what
    identifies the model a stored result belongs to).
lookup
    :func:`resolve_motif`: a discovered pattern's name or a JASPAR ID or name.

Every public name is importable from here, e.g. ``from promoter_model.motifs import
find_motif, read_discovered``.
"""

from promoter_model.motifs.effects import EFFECT_METHOD, scramble_effects, scrambled_copies
from promoter_model.motifs.jaspar import (
    DEFAULT_RELEASE,
    aligned_pair,
    bundled_releases,
    find_motif,
    gumbel_p_values,
    jaspar_fungi_motifs,
    match_all,
    match_motifs,
    motif_similarity,
)
from promoter_model.motifs.lookup import resolve_motif
from promoter_model.motifs.modisco import (
    MIN_CORE_WIDTH,
    MIN_IC,
    MODISCO_SETTINGS,
    TRIM_THRESHOLD,
    run_modisco,
    summarise_pattern,
)
from promoter_model.motifs.pfm import (
    Motif,
    check_matrix,
    consensus,
    counts_to_pfm,
    information_content,
    read_meme,
    reverse_complement_pfm,
    sample_motif_sequence,
    to_meme,
)
from promoter_model.motifs.store import (
    CSV_COLUMNS,
    FORMAT,
    SIGNIFICANT_Q,
    VERSION,
    best_significant_match,
    csv_text,
    discovered_motifs,
    discovered_path,
    discovered_table,
    model_checksum,
    parse_discovered,
    pattern_label,
    pattern_role,
    read_discovered,
    read_discovered_file,
    write_discovered,
)
from promoter_model.motifs.tomtom import TOP_MATCHES, bh_q_values, tomtom_matches

__all__ = [
    "CSV_COLUMNS", "DEFAULT_RELEASE", "EFFECT_METHOD", "FORMAT", "MIN_CORE_WIDTH", "MIN_IC",
    "MODISCO_SETTINGS", "SIGNIFICANT_Q", "TOP_MATCHES", "TRIM_THRESHOLD", "VERSION",
    "aligned_pair", "best_significant_match", "bh_q_values", "bundled_releases", "check_matrix",
    "consensus", "counts_to_pfm", "csv_text", "discovered_motifs", "discovered_path",
    "discovered_table", "find_motif", "gumbel_p_values", "information_content",
    "jaspar_fungi_motifs", "match_all", "match_motifs", "model_checksum", "Motif",
    "motif_similarity", "parse_discovered", "pattern_label", "pattern_role", "read_discovered",
    "read_discovered_file", "read_meme", "resolve_motif", "reverse_complement_pfm",
    "run_modisco", "sample_motif_sequence", "scramble_effects", "scrambled_copies",
    "summarise_pattern", "to_meme", "tomtom_matches", "write_discovered",
]
