"""Sequence records from text: the formats, their parsers and record validation.

Pasted text and file contents become a :class:`SequenceTable` through :func:`parse_text`
(DREAM ``sequence<TAB>expression``, tables with a header, FASTA, GenBank or SnapGene text,
or one sequence per line; a sequence wrapped over lines without a header is one sequence).
What was stripped or joined is said in :attr:`SequenceTable.notes`.
Every rejected record is a :class:`~promoter_model.sequence.SequenceError` naming the
record, line, position and character. Reading files (size caps, gzip, standard input) is in
:mod:`.files`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np

from promoter_model.sequence.encode import find_invalid, normalize
from promoter_model.sequence.errors import SequenceError, bad_char_message
from promoter_model.sequence.layout import DEFAULT_MAX_LENGTH
from promoter_model.sequence.pastes import is_genbank, parse_genbank, unwrap_lines


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
    notes : list of str
        What reading did to the text beyond normalising it (a GenBank header and position
        numbers stripped, wrapped lines joined); shown to the user as ``note:`` lines.
    """

    ids: list
    sequences: list
    expression: np.ndarray | None = None
    errors: list = field(default_factory=list)
    source: str | None = None
    notes: list = field(default_factory=list)

    def __len__(self):
        return len(self.sequences)


# --------------------------------------------------------------------------- validation
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
            f"record '{ids[i]}': {bad_char_message(ch, pos)}", record=ids[i], position=pos,
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


# --------------------------------------------------------------------------- text formats
FORMATS = ("auto", "dream", "table", "fasta", "genbank", "lines")
def detect_format(text: str) -> str:
    """Guess the format of sequence text: ``fasta``, ``table``, ``genbank``, ``dream`` or
    ``lines``.
    """
    all_lines = text.splitlines()
    first = next((ln for ln in all_lines if ln.strip()), "")
    stripped = first.strip()
    if stripped.startswith(">"):
        return "fasta"
    cells = [c.strip().strip('"').lower() for c in _split_cells(stripped)]
    if "sequence" in cells or "seq" in cells:
        return "table"
    if stripped.startswith("LOCUS") or stripped == "ORIGIN":
        return "genbank"
    if "\t" in stripped and len(stripped.split("\t")) == 2:
        return "dream"
    if is_genbank(all_lines[:2000]):
        return "genbank"
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
              "genbank": _parse_genbank, "lines": _parse_lines}[fmt]
    ids, seqs, expr, lines, errors = parser(text, source, delimiter)
    notes = []
    if fmt == "genbank":
        notes.append(f"read as GenBank/SnapGene text: {len(seqs)} sequence(s) of "
                     f"{', '.join(str(len(normalize(q))) for q in seqs[:5])} bp; the header "
                     "(LOCUS, FEATURES ...), position numbers, spaces and '//' were ignored")
    elif fmt == "lines":
        ids, seqs, lines, joined = unwrap_lines(ids, seqs, lines)
        if joined:
            notes.append(joined)
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
                         source=source, notes=notes)


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


def _parse_genbank(text, source, _delimiter):
    ids, seqs, lines, errors = parse_genbank(text, source)
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
