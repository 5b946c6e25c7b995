"""Input and output shared by the ``promoter-model`` commands."""

from __future__ import annotations

import os
import sys

_SEQUENCE_LETTERS = set("ACGTNU")


def looks_like_sequence(arg: str) -> bool:
    """True if ``arg`` holds only sequence letters (A, C, G, T, N, U; white space ignored)."""
    s = "".join(arg.split()).upper()
    return bool(s) and set(s) <= _SEQUENCE_LETTERS


def read_input(arg: str, fmt: str = "auto", max_length: int | None = None):
    """Sequences from a file (any format ``read_sequences`` reads), ``-`` (stdin) or a literal.

    An argument that is not an existing file and holds only sequence letters is read as
    one sequence with id ``sequence``.

    Returns
    -------
    promoter_model.sequence.SequenceTable
    """
    from .sequence import DEFAULT_MAX_LENGTH, parse_text, read_sequences

    max_length = max_length or DEFAULT_MAX_LENGTH
    if arg != "-" and not os.path.exists(arg) and looks_like_sequence(arg):
        table = parse_text(arg, "lines", max_length=max_length, source="<argument>")
        table.ids = ["sequence"]
        return table
    return read_sequences(arg, fmt, max_length=max_length)


def write_csv(df, output) -> None:
    """Write a table to ``output`` atomically, or to standard output if it is empty."""
    from . import atomic

    if output:
        atomic.write_text(output, df.to_csv(index=False))
    else:
        df.to_csv(sys.stdout, index=False)


def fit_notice(sequences, length: int, detail: str = "") -> None:
    """Tell the user (stderr) how many sequences were fitted to ``length`` bp, and how.

    The text is :func:`promoter_model.sequence.fit_summary`, the same the pages show.
    """
    from .sequence import fit_summary

    note = fit_summary(sequences, length)
    if note:
        print(f"note: {note}{detail}", file=sys.stderr)
