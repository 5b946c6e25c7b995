"""Position frequency matrices and motifs: normalise, consensus, information content, sample,
reverse complement, and the MEME minimal format.

Arrays in, arrays (or strings) out; channels A, C, G, T. :class:`Motif` (an id, a name and a
PFM) is what JASPAR, discovered patterns and MEME files all become.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_LETTERS = np.array(list("ACGT"))


@dataclass(frozen=True)
class Motif:
    """A position frequency matrix.

    Attributes
    ----------
    id : str
        JASPAR matrix ID with version, e.g. ``MA0363.3``.
    name : str
        Transcription factor name, e.g. ``REB1``.
    pfm : np.ndarray, shape (k, 4)
        Probabilities per position (rows sum to 1), channels A, C, G, T.
    """

    id: str
    name: str
    pfm: np.ndarray

    def __len__(self) -> int:
        return int(self.pfm.shape[0])

    @property
    def consensus(self) -> str:
        return consensus(self.pfm)


def counts_to_pfm(counts, pseudocount: float = 0.0) -> np.ndarray:
    """Normalise counts to probabilities per position.

    Parameters
    ----------
    counts : np.ndarray, shape (..., k, 4)
    pseudocount : float
        Added to every count first.

    Returns
    -------
    np.ndarray, shape (..., k, 4)
        Rows sum to 1; rows without counts become uniform (0.25).
    """
    c = np.asarray(counts, dtype=np.float64) + pseudocount
    total = c.sum(axis=-1, keepdims=True)
    return np.where(total > 0, c / np.where(total > 0, total, 1.0), 0.25)


def consensus(pfm) -> str:
    """Most likely base per position (``N`` where a column is uniform or empty).

    Parameters
    ----------
    pfm : np.ndarray, shape (k, 4)

    Returns
    -------
    str of length k
    """
    p = np.asarray(pfm, dtype=np.float64)
    letters = _LETTERS[p.argmax(axis=-1)]
    flat = (p.max(axis=-1) - p.min(axis=-1)) < 1e-9
    return "".join(np.where(flat, "N", letters).tolist())


def information_content(pfm, background=0.25) -> np.ndarray:
    """Information content (bits) of each position, ``sum p log2(p / background)``.

    Parameters
    ----------
    pfm : np.ndarray, shape (..., k, 4)
        Probabilities (or counts: each row is normalised to sum to 1 first).
    background : float or array of 4
        Letter frequencies.

    Returns
    -------
    np.ndarray, shape (..., k)
        0 for a uniform (or empty) column, 2 for a single base (uniform background).
    """
    p = np.asarray(pfm, dtype=np.float64)
    total = p.sum(axis=-1, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / background), 0.0)
    return terms.sum(axis=-1)


def sample_motif_sequence(pfm, rng=None) -> str:
    """One sequence drawn from a PFM, each position independently.

    Parameters
    ----------
    pfm : np.ndarray, shape (k, 4)
    rng : np.random.Generator or int, optional

    Returns
    -------
    str of length k
    """
    rng = np.random.default_rng(rng)
    p = counts_to_pfm(pfm)
    cum = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[0])[:, None]
    idx = np.minimum((u > cum).sum(axis=-1), 3)
    return "".join(_LETTERS[idx].tolist())


def reverse_complement_pfm(pfm) -> np.ndarray:
    """Reverse complement of a matrix, shape (k, 4) -> (k, 4)."""
    return np.asarray(pfm)[::-1, ::-1]


# --------------------------------------------------------------------------- MEME files
def check_matrix(value, where: str, probabilities: bool) -> np.ndarray:
    """A (width, 4) float matrix of finite values (rows summing to 1 when ``probabilities``);
    ValueError naming ``where`` otherwise.
    """
    try:
        m = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where} is not a numeric matrix") from None
    if m.ndim != 2 or m.shape[1] != 4 or len(m) == 0:
        raise ValueError(f"{where} must have shape (width, 4), got {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{where} holds non-finite values")
    if probabilities and (m.min() < 0 or not np.allclose(m.sum(axis=1), 1.0, atol=1e-3)):
        raise ValueError(f"{where} rows must be non-negative and sum to 1")
    return m


def to_meme(motifs, background=(0.25, 0.25, 0.25, 0.25), nsites=None) -> str:
    """Motifs as a MEME minimal motif format file (readable by Tomtom, FIMO, modisco).

    Parameters
    ----------
    motifs : iterable of Motif-like objects, or of (id, name, pfm) tuples
        ``pfm`` of shape (w, 4), channels A C G T; rows are renormalised to sum to 1.
    background : 4 floats
        Letter frequencies A C G T.
    nsites : list of int, optional
        ``nsites=`` per motif (e.g. seqlet counts); default 20, MEME's convention for
        matrices of unknown count.

    Returns
    -------
    str
        ``MEME version 4`` header, ``ALPHABET= ACGT``, ``strands: + -``, the background,
        and one ``MOTIF id name`` block with a ``letter-probability matrix`` per motif.
    """
    items = []
    for m in motifs:
        ident, name, pfm = (m if isinstance(m, tuple) else (m.id, m.name, m.pfm))
        if not str(ident).strip() or any(c.isspace() for c in str(ident)):
            raise ValueError(f"motif id {ident!r} must be non-empty without spaces")
        items.append((str(ident), "_".join(str(name or "").split()),
                      check_matrix(pfm, f"motif {ident}", probabilities=False)))
    if nsites is not None and len(nsites) != len(items):
        raise ValueError(f"{len(nsites)} nsites for {len(items)} motifs")
    bg = np.asarray(background, dtype=np.float64)
    if bg.shape != (4,) or bg.min() <= 0:
        raise ValueError("background must be 4 positive frequencies")
    bg = bg / bg.sum()
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "",
             "Background letter frequencies",
             " ".join(f"{b} {f:.6f}" for b, f in zip("ACGT", bg)), ""]
    for i, (ident, name, pfm) in enumerate(items):
        if pfm.min() < 0:
            raise ValueError(f"motif {ident}: probabilities must be non-negative")
        p = pfm / np.where(pfm.sum(axis=1, keepdims=True) > 0,
                           pfm.sum(axis=1, keepdims=True), 1.0)
        n = 20 if nsites is None else max(1, int(nsites[i]))
        lines += [f"MOTIF {ident}" + (f" {name}" if name and name != ident else ""),
                  f"letter-probability matrix: alength= 4 w= {len(p)} nsites= {n} E= 0"]
        lines += [" ".join(f"{v:.6f}" for v in row) for row in p]
        lines.append("")
    return "\n".join(lines)


def read_meme(text: str) -> list:
    """Motifs of a MEME minimal format text (the inverse of :func:`to_meme`).

    Returns
    -------
    list of Motif
        ``id`` and ``name`` from each ``MOTIF`` line (name = id when absent).
    """
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        parts = lines[i].split()
        if parts[:1] == ["MOTIF"] and len(parts) >= 2:
            ident, name = parts[1], " ".join(parts[2:]) or parts[1]
            j = i + 1
            while j < len(lines) and not lines[j].startswith("letter-probability"):
                j += 1
            if j == len(lines):
                raise ValueError(f"motif {ident}: no letter-probability matrix")
            w = int(lines[j].split("w=")[1].split()[0])
            rows = [[float(v) for v in lines[j + 1 + r].split()] for r in range(w)]
            out.append(Motif(id=ident, name=name, pfm=check_matrix(rows, f"motif {ident}", True)))
            i = j + 1 + w
        else:
            i += 1
    return out
