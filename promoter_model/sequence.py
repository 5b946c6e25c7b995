"""Promoter sequences as text and as arrays.

Conventions (see ``docs/conventions.md``):

* Channel order is A, C, G, T; ``N`` (and padding) encodes as all zeros.
* A sequence is fitted to the model length (110 bp): one of at most 80 bp is the variable
  region and goes between the plasmid flanks; any other keeps its **3' end** (the bases next
  to the transcription start) and is padded with ``N`` on the **5' side**
  (:func:`fit_to_length`).
* Input is normalised before validation: surrounding white space and a byte-order mark are
  dropped, white space inside a sequence is removed, lower case is upper-cased and RNA ``U``
  becomes ``T``. Anything else that is not A, C, G, T or N is an error naming the record, the
  1-based position and the character.

All encoders are vectorised: strings are joined into one byte buffer and mapped through a
256-entry lookup table, never looped over character by character.
"""

from __future__ import annotations

import numpy as np

from promoter_model.seqerror import (  # noqa: F401 - re-exported for callers
    IUPAC_AMBIGUITY,
    SequenceError,
    _bad_char_message,
)

SEQ_LEN = 110
FLANK_5 = "TGCATTTTTTTCACATC"
FLANK_3 = "GGTTACGGCTGTT"
VARIABLE_START = len(FLANK_5)  # 0-based index of the first base of the 80 bp random region
VARIABLE_END = SEQ_LEN - len(FLANK_3)  # exclusive
ALPHABET = "ACGT"
DEFAULT_MAX_LENGTH = 1000

# byte -> base index (0..3), 4 for N, 255 for invalid
_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i
_CODE[ord("N")] = 4
_CODE[ord("n")] = 4
_CODE[ord("U")] = 3
_CODE[ord("u")] = 3

# code (0..4) -> one-hot row
_ONE_HOT = np.zeros((5, 4), dtype=np.float32)
_ONE_HOT[np.arange(4), np.arange(4)] = 1.0

_COMPLEMENT_TABLE = str.maketrans("ACGTNacgtn", "TGCANtgcan")
# every Unicode white space character (Word pastes U+00A0, U+2002-U+200A, U+202F ...) and the
# invisible zero-width ones (U+200B-U+200D, U+2060, BOM U+FEFF)
_WHITESPACE_TABLE = {cp: None for cp in range(0x3001) if chr(cp).isspace()}
_WHITESPACE_TABLE.update({cp: None for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})
# upper-case ASCII only: str.upper() would turn e.g. 'ß' into 'SS' and shift positions
_UPPER_TABLE = {cp: cp - 32 for cp in range(ord("a"), ord("z") + 1)}
_UPPER_TABLE[ord("u")] = _UPPER_TABLE[ord("U")] = ord("T")


