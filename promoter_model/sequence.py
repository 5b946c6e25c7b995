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

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEQ_LEN = 110
FLANK_5 = "TGCATTTTTTTCACATC"
FLANK_3 = "GGTTACGGCTGTT"
VARIABLE_START = len(FLANK_5)  # 0-based index of the first base of the 80 bp random region
VARIABLE_END = SEQ_LEN - len(FLANK_3)  # exclusive
ALPHABET = "ACGT"
DEFAULT_MAX_LENGTH = 1000

IUPAC_AMBIGUITY = set("RYSWKMBDHVryswkmbdhv")

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


class SequenceError(ValueError):
    """A sequence or input file that cannot be used, with where the problem is.

    Attributes
    ----------
    record : str or None
        The record's id (FASTA header, ``id`` column, or ``line N``).
    position : int or None
        1-based position of the offending character within the sequence.
    character : str or None
        The offending character.
    source : str or None
        The file the record came from.
    line : int or None
        1-based line number in ``source``.
    """

    def __init__(self, message, *, record=None, position=None, character=None,
                 source=None, line=None):
        self.record = record
        self.position = position
        self.character = character
        self.source = source
        self.line = line
        where = []
        if source:
            where.append(str(source))
        if line is not None:
            where.append(f"line {line}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.reason = message


@dataclass
class SequenceTable:
    """Records read from a file or pasted text.

    Attributes
    ----------
    ids : list of str
    sequences : list of str
        Normalised (upper case, ``U`` -> ``T``, no white space), not yet fitted to 110 bp.
    expression : np.ndarray or None, shape (n,)
        Measured expression when the input has it.
    errors : list of SequenceError
        Records rejected in lenient mode (empty in strict mode, which raises instead).
    source : str or None
    """

    ids: list
    sequences: list
    expression: np.ndarray | None = None
    errors: list = field(default_factory=list)
    source: str | None = None

    def __len__(self):
        return len(self.sequences)


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


def as_one_hot_batch(X, length: int = SEQ_LEN) -> np.ndarray:
    """Strings or one-hot, one or many -> float32 one-hot of shape ``(n, L, 4)``.

    Strings are fitted to ``length`` (:func:`fit_to_length`); one-hot input must already
    have ``length`` positions (a single ``(L, 4)`` array becomes ``(1, L, 4)``).

    Raises
    ------
    ValueError
        One-hot input of the wrong shape.
    """
    if isinstance(X, str):
        X = [X]
    if isinstance(X, (list, tuple)) and X and isinstance(X[0], str):
        return one_hot(list(X), length=length)
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[1:] != (length, 4):
        raise ValueError(f"expected one-hot sequences of shape (n, {length}, 4), "
                         f"got {X.shape}")
    return X


# --------------------------------------------------------------------------- validation
def _bad_char_message(ch: str, position: int) -> str:
    shown = repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
    if ch in IUPAC_AMBIGUITY:
        kind = f"IUPAC ambiguity code {shown}"
    else:
        kind = f"character {shown}"
    return f"{kind} at position {position} is not a DNA base (only A, C, G, T, N are accepted)"


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


def check_sequences(ids, sequences, *, max_length: int = DEFAULT_MAX_LENGTH, source=None,
                    lines=None):
    """Errors for each record that cannot be used (empty, too long, invalid character).

    Parameters
    ----------
    ids : list of str
    sequences : list of str (normalised)
    max_length : int
    source : str, optional
    lines : list of int, optional
        1-based line of each record in ``source``.

    Returns
    -------
    list of (index, SequenceError)
    """
    errors = []
    bad_pos = find_invalid(sequences)
    for i in np.flatnonzero(bad_pos).tolist():
        pos = int(bad_pos[i])
        ch = sequences[i][pos - 1]
        errors.append((i, SequenceError(
            f"record '{ids[i]}': {_bad_char_message(ch, pos)}", record=ids[i], position=pos,
            character=ch, source=source, line=lines[i] if lines else None)))
    for i, s in enumerate(sequences):
        if not s:
            errors.append((i, SequenceError(f"record '{ids[i]}' has an empty sequence",
                                            record=ids[i], source=source,
                                            line=lines[i] if lines else None)))
        elif len(s) > max_length:
            errors.append((i, SequenceError(
                f"record '{ids[i]}' is {len(s)} bp, longer than the limit of {max_length} bp",
                record=ids[i], source=source, line=lines[i] if lines else None)))
    errors.sort(key=lambda e: e[0])
    return errors


# --------------------------------------------------------------------------- readers
FORMATS = ("auto", "dream", "table", "fasta", "lines")
_FASTA_EXT = {".fa", ".fasta", ".fna", ".fas", ".ffn"}


def _decode_text(data: bytes, source) -> str:
    if b"\x00" in data[:65536]:
        raise SequenceError("this is a binary file, not sequence text (it contains NUL bytes)",
                            source=source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SequenceError(f"byte 0x{data[exc.start]:02X} is not UTF-8 text",
                            source=source, line=line) from None
    return text


DEFAULT_MAX_INPUT_MB = 256
_HEAD = 65536


def max_input_bytes() -> int:
    """The cap on an input's size in bytes, unpacked (``PROMOTER_MAX_INPUT_MB``, 256 MB)."""
    import os

    try:
        mb = float(os.environ.get("PROMOTER_MAX_INPUT_MB", ""))
    except ValueError:
        mb = DEFAULT_MAX_INPUT_MB
    if not mb > 0:
        mb = DEFAULT_MAX_INPUT_MB
    return int(mb * (1 << 20))


def _over_cap(cap: int, source, what: str = "input") -> SequenceError:
    return SequenceError(f"{what} is over the limit of {cap / (1 << 20):g} MB; split it, or "
                         "raise PROMOTER_MAX_INPUT_MB", source=source)


def _read_capped(fh, cap: int, source) -> bytes:
    """Read a stream to the end, refusing it as soon as it passes ``cap`` bytes.

    The first 64 KB are checked for NUL bytes first (binary data is refused at once, also
    from ``/dev/zero`` or a pipe); a gzip stream is unpacked incrementally under the same cap.
    """
    head = fh.read(_HEAD)
    if head[:2] != b"\x1f\x8b" and b"\x00" in head:
        _decode_text(head, source)  # raises the 'binary file' SequenceError
    parts, total = [head], len(head)
    while True:
        block = fh.read(1 << 20)
        if not block:
            break
        total += len(block)
        if total > cap:
            raise _over_cap(cap, source)
        parts.append(block)
    data = b"".join(parts)
    if total > cap:
        raise _over_cap(cap, source)
    if data[:2] != b"\x1f\x8b":
        return data
    import gzip
    import io
    import zlib

    out, total = [], 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while True:
                block = gz.read(1 << 20)
                if not block:
                    break
                total += len(block)
                if total > cap:
                    raise _over_cap(cap, source, "the unpacked gzip input")
                out.append(block)
    except (OSError, EOFError, zlib.error) as exc:
        raise SequenceError(f"damaged gzip file ({exc})", source=source) from None
    return b"".join(out)


def read_sequences(path, fmt: str = "auto", *, max_length: int = DEFAULT_MAX_LENGTH,
                   strict: bool = True, max_bytes: int | None = None) -> SequenceTable:
    """Read sequences from a file (``-`` for standard input).

    Parameters
    ----------
    path : str or Path
    fmt : {"auto", "dream", "table", "fasta", "lines"}
        ``dream``: ``sequence<TAB>expression`` without header; ``table``: CSV/TSV with a
        ``sequence`` column (optional ``expression`` and ``id``); ``fasta``; ``lines``: one
        sequence per line. ``auto`` decides from the extension and the first line.
    max_length : int
        Longest sequence accepted, in bp.
    strict : bool
        Raise the first :class:`SequenceError`; otherwise collect them in ``errors``.
    max_bytes : int, optional
        Refuse larger inputs, on disk (checked before reading) and unpacked (checked while
        reading, also from standard input). Default: :func:`max_input_bytes`
        (``PROMOTER_MAX_INPUT_MB``, 256 MB).

    Returns
    -------
    SequenceTable

    Raises
    ------
    SequenceError
        Also for a FIFO, a device or a socket (only regular files and ``-`` are read).
    """
    import stat
    import sys

    cap = int(max_bytes) if max_bytes is not None else max_input_bytes()
    if str(path) == "-":
        data = _read_capped(sys.stdin.buffer, cap, "<stdin>")
        source = "<stdin>"
        suffix = ""
    else:
        p = Path(path)
        source = str(p)
        if not p.exists():
            raise SequenceError("file not found", source=source)
        if p.is_dir():
            raise SequenceError("is a folder, not a file", source=source)
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise SequenceError("is not a regular file (a FIFO, a device or a socket); use "
                                "'-' to read a stream from standard input", source=source)
        if st.st_size > cap:
            raise SequenceError(f"file is {st.st_size / (1 << 20):.1f} MB, over the limit "
                                f"of {cap / (1 << 20):g} MB; split it, or raise "
                                "PROMOTER_MAX_INPUT_MB", source=source)
        with open(p, "rb") as fh:
            data = _read_capped(fh, cap, source)
        suffix = p.suffix.lower()
        if suffix == ".gz":
            suffix = Path(p.stem).suffix.lower()
    text = _decode_text(data, source)
    del data
    if fmt == "auto" and suffix in _FASTA_EXT:
        fmt = "fasta"
    if fmt == "auto" and suffix in {".csv", ".tsv"}:
        fmt = "table"
    return parse_text(text, fmt, max_length=max_length, strict=strict, source=source,
                      delimiter="," if suffix == ".csv" else None)


def detect_format(text: str) -> str:
    """Guess the format of sequence text: ``fasta``, ``table``, ``dream`` or ``lines``."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    stripped = first.strip()
    if stripped.startswith(">"):
        return "fasta"
    cells = [c.strip().strip('"').lower() for c in _split_cells(stripped)]
    if "sequence" in cells or "seq" in cells:
        return "table"
    if "\t" in stripped and len(stripped.split("\t")) == 2:
        return "dream"
    return "lines"


def _split_cells(line: str):
    if "\t" in line:
        return line.split("\t")
    if "," in line:
        return line.split(",")
    return [line]


def parse_text(text: str, fmt: str = "auto", *, max_length: int = DEFAULT_MAX_LENGTH,
               strict: bool = True, source: str | None = None,
               delimiter: str | None = None) -> SequenceTable:
    """Parse sequence text (pasted into the app, or a file's contents).

    See :func:`read_sequences` for the formats and options.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise SequenceError("no sequences found: the input is empty", source=source)
    if fmt == "auto":
        fmt = detect_format(text)
    parser = {"fasta": _parse_fasta, "table": _parse_table, "dream": _parse_dream,
              "lines": _parse_lines}[fmt]
    ids, seqs, expr, lines, errors = parser(text, source, delimiter)
    seqs = [normalize(s) for s in seqs]
    errors = errors + [e for _, e in check_sequences(ids, seqs, max_length=max_length,
                                                     source=source, lines=lines)]
    errors.sort(key=lambda e: e.line or 0)
    if errors and strict:
        raise errors[0]
    bad = {e.line for e in errors}
    keep = [i for i in range(len(seqs)) if lines[i] not in bad]
    if len(keep) < len(seqs):
        ids = [ids[i] for i in keep]
        seqs = [seqs[i] for i in keep]
        expr = expr[keep] if expr is not None else None
    if not seqs and strict:
        raise SequenceError("no sequences found in the input", source=source)
    return SequenceTable(ids=ids, sequences=seqs, expression=expr, errors=errors,
                         source=source)


def _parse_float(value: str, what: str, source, line):
    try:
        v = float(value)
    except ValueError:
        raise SequenceError(f"{what} {value.strip()!r} is not a number", source=source,
                            line=line) from None
    if not np.isfinite(v):
        raise SequenceError(f"{what} {value.strip()!r} is not a finite number",
                            source=source, line=line)
    return v


def _parse_dream(text, source, _delimiter):
    ids, seqs, values, lines, errors = [], [], [], [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.rstrip("\r").split("\t")
        if len(parts) != 2:
            errors.append(SequenceError(
                f"expected 'sequence<TAB>expression' (2 columns), found {len(parts)}",
                source=source, line=n, record=f"line {n}"))
            continue
        try:
            values.append(_parse_float(parts[1], "expression", source, n))
        except SequenceError as e:
            errors.append(e)
            continue
        ids.append(f"line {n}")
        seqs.append(parts[0])
        lines.append(n)
    return ids, seqs, np.asarray(values, dtype=np.float32), lines, errors


def _parse_lines(text, source, _delimiter):
    ids, seqs, lines = [], [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        ids.append(f"line {n}")
        seqs.append(raw)
        lines.append(n)
    return ids, seqs, None, lines, []


def _parse_fasta(text, source, _delimiter):
    ids, seqs, lines, errors = [], [], [], []
    chunks: list = []
    current = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(">"):
            if current is not None:
                seqs.append("".join(chunks))
            name = line[1:].strip().split()[0] if line[1:].strip() else f"record_{len(ids) + 1}"
            ids.append(name)
            lines.append(n)
            chunks = []
            current = name
        elif current is None:
            errors.append(SequenceError("sequence text before the first '>' header",
                                        source=source, line=n))
            current = None
        else:
            chunks.append(line)
    if current is not None:
        seqs.append("".join(chunks))
    return unique_ids(ids), seqs, None, lines, errors


def unique_ids(ids) -> list:
    """Make ids unique without a collision: ``x, x, x_2`` gives ``x, x_3, x_2``.

    The first record with an id keeps it, and an id given in the input is never taken by
    a renamed duplicate: a repeat of ``x`` becomes ``x_k`` with the smallest ``k >= 2``
    that no record is named and no earlier repeat was given.
    """
    taken = set(ids)
    seen: set = set()
    next_k: dict = {}
    out = []
    for name in ids:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        k = next_k.get(name, 2)
        while f"{name}_{k}" in taken:
            k += 1
        new = f"{name}_{k}"
        next_k[name] = k + 1
        taken.add(new)
        out.append(new)
    return out


def _parse_table(text, source, delimiter):
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if delimiter is None:
        delimiter = "\t" if "\t" in first else ","
    # newline="": csv sees bare CR (old Mac) and CRLF line ends itself instead of failing
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = None
    ids, seqs, values, lines, errors = [], [], [], [], []
    col_seq = col_expr = col_id = None
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell over csv.field_size_limit() characters
            raise SequenceError(f"not a valid table ({exc})", source=source,
                                line=reader.line_num, record=f"line {reader.line_num}"
                                ) from None
        n = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            dup = sorted({h for h in header if h and header.count(h) > 1})
            if dup:
                raise SequenceError(
                    f"the header names the column {dup[0]!r} twice; rename one (which one "
                    "holds the data is ambiguous)", source=source, line=n)
            names = {h: i for i, h in enumerate(header)}
            col_seq = names.get("sequence", names.get("seq"))
            if col_seq is None:
                raise SequenceError(
                    f"no 'sequence' column; the header has {', '.join(row)}", source=source,
                    line=n)
            col_expr = names.get("expression")
            col_id = names.get("id", names.get("name"))
            continue
        if len(row) <= col_seq:
            errors.append(SequenceError(f"row has {len(row)} columns, no 'sequence' value",
                                        source=source, line=n, record=f"line {n}"))
            continue
        if col_expr is not None:
            cell = row[col_expr] if len(row) > col_expr else ""
            try:
                values.append(_parse_float(cell, "expression", source, n))
            except SequenceError as e:
                errors.append(e)
                continue
        rid = row[col_id].strip() if col_id is not None and len(row) > col_id else ""
        ids.append(rid or f"line {n}")
        seqs.append(row[col_seq])
        lines.append(n)
    if header is None:
        raise SequenceError("no sequences found: the input is empty", source=source)
    expr = np.asarray(values, dtype=np.float32) if col_expr is not None else None
    return ids, seqs, expr, lines, errors


def iter_dream_chunks(path, chunk_rows: int = 200_000, max_length: int = DEFAULT_MAX_LENGTH):
    """Stream a DREAM training file in chunks without loading it whole.

    The file is read in 8 MB blocks; each chunk is split in one ``bytes.split`` and its
    values parsed in one numpy call. A chunk that does not parse cleanly is re-read row by
    row to name the line at fault.

    Parameters
    ----------
    path : str or Path
        ``sequence<TAB>expression`` lines, no header (local path or ``gs://``).
    chunk_rows : int
    max_length : int
        Longest sequence accepted, in bp.

    Yields
    ------
    sequences : list of str (upper case, ``U`` read as ``T``)
    expression : np.ndarray, shape (m,), float32
    first_line : int
        1-based line number of the chunk's first line.

    Raises
    ------
    SequenceError
        For a malformed line, a bad character, an empty or over-long sequence, or a label that
        is not a finite number, naming the file and line.
    """
    import tensorflow as tf

    source = str(path)
    max_line = max(1 << 16, 4 * int(max_length) + 1024)
    with tf.io.gfile.GFile(source, "rb") as fh:
        rest, lines, line_no = b"", [], 0
        first_block = True
        while True:
            block = fh.read(8 << 20)
            if first_block:
                first_block = False
                if block.startswith(b"\xef\xbb\xbf"):
                    block = block[3:]
            if not block:
                if rest:
                    lines.append(rest)
                break
            if b"\x00" in block:  # refuse binary data at once, not after buffering it
                raise SequenceError("binary data (NUL byte) in a text file", source=source,
                                    line=line_no + len(lines) + 1
                                    + (rest + block[: block.index(b"\x00")]).count(b"\n"))
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            if len(rest) > max_line:  # a line that never ends is refused, not buffered
                raise SequenceError(f"a line longer than {max_line:,} bytes; this is not a "
                                    "sequence<TAB>expression file", source=source,
                                    line=line_no + len(lines) + 1)
            lines.extend(parts)
            while len(lines) >= chunk_rows:
                chunk, lines = lines[:chunk_rows], lines[chunk_rows:]
                yield _parse_dream_chunk(chunk, source, line_no + 1, max_length) + (line_no + 1,)
                line_no += len(chunk)
        if lines:
            yield _parse_dream_chunk(lines, source, line_no + 1, max_length) + (line_no + 1,)


def _parse_dream_chunk(lines, source, start, max_length=DEFAULT_MAX_LENGTH):
    """Parse DREAM lines (bytes, no newline); fast path, then row by row for errors."""
    text = b"\n".join(lines)
    if b"\x00" in text:
        raise SequenceError("binary data (NUL byte) in a text file", source=source,
                            line=start + text[: text.index(b"\x00")].count(b"\n"))
    text = text.replace(b"\r", b"")
    # fast path only if every line has exactly one tab (checked in one numpy pass)
    buf = np.frombuffer(text, dtype=np.uint8)
    tab_line = np.cumsum(buf == 10)[buf == 9]
    fast = tab_line.size == len(lines) and bool(
        (np.bincount(tab_line, minlength=len(lines)) == 1).all())
    if fast:
        fields = text.replace(b"\t", b"\n").split(b"\n")
        seq_fields, values = fields[0::2], fields[1::2]
        try:
            expr = np.array(values, dtype=np.float32)
        except ValueError:
            fast = False
    if fast:
        if b" " in text or b"\x0b" in text or b"\x0c" in text:  # as the row path: strip
            seq_fields = [f.strip() for f in seq_fields]
        seqs = normalize_many(seq_fields)
        line_of = None
    else:
        seqs, expr, line_of = _parse_dream_rows(lines, source, start)
    _check_dream_chunk(seqs, expr, source, start, line_of, max_length)
    return seqs, expr


def normalize_many(byte_sequences) -> list:
    """Upper-cased, ``U``-as-``T`` strings from a list of ASCII byte strings, in one pass."""
    joined = b"\n".join(byte_sequences).upper().replace(b"U", b"T")
    return joined.decode("ascii", errors="replace").split("\n") if byte_sequences else []


def _parse_dream_rows(lines, source, start):
    seqs, values, line_of = [], [], []
    for k, row in enumerate(lines):
        row = row.rstrip(b"\r")
        if not row.strip():
            continue
        seq, tab, value = row.partition(b"\t")
        if not tab or b"\t" in value:
            raise SequenceError("expected 'sequence<TAB>expression'", source=source,
                                line=start + k)
        try:
            values.append(float(value))
        except ValueError:
            raise SequenceError(f"expression {value.decode(errors='replace')!r} is not a "
                                "number", source=source, line=start + k) from None
        seqs.append(seq.strip())
        line_of.append(start + k)
    return normalize_many(seqs), np.array(values, dtype=np.float32), line_of


def _check_dream_chunk(seqs, expr, source, start, line_of, max_length):
    def line(i):
        return line_of[i] if line_of is not None else start + i

    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    problems = []
    bad = find_invalid(seqs)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pos = int(bad[i])
        problems.append((i, _bad_char_message(seqs[i][pos - 1], pos),
                         dict(position=pos, character=seqs[i][pos - 1])))
    size = np.flatnonzero((lengths == 0) | (lengths > max_length))
    if size.size:
        i = int(size[0])
        what = ("empty sequence" if lengths[i] == 0 else
                f"the sequence is {lengths[i]} bp, longer than the limit of {max_length} bp")
        problems.append((i, what, {}))
    nonfinite = np.flatnonzero(~np.isfinite(expr))
    if nonfinite.size:
        i = int(nonfinite[0])
        problems.append((i, f"expression {float(expr[i])!r} is not a finite number", {}))
    if problems:
        i, what, extra = min(problems, key=lambda p: p[0])
        raise SequenceError(what, source=source, line=line(i), record=f"line {line(i)}",
                            **extra)
