"""Pairs tables: a CSV or TSV with ``ref`` and ``alt`` sequence columns (issue 28).

An ``id`` (or ``name``) column is kept; other columns are ignored. Every sequence is
normalised and checked as any record is (:func:`promoter_model.sequence.parse.check_sequences`),
an error naming the line, the pair and the column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from promoter_model.sequence.encode import normalize
from promoter_model.sequence.errors import SequenceError
from promoter_model.sequence.layout import DEFAULT_MAX_LENGTH
from promoter_model.sequence.parse import check_sequences, unique_ids

MAX_PAIRS = 100_000


@dataclass
class PairTable:
    """Paired sequences: ``ids``, ``refs``, ``alts`` (lists of str, normalised)."""

    ids: list
    refs: list
    alts: list

    def __len__(self):
        return len(self.refs)


def has_pair_columns(text: str) -> bool:
    """Whether the first non-empty line is a header naming ``ref`` and ``alt`` columns."""
    first = next((ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()), "")
    cells = {c.strip().strip('"').lower() for c in first.replace("\t", ",").split(",")}
    return {"ref", "alt"} <= cells


def parse_pairs(text: str, *, source=None, max_length: int = DEFAULT_MAX_LENGTH,
                max_pairs: int = MAX_PAIRS) -> PairTable:
    """Read a pairs table.

    Raises
    ------
    SequenceError
        No ``ref``/``alt`` header, a short row, a bad sequence (line, pair, column,
        position), or more than ``max_pairs`` rows.
    """
    text = text.lstrip("\ufeff")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, ids, refs, alts, lines = None, [], [], [], []
    try:
        for row in reader:
            n = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if header is None:
                header = [c.strip().lower() for c in row]
                if "ref" not in header or "alt" not in header:
                    raise SequenceError("a pairs table needs 'ref' and 'alt' columns; the "
                                        f"header has {', '.join(row)}", source=source, line=n)
                i_ref, i_alt = header.index("ref"), header.index("alt")
                i_id = header.index("id") if "id" in header else (
                    header.index("name") if "name" in header else None)
                continue
            if len(refs) >= max_pairs:
                raise SequenceError(f"more than {max_pairs:,} pairs (the limit)",
                                    source=source, line=n)
            if len(row) <= max(i_ref, i_alt):
                raise SequenceError(f"row has {len(row)} columns, no 'ref' and 'alt' values",
                                    source=source, line=n)
            rid = row[i_id].strip() if i_id is not None and len(row) > i_id else ""
            ids.append(rid or f"pair{len(ids) + 1}")
            refs.append(normalize(row[i_ref]))
            alts.append(normalize(row[i_alt]))
            lines.append(n)
    except csv.Error as exc:
        raise SequenceError(f"not a valid table ({exc})", source=source,
                            line=reader.line_num) from None
    if not refs:
        raise SequenceError("no pairs found in the input", source=source)
    for column, seqs in (("ref", refs), ("alt", alts)):
        errors = check_sequences([f"{i} ({column})" for i in ids], seqs,
                                 max_length=max_length, source=source, lines=lines)
        if errors:
            raise errors[0][1]
    return PairTable(unique_ids(ids), refs, alts)
