"""Motifs as sites to insert: by JASPAR name or ID, discovered pattern, consensus or IUPAC.

A :class:`Site` is what a grammar operation writes into a background: an allowed-base mask
per column (A, C, G, T). A column allowing one base writes that base; ``N`` (every base
allowed) keeps the background's base; any other IUPAC letter (``R`` = A or G ...) is drawn
per background from the bases it allows, seeded, so a degenerate site is averaged over its
readings instead of fixed to one arbitrary letter. A motif matrix (JASPAR, a discovered
pattern) becomes the site of its consensus, without the uniform (``N``) columns at its ends.

:func:`insert` writes sites into many backgrounds at many starts in one array operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motifs.lookup import resolve_motif
from ..motifs.pfm import Motif, consensus

#: Letters and the bases (A, C, G, T) each allows.
IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "U": "T", "R": "AG", "Y": "CT", "S": "CG",
         "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG",
         "N": "ACGT"}
_MASKS = {k: np.array([b in v for b in "ACGT"]) for k, v in IUPAC.items()}
_LETTER_OF_MASK = {tuple(m.tolist()): k for k, m in _MASKS.items() if k != "U"}


@dataclass(frozen=True)
class Site:
    """A motif site to insert.

    Attributes
    ----------
    name : str
        What it is called in results (``REB1``, ``pos_0``, or the typed text).
    mask : np.ndarray of bool, shape (k, 4)
        Allowed bases per column, A, C, G, T; an all-True column keeps the background.
    pfm : np.ndarray, shape (m, 4), or None
        The motif matrix the site came from (None for typed text).
    """

    name: str
    mask: np.ndarray
    pfm: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.mask.shape[0])

    @property
    def text(self) -> str:
        """The site in IUPAC letters."""
        return "".join(_LETTER_OF_MASK[tuple(row.tolist())] for row in self.mask)

    @property
    def keep(self) -> np.ndarray:
        """Columns that keep the background base (``N``), shape (k,)."""
        return self.mask.all(axis=1)

    def reverse_complement(self) -> Site:
        """The site on the other strand."""
        return Site(self.name, self.mask[::-1, ::-1].copy(),
                    None if self.pfm is None else self.pfm[::-1, ::-1].copy())

    def draw(self, n: int, rng=None) -> np.ndarray:
        """``n`` one-hot readings of the site, shape (n, k, 4), float32.

        Fixed columns are the same in every reading; degenerate ones are drawn uniformly
        from their allowed bases; ``N`` columns are all zero (see :attr:`keep`).
        """
        rng = np.random.default_rng(rng)
        allowed = self.mask[None].astype(np.float64) * rng.random((n, len(self), 4))
        out = np.zeros((n, len(self), 4), dtype=np.float32)
        np.put_along_axis(out, allowed.argmax(axis=-1)[..., None], 1.0, axis=-1)
        out[:, self.keep] = 0.0
        return out


def site_from_text(text: str, name: str | None = None) -> Site:
    """A :class:`Site` from a consensus or IUPAC string (``TTACCCG``, ``TTACCCR``).

    Raises
    ------
    ValueError
        For a character that is not an IUPAC nucleotide letter, or nothing to insert.
    """
    t = "".join(str(text).split()).upper()
    bad = [c for c in t if c not in _MASKS]
    if not t or bad:
        raise ValueError(f"motif {text!r} is neither a known motif name nor a DNA/IUPAC "
                         f"string" + (f" ({bad[0]!r} is not an IUPAC letter)" if bad else ""))
    core = t.strip("N")
    if not core:
        raise ValueError(f"motif {text!r} has no base to insert (only N)")
    return Site(name or core, np.stack([_MASKS[c] for c in core]))


def site_from_pfm(pfm, name: str) -> Site:
    """The consensus site of a motif matrix, shape (m, 4), without uniform end columns."""
    pfm = np.asarray(pfm, dtype=np.float64)
    return Site(name, site_from_text(consensus(pfm)).mask, pfm)


def resolve_site(motif, run_dir=None) -> Site:
    """A :class:`Site` from whatever names a motif.

    Parameters
    ----------
    motif : Site, Motif, np.ndarray of shape (m, 4), or str
        A string is tried, in order, as a discovered pattern of ``run_dir`` (``pos_0``), a
        JASPAR fungi ID or TF name (``MA0363.3``, ``REB1``), and a consensus or IUPAC
        string (``TTACCCG``, ``TTACCCR``).
    run_dir : path, optional
        The run or ensemble folder whose ``motifs/discovered.json`` names patterns.

    Raises
    ------
    ValueError
        When the string is none of these.
    """
    if isinstance(motif, Site):
        return motif
    if isinstance(motif, Motif):
        label = motif.name if motif.id in motif.name else f"{motif.name} ({motif.id})"
        return site_from_pfm(motif.pfm, label)
    if not isinstance(motif, str):
        return site_from_pfm(motif, "matrix")
    try:
        return resolve_site(resolve_motif(motif, run_dir=run_dir))
    except ValueError as exc:
        named = exc
    try:
        return site_from_text(motif)
    except ValueError:
        raise named from None


def insert(X, readings, starts, keep=None) -> np.ndarray:
    """Every background with the site written at every start (substitution), vectorised.

    Parameters
    ----------
    X : np.ndarray, shape (n, L, 4)
        Backgrounds.
    readings : np.ndarray, shape (n, k, 4) or (k, 4)
        The site as written into each background (:meth:`Site.draw`).
    starts : array of int, shape (p,)
        0-based starts in the ``L`` bp input.
    keep : np.ndarray of bool, shape (k,), optional
        Columns left as the background has them (:attr:`Site.keep`).

    Returns
    -------
    np.ndarray, shape (n, p, L, 4), float32
    """
    X = np.asarray(X, dtype=np.float32)
    readings = np.broadcast_to(np.asarray(readings, dtype=np.float32),
                               (X.shape[0],) + np.shape(readings)[-2:])
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    k = readings.shape[1]
    cols = np.flatnonzero(~np.asarray(keep, dtype=bool)) if keep is not None else np.arange(k)
    if len(starts) and (starts.min() < 0 or starts.max() + k > X.shape[1]):
        raise ValueError(f"a {k} bp site starting at {starts.min()}..{starts.max()} does not "
                         f"fit in {X.shape[1]} bp")
    out = np.repeat(X[:, None], len(starts), axis=1)
    win = starts[:, None] + cols[None, :]  # (p, c)
    out[:, np.arange(len(starts))[:, None], win] = readings[:, None, cols]
    return out
