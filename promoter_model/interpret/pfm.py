"""Position frequency matrices: normalise, consensus, sample, reverse complement.

Arrays in, arrays (or strings) out; channels A, C, G, T.
"""

from __future__ import annotations

import numpy as np

_LETTERS = np.array(list("ACGT"))


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
