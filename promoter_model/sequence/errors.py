"""The error for unusable sequences and input files, and its wording for a bad base.

Raised by every module of :mod:`promoter_model.sequence` (encoding, parsing, reading files);
import it from the package: ``from promoter_model.sequence import SequenceError``.
"""

from __future__ import annotations

IUPAC_AMBIGUITY = set("RYSWKMBDHVryswkmbdhv")


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


def bad_char_message(ch: str, position: int) -> str:
    """The wording for a character that is not a DNA base, at a 1-based position."""
    shown = repr(ch) if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
    if ch in IUPAC_AMBIGUITY:
        kind = f"IUPAC ambiguity code {shown}"
    else:
        kind = f"character {shown}"
    return f"{kind} at position {position} is not a DNA base (only A, C, G, T, N are accepted)"
