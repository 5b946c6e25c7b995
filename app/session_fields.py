"""The page settings a session file carries: every saved widget key, the kind of its value
and its bounds (those of the widget, so an opened file can never hand a widget a value it
refuses), and the checks of the file's objects, sequences and tables. No ``st.*`` here;
:mod:`app.session` reads and writes the file.

Each widget listed here is created with ``persist_state="session"`` on its page, so its
value outlives a page switch and is there to be saved from any page, except those of
:data:`SHOWN_ONLY`: their defaults follow the Mutagenesis sequence whenever they are shown
again, so they are saved only when on screen (otherwise they come back as that default).
A setting whose value is well formed but not offered here (an example label, a motif of
another run's discovered patterns) is left out with a note rather than refused
(:func:`check_setting` with ``choices``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.trajectory import METHODS
from promoter_model import bounds
from promoter_model.design.oligos import MAX_OVERHANG

SEQUENCE_TEXT = 20_000  # characters of a one-sequence box (a GenBank paste of 1,000 bp fits)
SHORT_TEXT = 1_000
SEED = 2**31 - 1
#: the Grammar page's motif option for a typed site (offered wherever a motif is picked)
TYPED_SITE = "Type a site (IUPAC)…"
_SEQ = re.compile(r"[ACGTN]+")


class SessionError(ValueError):
    """A session file that cannot be opened: the message names the problem in one line."""


@dataclass(frozen=True)
class Text:
    """A string of at most ``most`` characters."""

    most: int

    def check(self, key, v):
        if not isinstance(v, str):
            raise SessionError(f"{key} must be text, got {type(v).__name__}")
        try:
            bounds.size(f"{key}", len(v), self.most, "characters")
        except bounds.BoundError as exc:
            raise SessionError(str(exc)) from None
        return v


@dataclass(frozen=True)
class Whole:
    """A whole number in ``[lo, hi]``."""

    lo: int
    hi: int

    def check(self, key, v):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool):
            raise SessionError(f"{key} must be a whole number, got {v!r:.40}")
        try:
            return bounds.count(f"{key}", v, self.lo, self.hi)
        except bounds.BoundError as exc:
            raise SessionError(str(exc)) from None


@dataclass(frozen=True)
class Real:
    """A finite number, at least ``lo`` when given."""

    lo: float | None = None

    def check(self, key, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SessionError(f"{key} must be a finite number, got {v!r:.40}")
        try:
            return bounds.finite(f"{key}", v, lo=self.lo)
        except bounds.BoundError as exc:
            raise SessionError(str(exc)) from None


@dataclass(frozen=True)
class Flag:
    """True or False."""

    def check(self, key, v):
        if not isinstance(v, bool):
            raise SessionError(f"{key} must be true or false, got {v!r:.40}")
        return v


@dataclass(frozen=True)
class Choice:
    """One of fixed ``options`` (those of the widget)."""

    options: tuple

    def check(self, key, v):
        if isinstance(v, bool) or v not in self.options:
            raise SessionError(f"{key} must be one of "
                               f"{', '.join(map(repr, self.options))}; got {v!r:.60}")
        return v


@dataclass(frozen=True)
class Span:
    """Two whole numbers ``lo <= a <= b <= hi`` (a range slider)."""

    lo: int
    hi: int

    def check(self, key, v):
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise SessionError(f"{key} must be two numbers [low, high]")
        a, b = (Whole(self.lo, self.hi).check(key, x) for x in v)
        if a > b:
            raise SessionError(f"{key} must go up: [{a}, {b}]")
        return (a, b)


@dataclass(frozen=True)
class Offered:
    """A label among those the page offers here (``choices[kind]``), or a list of them."""

    kind: str
    many: bool = False
    most: int = 300

    def check(self, key, v):
        items = v if self.many else [v]
        if self.many and not isinstance(v, list):
            raise SessionError(f"{key} must be a list")
        try:
            bounds.size(f"{key}", len(items), 1000, "items")
        except bounds.BoundError as exc:
            raise SessionError(str(exc)) from None
        for x in items:
            Text(self.most).check(key, x)
        return list(items) if self.many else v


#: saved only while shown (not kept across pages): the compare boxes, the scan sequence and
#: the absolute colour range start from the Mutagenesis sequence each time they appear
SHOWN_ONLY = frozenset({"cmp_ref", "cmp_alt", "scan_seq", "mut_zmax"})

FIELDS = {
    # Predict
    "predict_text": Text(bounds.MAX_SESSION_TEXT),
    "predict_examples": Offered("examples", many=True),
    "predict_reference": Choice(("all measured test sequences", "public-leaderboard test split")),
    "predict_level": Choice((0.5, 0.8, 0.9, 0.95, 0.99)),
    "predict_robust_all": Flag(),
    "predict_eps": Real(lo=0.0),
    # Mutagenesis (the trajectory itself is saved apart: app.trajectory.export)
    "mut_mode": Choice(("Explore and mutate", "Compare two sequences")),
    "mut_input": Text(SEQUENCE_TEXT),
    "cmp_ref": Text(SEQUENCE_TEXT),
    "cmp_alt": Text(SEQUENCE_TEXT),
    "mut_scale": Choice(("relative", "absolute")),
    "mut_zmax": Real(lo=1e-6),
    "mut_method": Choice(tuple(METHODS)),
    "mut_top_flanks": Flag(),
    "mut_eps": Real(lo=0.0),
    # Design (the designs are saved apart: app.session)
    "design_source": Choice(("Pasted sequence", "Example", "Random background")),
    "design_example": Offered("examples"),
    "design_input": Text(SEQUENCE_TEXT),
    "design_goal": Choice(("Reach a target", "Maximise", "Minimise")),
    "design_target": Real(),
    "design_tol": Real(lo=0.0),
    "design_budget": Whole(1, 10),
    "design_n": Whole(1, 10),
    "design_min_distance": Whole(1, 20),
    "design_strategy": Choice(("greedy", "beam", "genetic")),
    "design_seed": Whole(0, SEED),
    "design_keep": Text(SHORT_TEXT),
    "design_forbid": Text(SHORT_TEXT),
    "design_golden": Flag(),
    "design_use_gc": Flag(),
    "design_gc": Span(0, 100),
    "design_homo": Whole(0, bounds.MAX_POSITION),
    "design_kappa": Real(lo=0.0),
    "design_held_out": Flag(),
    "design_pick": Text(40),
    "design_overhang_5": Text(MAX_OVERHANG),
    "design_overhang_3": Text(MAX_OVERHANG),
    "design_oligo_region": Choice(("variable", "full")),
    # Motifs
    "motifs_raw": Flag(),
    "motifs_page": Whole(1, 10_000),
    "disc_page": Whole(1, 10_000),
    "scan_seq": Text(SEQUENCE_TEXT),
    "scan_motif": Offered("motifs"),
    "scan_both": Flag(),
    # Grammar
    "gr_motif_a": Offered("motifs"),
    "gr_motif_b": Offered("motifs"),
    "gr_motif_a_text": Text(SHORT_TEXT),
    "gr_motif_b_text": Text(SHORT_TEXT),
    "gr_n": Whole(1, 200),
    "gr_seed": Whole(0, SEED),
    "gr_space_max": Whole(0, 30),
    "gr_meas_pool": Flag(),
}


def check_setting(key: str, value, choices: dict | None = None):
    """``(value, note)``: the checked value (None with a note when not offered here).

    Raises
    ------
    SessionError
        An unknown key, or a value of the wrong kind or out of its bounds.
    """
    spec = FIELDS.get(key)
    if spec is None:
        raise SessionError(f"unknown setting {key!r:.60}")
    value = spec.check(f"setting {key}", value)
    if isinstance(spec, Offered) and choices is not None and spec.kind in choices:
        offered = choices[spec.kind]
        missing = [x for x in (value if spec.many else [value]) if x not in offered]
        if missing:
            if spec.many:
                value = [x for x in value if x in offered]
            note = (f"setting {key}: {', '.join(map(repr, missing[:3]))}"
                    f"{' and more' if len(missing) > 3 else ''} not offered here, left out")
            return (value if spec.many else None), note
    return value, None


# --------------------------------------------------------------------------- structures
def check_object(v, where: str, keys) -> dict:
    """``v`` if it is an object with exactly the fields ``keys``."""
    if not isinstance(v, dict):
        raise SessionError(f"{where} must be an object")
    unknown = [k for k in v if k not in keys]
    if unknown:
        raise SessionError(f"{where} has an unknown field {unknown[0]!r:.60}")
    missing = [k for k in keys if k not in v]
    if missing:
        raise SessionError(f"{where} lacks {missing[0]}")
    return v


def check_sequence(v, where: str) -> str:
    """``v`` if it is a sequence of A, C, G, T and N within the longest sequence read."""
    if not isinstance(v, str) or not _SEQ.fullmatch(v) or len(v) > bounds.MAX_POSITION:
        raise SessionError(f"{where} must be a sequence of A, C, G, T and N of at most "
                           f"{bounds.MAX_POSITION:,} bp")
    return v


def check_cell(v, kind: str, where: str):
    """One table cell of ``kind``: seq, text, real, real? (null: NaN), whole, bool, bool?."""
    if kind == "seq":
        return check_sequence(v, where)
    if kind == "text":
        return Text(SHORT_TEXT).check(where, v)
    if v is None and kind.endswith("?"):
        return np.nan if kind == "real?" else None
    if kind.startswith("real"):
        return Real().check(where, v)
    if kind == "whole":
        return Whole(0, bounds.MAX_POSITION).check(where, v)
    return Flag().check(where, v)


def check_table(v, where: str, kinds: dict, most: int) -> pd.DataFrame:
    """A table stored column by column (``{column: [values]}``), at most ``most`` rows,
    each column of its kind in ``kinds``, as a DataFrame with those columns in order.
    """
    cols = check_object(v, where, kinds)
    lengths = {len(c) if isinstance(c, list) else -1 for c in cols.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise SessionError(f"{where}: every column must be a list, all of one length")
    n = lengths.pop()
    try:
        bounds.size(where, n, most, "rows")
    except bounds.BoundError as exc:
        raise SessionError(str(exc)) from None
    data = {c: [check_cell(x, k, f"{where} {c} row {i + 1}") for i, x in enumerate(cols[c])]
            for c, k in kinds.items()}
    df = pd.DataFrame(data, columns=list(kinds))
    for c, k in kinds.items():
        if k in ("real", "real?"):
            df[c] = df[c].astype(np.float64)
        elif k == "whole":
            df[c] = df[c].astype(np.int64)
        elif k == "bool" or (k == "bool?" and n and df[c].notna().all()):
            df[c] = df[c].astype(bool)
    return df
