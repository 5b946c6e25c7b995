"""Promoter sequences as text and as arrays: normalising, encoding, one-hot, batches.

Conventions (see ``docs/conventions.md``):

* Channel order is A, C, G, T; ``N`` (and padding) encodes as all zeros.
* Strings are fitted to the model length first (:mod:`.layout`).
* Input is normalised before validation: surrounding white space and a byte-order mark are
  dropped, white space inside a sequence is removed, lower case is upper-cased and RNA ``U``
  becomes ``T``. Anything else that is not A, C, G, T or N is an error naming the record, the
  1-based position and the character.

All encoders are vectorised: strings are joined into one byte buffer and mapped through a
256-entry lookup table, never looped over character by character.
"""

from __future__ import annotations

import numpy as np

from promoter_model.sequence.errors import SequenceError, bad_char_message
from promoter_model.sequence.layout import SEQ_LEN, fit_to_length

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
        raise SequenceError(bad_char_message(ch, int(j) + 1), record=f"sequence {i + 1}",
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


# --------------------------------------------------------------------------- validation
def find_invalid(sequences) -> np.ndarray:
    """1-based position of the first invalid character of each sequence, 0 where valid.

    Vectorised over all sequences: they are joined into one buffer and looked up at once.

    Parameters
    ----------
    sequences : list of str (normalised)

    Returns
    -------
    np.ndarray, shape (n,), int64
    """
    n = len(sequences)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=n)
    joined = "".join(sequences)
    # non-ASCII characters must stay one slot each: map them to an invalid byte
    buf = joined.encode("ascii", errors="replace")
    if len(buf) != len(joined):  # pragma: no cover - 'replace' keeps one byte per char
        raise AssertionError
    codes = _CODE[np.frombuffer(buf, dtype=np.uint8)]
    bad = np.flatnonzero(codes == 255)
    result = np.zeros(n, dtype=np.int64)
    if bad.size:
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        owner = np.searchsorted(starts, bad, side="right") - 1
        first_owner, first_idx = np.unique(owner, return_index=True)
        result[first_owner] = bad[first_idx] - starts[first_owner] + 1
    return result
