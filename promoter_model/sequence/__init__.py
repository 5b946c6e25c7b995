"""Promoter sequences: from text to ``(n, L, 4)`` arrays, and back.

Modules
-------
errors
    :class:`SequenceError` (record, line, position, character) and the wording for a bad base.
layout
    The 110 bp plasmid layout (flanks, the 80 bp variable region) and fitting a sequence to
    the model length (:func:`fit_to_length`, :func:`describe_fit`, :func:`fit_summary`).
encode
    Normalising, base codes, one-hot, reverse complements, :func:`as_batch` (strings or
    one-hot, one or many -> float32 ``(n, L, 4)``) and :func:`find_invalid`.
pastes
    Real pastes: GenBank and SnapGene text (:func:`parse_genbank`: header, position numbers
    and ``//`` stripped) and a sequence wrapped over lines (:func:`unwrap_lines`).
parse
    :class:`SequenceTable` and :func:`parse_text`: the DREAM, table, FASTA, GenBank and line
    formats, record checks, :func:`unique_ids`; what was stripped or joined in ``notes``.
pairs
    Pairs tables (a CSV/TSV with ``ref`` and ``alt`` columns, ``id`` kept):
    :func:`parse_pairs`, :func:`has_pair_columns`.
edits
    Edits in the user's own coordinates (``A45G``, ``45A>G``, ``del45-48``,
    ``ins45:ACGT``, several per variant separated by ``;``, ``offset`` for TSS-relative
    numbering): :func:`read_variant_list`, :func:`parse_variant_text`, :func:`apply_edits`
    (substitutions vectorised); reference bases checked against the wild type.
files
    :func:`read_sequences` (files and standard input under a size cap, gzip) and
    :func:`iter_dream_chunks` (the 6.7M-row DREAM table, streamed).

Each module imports only those above it in this list. Every public name is importable from
here: ``from promoter_model.sequence import one_hot, read_sequences``.
"""

from promoter_model.sequence.edits import (
    MAX_VARIANTS,
    NOTATION,
    Edit,
    VariantList,
    apply_edits,
    check_offset,
    parse_variant_text,
    read_variant_list,
    substitution_labels,
)
from promoter_model.sequence.encode import (
    as_batch,
    codes_to_one_hot,
    decode,
    encode_codes,
    encode_fitted,
    find_invalid,
    normalize,
    one_hot,
    reverse_complement,
    reverse_complement_one_hot,
)
from promoter_model.sequence.errors import IUPAC_AMBIGUITY, SequenceError, bad_char_message
from promoter_model.sequence.files import (
    DEFAULT_MAX_INPUT_MB,
    decode_text,
    iter_dream_chunks,
    max_input_bytes,
    normalize_many,
    read_capped,
    read_sequences,
)
from promoter_model.sequence.layout import (
    ALPHABET,
    DEFAULT_MAX_LENGTH,
    FIT_CONVENTION,
    FLANK_3,
    FLANK_5,
    LEGACY_FIT_CONVENTIONS,
    SEQ_LEN,
    VARIABLE_END,
    VARIABLE_LEN,
    VARIABLE_START,
    describe_fit,
    fit_summary,
    fit_to_length,
    placed_in_flanks,
)
from promoter_model.sequence.pairs import PairTable, has_pair_columns, parse_pairs
from promoter_model.sequence.parse import (
    FORMATS,
    SequenceTable,
    check_sequences,
    detect_format,
    parse_text,
    unique_ids,
)
from promoter_model.sequence.pastes import WRAP_WIDTHS, is_genbank, parse_genbank, unwrap_lines

__all__ = [
    "MAX_VARIANTS", "NOTATION", "Edit", "VariantList", "apply_edits", "check_offset",
    "parse_variant_text", "read_variant_list", "substitution_labels", "PairTable",
    "has_pair_columns", "parse_pairs",
    "ALPHABET", "DEFAULT_MAX_INPUT_MB", "DEFAULT_MAX_LENGTH", "FIT_CONVENTION", "FLANK_3",
    "FLANK_5", "FORMATS", "IUPAC_AMBIGUITY", "LEGACY_FIT_CONVENTIONS", "SEQ_LEN",
    "VARIABLE_END", "VARIABLE_LEN", "VARIABLE_START", "WRAP_WIDTHS", "SequenceError",
    "SequenceTable",
    "as_batch", "bad_char_message", "check_sequences", "codes_to_one_hot", "decode",
    "decode_text", "describe_fit", "detect_format", "encode_codes", "encode_fitted",
    "find_invalid", "fit_summary", "fit_to_length", "is_genbank", "iter_dream_chunks",
    "max_input_bytes", "parse_genbank", "unwrap_lines",
    "normalize", "normalize_many", "one_hot", "parse_text", "placed_in_flanks", "read_capped",
    "read_sequences", "reverse_complement", "reverse_complement_one_hot", "unique_ids",
]
