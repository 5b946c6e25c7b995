"""How much of a test set the training set already holds, and the scores by that distance.

``leakage_report(train, test)`` gives every test row's distance to its nearest training
row (bases that differ in the 80 bp variable region) and, where measurements and
predictions are given, the agreement and the interval's coverage in each distance bin
(:data:`promoter_model.families.novelty.BINS`). A score computed on rows one base away
from a training row measures recall of near copies, not generalisation: this is the table
that says which it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promoter_model.families.novelty import BINS, distance_bin, nearest

NEIGHBOUR_DISTANCES = (1, 2, 3)


def neighbour_shares(distance) -> dict:
    """Share of rows whose nearest training row is at most 0, 1, 2 and 3 bases away."""
    d = np.asarray(distance)
    n = max(len(d), 1)
    out = {"n": int(len(d)), "identical": float(np.mean(d == 0)) if len(d) else 0.0}
    for k in NEIGHBOUR_DISTANCES:
        out[f"within_{k}"] = float((d <= k).sum() / n)
    return out


def stratified_scores(distance, measured=None, predicted=None, lower=None,
                      upper=None, groups=None, exact_up_to: int | None = None) -> pd.DataFrame:
    """Rows, r² and interval coverage per distance bin (and per extra group).

    Parameters
    ----------
    distance : array, shape (n,)
        Each row's distance to its nearest training row.
    measured, predicted : array, shape (n,), optional
    lower, upper : array, shape (n,), optional
        The interval of each prediction.
    groups : dict, optional
        ``label -> bool mask`` of further rows to report (e.g. "family without any
        training row").
    exact_up_to : int, optional
        Distances are exact only up to this (a pigeonhole search): rows beyond it are
        reported together as "more than N bases".

    Returns
    -------
    pd.DataFrame
        Columns ``rows, n, r2, coverage, mean_width`` (the last three only with the inputs
        they need), one row per bin present, then one per group.
    """
    d = np.asarray(distance)
    bins = distance_bin(d)
    masks = [(name, bins == name) for lo, _hi, name in BINS
             if exact_up_to is None or lo <= exact_up_to]
    if exact_up_to is not None:
        masks = [(name, m & (d <= exact_up_to)) for name, m in masks]
        masks.append((f"more than {exact_up_to} bases", d > exact_up_to))
    masks += list((groups or {}).items())
    rows = []
    for name, mask in masks:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            continue
        row = {"rows": name, "n": int(mask.sum())}
        if measured is not None and predicted is not None:
            y = np.asarray(measured, np.float64)[mask]
            p = np.asarray(predicted, np.float64)[mask]
            ok = np.isfinite(y) & np.isfinite(p)
            row["r2"] = (float(np.corrcoef(y[ok], p[ok])[0, 1] ** 2) if ok.sum() > 2
                         else float("nan"))
        if measured is not None and lower is not None and upper is not None:
            y = np.asarray(measured, np.float64)[mask]
            lo = np.asarray(lower, np.float64)[mask]
            hi = np.asarray(upper, np.float64)[mask]
            row["coverage"] = float(np.mean((y >= lo) & (y <= hi)))
            row["mean_width"] = float(np.mean(hi - lo))
        rows.append(row)
    return pd.DataFrame(rows)


def leakage_report(train, test, measured=None, predicted=None, lower=None, upper=None,
                   max_exact: int | None = None) -> dict:
    """Distances of ``test`` rows to ``train`` and the scores stratified by them.

    Parameters
    ----------
    train, test : list of str or code arrays
        Fitted and cropped to the variable region.
    measured, predicted, lower, upper : arrays of shape (len(test),), optional
    max_exact : int, optional
        As in :func:`promoter_model.families.novelty.nearest` (large sets: exact up to 3).

    Returns
    -------
    dict
        ``distance`` (array), ``shares`` (:func:`neighbour_shares`), ``table``
        (:func:`stratified_scores`).
    """
    from promoter_model.families.novelty import SCAN_LIMIT

    distance, _ = nearest(test, train, max_exact=max_exact)
    exact = max_exact if max_exact is not None else (
        None if len(distance) * len(train) <= SCAN_LIMIT else 3)
    return {"distance": distance, "shares": neighbour_shares(distance), "exact_up_to": exact,
            "table": stratified_scores(distance, measured, predicted, lower, upper,
                                       exact_up_to=exact)}