# --------------------------------------------------------------------------- text ops
def normalize(seq: str) -> str:
    """Remove white space and BOMs, upper-case, and turn RNA ``U`` into ``T``."""
    return seq.translate(_WHITESPACE_TABLE).translate(_UPPER_TABLE)


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA string (``N`` stays ``N``)."""
    return seq.translate(_COMPLEMENT_TABLE)[::-1]


VARIABLE_LEN = VARIABLE_END - VARIABLE_START  # 80
FIT_CONVENTION = (
    "plasmid flanks + 3' anchored: for 110 bp models a sequence of at most 80 bp is the "
    "variable region and is placed between the 17 bp 5' flank and the 13 bp 3' flank "
    "(padded with N on the 5' side of the variable region when shorter than 80 bp); "
    "longer sequences keep their last 110 bases, 81-109 bp ones are padded with N on the "
    "5' side")
LEGACY_FIT_CONVENTIONS = (
    "keep 3' end, pad N on 5' side",
    "3' anchored: longer sequences keep their last seq_len bases, shorter ones are padded "
    "with N on the 5' side")


def placed_in_flanks(n_bases, length: int = SEQ_LEN):
    """Whether a sequence of ``n_bases`` is placed between the plasmid flanks.

    The one rule of :func:`fit_to_length`: only for the 110 bp plasmid layout
    (``length == SEQ_LEN``), a sequence of at most 80 bp (the variable region, or part of
    it) goes between :data:`FLANK_5` and :data:`FLANK_3`.

    Parameters
    ----------
    n_bases : int or np.ndarray of int
    length : int
        The model's input length.

    Returns
    -------
    bool or np.ndarray of bool
    """
    return np.asarray(n_bases) <= VARIABLE_LEN if length == SEQ_LEN else \
        np.zeros(np.shape(n_bases), dtype=bool)


def fit_to_length(sequences, length: int = SEQ_LEN):
    """Fit sequences to ``length`` bp (see ``docs/conventions.md``).

    * For the 110 bp plasmid layout, a sequence of at most 80 bp is the variable region
      without its flanks: it is placed as ``FLANK_5 + N * (80 - n) + sequence + FLANK_3``
      (3'-anchored against the 3' flank), as the DREAM / Vaishnav et al. constructs are.
    * Any other sequence is fitted 3'-anchored: a longer one keeps its last ``length``
      bases, a shorter one is padded with ``N`` on the 5' side.

    Only the sequences whose length differs are re-sliced.

    Parameters
    ----------
    sequences : list of str
    length : int

    Returns
    -------
    fitted : list of str
        Every string has exactly ``length`` characters.
    change : np.ndarray, shape (n,), int
        Input length minus ``length``: bases removed (positive: trimmed from the 5' end) or
        added (negative: flanks and/or ``N``); 0 where the sequence already had ``length``
        bases. Whether flanks were added follows from the input length
        (:func:`placed_in_flanks`).
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    change = lengths - length
    flanked = placed_in_flanks(lengths, length)
    fitted = list(sequences)
    pad = "N" * length
    for i in np.flatnonzero(change).tolist():
        d = int(change[i])
        if flanked[i]:
            fitted[i] = FLANK_5 + pad[:VARIABLE_LEN - lengths[i]] + fitted[i] + FLANK_3
        else:
            fitted[i] = fitted[i][d:] if d > 0 else pad[:-d] + fitted[i]
    return fitted, change


def describe_fit(change: int, length: int = SEQ_LEN, short: bool = False) -> str | None:
    """Human-readable note of what :func:`fit_to_length` did, or None if nothing.

    ``short=True`` gives a few words for a table cell (e.g. ``"flanks added"``).
    """
    n = int(change) + length
    if short:
        if change < 0 and placed_in_flanks(n, length):
            pad = VARIABLE_LEN - n
            return "flanks added" + (f", {pad} N before it" if pad else "")
        if change:
            return (f"5' end trimmed ({change} bp)" if change > 0
                    else f"{-change} N added on the 5' side")
        return None
    if change < 0 and placed_in_flanks(n, length):
        pad = VARIABLE_LEN - n
        return (f"read as the variable region without the plasmid flanks and placed between "
                f"the 5' flank {FLANK_5} and the 3' flank {FLANK_3} (positions "
                f"{VARIABLE_START + 1 + pad}-{VARIABLE_END}"
                + (f"; the {pad} bp before it are N" if pad else "") + ")")
    if change > 0:
        return f"trimmed {change} bp from the 5' end to keep the 3'-most {length} bp"
    if change < 0:
        return f"padded with {-change} N on the 5' side to reach {length} bp"
    return None


def fit_summary(sequences, length: int = SEQ_LEN) -> str | None:
    """One sentence saying how many sequences were fitted and how, or None if none were.

    The notice the command line prints and the pages show above their results.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    change = lengths - length
    flanked = int(((change < 0) & placed_in_flanks(lengths, length)).sum())
    trimmed = int((change > 0).sum())
    padded = int((change < 0).sum()) - flanked
    parts = []
    if flanked:
        parts.append(f"{flanked} of at most {VARIABLE_LEN} bp placed between the plasmid "
                     f"flanks {FLANK_5}…{FLANK_3} as the variable region")
    if trimmed:
        parts.append(f"{trimmed} trimmed to their 3'-most {length} bp")
    if padded:
        parts.append(f"{padded} padded with N on the 5' side")
    if not parts:
        return None
    return (f"{flanked + trimmed + padded} of {len(sequences)} sequences were fitted to "
            f"{length} bp: " + "; ".join(parts))


# --------------------------------------------------------------------------- encoders
_CODE_BYTES = _CODE.tobytes()  # bytes.translate table: ASCII byte -> base code (255: invalid)


def _as_codes(sequences, length: int) -> np.ndarray:
    """Codes (0-3 ACGT, 4 N, 255 invalid) of equal-length strings, shape (n, length).

    One ``bytes.translate`` over the joined text; non-ASCII characters become invalid.
    """
    if len(sequences) == 0:
        return np.zeros((0, length), dtype=np.uint8)
    buf = "".join(sequences).encode("ascii", errors="replace").translate(_CODE_BYTES)
    if len(buf) != len(sequences) * length:
        raise ValueError(f"all sequences must have {length} characters; fit them first")
    return np.frombuffer(buf, dtype=np.uint8).reshape(len(sequences), length)


def _checked_codes(seqs, length: int) -> np.ndarray:
    codes = _as_codes(seqs, length)
    if codes.size and codes.max() == 255:
        i, j = np.argwhere(codes == 255)[0]
        ch = seqs[i][j]
        raise SequenceError(_bad_char_message(ch, int(j) + 1), record=f"sequence {i + 1}",
                            position=int(j) + 1, character=ch)
    return codes


def encode_fitted(sequences, length: int = SEQ_LEN):
    """Fit sequences to ``length`` (:func:`fit_to_length`) and encode them, one byte per base.

    Parameters
    ----------
    sequences : list of str
    length : int

    Returns
    -------
    codes : np.ndarray, shape (n, length), uint8
        0, 1, 2, 3 for A, C, G, T and 4 for N (a read-only view of one buffer).
    change : np.ndarray, shape (n,), int64
        As in :func:`fit_to_length`.

    Raises
    ------
    SequenceError
        Naming the first sequence, position and character that is not A, C, G, T, U or N.
    """
    fitted, change = fit_to_length(sequences, length)
    return _checked_codes(fitted, length), change


def encode_codes(sequences, length: int = SEQ_LEN, fit: bool = True) -> np.ndarray:
    """Encode sequences as base codes, one byte per base.

    Parameters
    ----------
    sequences : list of str
        DNA strings (any case; ``U`` is read as ``T``).
    length : int
    fit : bool
        Fit to ``length`` first (:func:`fit_to_length`); if False all strings must already have it.

    Returns
    -------
    codes : np.ndarray, shape (n, length), uint8
        0, 1, 2, 3 for A, C, G, T and 4 for N.

    Raises
    ------
    SequenceError
        Naming the first sequence, position and character that is not A, C, G, T, U or N.
    """
    if fit:
        return encode_fitted(sequences, length)[0]
    return _checked_codes(list(sequences), length)


def codes_to_one_hot(codes: np.ndarray) -> np.ndarray:
    """One-hot from base codes.

    Parameters
    ----------
    codes : np.ndarray, shape (..., L), integer 0-4

    Returns
    -------
    np.ndarray, shape (..., L, 4), float32
    """
    return _ONE_HOT[codes]


def one_hot(sequences, length: int = SEQ_LEN, fit: bool = True) -> np.ndarray:
    """One-hot encode DNA strings.

    Parameters
    ----------
    sequences : str or list of str
    length : int
    fit : bool
        Fit each sequence to ``length`` first (:func:`fit_to_length`).

    Returns
    -------
    X : np.ndarray, shape (n, length, 4), float32
        Channels A, C, G, T; N is all zeros.
    """
    if isinstance(sequences, str):
        sequences = [sequences]
    return codes_to_one_hot(encode_codes(sequences, length, fit=fit))


def decode(X: np.ndarray) -> list:
    """Strings from one-hot arrays (all-zero columns become ``N``).

    Parameters
    ----------
    X : np.ndarray, shape (n, L, 4) or (L, 4)

    Returns
    -------
    list of str
    """
    X = np.asarray(X)
    if X.ndim == 2:
        X = X[None]
    idx = np.where(X.max(axis=-1) > 0, X.argmax(axis=-1), 4).astype(np.uint8)
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)[idx]
    return [row.tobytes().decode("ascii") for row in letters]


def reverse_complement_one_hot(X: np.ndarray) -> np.ndarray:
    """Reverse complement of one-hot arrays, shape (..., L, 4) -> (..., L, 4)."""
    return np.asarray(X)[..., ::-1, ::-1]


# --------------------------------------------------------------------------- batches
def as_batch(X, length: int = SEQ_LEN) -> np.ndarray:
    """The one input converter: strings or one-hot, one or many -> float32 ``(n, length, 4)``.

    Parameters
    ----------
    X : str, list of str, or array of shape (length, 4) or (n, length, 4)
        Strings are fitted to ``length`` (:func:`fit_to_length`) and one-hot encoded; arrays
        must already have ``length`` positions and 4 channels.
    length : int
        The model's input length.

    Returns
    -------
    np.ndarray, shape (n, length, 4), float32

    Raises
    ------
    SequenceError
        For a string with a character that is not A, C, G, T, U or N.
    ValueError
        For an array of the wrong shape.
    """
    if isinstance(X, str):
        X = [X]
    if not isinstance(X, np.ndarray) and len(X) and isinstance(X[0], str):
        return one_hot(list(X), length)
    arr = np.asarray(X, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (length, 4):
        raise ValueError(f"expected one-hot input of shape (n, {length}, 4); got {arr.shape}")
    return arr


# Reader names that lived here before the split into seqparse/seqio; resolved on first use
# (PEP 562) because seqio imports this module, so a top-level import would be circular.
_MOVED_TO_SEQIO = frozenset({
    "SequenceTable", "find_invalid", "check_sequences", "FORMATS", "DEFAULT_MAX_INPUT_MB",
    "max_input_bytes", "read_sequences", "detect_format", "parse_text", "unique_ids",
    "iter_dream_chunks", "normalize_many",
})


def __getattr__(name):
    """Old ``promoter_model.sequence`` reader names, now in :mod:`promoter_model.seqio`."""
    if name in _MOVED_TO_SEQIO:
        from promoter_model import seqio  # noqa: PLC0415 - circular at import time

        return getattr(seqio, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
