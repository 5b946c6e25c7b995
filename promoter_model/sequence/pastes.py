"""Real pastes: GenBank and SnapGene text, and a sequence wrapped over several lines.

A biologist copies a promoter from a GenBank record or SnapGene (a ``LOCUS``/``FEATURES``
header, an ``ORIGIN`` section of numbered lines in blocks of ten, ``//``) or from a FASTA
file without its header (one sequence wrapped at 60 or 80 bp). :func:`parse_genbank` reads
the first as one sequence per record; :func:`unwrap_lines` joins the second into one
sequence. :func:`promoter_model.sequence.parse.parse_text` calls both and says what it did
in :attr:`SequenceTable.notes <promoter_model.sequence.parse.SequenceTable>`.
"""

from __future__ import annotations

import re

from promoter_model.sequence.errors import SequenceError

#: A GenBank/SnapGene sequence line: blocks of bases with a position number before or after.
_NUMBERED = re.compile(r"^\s*\d*\s*[A-Za-z][A-Za-z \t]*?\s*\d*\s*$")
#: Line widths sequence files and editors wrap at (a list of constructs is not wrapped).
WRAP_WIDTHS = (50, 60, 61, 70, 72, 75, 76, 80, 100, 120)
_BASES = set("ACGTUNacgtun")


def is_genbank(lines: list) -> bool:
    """A GenBank/SnapGene header (``LOCUS``, ``ORIGIN``), or only numbered sequence lines."""
    if any(ln.startswith(("LOCUS ", "ORIGIN")) or ln.strip() == "ORIGIN" for ln in lines):
        return True
    body = [ln for ln in lines if ln.strip() and ln.strip() != "//"]
    return bool(body) and all(_NUMBERED.match(ln) and any(c.isdigit() for c in ln)
                              for ln in body)


def parse_genbank(text: str, source=None):
    """GenBank or SnapGene text: each ``LOCUS ... ORIGIN ... //`` record is one sequence
    named by its LOCUS; numbered sequence lines without a header are one sequence.

    Returns
    -------
    ids, sequences (letters only, not yet normalised), lines (1-based line of each
    record), errors (list of SequenceError for lines that are not sequence lines)
    """
    ids, seqs, lines, errors = [], [], [], []
    all_lines = text.splitlines()
    # with an ORIGIN section, only its lines hold bases (a pasted FEATURES table does not)
    headed = any(ln.strip().startswith("ORIGIN") for ln in all_lines)
    name, chunks, in_origin, start = None, [], False, None

    def close():
        if chunks or in_origin:
            ids.append(name or ("sequence" if not headed else f"record_{len(ids) + 1}"))
            seqs.append("".join(chunks))
            lines.append(start or 1)

    for n, raw in enumerate(all_lines, start=1):
        line = raw.strip()
        if raw.startswith("LOCUS"):
            close()
            parts = line.split()
            name, chunks, in_origin, start, headed = (parts[1] if len(parts) > 1 else None,
                                                      [], False, n, True)
        elif line.startswith("ORIGIN"):
            in_origin, start = True, start or n
        elif line == "//":
            close()
            name, chunks, in_origin, start = None, [], False, None
        elif line and (in_origin or not headed):
            if not _NUMBERED.match(line):
                errors.append(SequenceError(
                    f"GenBank sequence line {line[:30]!r} holds more than bases and "
                    "position numbers", source=source, line=n, record=name or f"line {n}"))
                continue
            chunks.append("".join(c for c in line if c.isalpha()))
            start = start or n
    close()
    if not seqs and not errors:
        raise SequenceError("GenBank text without an ORIGIN section: no sequence found",
                            source=source)
    return ids, seqs, lines, errors


def unwrap_lines(ids, seqs, lines):
    """Lines of one sequence wrapped at a usual width, joined (a list of sequences is not).

    Joined when there are at least two lines, each holds bases only, every line but the
    last has one width of :data:`WRAP_WIDTHS` and the last is shorter. Lines all of one
    length stay one sequence each (a list of constructs), and the note says how to join.

    Returns
    -------
    ids, seqs, lines (joined or as given), note (str or None)
    """
    plain = [s.replace(" ", "").replace("\t", "") for s in seqs]
    if len(plain) < 2 or not all(p and set(p) <= _BASES for p in plain):
        return ids, seqs, lines, None
    width = len(plain[0])
    if width not in WRAP_WIDTHS or any(len(p) != width for p in plain[:-1]):
        return ids, seqs, lines, None
    if len(plain[-1]) == width:
        return ids, seqs, lines, (
            f"{len(plain)} lines of {width} bp were read as {len(plain)} sequences, one per "
            "line; if they are one sequence wrapped over lines, put a FASTA header line "
            "('>name') above them")
    joined = "".join(plain)
    return ["sequence"], [joined], lines[:1], (
        f"{len(plain)} lines wrapped at {width} bp were read as one sequence of "
        f"{len(joined)} bp (the last line is shorter); to read one sequence per line, give "
        "each its own FASTA header")
