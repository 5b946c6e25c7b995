"""How new a sequence is to a model: the nearest training sequence and its distance.

Distance is the number of the 80 variable-region bases that differ (``N`` never matches).
The index holds the training sequences' variable regions packed two bits a base
(:func:`pack_regions`, 20 bytes a sequence: 1.2 MB for the demo ensemble's 60k rows);
searching it is exact, a bitwise AND and a popcount over all rows, vectorised in chunks:
about 2 ms for one query against 60k rows, so every prediction can carry its novelty.

For indexes too large to scan (the 6.7M-row training file against a whole test file),
:func:`nearest` switches to the pigeonhole search of :mod:`.group`, exact up to
``max_exact`` mismatches and reporting ``max_exact + 1`` ("further") beyond.
"""

from __future__ import annotations

import numpy as np

from promoter_model.families.group import REGION, block_keys, variable_regions

WORDS = 5  # 80 bases x 4 one-hot bits = 320 bits
SCAN_LIMIT = 2e9  # query rows x index rows above which the exact scan is not used
NOVEL = 11  # bases: "new to the model" from this distance on
BINS = ((0, 0, "identical"), (1, 1, "1 base"), (2, 2, "2 bases"), (3, 10, "3-10 bases"),
        (11, REGION, "11 or more (novel)"))


