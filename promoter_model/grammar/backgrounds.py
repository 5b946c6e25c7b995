"""Backgrounds for grammar experiments, drawn like the training data.

A motif's effect is measured by inserting it into many backgrounds and comparing with the
backgrounds alone. Uniform random sequences are not what the models were trained on (their
GC content and dinucleotides differ from the DREAM random library: the "GC mirage"
tangermeme warns of), so backgrounds here are always real promoters of the pool the models
were trained like:

* ``"shuffle"`` (default): a seeded sample of pool promoters whose 80 bp variable regions are
  dinucleotide-shuffled (Altschul-Erickson: every dinucleotide count and the first and last
  base kept, so the junctions with the plasmid flanks are kept too), which destroys the
  motifs they held while keeping their composition;
* ``"sample"``: the seeded sample of pool promoters as they are.

The pool is the DREAM training-file sample shipped with the package
(``promoter_model/data/train_demo.txt``: the 110 bp rows with both plasmid flanks), or any
list of promoters given as ``pool``. The number of backgrounds, the seed and the method are
recorded (:meth:`Backgrounds.record`) and travel with every grammar result.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dream import ASSETS
from ..sequence import (
    FLANK_3,
    FLANK_5,
    SEQ_LEN,
    VARIABLE_END,
    VARIABLE_START,
    as_batch,
    decode,
    encode_codes,
    one_hot,
)

POOL_FILE = ASSETS / "train_demo.txt"
METHODS = ("shuffle", "sample")
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclass(frozen=True)
class Backgrounds:
    """Background promoters and how they were drawn.

    Attributes
    ----------
    X : np.ndarray, shape (n, 110, 4), float32
        One-hot backgrounds.
    seed : int or None
        The seed they were drawn with (None: given by the caller).
    method : str
        ``"shuffle"``, ``"sample"`` or ``"given"``.
    source : str
        Where the pool came from.
    """

    X: np.ndarray
    seed: int | None
    method: str
    source: str

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def sequences(self) -> list:
        """The backgrounds as 110 bp strings."""
        return decode(self.X)

    def record(self) -> dict:
        """``n_backgrounds``, ``seed``, ``backgrounds`` (method) and ``pool``: what every
        result built on these backgrounds carries in its ``attrs``.
        """
        return {"n_backgrounds": len(self), "seed": self.seed, "backgrounds": self.method,
                "pool": self.source}


@functools.lru_cache(maxsize=1)
def _default_pool() -> tuple:
    table = pd.read_csv(POOL_FILE, sep="\t", header=None, usecols=[0], dtype=str)
    seqs = table[0].str.strip().str.upper()
    keep = (seqs.str.len() == SEQ_LEN) & seqs.str.startswith(FLANK_5) \
        & seqs.str.endswith(FLANK_3) & seqs.str.fullmatch("[ACGT]+")
    return tuple(seqs[keep].tolist())


def default_pool() -> list:
    """The bundled pool: the 110 bp promoters of ``train_demo.txt`` with both plasmid
    flanks and no ``N`` (5,000-odd rows of the DREAM random library).
    """
    return list(_default_pool())


def _random_arborescence(src, dst, verts, last, rng) -> dict:
    """One out-edge per vertex (except ``last``) forming a tree that leads to ``last``.

    Edges are chosen uniformly per vertex and the choice is redrawn until every vertex
    reaches ``last`` (rejection gives the uniform law over such trees, as Altschul and
    Erickson's shuffle needs).
    """
    while True:
        chosen = {int(v): int(rng.choice(np.flatnonzero(src == v))) for v in verts
                  if v != last}
        ok = True
        for v in chosen:
            seen, u = set(), v
            while u != last and u not in seen:
                seen.add(u)
                u = int(dst[chosen[u]])
            ok &= u == last
        if ok:
            return chosen


def _shuffle_codes(codes: np.ndarray, rng) -> np.ndarray:
    """A dinucleotide shuffle of one code array (0-3), first and last base kept."""
    n = len(codes)
    if n < 3:
        return codes.copy()
    src, dst = codes[:-1], codes[1:]
    last = int(codes[-1])
    chosen = _random_arborescence(src, dst, np.unique(codes), last, rng)
    order = {}  # vertex -> its out-edges: random order, the tree edge last
    for v in np.unique(src).tolist():
        edges = np.flatnonzero(src == v)
        if v in chosen:
            edges = edges[edges != chosen[v]]
        edges = rng.permutation(edges).tolist()
        order[v] = edges + ([chosen[v]] if v in chosen else [])
    out = np.empty(n, dtype=codes.dtype)
    out[0] = codes[0]
    nxt = dict.fromkeys(order, 0)
    for i in range(1, n):  # the walk uses every edge once: an Eulerian path
        v = int(out[i - 1])
        out[i] = dst[order[v][nxt[v]]]
        nxt[v] += 1
    return out


def dinucleotide_shuffle(sequences, seed=0) -> list:
    """Dinucleotide-shuffled copies of DNA strings (Altschul-Erickson).

    Every dinucleotide count, the first and the last base are kept; ``N`` is not allowed.

    Parameters
    ----------
    sequences : str or list of str
    seed : int or np.random.Generator

    Returns
    -------
    list of str
        One shuffle per input, in order.
    """
    rng = np.random.default_rng(seed)
    sequences = [sequences] if isinstance(sequences, str) else list(sequences)
    out = []
    for s in sequences:
        codes = encode_codes([s], length=len(s), fit=False)[0]
        if (codes > 3).any():
            raise ValueError("dinucleotide_shuffle takes A, C, G, T only (no N)")
        out.append(_LETTERS[_shuffle_codes(codes, rng)].tobytes().decode())
    return out


def draw_backgrounds(n: int = 100, seed: int = 0, method: str = "shuffle",
                     pool=None) -> Backgrounds:
    """A seeded set of backgrounds drawn like the training data.

    Parameters
    ----------
    n : int
        How many.
    seed : int
    method : {"shuffle", "sample"}
        Pool promoters with their variable region dinucleotide-shuffled, or as they are.
    pool : list of str, optional
        110 bp promoters (default :func:`default_pool`); drawn without replacement while
        the pool is large enough, else with replacement.

    Returns
    -------
    Backgrounds
    """
    if method not in METHODS:
        raise ValueError(f"unknown background method {method!r}; choose "
                         f"{', '.join(METHODS)}")
    if int(n) < 1:
        raise ValueError(f"need at least one background, got {n}")
    source = "train_demo.txt (DREAM random library)" if pool is None else "given pool"
    pool = default_pool() if pool is None else list(pool)
    if not pool:
        raise ValueError("the background pool is empty")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(pool), size=int(n), replace=int(n) > len(pool))
    chosen = [pool[i] for i in idx]
    X = one_hot(chosen, length=SEQ_LEN)
    if method == "shuffle":
        cores = dinucleotide_shuffle(decode(X[:, VARIABLE_START:VARIABLE_END]), rng)
        X[:, VARIABLE_START:VARIABLE_END] = one_hot(cores, length=VARIABLE_END
                                                    - VARIABLE_START, fit=False)
    return Backgrounds(X=X, seed=int(seed), method=method, source=source)


def as_backgrounds(backgrounds=None, n: int = 100, seed: int = 0,
                   method: str = "shuffle") -> Backgrounds:
    """The one converter the grammar operations call.

    ``None`` draws ``n`` backgrounds (:func:`draw_backgrounds`); a :class:`Backgrounds`
    is returned as it is; strings or one-hot arrays are used as given (method ``"given"``,
    seed None).
    """
    if backgrounds is None:
        return draw_backgrounds(n=n, seed=seed, method=method)
    if isinstance(backgrounds, Backgrounds):
        return backgrounds
    X = as_batch(backgrounds, SEQ_LEN)
    return Backgrounds(X=np.array(X, dtype=np.float32), seed=None, method="given",
                       source="given")
