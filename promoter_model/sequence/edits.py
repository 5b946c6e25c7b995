"""Edits of a wild type in the user's own coordinates, checked and applied.

A biologist writes variants of their wild type (WT) the way papers do, numbered as they
number it (from 1, or relative to the transcription start with ``offset``):

* ``A45G`` or ``45A>G``: a substitution (``45AC>GT``: two bases; ``45AC>G``: a
  replacement that changes the length);
* ``del45`` or ``del45-48`` (also ``del45_48``, ``del45..48``): bases 45 to 48 deleted;
  ``del45-48:ACGT`` also checks that the WT reads ``ACGT`` there;
* ``ins45:ACGT``: ``ACGT`` inserted **before** WT base 45 (the inserted bases take positions
  45-48 of the variant; ``ins{last + 1}`` appends);
* several edits of one variant separated by ``;`` (``A45G;del60-61``), every position in WT
  coordinates (not shifted by earlier edits); edits of one variant may not overlap.

Coordinates: the user's position ``u`` is WT base ``u - offset`` (1-based), so ``offset=0``
numbers the WT from 1 and, for a 600 bp upstream region numbered -600..-1 from the TSS,
``offset=-601``. A position may be negative (``A-45G``, ``del-48--45``). Every reference base
an edit names is checked against the WT, and a mismatch names what the WT has there.

Substitution-only variants (the usual list) are applied in one numpy assignment over all
variants; variants with indels are built one string each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from promoter_model.sequence.encode import find_invalid, normalize
from promoter_model.sequence.errors import SequenceError
from promoter_model.sequence.layout import DEFAULT_MAX_LENGTH

#: Most variants one list may hold, and most edits in one variant.
MAX_VARIANTS = 100_000
MAX_EDITS = 200
#: Largest offset accepted (its absolute value).
MAX_OFFSET = 1_000_000_000

_POS = r"(-?\d+)"
_SUB = re.compile(rf"^([ACGTN]){_POS}([ACGTN])$")
_REPLACE = re.compile(rf"^{_POS}([ACGTN]+)>([ACGTN]+|-)$")
_DEL = re.compile(rf"^DEL{_POS}(?:(?:\.\.|[-_]){_POS})?(?::([ACGTN]+))?$")
_INS = re.compile(rf"^INS{_POS}:?([ACGTN]+)$")
NOTATION = "A45G, 45A>G, del45-48, ins45:ACGT (several edits of one variant joined by ';')"


@dataclass(frozen=True)
class Edit:
    """One edit in WT coordinates.

    Attributes
    ----------
    start : int
        0-based index of the first WT base replaced (for an insertion: the base it goes
        before; ``len(wt)`` appends).
    ref : str
        The WT bases replaced (empty for an insertion).
    alt : str
        The bases written instead (empty for a deletion).
    text : str
        The edit as the user wrote it (spaces removed).
    """

    start: int
    ref: str
    alt: str
    text: str


def check_offset(offset) -> int:
    """``offset`` as an int within :data:`MAX_OFFSET`, or a ValueError naming it."""
    try:
        value = int(offset)
    except (TypeError, ValueError):
        raise ValueError(f"--offset {offset!r} is not a whole number") from None
    if abs(value) > MAX_OFFSET:
        raise ValueError(f"--offset {value} is beyond the limit of ±{MAX_OFFSET:,}")
    return value


def parse_edit(token: str, wt: str, offset: int = 0) -> Edit:
    """One edit (``A45G``, ``45A>G``, ``del45-48``, ``ins45:ACGT``) checked against ``wt``.

    Raises
    ------
    SequenceError
        The notation is not recognised, a position lies outside the WT, or a reference base
        is not what the WT has there (naming both).
    """
    written = "".join(str(token).split())
    text = written.upper().replace("U", "T")
    span = f"{1 + offset}..{len(wt) + offset}"  # the user's coordinates of the WT

    def index(u: str, insertion: bool = False) -> int:
        i = int(u) - offset - 1
        if not 0 <= i <= len(wt) - (0 if insertion else 1):
            raise SequenceError(f"edit {written}: position {int(u)} is outside the wild type "
                                f"({span} with offset {offset})")
        return i

    def check(i: int, ref: str, u: int) -> None:
        found = wt[i:i + len(ref)]
        if found != ref:
            raise SequenceError(f"edit {written}: the wild type has {found or 'nothing'} at "
                                f"{u}, not {ref}", position=i + 1)

    if m := _SUB.match(text):
        i = index(m[2])
        check(i, m[1], int(m[2]))
        if m[1] == m[3]:
            raise SequenceError(f"edit {written} changes nothing (the same base twice)")
        return Edit(i, m[1], m[3], written)
    if m := _REPLACE.match(text):
        i = index(m[1])
        if i + len(m[2]) > len(wt):
            raise SequenceError(f"edit {written}: runs past the end of the wild type ({span})")
        check(i, m[2], int(m[1]))
        return Edit(i, m[2], "" if m[3] == "-" else m[3], written)
    if m := _DEL.match(text):
        i = index(m[1])
        j = index(m[2]) if m[2] is not None else i
        if j < i:
            raise SequenceError(f"edit {written}: the range runs backwards ({m[1]} to {m[2]})")
        ref = wt[i:j + 1]
        if m[3] is not None and m[3] != ref:
            raise SequenceError(f"edit {written}: the wild type has {ref} at "
                                f"{m[1]}..{m[2] or m[1]}, not {m[3]}", position=i + 1)
        return Edit(i, ref, "", written)
    if m := _INS.match(text):
        return Edit(index(m[1], insertion=True), "", m[2], written)
    raise SequenceError(f"cannot read the edit {str(token).strip()!r}; write it like "
                        f"{NOTATION}")


def parse_variant_text(text: str, wt: str, offset: int = 0) -> list:
    """The edits of one variant (``;``-separated), checked, sorted and not overlapping.

    Returns
    -------
    list of Edit, 5' to 3'

    Raises
    ------
    SequenceError
    """
    tokens = [t for t in str(text).split(";") if t.strip()]
    if not tokens:
        raise SequenceError("an empty variant (no edit)")
    if len(tokens) > MAX_EDITS:
        raise SequenceError(f"{len(tokens)} edits in one variant, over the limit of "
                            f"{MAX_EDITS}")
    edits = sorted((parse_edit(t, wt, offset) for t in tokens),
                   key=lambda e: (e.start, len(e.ref)))
    for a, b in zip(edits, edits[1:]):
        if b.start < a.start + len(a.ref) or (b.start == a.start and not a.ref and not b.ref):
            raise SequenceError(f"edits {a.text} and {b.text} overlap; combine them into one")
    return edits


def apply_edits(wt: str, variants: list) -> list:
    """The sequence of each variant: ``wt`` with its edits applied.

    Parameters
    ----------
    wt : str
        Normalised.
    variants : list of list of Edit
        From :func:`parse_variant_text`.

    Returns
    -------
    list of str
        Substitution-only variants are written in one numpy assignment; the others one by
        one, right to left so earlier positions stay valid.
    """
    out = [""] * len(variants)
    sub = [k for k, v in enumerate(variants) if all(len(e.ref) == len(e.alt) for e in v)]
    if sub and wt:
        L = len(wt)
        mat = np.repeat(np.frombuffer(wt.encode("ascii"), np.uint8)[None], len(sub), axis=0)
        rows, cols, bases = [], [], []
        for r, k in enumerate(sub):
            for e in variants[k]:
                rows.extend([r] * len(e.alt))
                cols.extend(range(e.start, e.start + len(e.alt)))
                bases.append(e.alt)
        if rows:
            mat[np.asarray(rows), np.asarray(cols)] = np.frombuffer(
                "".join(bases).encode("ascii"), np.uint8)
        for k, s in zip(sub, mat.view(f"S{L}").ravel().astype(str).tolist()):
            out[k] = s
    done = set(sub) if wt else set()
    for k, v in enumerate(variants):
        if k in done:
            continue
        seq = wt
        for e in reversed(v):
            seq = seq[:e.start] + e.alt + seq[e.start + len(e.ref):]
        out[k] = seq
    return out


def substitution_labels(wt: str, sequences, offset: int = 0) -> list:
    """``"A45G;C50T"`` for each full sequence of the WT's length (user coordinates), else
    ``"sequence (N bp)"``: what a variant given as a whole sequence changes.
    """
    w = np.frombuffer(wt.encode("ascii"), np.uint8)
    out = []
    for s in sequences:
        if len(s) != len(wt):
            out.append(f"sequence ({len(s)} bp)")
            continue
        v = np.frombuffer(s.encode("ascii"), np.uint8)
        idx = np.flatnonzero(v != w)
        out.append(";".join(f"{wt[i]}{i + 1 + offset}{s[i]}" for i in idx.tolist())
                   or "none (the wild type)")
    return out


def check_bases(seq: str, what: str) -> str:
    """``seq`` normalised, or a SequenceError naming ``what`` and the first bad character."""
    s = normalize(seq)
    bad = int(find_invalid([s])[0]) if s else 0
    if not s:
        raise SequenceError(f"{what} is empty")
    if bad:
        raise SequenceError(f"{what}: {s[bad - 1]!r} at position {bad} is not a base (A, C, "
                            "G, T or N)", position=bad, character=s[bad - 1])
    return s


@dataclass
class VariantList:
    """Variants of one wild type, read from text.

    Attributes
    ----------
    ids : list of str
        Given before a TAB or a comma, else ``v1``, ``v2``, ... (by line).
    labels : list of str
        The edits as written (``A45G;del60-61``), or for a whole sequence what it changes
        (:func:`substitution_labels`).
    sequences : list of str
        Each variant's full sequence (not yet fitted to the model length).
    edits : list of list of Edit or None
        None for a variant given as a whole sequence.
    """

    ids: list
    labels: list
    sequences: list
    edits: list


def read_variant_list(text: str, wt: str, offset: int = 0, *, source=None,
                      max_variants: int = MAX_VARIANTS,
                      max_length: int = DEFAULT_MAX_LENGTH) -> VariantList:
    """Variants of ``wt``, one a line: edits (:data:`NOTATION`) or a whole sequence.

    A line may start with an id and a TAB or a comma (``promoter-3,A45G;C50T``); ``#``
    starts a comment; a header line ``id,edits`` is skipped. FASTA text is read as whole
    sequences, one a record.

    Raises
    ------
    SequenceError
        Naming the line, the variant and the problem; also over ``max_variants`` variants
        or a variant longer than ``max_length``.
    """
    from promoter_model.sequence.parse import parse_text, unique_ids

    offset = check_offset(offset)
    wt = check_bases(wt, "the wild type")
    if text.lstrip("\ufeff \t\r\n").startswith(">"):
        table = parse_text(text, "fasta", max_length=max_length, source=source)
        if len(table) > max_variants:
            raise SequenceError(f"{len(table):,} variants, over the limit of "
                                f"{max_variants:,}", source=source)
        return VariantList(table.ids, substitution_labels(wt, table.sequences, offset),
                           table.sequences, [None] * len(table))
    ids, labels, seqs, edits = [], [], [], []
    for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, body = re.split(r"(\t|,)", line, maxsplit=1) if re.search(r"[\t,]", line) \
            else ("", "", line)
        name, body = name.strip(), body.strip()
        if not ids and body.lower() in ("edits", "edit", "variant", "variants", "sequence"):
            continue  # a header line
        if len(ids) >= max_variants:
            raise SequenceError(f"more than {max_variants:,} variants (the limit)",
                                source=source, line=n)
        vid = name or f"v{len(ids) + 1}"
        try:
            if sep and _looks_like_edit(name):
                raise SequenceError(f"{name!r} before the {'TAB' if sep == chr(9) else 'comma'}"
                                    " reads as an edit: join the edits of one variant with ';'"
                                    " (a TAB or a comma separates an id from its edits)")
            if not any(c.isdigit() for c in body):
                if find_invalid([normalize(body)])[0]:
                    raise SequenceError(f"cannot read {body[:40]!r}: write edits like "
                                        f"{NOTATION}, or the variant's whole sequence")
                seq = check_bases(body, "the sequence")
                labels.append(substitution_labels(wt, [seq], offset)[0])
                edits.append(None)
            else:
                v = parse_variant_text(body, wt, offset)
                seq = None  # applied below, all variants at once
                labels.append(";".join("".join(t.split()) for t in body.split(";")
                                       if t.strip()))  # as written, in the user's order
                edits.append(v)
            size = len(seq) if seq is not None else len(wt) + sum(len(e.alt) - len(e.ref)
                                                                 for e in v)
            if size > max_length:
                raise SequenceError(f"the variant is {size} bp, longer than the limit of "
                                    f"{max_length} bp")
            if size == 0:
                raise SequenceError("the variant deletes the whole wild type")
        except SequenceError as exc:
            raise SequenceError(f"variant {vid}: {exc.reason}", source=source, line=n,
                                record=vid, position=exc.position) from None
        ids.append(vid)
        seqs.append(seq)
    if not ids:
        raise SequenceError("no variants found: the input is empty", source=source)
    pending = [k for k, s in enumerate(seqs) if s is None]
    for k, s in zip(pending, apply_edits(wt, [edits[k] for k in pending])):
        seqs[k] = s
    return VariantList(unique_ids(ids), labels, seqs, edits)


def _looks_like_edit(name: str) -> bool:
    text = "".join(name.split()).upper()
    return bool(_SUB.match(text) or _REPLACE.match(text) or _DEL.match(text)
                or _INS.match(text))
