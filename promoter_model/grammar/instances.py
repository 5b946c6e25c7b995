"""Motif instances in one sequence: where known motifs sit in its variable region.

Every motif's log-odds matrix (against a uniform background) is scored at every start of
the variable region on both strands, as one product per motif. A hit's p-value is the
chance that a uniform random site scores as high, from the exact score distribution of the
matrix (log-odds rounded to 0.01 bit, as FIMO does with its own resolution), so short and
long motifs are judged alike; its relative score ``(score - min) / (max - min)`` says how
close it is to the consensus (1). Hits with ``p <= max_p`` are kept most significant
first, dropping any that overlaps a kept one, so each stretch of the sequence is named by
its best motif.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..motifs.jaspar import jaspar_fungi_motifs
from ..motifs.store import discovered_motifs
from ..sequence import SEQ_LEN, VARIABLE_END, VARIABLE_START, as_batch, decode
from .sites import resolve_site

#: The columns of :func:`find_instances`.
COLUMNS = ["motif", "start", "end", "strand", "site", "score", "p_value"]
RESOLUTION = 100  # score bins per bit of the exact null distribution


def log_odds(pfm, pseudocount: float = 0.01) -> np.ndarray:
    """Log2-odds of a PFM against a uniform background, shape (k, 4)."""
    p = np.asarray(pfm, dtype=np.float64) + pseudocount
    return np.log2(p / p.sum(axis=1, keepdims=True) / 0.25)


def rounded(w) -> np.ndarray:
    """A log-odds matrix rounded to ``1 / RESOLUTION`` bit, the one the p-values are for."""
    return np.round(np.asarray(w, dtype=np.float64) * RESOLUTION) / RESOLUTION


def score_p_values(w, scores) -> np.ndarray:
    """P(a uniform random site scores >= each score) under log-odds matrix ``w`` (k, 4).

    Exact for :func:`rounded` ``(w)`` (and its scores): one convolution of four equally
    likely column scores per column.
    """
    q = np.round(np.asarray(w) * RESOLUTION).astype(np.int64)
    lo = q.min(axis=1)
    dist = np.ones(1)
    for row, m in zip(q, lo):
        col = np.bincount(row - m, minlength=int(row.max() - m) + 1) / 4.0
        dist = np.convolve(dist, col)
    tail = np.cumsum(dist[::-1])[::-1]  # tail[i] = P(score >= lo.sum() + i)
    i = np.ceil(np.asarray(scores) * RESOLUTION - 1e-6).astype(np.int64) - lo.sum()
    return np.where(i <= 0, 1.0, tail[np.clip(i, 0, len(tail) - 1)] * (i < len(tail)))


def _motif_list(motifs, run_dir):
    """(name, pfm) pairs: given motifs resolved, else the run's discovered patterns, else
    JASPAR fungi.
    """
    if motifs is None:
        found = discovered_motifs(run_dir) if run_dir is not None else []
        motifs = found or jaspar_fungi_motifs()
    out = []
    for m in ([motifs] if isinstance(motifs, str) else motifs):
        site = resolve_site(m, run_dir=run_dir)
        pfm = site.pfm if site.pfm is not None else site.mask / site.mask.sum(1, keepdims=True)
        out.append((site.name, pfm))
    return out


def find_instances(sequence, motifs=None, max_p: float = 1e-4, min_score: float = 0.0,
                   run_dir=None) -> pd.DataFrame:
    """Non-overlapping motif instances in a sequence's variable region.

    Parameters
    ----------
    sequence : str or np.ndarray, shape (110, 4)
        Fitted to 110 bp (``sequence.fit_to_length``).
    motifs : list, optional
        Anything :func:`promoter_model.grammar.sites.resolve_site` takes (names, matrices,
        IUPAC strings); default: the discovered patterns of ``run_dir``, or else the JASPAR
        CORE fungi motifs.
    max_p : float
        Largest p-value kept (FIMO's default, 1e-4: over the 178 JASPAR fungi motifs,
        both strands of 80 bp, 1.4 chance hits per random sequence).
    min_score : float
        Lowest relative score kept, in [0, 1].
    run_dir : path, optional
        Run or ensemble folder for discovered pattern names.

    Returns
    -------
    pd.DataFrame
        :data:`COLUMNS`, most significant first: ``start``, ``end`` 0-based,
        end-exclusive in the 80 bp variable region; ``strand`` of the matrix that matched;
        ``site`` the bases there; ``score`` the relative score; ``p_value``.
    """
    x = as_batch(sequence, SEQ_LEN)[0][VARIABLE_START:VARIABLE_END]
    span = len(x)
    hits = []
    for name, pfm in _motif_list(motifs, run_dir):
        w = rounded(log_odds(pfm))
        k = len(w)
        if k > span:
            continue
        lo, hi = w.min(axis=1).sum(), w.max(axis=1).sum()
        win = np.lib.stride_tricks.sliding_window_view(x, k, axis=0)  # (p, 4, k)
        for strand, mat in (("+", w), ("-", w[::-1, ::-1])):
            score = np.einsum("pbk,kb->p", win, mat)
            rel = (score - lo) / max(hi - lo, 1e-12)
            pval = score_p_values(mat, score)
            ok = (rel >= min_score) & (pval <= max_p) & (win.sum(axis=1) > 0).all(axis=1)
            for p in np.flatnonzero(ok):  # no N in an instance
                hits.append((name, int(p), int(p + k), strand, float(rel[p]),
                             float(pval[p])))
    hits.sort(key=lambda h: (h[5], -h[4], h[1]))
    taken = np.zeros(span, dtype=bool)
    kept = []
    for h in hits:
        if not taken[h[1]:h[2]].any():
            taken[h[1]:h[2]] = True
            kept.append(h)
    seq = decode(x)[0]
    df = pd.DataFrame(kept, columns=["motif", "start", "end", "strand", "score", "p_value"])
    df.insert(4, "site", [seq[s:e] for s, e in zip(df["start"], df["end"])])
    return df[COLUMNS].reset_index(drop=True)