def pack_regions(codes: np.ndarray) -> np.ndarray:
    """Variable regions (n, 80) uint8 codes -> (n, 20) uint8, two bits a base; N -> A.

    Packing loses ``N``: keep :func:`n_mask` beside it where ``N`` may occur.
    """
    codes = variable_regions(codes)
    c = np.where(codes > 3, 0, codes).astype(np.uint8).reshape(len(codes), REGION // 4, 4)
    return (c[..., 0] << 6 | c[..., 1] << 4 | c[..., 2] << 2 | c[..., 3]).astype(np.uint8)


def unpack_regions(packed: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_regions`: (n, 20) uint8 -> (n, 80) uint8 codes."""
    p = np.asarray(packed, dtype=np.uint8)
    out = np.stack([(p >> 6) & 3, (p >> 4) & 3, (p >> 2) & 3, p & 3], axis=-1)
    return out.reshape(len(p), REGION)


def _bits(codes: np.ndarray) -> np.ndarray:
    """One-hot bit rows (n, 5) uint64 of (n, 80) codes: base b at position i sets bit 4i+b;
    ``N`` sets none, so it matches nothing.
    """
    n = len(codes)
    onehot = np.zeros((n, REGION, 4), dtype=bool)
    valid = codes < 4
    rows, cols = np.nonzero(valid)
    onehot[rows, cols, codes[rows, cols]] = True
    packed = np.packbits(onehot.reshape(n, REGION * 4), axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").reshape(n, WORDS)


def _scan(query_bits: np.ndarray, index_bits: np.ndarray, chunk_cells: int = 2_000_000):
    """Exact nearest index row of each query by AND + popcount; (distance, row)."""
    m, n = len(query_bits), len(index_bits)
    dist = np.empty(m, dtype=np.int64)
    arg = np.empty(m, dtype=np.int64)
    step = max(1, chunk_cells // max(n, 1))
    for lo in range(0, m, step):
        q = query_bits[lo:lo + step]
        matches = np.zeros((len(q), n), dtype=np.int64)
        for w in range(WORDS):
            matches += np.bitwise_count(q[:, w:w + 1] & index_bits[None, :, w])
        best = matches.argmax(axis=1)
        arg[lo:lo + step] = best
        dist[lo:lo + step] = REGION - matches[np.arange(len(q)), best]
    return dist, arg


def _pigeonhole(query: np.ndarray, index: np.ndarray, max_exact: int):
    """Nearest index row within ``max_exact`` mismatches by shared blocks; further rows
    get distance ``max_exact + 1`` and row -1.
    """
    m = len(query)
    dist = np.full(m, max_exact + 1, dtype=np.int64)
    arg = np.full(m, -1, dtype=np.int64)
    edges = np.linspace(0, REGION, max_exact + 2).astype(int)
    for start, stop in zip(edges[:-1], edges[1:]):
        i_keys = block_keys(index, start, stop - start)
        order = np.argsort(i_keys, kind="stable")
        i_keys = i_keys[order]
        q_keys = block_keys(query, start, stop - start)
        left = np.searchsorted(i_keys, q_keys, "left")
        hits = np.searchsorted(i_keys, q_keys, "right") - left
        qi = np.repeat(np.arange(m), hits)
        rows = order[np.arange(hits.sum()) + np.repeat(left - np.cumsum(hits) + hits, hits)]
        d = ((query[qi] != index[rows]) | (query[qi] == 4)).sum(axis=1)
        # the smallest distance per query (ties: the lowest row), if better than before
        o = np.lexsort((rows, d, qi))
        qi, rows, d = qi[o], rows[o], d[o]
        first = np.r_[True, qi[1:] != qi[:-1]] if len(qi) else np.zeros(0, bool)
        qi, rows, d = qi[first], rows[first], d[first]
        better = d < dist[qi]
        dist[qi[better]], arg[qi[better]] = d[better], rows[better]
    return dist, arg


def nearest(query, index, max_exact: int | None = None):
    """Distance from each query to its nearest index sequence, and that sequence's row.

    Parameters
    ----------
    query, index : list of str or np.ndarray of codes, shape (n, 80) or (n, 110)
        Fitted and cropped to the variable region (:func:`.group.variable_regions`).
    max_exact : int, optional
        Exact up to this many mismatches only (pigeonhole search; distances beyond come
        back as ``max_exact + 1`` with row -1). By default the search is exact at every
        distance when ``len(query) * len(index)`` is at most ``SCAN_LIMIT`` and exact up to
        3 beyond that.

    Returns
    -------
    distance, row : np.ndarray, shape (n_query,), int64
    """
    q, ix = variable_regions(query), variable_regions(index)
    if not len(ix):
        return (np.full(len(q), REGION, dtype=np.int64), np.full(len(q), -1, dtype=np.int64))
    if max_exact is None and len(q) * len(ix) <= SCAN_LIMIT:
        return _scan(_bits(q), _bits(ix))
    return _pigeonhole(q, ix, 3 if max_exact is None else int(max_exact))


class NoveltyIndex:
    """The training sequences of a model (or of all an ensemble's members), searchable.

    Parameters
    ----------
    packed : np.ndarray, shape (n, 20), uint8
        Variable regions two bits a base (:func:`pack_regions`).
    """

    def __init__(self, packed: np.ndarray):
        packed = np.asarray(packed, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[1] != REGION // 4:
            raise ValueError(f"a novelty index has shape (n, {REGION // 4}), got "
                             f"{packed.shape}")
        self.packed = packed
        self._bits = _bits(unpack_regions(packed))

    def __len__(self) -> int:
        return len(self.packed)

    @classmethod
    def from_sequences(cls, sequences) -> NoveltyIndex:
        return cls(pack_regions(variable_regions(sequences)))

    def nearest(self, query):
        """``(distance, row)`` of each query's nearest training sequence (exact)."""
        q = variable_regions(query)
        return _scan(_bits(q), self._bits)

    def sequence(self, row: int) -> str:
        """The variable region of index row ``row`` as text."""
        return "".join("ACGT"[c] for c in unpack_regions(self.packed[row:row + 1])[0])


def describe(distance: int) -> str:
    """Plain words for a distance: 'seen in training', 'trained on a sequence N bases
    away' or 'new to the model'.
    """
    d = int(distance)
    if d == 0:
        return "identical to a training sequence"
    if d >= NOVEL:
        return f"new to the model (no training sequence within {NOVEL - 1} bases)"
    return f"trained on a sequence {d} base{'s' if d > 1 else ''} away"


def distance_bin(distance) -> np.ndarray:
    """Label of each distance's bin (:data:`BINS`)."""
    d = np.asarray(distance)
    out = np.empty(d.shape, dtype=object)
    for lo, hi, name in BINS:
        out[(d >= lo) & (d <= hi)] = name
    return out
