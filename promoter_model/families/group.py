"""Group sequences into families: near copies, shared long k-mers and explicit pairs.

Two rows are linked when their 80 bp variable regions differ at ``max_mismatches`` or fewer
positions (variant series, single-base pairs), when the regions share an exact substring of
``shared_kmer`` bases at any offset (shifted tiles, overlapping native fragments, a motif
moved along one background), or when the caller names them as a pair (alt/ref tables). A
family is a connected component of those links.

Both searches are exact and vectorised; neither compares all pairs:

* near copies (pigeonhole): with ``m`` mismatches allowed, two 80-mers split into ``m + 1``
  blocks agree exactly on at least one block, so candidates are the rows sharing a block,
  found by sorting block keys; each candidate pair is then checked in full;
* shared k-mers (never through a tandem repeat or an ``N``): every ``k``-window of one
  region contains one of its *anchors* (the ``a``-mers starting at multiples of
  ``k - a + 1``), so looking up every ``a``-mer of each region in the sorted anchor table
  finds each sharing pair, which is then checked for a full ``k``-base run at that offset.

Random sequences share neither (a 20-mer collision between two random 80-mers has
probability ~6e-9), so on the 6.7M-row DREAM training file almost every row is a family of
its own and the candidate lists stay short; measured in ``bench/bench_families.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from promoter_model.sequence import VARIABLE_END, VARIABLE_START, encode_codes

REGION = VARIABLE_END - VARIABLE_START  # 80 bp
MAX_MISMATCHES = 3
SHARED_KMER = 30
ANCHOR = 20
# a shared run made only of a tandem repeat (period <= 10 bp) links nothing: the motif
# perturbation experiments insert the same repeat arrays into unrelated backgrounds
MAX_PERIOD = 10
MIN_UNIQUE = 20  # bases of a shared 30-mer that must lie outside tandem repeats
LONG_RUN = 60  # a shared run this long links whatever it is made of
# a block or anchor key shared by more rows than this is low-complexity (poly-A and the
# like) or a family so large that its members are linked through other blocks anyway
MAX_BUCKET = 5_000
CHUNK = 200_000
_PACK = np.int64(1) << 31  # row indices below 2**31 pack two to an int64


@dataclass(frozen=True)
class Families:
    """Family labels of ``n`` rows.

    Attributes
    ----------
    label : np.ndarray, shape (n,), int64
        Family of each row, numbered 0, 1, ... in order of each family's first row.
    links : dict
        How many distinct row pairs each rule linked (``pairs``, then ``near``, then
        ``kmer``: the k-mer search skips pairs the earlier rules already joined).
    """

    label: np.ndarray
    links: dict

    @property
    def n_families(self) -> int:
        return int(self.label.max()) + 1 if self.label.size else 0

    @property
    def sizes(self) -> np.ndarray:
        """Rows per family, indexed by label."""
        return np.bincount(self.label, minlength=self.n_families)

    def summary(self) -> dict:
        """Counts a report quotes: families, rows in families of two or more, the largest."""
        sizes = self.sizes
        return {"rows": int(self.label.size), "families": self.n_families,
                "rows_in_shared_families": int(sizes[sizes > 1].sum()),
                "largest_family": int(sizes.max()) if sizes.size else 0,
                "links": dict(self.links)}


def variable_regions(sequences) -> np.ndarray:
    """The 80 bp variable region of each sequence as base codes, shape (n, 80), uint8.

    Sequences are fitted to 110 bp first (``docs/conventions.md``): an 80 bp core is the
    region itself, a full construct gives its bases 18-97. An array of codes of width 80 is
    returned as is; of width 110 it is cropped.
    """
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        codes = sequences.astype(np.uint8, copy=False)
        if codes.shape[1] == REGION:
            return codes
        return codes[:, VARIABLE_START:VARIABLE_END]
    return np.ascontiguousarray(encode_codes(list(sequences))[:, VARIABLE_START:VARIABLE_END])


def block_keys(codes: np.ndarray, start: int, width: int) -> np.ndarray:
    """Base-5 integer key of ``codes[:, start:start + width]`` (N counts as a 5th letter)."""
    key = np.zeros(len(codes), dtype=np.int64)
    for j in range(start, start + width):
        key = key * 5 + codes[:, j]
    return key


def _periodic(codes: np.ndarray, start: int, width: int, max_period: int = MAX_PERIOD):
    """Whether each row's window ``[start, start + width)`` is a tandem repeat (period at
    most ``max_period``: poly-A, (AT)n, eight copies of an 8 bp site) or holds an ``N``.
    """
    w = codes[:, start:start + width]
    out = (w == 4).any(axis=1)
    for p in range(1, max_period + 1):
        out |= (w[:, :-p] == w[:, p:]).all(axis=1)
    return out


def _bucket_pairs(keys: np.ndarray, rows: np.ndarray, max_bucket: int) -> np.ndarray:
    """Every pair of distinct rows sharing a key, shape (p, 2), each pair once per key."""
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    bucket = np.repeat(np.arange(len(sizes)), sizes)
    end = (starts + sizes)[bucket]
    idx = np.flatnonzero((sizes[bucket] > 1) & (sizes[bucket] <= max_bucket))
    # pair each sorted position with the one d places on while both share the bucket: the
    # arrays shrink as d grows, so the work is the number of pairs, not buckets x rows
    found, d = [], 1
    while True:
        idx = idx[idx + d < end[idx]]
        if not idx.size:
            break
        found.append(np.stack([rows[idx], rows[idx + d]], axis=1))
        d += 1
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """Distinct values of a 1-d array, sorted (a sort and a mask: numpy's hash-based
    ``unique`` took 15 s on the 3M candidate keys of the DREAM test file).
    """
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if x.size else x


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """Distinct unordered pairs of distinct rows, sorted, shape (p, 2)."""
    if not len(pairs):
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    key = _sorted_unique(pairs[:, 0] * _PACK + pairs[:, 1])  # one int64 sort, not rows
    return np.stack([key // _PACK, key % _PACK], axis=1)


def near_copy_pairs(codes: np.ndarray, max_mismatches: int = MAX_MISMATCHES,
                    max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """Row pairs whose regions differ at ``max_mismatches`` or fewer positions, shape (p, 2).

    ``N`` matches only ``N``. Exact (pigeonhole over ``max_mismatches + 1`` blocks), except
    that a block key shared by more than ``max_bucket`` rows proposes no candidates.
    """
    n, width = codes.shape
    edges = np.linspace(0, width, max_mismatches + 2).astype(int)
    found = []
    rows = np.arange(n)
    for start, stop in zip(edges[:-1], edges[1:]):
        cand = _unique_pairs(_bucket_pairs(block_keys(codes, start, stop - start), rows,
                                           max_bucket))
        for lo in range(0, len(cand), CHUNK):
            c = cand[lo:lo + CHUNK]
            diff = (codes[c[:, 0]] != codes[c[:, 1]]).sum(axis=1)
            found.append(c[diff <= max_mismatches])
    return _unique_pairs(np.concatenate(found)) if found else np.zeros((0, 2), np.int64)


def window_keys(codes: np.ndarray, width: int) -> np.ndarray:
    """Base-5 key of every ``width``-window of every row, shape (n, L - width + 1)."""
    m = codes.shape[1] - width + 1
    key = np.zeros((len(codes), m), dtype=np.int64)
    for j in range(width):
        key = key * 5 + codes[:, j:j + m]
    return key


def _bitmap_slot(keys: np.ndarray, bits: int) -> np.ndarray:
    """A ``bits``-bit hash of each key (Fibonacci hashing)."""
    with np.errstate(over="ignore"):
        h = keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def shared_kmer_pairs(codes: np.ndarray, k: int = SHARED_KMER, anchor: int = ANCHOR,
                      max_bucket: int = MAX_BUCKET, label=None) -> np.ndarray:
    """Row pairs whose regions share an exact ``k``-base substring at any offset, (p, 2).

    Windows holding an ``N`` never match; a shared run links when at least ``MIN_UNIQUE``
    of its ``k`` bases lie outside tandem repeats, or when it is ``LONG_RUN`` bases long
    (:func:`_has_shared_run`). Every
    ``anchor``-window of every row is looked up among the anchors; a bitmap of the anchors'
    hashes turns away almost every window of a random row before the sorted search.
    ``label`` (shape (n,)), when given, marks rows already known to share a family: their
    pairs are not checked again.
    """
    n, width = codes.shape
    if width < k or n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    anchor = min(anchor, k)
    anchor_starts = np.arange(0, width - anchor + 1, k - anchor + 1)
    a_keys = np.concatenate([block_keys(codes, s, anchor) for s in anchor_starts])
    a_rows = np.tile(np.arange(n), len(anchor_starts))
    a_pos = np.repeat(anchor_starts, n)
    # anchors inside tandem repeats stay (the check below decides what they link); only
    # windows with an N go, and keys shared by more than max_bucket rows (poly-A) below
    skip = np.concatenate([(codes[:, s:s + anchor] == 4).any(axis=1) for s in anchor_starts])
    a_keys, a_rows, a_pos = a_keys[~skip], a_rows[~skip], a_pos[~skip]
    order = np.argsort(a_keys, kind="stable")
    a_keys, a_rows, a_pos = a_keys[order], a_rows[order], a_pos[order]
    # drop over-full anchor keys (low-complexity windows)
    starts = np.flatnonzero(np.r_[True, a_keys[1:] != a_keys[:-1]])
    sizes = np.diff(np.r_[starts, len(a_keys)])
    keep = np.repeat(sizes <= max_bucket, sizes)
    a_keys, a_rows, a_pos = a_keys[keep], a_rows[keep], a_pos[keep]
    bits = int(min(31, max(16, np.ceil(np.log2(64 * max(len(a_keys), 1))))))
    bitmap = np.zeros(1 << (bits - 3), dtype=np.uint8)
    slot = _bitmap_slot(a_keys, bits)
    np.bitwise_or.at(bitmap, slot >> 3, (1 << (slot & 7)).astype(np.uint8))
    label = None if label is None else np.asarray(label)
    found = []
    row_chunk = max(1, 4 * CHUNK // (width - anchor + 1))
    for lo in range(0, n, row_chunk):
        q = window_keys(codes[lo:lo + row_chunk], anchor)
        slot = _bitmap_slot(q, bits)
        maybe = np.flatnonzero((bitmap[slot >> 3] >> (slot & 7)) & 1)
        if not maybe.size:
            continue
        q_row, q_pos = np.divmod(maybe, q.shape[1])
        q = q.ravel()[maybe]
        left = np.searchsorted(a_keys, q, side="left")
        hits = np.searchsorted(a_keys, q, side="right") - left
        qi = np.repeat(q_row + lo, hits)
        idx = np.arange(hits.sum()) + np.repeat(left - np.cumsum(hits) + hits, hits)
        other, shift = a_rows[idx], a_pos[idx] - np.repeat(q_pos, hits)
        keep = other != qi
        if label is not None:
            keep &= label[other] != label[qi]
        found.append(np.stack([qi[keep], other[keep], shift[keep]], axis=1))
    cand = np.concatenate(found) if found else np.zeros((0, 3), dtype=np.int64)
    if not len(cand):
        return np.zeros((0, 2), dtype=np.int64)
    # (i, j, shift) as one int64 for a fast unique (n**2 * 256 < 2**63 up to 1.8e8 rows)
    key = _sorted_unique((cand[:, 0] * n + cand[:, 1]) * 256 + cand[:, 2] + 128)
    cand = np.stack([key // 256 // n, key // 256 % n, key % 256 - 128], axis=1)
    rows = np.unique(cand[:, 0])
    repeats = np.zeros(codes.shape, dtype=bool)
    repeats[rows] = repeat_mask(codes[rows])
    linked = [c[:, :2][_has_shared_run(codes, c, k, repeats)] for c in
              (cand[lo:lo + CHUNK] for lo in range(0, len(cand), CHUNK))]
    return _unique_pairs(np.concatenate(linked))


def repeat_mask(codes: np.ndarray, width: int = ANCHOR,
                max_period: int = MAX_PERIOD) -> np.ndarray:
    """Bases inside a tandem repeat: covered by a ``width``-window of period at most
    ``max_period`` (:func:`_periodic`); shape of ``codes``, bool.
    """
    n, length = codes.shape
    mask = np.zeros((n, length), dtype=bool)
    for s in range(length - width + 1):
        periodic = _periodic(codes, s, width, max_period)
        mask[periodic, s:s + width] = True
    return mask


def _has_shared_run(codes: np.ndarray, cand: np.ndarray, k: int,
                    repeats: np.ndarray | None = None) -> np.ndarray:
    """Whether region ``i`` at ``t`` equals region ``j`` at ``t + shift`` for ``k`` bases
    in a row, at least ``MIN_UNIQUE`` of them outside tandem repeats of row ``i`` (a repeat
    array and a base or two beside it is no shared element), or for ``LONG_RUN`` bases in
    a row whatever they are (two rows that are nearly all one array).
    """
    width = codes.shape[1]
    t = np.arange(width)
    tj = t[None, :] + cand[:, 2:3]
    inside = (tj >= 0) & (tj < width)
    a = codes[cand[:, 0:1], t[None, :]]
    b = codes[cand[:, 1:2], np.clip(tj, 0, width - 1)]
    eq = inside & (a == b) & (a != 4)
    zero = np.zeros((len(cand), 1), np.int32)
    run = np.concatenate([zero, np.cumsum(eq, axis=1, dtype=np.int32)], 1)
    full = (run[:, k:] - run[:, :-k]) == k
    if repeats is not None:
        unique = eq & ~repeats[cand[:, 0]]
        uniq = np.concatenate([zero, np.cumsum(unique, axis=1, dtype=np.int32)], 1)
        full &= (uniq[:, k:] - uniq[:, :-k]) >= min(MIN_UNIQUE, k)
    linked = full.any(axis=1)
    if width >= LONG_RUN:
        linked |= ((run[:, LONG_RUN:] - run[:, :-LONG_RUN]) == LONG_RUN).any(axis=1)
    return linked


def group_families(sequences, *, max_mismatches: int = MAX_MISMATCHES,
                   shared_kmer: int | None = SHARED_KMER, pairs=None) -> Families:
    """Family of every row: connected components of near copies, shared k-mers and pairs.

    Parameters
    ----------
    sequences : list of str, or np.ndarray of shape (n, 80) or (n, 110), uint8 codes
        Fitted to 110 bp and cropped to the variable region (:func:`variable_regions`).
    max_mismatches : int
        Rows whose regions differ at this many positions or fewer are linked; < 0: none.
    shared_kmer : int or None
        Rows whose regions share an exact substring this long are linked; None: none.
    pairs : array-like of shape (p, 2), optional
        Row indices linked explicitly (alt/ref tables).

    Returns
    -------
    Families
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    codes = variable_regions(sequences)
    n = len(codes)
    parts, links = [], {}

    def components():
        edges = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
        graph = coo_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])),
                           shape=(n, n))
        return connected_components(graph, directed=False)[1]

    if pairs is not None:
        given = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if len(given) and (given.min() < 0 or given.max() >= n):
            raise ValueError(f"pairs name rows outside 0..{n - 1}")
        parts.append(_unique_pairs(given))
        links["pairs"] = len(parts[-1])
    if max_mismatches >= 0:
        parts.append(near_copy_pairs(codes, max_mismatches))
        links["near"] = len(parts[-1])
    if shared_kmer:
        # pairs already in one family need no k-mer check (most of a variant series)
        parts.append(shared_kmer_pairs(codes, shared_kmer, label=components()))
        links["kmer"] = len(parts[-1])
    comp = components()
    # renumber by first occurrence so labels follow row order
    _, first = np.unique(comp, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    return Families(label=rank[comp].astype(np.int64), links=links)
