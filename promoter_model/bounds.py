"""Bounds on every number a user sizes: one place, used by the command line and the pages.

A number typed by a visitor (a range of positions, a mutation budget, a count of designs, of
sequences to attribute, of ensemble members, the size of a session file) decides how much
memory and time a request takes, so each is checked here before any work, and a refusal
names the knob and its bound: ``--max-mutations 10000 is over the limit of 110``. Real
numbers must be finite (``--tolerance nan`` is refused).

Bounds
------
MAX_POSITION        a 1-based position or range end (the longest sequence read is 1,000 bp)
MAX_MUTATIONS       a design's mutation budget (a 110 bp promoter has 110 positions)
MAX_DESIGNS         designs per search
MAX_SEARCH_WORK     mutations x designs of one search (the beam's cost per step x steps)
MAX_DISCOVER_N      sequences attributed by ``discover``
MAX_MEMBERS         members of an ensemble
MAX_SESSION_BYTES   a dashboard session file (app/session.py reads it through these bounds)
MAX_SESSION_TEXT    characters of one text box saved in a session
MAX_SESSION_STEPS   steps of a mutagenesis trajectory saved in a session

Nothing here imports more than the standard library.
"""

from __future__ import annotations

import math

MAX_POSITION = 1000
MAX_MUTATIONS = 110
MAX_DESIGNS = 100  # as design.objective.MAX_DESIGNS
MAX_SEARCH_WORK = 2000
MAX_DISCOVER_N = 100_000
MAX_MEMBERS = 64
MAX_SESSION_BYTES = 10_000_000
MAX_SESSION_TEXT = 1_000_000
MAX_SESSION_STEPS = 1000


class BoundError(ValueError):
    """A user-sized number outside its bound (the message names the knob and the bound)."""


def count(name: str, value, lo: int, hi: int) -> int:
    """``value`` as an int in ``[lo, hi]``, else :class:`BoundError` naming ``name``."""
    if isinstance(value, bool):
        raise BoundError(f"{name} must be a whole number, got {value!r}")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise BoundError(f"{name} must be a whole number, got {value!r}") from None
    if not math.isfinite(as_float) or as_float != int(as_float):
        raise BoundError(f"{name} must be a whole number, got {value!r}")
    n = int(value)
    if n < lo:
        raise BoundError(f"{name} {n} is below the lowest allowed value, {lo}")
    if n > hi:
        raise BoundError(f"{name} {n} is over the limit of {hi:,}")
    return n


def finite(name: str, value, lo: float | None = None, hi: float | None = None) -> float:
    """``value`` as a finite float (within ``[lo, hi]`` when given), else :class:`BoundError`."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise BoundError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise BoundError(f"{name} must be a finite number, got {value!r}")
    if lo is not None and x < lo:
        raise BoundError(f"{name} {x:g} is below the lowest allowed value, {lo:g}")
    if hi is not None and x > hi:
        raise BoundError(f"{name} {x:g} is over the limit of {hi:g}")
    return x


def positions(items, name: str = "--keep", hi: int = MAX_POSITION) -> tuple:
    """0-based positions from 1-based ``"12"``, ``"40-60"`` or comma-separated lists.

    Every number is checked against ``hi`` before a range is expanded, so ``1-10000000000``
    is refused at once (it would otherwise build a ten-billion-element list).
    """
    out = set()
    for item in items or ():
        for part in str(item).replace(",", " ").split():
            lo_text, _, hi_text = part.partition("-")
            if len(part) > 40:
                raise BoundError(f"{name} {part[:40]!r}...: over the limit of 40 characters "
                                 "(give 1-based positions such as 12 or 40-60)")
            try:
                a, b = int(lo_text), int(hi_text or lo_text)
            except ValueError:
                raise BoundError(f"{name} {part!r}: give 1-based positions such as 12 or "
                                 "40-60") from None
            if a < 1 or b < a:
                raise BoundError(f"{name} {part!r}: positions start at 1 and ranges go up")
            if b > hi:
                raise BoundError(f"{name} {part!r}: position {b:,} is over the limit of "
                                 f"{hi:,} (sequences are at most {hi:,} bp)")
            out.update(range(a - 1, b))
    return tuple(sorted(out))


def check_parsed(args) -> None:
    """Refuse a parsed command line holding a float that is not finite (``--lr nan``,
    ``--tolerance inf``): every float option of every command, a new one included.
    """
    for dest, value in sorted(vars(args).items()):
        if isinstance(value, float):
            finite(f"--{dest.replace('_', '-')}", value)


def design_search(max_mutations, n_designs, strategy: str = "greedy") -> tuple:
    """``(max_mutations, n_designs)`` checked, with their product bounded for a beam."""
    m = count("the mutation budget --max-mutations", max_mutations, 1, MAX_MUTATIONS)
    n = count("--n-designs", n_designs, 1, MAX_DESIGNS)
    if strategy == "beam" and m * n > MAX_SEARCH_WORK:
        raise BoundError(f"--max-mutations x --n-designs is {m * n:,} with the beam search, "
                         f"over the limit of {MAX_SEARCH_WORK:,}")
    return m, n


def size(name: str, n: int, hi: int, unit: str = "bytes") -> int:
    """``n`` (a length already measured) if at most ``hi``, else :class:`BoundError`:
    ``the session file is 12,000,000 bytes, over the limit of 10,000,000 bytes``.
    """
    if n > hi:
        raise BoundError(f"{name} is {n:,} {unit}, over the limit of {hi:,} {unit}")
    return n
