"""Reading sequence files: formats, size caps, gzip, and the chunked DREAM reader.

:func:`read_sequences` reads a file (or standard input) under a size cap and parses it with
:func:`~promoter_model.sequence.parse.parse_text`; :func:`iter_dream_chunks` streams a large
DREAM table for :func:`promoter_model.records.prepare`, which also reads small tables through
:func:`read_capped` and :func:`decode_text`.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import zlib
from pathlib import Path

import numpy as np

from promoter_model.sequence.encode import find_invalid
from promoter_model.sequence.errors import SequenceError, bad_char_message
from promoter_model.sequence.layout import DEFAULT_MAX_LENGTH
from promoter_model.sequence.parse import SequenceTable, parse_text

# --------------------------------------------------------------------------- readers
_FASTA_EXT = {".fa", ".fasta", ".fna", ".fas", ".ffn"}


def decode_text(data: bytes, source) -> str:
    """UTF-8 text of an input's bytes (a BOM dropped); binary data or bad bytes refused."""
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


def read_capped(fh, cap: int, source) -> bytes:
    """Read a stream to the end, refusing it as soon as it passes ``cap`` bytes.

    The first 64 KB are checked for NUL bytes first (binary data is refused at once, also
    from ``/dev/zero`` or a pipe); a gzip stream is unpacked incrementally under the same cap.
    """
    head = fh.read(_HEAD)
    if head[:2] != b"\x1f\x8b" and b"\x00" in head:
        decode_text(head, source)  # raises the 'binary file' SequenceError
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
    cap = int(max_bytes) if max_bytes is not None else max_input_bytes()
    if str(path) == "-":
        data = read_capped(sys.stdin.buffer, cap, "<stdin>")
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
            data = read_capped(fh, cap, source)
        suffix = p.suffix.lower()
        if suffix == ".gz":
            suffix = Path(p.stem).suffix.lower()
    text = decode_text(data, source)
    del data
    if fmt == "auto" and suffix in _FASTA_EXT:
        fmt = "fasta"
    if fmt == "auto" and suffix in {".csv", ".tsv"}:
        fmt = "table"
    return parse_text(text, fmt, max_length=max_length, strict=strict, source=source,
                      delimiter="," if suffix == ".csv" else None)


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
    source = str(path)
    opener = open
    if "://" in source:  # gs:// needs TensorFlow's file systems; a local file does not
        import tensorflow as tf

        opener = tf.io.gfile.GFile
    max_line = max(1 << 16, 4 * int(max_length) + 1024)
    with opener(source, "rb") as fh:
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
        problems.append((i, bad_char_message(seqs[i][pos - 1], pos),
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
