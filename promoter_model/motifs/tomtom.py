"""Discovered patterns against JASPAR fungi: TOMTOM p-values and Benjamini-Hochberg q-values.

TOMTOM comes from ``memelite`` (a numba implementation of Gupta et al. 2007, the "complete
score" variant with Euclidean column distances): each query column's null distribution is
built from its scores against every column of the targets, and a p-value is assigned to the
best alignment (any offset, both strands) of the query with each target.

q-values are Benjamini-Hochberg over all target motifs for each pattern, as TOMTOM reports
them: a pattern is compared with the ~180 JASPAR 2024 CORE fungi motifs, and a match with
q < 0.05 is one whose false discovery rate among that pattern's matches is under 5 %.
"""

from __future__ import annotations

import warnings

import numpy as np

from .jaspar import DEFAULT_RELEASE, jaspar_fungi_motifs
from .pfm import counts_to_pfm

TOP_MATCHES = 5


def bh_q_values(p) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis.

    Parameters
    ----------
    p : np.ndarray, shape (..., N)
        p-values (NaN is treated as 1).

    Returns
    -------
    np.ndarray, shape (..., N)
        ``q_(i) = min_{j >= i} p_(j) N / j`` over the sorted p-values, capped at 1.
    """
    p = np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0)
    N = p.shape[-1]
    if N == 0:
        return p.copy()
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * N / np.arange(1, N + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=-1)
    return q


def tomtom_matches(pfms, release: str = DEFAULT_RELEASE, top: int = TOP_MATCHES,
                   motifs=None) -> list:
    """TOMTOM matches of each query matrix against the JASPAR CORE fungi motifs.

    Parameters
    ----------
    pfms : list of np.ndarray, each (w, 4)
        Query position frequency matrices (any widths), channels A, C, G, T.
    release : str
        JASPAR release read offline from pyjaspar (``jaspar_fungi_motifs``).
    top : int
        Matches kept per query, lowest p-value first.
    motifs : list of Motif, optional
        Targets; default the release's CORE fungi motifs.

    Returns
    -------
    list of list of dict
        Per query: ``{"rank", "id", "name", "p_value", "q_value", "offset",
        "orientation"}``; q-values are Benjamini-Hochberg over all targets for that query.
    """
    if not len(pfms):
        return []
    from memelite import tomtom

    targets = jaspar_fungi_motifs(release) if motifs is None else list(motifs)
    Qs = [np.ascontiguousarray(counts_to_pfm(p).T, dtype=np.float64) for p in pfms]
    Ts = [np.ascontiguousarray(np.asarray(m.pfm, dtype=np.float64).T) for m in targets]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba/memelite chatter; few-target warning is moot
        p, _score, offset, _overlap, strand = tomtom(Qs, Ts, n_jobs=1)[:5]
    p = np.asarray(p, dtype=np.float64)
    q = bh_q_values(p)
    out = []
    for i in range(len(Qs)):
        order = np.lexsort((np.arange(p.shape[1]), np.nan_to_num(p[i], nan=1.0)))[:top]
        out.append([{"rank": r + 1, "id": targets[t].id, "name": targets[t].name,
                     "p_value": float(p[i, t]), "q_value": float(q[i, t]),
                     "offset": int(offset[i, t]), "orientation": "+-"[int(strand[i, t] != 0)]}
                    for r, t in enumerate(order)])
    return out
