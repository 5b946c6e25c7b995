"""Constraints on designed promoters, checked as numpy operations over a batch of candidates.

Candidates are integer code arrays of shape ``(n, L)`` (0-3 for A, C, G, T; 4 for ``N``, as
:func:`promoter_model.sequence.encode_codes` writes them). Every check is relative to the
start sequence: a design may never *create* a forbidden site (on either strand), and a GC
content or homopolymer limit that the start already breaks is relaxed to "no worse than the
start", so that a start which breaks a rule can still be designed from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..sequence import SEQ_LEN, VARIABLE_END, VARIABLE_START, normalize, reverse_complement

#: Type IIS sites of Golden Gate cloning, offered as one click (both strands are checked).
GOLDEN_GATE = {"BsaI": "GGTCTC", "BsmBI": "CGTCTC"}
_CODE = {b: i for i, b in enumerate("ACGT")}


@dataclass
class Constraints:
    """What a design may change.

    Attributes
    ----------
    max_mutations : int
        Mutation budget: the Hamming distance to the start never exceeds it.
    keep : tuple of int
        0-based positions that never change (the plasmid flanks never change anyway).
    forbid : tuple of str
        Subsequences a design may not create, on either strand (e.g. ``GOLDEN_GATE``).
    gc_range : tuple of float or None
        Allowed GC fraction (min, max) of the variable region.
    max_homopolymer : int or None
        Longest run of one base allowed in the variable region.
    """

    max_mutations: int = 5
    keep: tuple = ()
    forbid: tuple = ()
    gc_range: tuple | None = None
    max_homopolymer: int | None = None
    _sites: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self):
        from ..bounds import MAX_MUTATIONS, count

        self.max_mutations = count("the mutation budget", self.max_mutations, 1, MAX_MUTATIONS)
        sites = []
        for raw in self.forbid:
            s = normalize(str(raw))
            if not s or set(s) - set("ACGT"):
                raise ValueError(f"forbidden site {raw!r}: use the letters A, C, G and T only")
            sites += [s, reverse_complement(s)]
        self._sites = sorted(set(sites))
        if self.gc_range is not None:
            lo, hi = (float(v) for v in self.gc_range)
            if not 0.0 <= lo <= hi <= 1.0:
                raise ValueError(f"GC range {self.gc_range}: need 0 <= min <= max <= 1 "
                                 "(fractions)")
            self.gc_range = (lo, hi)
        if self.max_homopolymer is not None and int(self.max_homopolymer) < 1:
            raise ValueError(f"longest homopolymer must be at least 1, not "
                             f"{self.max_homopolymer}")


def variable_slice(length: int) -> slice:
    """Return the designable region: between the plasmid flanks for 110 bp, else everything."""
    return slice(VARIABLE_START, VARIABLE_END) if length == SEQ_LEN else slice(0, length)


def mutable_mask(start: np.ndarray, constraints: Constraints) -> np.ndarray:
    """Positions a design may change: the variable region, minus kept and ``N`` positions.

    Parameters
    ----------
    start : np.ndarray, shape (L,), int
    constraints : Constraints

    Returns
    -------
    np.ndarray, shape (L,), bool
    """
    L = start.shape[0]
    mask = np.zeros(L, dtype=bool)
    mask[variable_slice(L)] = True
    keep = np.asarray(constraints.keep, dtype=np.int64)
    if keep.size and ((keep < 0) | (keep >= L)).any():
        raise ValueError(f"positions to keep must lie within 1..{L}")
    mask[keep] = False
    mask &= start < 4
    return mask


def site_hits(codes: np.ndarray, site: str) -> np.ndarray:
    """Where ``site`` starts in each candidate, shape ``(n, L - len(site) + 1)``, bool."""
    pattern = np.array([_CODE[b] for b in site], dtype=codes.dtype)
    if codes.shape[1] < pattern.size:
        return np.zeros((codes.shape[0], 0), dtype=bool)
    return (sliding_window_view(codes, pattern.size, axis=1) == pattern).all(axis=-1)


def gc_fraction(codes: np.ndarray) -> np.ndarray:
    """GC fraction of each candidate's variable region, shape (n,)."""
    region = codes[:, variable_slice(codes.shape[1])]
    return ((region == 1) | (region == 2)).mean(axis=1)


def longest_homopolymer(codes: np.ndarray) -> np.ndarray:
    """Longest run of one base in each candidate's variable region, shape (n,)."""
    region = codes[:, variable_slice(codes.shape[1])].astype(np.int64)
    n, L = region.shape
    change = np.ones((n, L), dtype=bool)
    change[:, 1:] = region[:, 1:] != region[:, :-1]
    idx = np.where(change, np.arange(L)[None, :], 0)
    run_start = np.maximum.accumulate(idx, axis=1)
    return (np.arange(L)[None, :] - run_start + 1).max(axis=1)


def _gc_distance(gc: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.maximum(lo - gc, 0.0) + np.maximum(gc - hi, 0.0)


def start_violations(start: np.ndarray, constraints: Constraints) -> list:
    """Sentences naming the rules the start itself breaks (relaxed for its designs)."""
    s = start[None]
    out = []
    for site in constraints._sites:
        if site_hits(s, site).any():
            out.append(f"the start already holds {site}; designs may keep it but not add "
                       "another")
    if constraints.gc_range is not None:
        gc = float(gc_fraction(s)[0])
        if _gc_distance(np.array([gc]), *constraints.gc_range)[0] > 0:
            out.append(f"the start's GC content ({gc:.0%}) is outside the range; designs may "
                       "not move further from it")
    if constraints.max_homopolymer is not None:
        run = int(longest_homopolymer(s)[0])
        if run > constraints.max_homopolymer:
            out.append(f"the start has a homopolymer of {run} bp; designs may not lengthen it")
    return out


def feasible(codes: np.ndarray, start: np.ndarray, constraints: Constraints) -> np.ndarray:
    """Which candidates satisfy every constraint, shape (n,), bool.

    Parameters
    ----------
    codes : np.ndarray, shape (n, L), int
    start : np.ndarray, shape (L,), int
    constraints : Constraints
    """
    codes = np.asarray(codes)
    changed = codes != start[None]
    ok = changed.sum(axis=1) <= constraints.max_mutations
    ok &= ~(changed & ~mutable_mask(start, constraints)[None]).any(axis=1)
    for site in constraints._sites:
        before = site_hits(start[None], site)[0]
        ok &= ~(site_hits(codes, site) & ~before[None]).any(axis=1)
    if constraints.gc_range is not None:
        lo, hi = constraints.gc_range
        limit = _gc_distance(gc_fraction(start[None]), lo, hi)[0]
        ok &= _gc_distance(gc_fraction(codes), lo, hi) <= limit + 1e-12
    if constraints.max_homopolymer is not None:
        limit = max(constraints.max_homopolymer, int(longest_homopolymer(start[None])[0]))
        ok &= longest_homopolymer(codes) <= limit
    return ok


def parse_positions(items, name: str = "--keep") -> tuple:
    """Return 0-based positions from 1-based ``"12"``, ``"40-60"`` or comma-separated lists,
    each bounded before a range is expanded (:func:`promoter_model.bounds.positions`).
    """
    from ..bounds import positions

    return positions(items, name)
