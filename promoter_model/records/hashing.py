"""Split assignment: a seeded hash of the fitted sequence decides train, val or test.

Identical sequences always land in the same split whatever the row order or chunking.
"""

from __future__ import annotations

import numpy as np

from promoter_model import sequence as seqmod
from promoter_model.sequence import SEQ_LEN

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S33 = np.uint64(33)
_S11 = np.uint64(11)



# --------------------------------------------------------------------------- splitting
def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 64-bit finaliser, elementwise on uint64 (wraps modulo 2**64)."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def hash_codes(codes: np.ndarray, seed: int = 0) -> np.ndarray:
    """Seeded 64-bit hash of each row of base codes.

    Rows are zero-padded to a multiple of 8 bytes, read as little-endian uint64 words and
    chained through the MurmurHash3 finaliser, so the cost is ``ceil(L / 8)`` vector
    operations over the rows.

    Parameters
    ----------
    codes : np.ndarray, shape (n, L), uint8
    seed : int

    Returns
    -------
    np.ndarray, shape (n,), uint64
    """
    codes = np.asarray(codes, dtype=np.uint8)
    n, length = codes.shape
    width = -(-length // 8) * 8
    padded = np.zeros((n, width), dtype=np.uint8)
    padded[:, :length] = codes
    words = padded.view("<u8")
    start = _fmix64(np.array([(int(seed) * 0x9E3779B97F4A7C15 + length) % 2**64],
                             dtype=np.uint64))[0]
    h = np.full(n, start, dtype=np.uint64)
    for k in range(words.shape[1]):
        h = _fmix64((h ^ words[:, k]) + _GOLDEN)
    return h


def split_of(sequences, seed: int = 0, val_fraction: float = 0.025,
             test_fraction: float = 0.025, fold: tuple | None = None) -> np.ndarray:
    """Deterministic split of each sequence by a seeded hash of its fitted content.

    The hash is mapped to ``u`` in [0, 1): ``u < val_fraction`` is validation,
    ``val_fraction <= u < val_fraction + test_fraction`` is test, the rest is training. So
    identical sequences always share a split, and the validation set does not change when
    ``test_fraction`` is set to 0 (as :func:`prepare` does with ``test_input``).

    Parameters
    ----------
    sequences : list of str, or np.ndarray of shape (n, L), uint8
        Strings are fitted to 110 bp and encoded first; a code array is used as is.
    seed : int
    val_fraction, test_fraction : float
        Each in [0, 1], with a sum below 1.
    fold : (i, k), optional
        k-fold cross-validation: validation is fold ``i`` of ``k`` equal hash ranges
        (``i / k <= u < (i + 1) / k``), replacing ``val_fraction``; ``test_fraction`` must
        be 0. Members ``i = 0 .. k-1`` together validate on every sequence exactly once.

    Returns
    -------
    np.ndarray, shape (n,), int8
        0 = train, 1 = val, 2 = test.
    """
    check_fractions(val_fraction, test_fraction)
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        codes = sequences
    else:
        codes = seqmod.encode_codes(list(sequences), SEQ_LEN)
    u = (hash_codes(codes, seed) >> _S11).astype(np.float64) * 2.0**-53
    out = np.zeros(len(u), dtype=np.int8)
    if fold is not None:
        i, k = check_fold(fold, test_fraction)
        out[np.floor(u * k) == i] = 1
        return out
    out[u < val_fraction] = 1
    out[(u >= val_fraction) & (u < val_fraction + test_fraction)] = 2
    return out


def check_fold(fold, test_fraction) -> tuple[int, int]:
    """``(i, k)`` of a cross-validation fold; ValueError for a bad fold or a test fraction."""
    i, k = (int(v) for v in fold)
    if k < 2 or not 0 <= i < k:
        raise ValueError(f"fold must be (i, k) with k >= 2 and 0 <= i < k, got {tuple(fold)}")
    if float(test_fraction) != 0.0:
        raise ValueError("with fold, test_fraction must be 0 (give the test set as "
                         "test_input)")
    return i, k


def check_fractions(val_fraction, test_fraction):
    """ValueError unless both fractions are in [0, 1] and leave something to train on."""
    for name, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {v}")
    if float(val_fraction) + float(test_fraction) >= 1.0:
        raise ValueError("val_fraction + test_fraction must be below 1 (nothing left to "
                         "train on)")
