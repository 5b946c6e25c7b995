"""JASPAR fungi motifs (offline) and a Tomtom-like motif matcher.

Motifs come from the SQLite databases bundled in the ``pyjaspar`` wheel (no network).
Two position frequency matrices are compared by the Pearson correlation of their aligned
columns, summed over the overlap and divided by the shorter length, at every offset with
enough overlap and on both strands of the target, as Tomtom does with its ``pearson``
column score. Significance comes from an empirical null: column-shuffled copies of each
query (seeded) scored against the same target, so p-values are per target.

Everything is vectorised over queries, targets and offsets: all filters of a model against
the ~180 CORE fungi motifs take about a second on a CPU.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .pfm import Motif, counts_to_pfm, reverse_complement_pfm

DEFAULT_RELEASE = "JASPAR2024"


def bundled_releases() -> list:
    """The JASPAR releases whose database is installed with pyjaspar.

    Usually all that pyjaspar lists; the Docker image keeps only ``DEFAULT_RELEASE`` and
    pyjaspar's latest.
    """
    from pathlib import Path

    from pyjaspar import jaspar_releases
    from pyjaspar.utils import data_dir

    return sorted(r for r, name in jaspar_releases.items() if (Path(data_dir()) / name).is_file())


@functools.lru_cache(maxsize=4)
def _load_fungi(release: str) -> tuple:
    try:
        from pyjaspar import jaspardb
    except ImportError as exc:  # pragma: no cover - pyjaspar is a dependency
        raise RuntimeError("pyjaspar is not installed; motif matching needs it offline "
                           "(pip install pyjaspar)") from exc
    bundled = bundled_releases()
    if release not in bundled:
        raise ValueError(f"unknown JASPAR release {release!r}; pyjaspar bundles "
                         f"{', '.join(bundled)}")
    db = jaspardb(release=release)
    records = db.fetch_motifs(collection="CORE", tax_group=["fungi"])
    motifs = []
    for m in records:
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64).T
        pfm = counts_to_pfm(counts)
        pfm.setflags(write=False)
        motifs.append(Motif(id=str(m.matrix_id), name=str(m.name), pfm=pfm))
    if not motifs:
        raise RuntimeError(f"pyjaspar returned no CORE fungi motifs for {release}")
    return tuple(motifs)


def jaspar_fungi_motifs(release: str = DEFAULT_RELEASE) -> list:
    """The CORE fungi motifs of a JASPAR release, read offline from pyjaspar's database.

    Loaded once per process (about 0.5 s) and cached.

    Parameters
    ----------
    release : str
        e.g. ``"JASPAR2024"`` (178 fungi motifs: REB1 MA0363.3, RAP1 MA0359.3, ...).

    Returns
    -------
    list of Motif
    """
    return list(_load_fungi(release))


def find_motif(query: str, motifs=None, release: str = DEFAULT_RELEASE) -> Motif:
    """A motif by JASPAR ID (``MA0363.3`` or base ``MA0363``) or TF name (case-insensitive).

    Raises
    ------
    ValueError
        When nothing matches.
    """
    motifs = jaspar_fungi_motifs(release) if motifs is None else motifs
    q = query.strip().upper()
    for m in motifs:
        if m.id.upper() == q or m.id.split(".")[0].upper() == q:
            return m
    for m in motifs:
        if m.name.upper() == q:
            return m
    raise ValueError(f"no JASPAR fungi motif with ID or name {query!r}")


# --------------------------------------------------------------------------- scoring core
def _standardise(pfm) -> np.ndarray:
    """Columns centred and scaled so that ``(z_a * z_b).sum(-1) / 4`` is their Pearson r.

    Uniform columns (no variance) become 0, i.e. correlation 0 with anything.
    """
    p = np.asarray(pfm, dtype=np.float32)
    c = p - p.mean(axis=-1, keepdims=True)
    sd = np.sqrt((c * c).mean(axis=-1, keepdims=True))
    return np.where(sd > 1e-6, c / np.where(sd > 1e-6, sd, 1.0), 0.0).astype(np.float32)


class _Targets:
    """Targets on both strands, standardised and zero-padded to a common length."""

    def __init__(self, pfms):
        pfms = [np.asarray(p, dtype=np.float32) for p in pfms]
        self.lengths = np.array([p.shape[0] for p in pfms])
        self.T = int(self.lengths.max())
        n = len(pfms)
        z = np.zeros((2, n, self.T, 4), dtype=np.float32)  # strand, target, column, base
        for t, p in enumerate(pfms):
            z[0, t, :len(p)] = _standardise(p)
            z[1, t, :len(p)] = _standardise(reverse_complement_pfm(p))
        self.z = z


def _best_alignments(queries, targets: _Targets, min_overlap: int = 4, chunk: int = 1024):
    """Best score, offset and strand of every query against every target.

    All (target, strand, offset) windows are unrolled into one matrix so that the scores of
    a block of queries are a single matrix product.

    Parameters
    ----------
    queries : np.ndarray, shape (Q, k, 4)
        All of the same length ``k``.
    targets : _Targets
    min_overlap : int
        Fewest aligned columns (capped at the shorter motif's length).
    chunk : int
        Queries per matrix product (bounds memory).

    Returns
    -------
    score : np.ndarray, shape (Q, N), float32
        Sum of aligned column correlations divided by ``min(k, target length)``.
    offset : np.ndarray, shape (Q, N), int
        Query column ``i`` aligns with target column ``i + offset``.
    strand : np.ndarray, shape (Q, N), int
        0 for the target as given, 1 for its reverse complement.
    """
    queries = np.asarray(queries, dtype=np.float32)
    Q, k = queries.shape[:2]
    zq = _standardise(queries).reshape(Q, k * 4)
    T = targets.T
    N = len(targets.lengths)
    n_off = T + k - 1  # offsets -(k-1) .. T-1
    offsets = np.arange(n_off) - (k - 1)
    j = np.arange(k)[:, None] + offsets[None, :]  # (k, n_off): target column of query column i
    inside = (j[None] >= 0) & (j[None] < targets.lengths[:, None, None])  # (N, k, n_off)
    overlap = inside.sum(axis=1)  # (N, n_off)
    need = np.minimum(min_overlap, np.minimum(k, targets.lengths))[:, None]
    allowed = overlap >= need  # (N, n_off)
    denom = 4.0 * np.minimum(k, targets.lengths).astype(np.float32)  # (N,)
    pad = k - 1
    zt = np.pad(targets.z, ((0, 0), (0, 0), (pad, pad), (0, 0)))  # (2, N, T + 2pad, 4)
    # windows[s, n, o] = zt[s, n, o:o+k] -> (2, N, n_off, k*4), scaled by 1 / (4 * min length)
    win = np.lib.stride_tricks.sliding_window_view(zt, k, axis=2)[:, :, :n_off]  # (2,N,n_off,4,k)
    win = win.transpose(0, 1, 2, 4, 3).reshape(2, N, n_off, k * 4) / denom[None, :, None, None]
    mask = np.where(allowed, 0.0, -np.inf).astype(np.float32)  # (N, n_off)
    W = np.ascontiguousarray(win.reshape(2 * N * n_off, k * 4).T.astype(np.float32))
    best = np.empty((Q, N), dtype=np.float32)
    best_off = np.empty((Q, N), dtype=np.int64)
    best_strand = np.empty((Q, N), dtype=np.int64)
    for a in range(0, Q, chunk):
        s = (zq[a:a + chunk] @ W).reshape(-1, 2, N, n_off) + mask[None, None]
        s = s.transpose(0, 2, 1, 3).reshape(-1, N, 2 * n_off)  # (q, N, strand*offset)
        idx = s.argmax(axis=-1)
        best[a:a + chunk] = np.take_along_axis(s, idx[..., None], axis=-1)[..., 0]
        best_strand[a:a + chunk] = idx // n_off
        best_off[a:a + chunk] = offsets[idx % n_off]
    return best, best_off, best_strand


def motif_similarity(a, b, min_overlap: int = 4) -> dict:
    """Tomtom-like similarity of two matrices over offsets and both strands of ``b``.

    Parameters
    ----------
    a, b : np.ndarray, shapes (k, 4) and (m, 4)
        Probabilities (or counts) per position.
    min_overlap : int
        Fewest aligned columns (capped at ``min(k, m)``).

    Returns
    -------
    dict
        ``score``: mean Pearson correlation of aligned columns over ``min(k, m)`` columns
        (1 for identical matrices, partial overlaps count less); ``offset``: column ``i`` of
        ``a`` aligns with column ``i + offset`` of ``b`` (or of its reverse complement);
        ``strand``: ``"+"`` or ``"-"``.
    """
    s, o, st = _best_alignments(counts_to_pfm(a)[None], _Targets([counts_to_pfm(b)]),
                                min_overlap=min_overlap)
    return {"score": float(s[0, 0]), "offset": int(o[0, 0]),
            "strand": "+-"[int(st[0, 0])]}


def aligned_pair(a, b, min_overlap: int = 4) -> tuple:
    """``a`` and ``b`` on common columns, ``b`` in the orientation and at the offset that
    :func:`motif_similarity` finds best, to draw one over the other.

    Returns
    -------
    a_cols, b_cols : np.ndarray, shape (w, 4)
        Probabilities; a column outside a matrix is NaN (drawn blank).
    alignment : dict
        :func:`motif_similarity` of ``a`` and ``b``.
    """
    a, b = counts_to_pfm(a), counts_to_pfm(b)
    alignment = motif_similarity(a, b, min_overlap=min_overlap)
    if alignment["strand"] == "-":
        b = reverse_complement_pfm(b)
    off = alignment["offset"]  # column i of a faces column i + off of b
    lo, hi = min(0, -off), max(len(a), len(b) - off)
    a_cols = np.full((hi - lo, 4), np.nan)
    b_cols = np.full((hi - lo, 4), np.nan)
    a_cols[-lo:-lo + len(a)] = a
    b_cols[-off - lo:-off - lo + len(b)] = b
    return a_cols, b_cols, alignment


def _shuffled_columns(pfms, n: int, rng) -> np.ndarray:
    """``n`` column permutations of each matrix, shape (F, n, k, 4)."""
    F, k = pfms.shape[:2]
    perm = np.argsort(rng.random((F, n, k)), axis=-1)
    return np.take_along_axis(pfms[:, None], perm[..., None], axis=2)


def gumbel_p_values(score, null) -> np.ndarray:
    """P-values of best-alignment scores from a Gumbel fit to null scores.

    A best alignment is a maximum over offsets and strands, so its null distribution is
    close to a Gumbel (extreme-value) law; its location and scale are fitted by moments.

    Parameters
    ----------
    score : np.ndarray, shape (F, N)
    null : np.ndarray, shape (F, n_null, N)
        Scores of shuffled queries against the same targets.

    Returns
    -------
    np.ndarray, shape (F, N), in (0, 1]
    """
    mean = null.mean(axis=1).astype(np.float64)
    sd = null.std(axis=1).astype(np.float64)
    beta = np.maximum(sd * np.sqrt(6.0) / np.pi, 1e-3)
    loc = mean - np.euler_gamma * beta
    z = (score.astype(np.float64) - loc) / beta
    return np.clip(-np.expm1(-np.exp(-np.clip(z, -50.0, 700.0))), 1e-300, 1.0)


def match_all(pfms, motifs, top: int = 3, n_null: int = 100, seed: int = 0,
              min_overlap: int = 4) -> pd.DataFrame:
    """Best JASPAR matches of several matrices of the same length (e.g. all filters).

    Parameters
    ----------
    pfms : np.ndarray, shape (F, k, 4)
    motifs : list of Motif
    top : int
        Matches kept per query.
    n_null : int
        Column-shuffled copies of each query forming the empirical null (seeded).
    seed : int
    min_overlap : int

    Returns
    -------
    pd.DataFrame
        Columns ``query`` (0-based index into ``pfms``), ``rank`` (1 = best), ``id``,
        ``name``, ``score``, ``offset``, ``strand``, ``p_value`` (from a Gumbel fit to the
        scores of the column-shuffled queries against that motif), ``q_value``
        (Benjamini-Hochberg over all motifs for that query). Sorted by query, then by
        p-value and score.
    """
    pfms = counts_to_pfm(np.asarray(pfms, dtype=np.float64))
    if pfms.ndim == 2:
        pfms = pfms[None]
    F, k = pfms.shape[:2]
    motifs = list(motifs)
    targets = _Targets([m.pfm for m in motifs])
    score, offset, strand = _best_alignments(pfms, targets, min_overlap=min_overlap)
    rng = np.random.default_rng(seed)
    if n_null > 1:
        null = _shuffled_columns(pfms, n_null, rng).reshape(F * n_null, k, 4)
        null_score = _best_alignments(null, targets, min_overlap=min_overlap)[0]
        p = gumbel_p_values(score, null_score.reshape(F, n_null, len(motifs)))
    else:
        p = np.full(score.shape, np.nan)
    # Benjamini-Hochberg across motifs, per query
    N = len(motifs)
    order = np.argsort(p, axis=1)
    ranked = np.take_along_axis(p, order, axis=1) * N / np.arange(1, N + 1)[None]
    ranked = np.minimum.accumulate(ranked[:, ::-1], axis=1)[:, ::-1]
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=1)
    # rank by p-value, ties broken by the higher score
    rows = []
    ids = np.array([m.id for m in motifs])
    names = np.array([m.name for m in motifs])
    for f in range(F):
        sel = np.lexsort((-score[f], p[f]))[:top]
        for r, t in enumerate(sel):
            rows.append((f, r + 1, ids[t], names[t], float(score[f, t]), int(offset[f, t]),
                         "+-"[int(strand[f, t])], float(p[f, t]), float(q[f, t])))
    return pd.DataFrame(rows, columns=["query", "rank", "id", "name", "score", "offset",
                                       "strand", "p_value", "q_value"])


def match_motifs(pfm, motifs, top: int = 3, n_null: int = 100, seed: int = 0,
                 min_overlap: int = 4) -> pd.DataFrame:
    """Best JASPAR matches of one matrix.

    Parameters
    ----------
    pfm : np.ndarray, shape (k, 4)
        Probabilities or counts.
    motifs : list of Motif
        e.g. :func:`jaspar_fungi_motifs`.
    top : int
    n_null : int
        Column-shuffled copies of the query forming the empirical null.
    seed : int
    min_overlap : int

    Returns
    -------
    pd.DataFrame
        Columns ``id``, ``name``, ``score``, ``offset``, ``strand``, ``p_value``,
        ``q_value``; best first (lowest p-value, then highest score).
    """
    df = match_all(np.asarray(pfm)[None], motifs, top=top, n_null=n_null, seed=seed,
                   min_overlap=min_overlap)
    return df.drop(columns=["query", "rank"]).reset_index(drop=True)
