"""Reading `prepare`'s inputs: the DREAM format (streamed) or a small table with a header."""

from __future__ import annotations

import os
import re
import stat

import numpy as np

from promoter_model import sequence as seqmod
from promoter_model.records.fs import DataError, gfile


def input_format(path) -> str:
    """``dream`` (no header, ``sequence<TAB>expression``) or ``table`` (header row)."""
    files = gfile()
    path = str(path)
    if not files.exists(path):
        raise DataError(f"{path}: input file not found")
    if files.isdir(path):
        raise DataError(f"{path}: is a folder, not an input file")
    if "://" not in path:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise DataError(f"{path}: is not a regular file (a FIFO, a device or a socket); "
                            "prepare reads files only")
    with files.GFile(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"\x1f\x8b":
        return "table"  # only small header tables are accepted compressed
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip().lower()
    cells = [c.strip().strip(b'"') for c in re.split(rb"[\t,]", first)]
    if b"sequence" in cells or b"seq" in cells:
        return "table"
    return "dream"


def read_table(path, max_length: int):
    """Sequences and expression of a small CSV/TSV with a header (optionally gzipped)."""
    path = str(path)
    with gfile().GFile(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    with gfile().GFile(path, "rb") as fh:
        data = seqmod.read_capped(fh, seqmod.max_input_bytes(), path)  # gzip unpacked, capped
    if gzipped:
        if b"\t" not in data.split(b"\n", 1)[0] and b"," not in data.split(b"\n", 1)[0]:
            raise DataError(f"{path}: a gzipped input must be a CSV/TSV table with a header")
    text = seqmod.decode_text(data, path)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first else ","
    table = seqmod.parse_text(text, "table", max_length=max_length, strict=True, source=path,
                              delimiter=delimiter)
    if table.expression is None:
        raise DataError(f"{path}: the table has no 'expression' column")
    return table.sequences, np.asarray(table.expression, dtype=np.float32)


def iter_input(path, fmt, chunk_rows, max_length):
    """Yield (sequences, expression) chunks of an input file; validated."""
    if fmt == "table":
        seqs, expr = read_table(path, max_length)
        for start in range(0, len(seqs), chunk_rows):
            yield seqs[start:start + chunk_rows], expr[start:start + chunk_rows]
        return
    for seqs, expr, _first_line in seqmod.iter_dream_chunks(path, chunk_rows, max_length):
        yield seqs, expr


def family_assignment_of_inputs(input_path, fmt, *, test_input=None, test_fmt=None,
                                chunk_rows: int, max_length: int, length: int, seed: int,
                                val_fraction: float, test_fraction: float, fold=None):
    """Read the inputs once and split their rows by family
    (:func:`promoter_model.families.split.family_assignment`): returns the assignment of
    every input row (0 train, 1 val, 2 test, -1 excluded as a relative of a test row) and
    the family summary. The 80 bp variable region is compared when ``length`` is 110, the
    whole fitted sequence otherwise; one byte a base of each is held (536 MB for 6.7M rows).
    """
    from promoter_model.families.split import family_assignment

    def codes_of(path, path_fmt):
        parts = [seqmod.encode_fitted(seqs, length)[0]
                 for seqs, _ in iter_input(path, path_fmt, chunk_rows, max_length)]
        codes = np.concatenate(parts) if parts else np.zeros((0, length), np.uint8)
        if length == seqmod.SEQ_LEN:
            codes = np.ascontiguousarray(codes[:, seqmod.VARIABLE_START:seqmod.VARIABLE_END])
        return codes

    test_codes = codes_of(test_input, test_fmt) if test_input is not None else None
    return family_assignment(codes_of(input_path, fmt), seed=seed, val_fraction=val_fraction,
                             test_fraction=test_fraction, fold=fold, test_codes=test_codes)
