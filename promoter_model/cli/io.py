"""Input and output shared by the ``promoter-model`` commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_SEQUENCE_LETTERS = set("ACGTNU")


def looks_like_sequence(arg: str) -> bool:
    """True if ``arg`` holds only sequence letters (A, C, G, T, N, U; white space ignored)."""
    s = "".join(arg.split()).upper()
    return bool(s) and set(s) <= _SEQUENCE_LETTERS


def read_input(arg: str, fmt: str = "auto", max_length: int | None = None):
    """Sequences from a file (any format ``read_sequences`` reads), ``-`` (stdin) or a literal.

    An argument that is not an existing file and holds only sequence letters is read as
    one sequence with id ``sequence``. What reading did beyond normalising (a GenBank header
    stripped, wrapped lines joined: ``SequenceTable.notes``) is printed as ``note:`` lines.

    Returns
    -------
    promoter_model.sequence.SequenceTable
    """
    from ..sequence import DEFAULT_MAX_LENGTH, parse_text, read_sequences

    max_length = max_length or DEFAULT_MAX_LENGTH
    if arg != "-" and not os.path.exists(arg) and looks_like_sequence(arg):
        table = parse_text(arg, "lines", max_length=max_length, source="<argument>")
        table.ids = ["sequence"]
        return table
    table = read_sequences(arg, fmt, max_length=max_length)
    for note in table.notes:  # a GenBank header stripped, wrapped lines joined
        print(f"note: {arg}: {note}", file=sys.stderr)
    return table


def check_output(output, inputs=(), flag: str = "--output") -> None:
    """Refuse an output that cannot or must not be written, before any work is done: the
    one writer check, :func:`promoter_model.runs.gate.check_write` (never the input, never
    through a link, only into an existing, writable folder).

    Raises
    ------
    ValueError
        Naming the flag, the output and the problem (one ``error:`` line).
    """
    from ..runs.gate import check_write

    check_write(output, inputs, flag)


def check_run_folder(path) -> None:
    """Refuse a path that is not a run or ensemble folder, or whose files do not match their
    checksums, without loading a model: a bad one is refused in a second, before TensorFlow
    loads. The model is loaded (and checked again) afterwards through the same gate.

    Raises
    ------
    promoter_model.runs.RunError
    """
    from ..runs.ensemble import is_ensemble, read_ensemble_spec
    from ..runs.run import check_run

    if is_ensemble(path):
        read_ensemble_spec(path)
    else:
        check_run(path)


def check_writable(folder, what: str) -> None:
    """Refuse early if ``folder`` (or, if it does not exist, its parent) is not writable.

    Raises
    ------
    ValueError
    """
    from ..runs.gate import check_folder_for_writing

    folder = check_folder_for_writing(folder)  # no link, never created out of nothing
    target = folder if folder.exists() else folder.parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise ValueError(f"{target} is not writable (read-only file system or no "
                         f"permission); {what} needs to write there")


def write_csv(df, output) -> None:
    """Write a table to ``output`` atomically, or to standard output if it is empty."""
    from .. import atomic

    if output:
        atomic.write_text(output, df.to_csv(index=False))
    else:
        df.to_csv(sys.stdout, index=False)


def fit_notice(sequences, length: int, detail: str = "") -> None:
    """Tell the user (stderr) how many sequences were fitted to ``length`` bp, and how.

    The text is :func:`promoter_model.sequence.fit_summary`, the same the pages show.
    """
    from ..sequence import fit_summary

    note = fit_summary(sequences, length)
    if note:
        print(f"note: {note}{detail}", file=sys.stderr)


def read_text(arg: str) -> tuple:
    """``(text, source)`` of a file or ``-`` (standard input), under the input size cap.

    The same checks as every sequence input (``sequence.read_sequences``): a regular file
    or ``-``, at most ``PROMOTER_MAX_INPUT_MB``, UTF-8 text (gzip unpacked).

    Raises
    ------
    SequenceError
    """
    from ..sequence import SequenceError, decode_text, max_input_bytes, read_capped

    cap = max_input_bytes()
    if arg == "-":
        return decode_text(read_capped(sys.stdin.buffer, cap, "<stdin>"), "<stdin>"), "<stdin>"
    p = Path(arg)
    if not p.exists():
        raise SequenceError("file not found", source=arg)
    if not p.is_file():
        raise SequenceError("is not a regular file; use '-' to read standard input",
                            source=arg)
    with open(p, "rb") as fh:
        return decode_text(read_capped(fh, cap, arg), arg), arg


def bounded_int(value, name: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``, or a ValueError naming the option and bound."""
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a whole number") from None
    if not low <= v <= high:
        raise ValueError(f"{name} {v} is outside {low:,}..{high:,}")
    return v
