"""Splits that keep every family on one side: a held-out test set and k cross-validation folds.

Arrays in, arrays out: ``label`` is the family of each row (:func:`group.group_families`).
"""

from __future__ import annotations

import numpy as np


def check_family_split(label: np.ndarray, assignment: np.ndarray) -> None:
    """Raise ``ValueError`` naming a family whose rows sit in more than one part."""
    _, label = np.unique(np.asarray(label), return_inverse=True)
    _, codes = np.unique(np.asarray(assignment), return_inverse=True)
    per_family_min = np.full(label.max() + 1, np.iinfo(np.int64).max)
    per_family_max = np.full(label.max() + 1, -1)
    np.minimum.at(per_family_min, label, codes)
    np.maximum.at(per_family_max, label, codes)
    split = np.flatnonzero(per_family_min != per_family_max)
    if split.size:
        raise ValueError(f"{split.size} families sit on more than one side of the split "
                         f"(family {int(split[0])} first)")


def hold_out_families(label: np.ndarray, strata: dict, fraction: float = 0.15,
                      seed: int = 0, max_family_share: float = 0.01) -> np.ndarray:
    """Choose whole families as a test set holding about ``fraction`` of every stratum.

    Strata are visited from the smallest; for each, families holding its rows are taken in a
    seeded random order until the stratum's held-out share reaches ``fraction`` (families
    taken for an earlier stratum count). A family larger than ``max_family_share`` of all
    rows is held out only when a stratum would otherwise have no test row at all, and then
    only the smallest such family: a stratum that is one family (the DREAM motif
    perturbation experiment) is held out whole rather than left untested.

    Parameters
    ----------
    label : np.ndarray, shape (n,), int
        Family of each row.
    strata : dict
        ``name -> bool mask of shape (n,)`` (rows may belong to several strata or none).
    fraction : float
        In (0, 1).
    seed : int
    max_family_share : float

    Returns
    -------
    np.ndarray, shape (n,), bool
        Whether each row is held out.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    label = np.asarray(label, dtype=np.int64)
    n_fam = int(label.max()) + 1
    sizes = np.bincount(label, minlength=n_fam)
    eligible = sizes <= max(1, max_family_share * len(label))
    order = np.random.default_rng(seed).permutation(n_fam)
    chosen = np.zeros(n_fam, dtype=bool)
    names = sorted(strata, key=lambda s: int(np.asarray(strata[s]).sum()))
    for name in names:
        mask = np.asarray(strata[name], dtype=bool)
        per_family = np.bincount(label[mask], minlength=n_fam)
        need = fraction * mask.sum()
        have = per_family[chosen].sum()
        candidates = order[(per_family[order] > 0) & eligible[order] & ~chosen[order]]
        if have >= need:
            continue
        if not candidates.size:
            if have == 0:  # unrepresented: the smallest family that holds the stratum
                big = np.flatnonzero((per_family > 0) & ~chosen)
                if big.size:
                    chosen[big[np.argmin(sizes[big])]] = True
            continue
        # take candidates in order until the running total reaches the need
        running = have + np.cumsum(per_family[candidates])
        stop = int(np.searchsorted(running, need)) + 1
        chosen[candidates[:stop]] = True
    return chosen[label]


def family_folds(label: np.ndarray, k: int, seed: int = 0,
                 exclude: np.ndarray | None = None) -> np.ndarray:
    """Assign whole families to ``k`` folds of nearly equal row counts.

    Families are placed largest first (ties in seeded random order), each into the fold that
    has the fewest rows so far.

    Parameters
    ----------
    label : np.ndarray, shape (n,), int
    k : int
        At least 2.
    seed : int
    exclude : np.ndarray of bool, shape (n,), optional
        Rows to leave out (their fold is -1), such as a held-out test set.

    Returns
    -------
    np.ndarray, shape (n,), int64
        Fold of each row, 0 .. k-1 (or -1 where excluded).
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    label = np.asarray(label, dtype=np.int64)
    keep = np.ones(len(label), bool) if exclude is None else ~np.asarray(exclude, bool)
    n_fam = int(label.max()) + 1 if label.size else 0
    sizes = np.bincount(label[keep], minlength=n_fam)
    rng = np.random.default_rng(seed)
    tie = rng.permutation(n_fam)
    order = np.lexsort((tie, -sizes))
    order = order[sizes[order] > 0]
    fold_of = np.full(n_fam, -1, dtype=np.int64)
    totals = np.zeros(k, dtype=np.int64)
    for f in order:  # one step per family (14k for the DREAM test file): cheap
        j = int(np.argmin(totals))
        fold_of[f] = j
        totals[j] += sizes[f]
    folds = fold_of[label]
    folds[~keep] = -1
    return folds


def hashed_family_split(label: np.ndarray, key: np.ndarray, val_fraction: float,
                        test_fraction: float) -> np.ndarray:
    """Split by a hash of each family's key: 0 train, 1 validation, 2 test.

    ``key`` (shape (n,), uint64) is a seeded hash of each row; a family is placed by a hash
    of the smallest of its rows' keys (re-mixed, since the minimum of many keys is small),
    so the split of a family does not depend on row order.
    """
    u = _family_u(np.asarray(label, dtype=np.int64), key)
    return np.where(u < val_fraction, 1, np.where(u < val_fraction + test_fraction, 2, 0))


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, elementwise on uint64 (wraps modulo 2**64)."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def family_assignment(codes: np.ndarray, *, seed: int = 0, val_fraction: float = 0.025,
                      test_fraction: float = 0.025, fold: tuple | None = None,
                      test_codes: np.ndarray | None = None) -> tuple:
    """Split a training file by family: ``(assignment, summary)``.

    Parameters
    ----------
    codes : np.ndarray, shape (n, L), uint8
        The fitted input rows (``L`` = 80 or 110).
    seed, val_fraction, test_fraction : as in :func:`promoter_model.records.split_of`
    fold : (i, k), optional
        Validation is family-hash fold ``i`` of ``k`` (``test_fraction`` must be 0).
    test_codes : np.ndarray, optional
        A separate test file's rows: families are grouped over both, and an input row
        whose family holds a test row is excluded (assignment -1): a near copy of a test
        sequence must not be trained or selected on.

    Returns
    -------
    assignment : np.ndarray, shape (n,), int
        0 train, 1 validation, 2 test, -1 excluded.
    summary : dict
        ``families``, ``largest_family``, ``rows_in_shared_families``, ``excluded``.
    """
    from promoter_model.families.group import group_families
    from promoter_model.records.hashing import hash_codes

    n = len(codes)
    both = codes if test_codes is None else np.concatenate([codes, test_codes])
    fams = group_families(both)
    label = fams.label[:n]
    key = hash_codes(both, seed)[:n]
    if fold is not None:
        i, k = fold
        fam_u = _family_u(label, key)
        split = np.where((fam_u >= i / k) & (fam_u < (i + 1) / k), 1, 0)
    else:
        split = hashed_family_split(label, key, val_fraction, test_fraction)
    excluded = np.zeros(n, dtype=bool)
    if test_codes is not None:
        excluded = np.isin(label, fams.label[n:])
        split = np.where(excluded, -1, split)
    summary = fams.summary()
    summary.pop("links", None)
    summary["excluded"] = int(excluded.sum())
    return split, summary


def _family_u(label: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Each row's family position in [0, 1) (the hash :func:`hashed_family_split` uses)."""
    fam_key = np.full(int(label.max()) + 1 if label.size else 0, np.iinfo(np.uint64).max,
                      dtype=np.uint64)
    np.minimum.at(fam_key, label, np.asarray(key, dtype=np.uint64))
    return (_splitmix(fam_key)[label] >> np.uint64(11)).astype(np.float64) / float(1 << 53)
