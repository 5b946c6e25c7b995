"""Intervals for differences between related sequences, calibrated on measured pairs.

A variant effect (alt - ref in compare mode and variant tables, every ISM cell, a design's
gain) is a difference between two sequences a few bases apart. Their errors are strongly
correlated (the same model, nearly the same input), so the Bonferroni bound (each
sequence's own interval at level ``1 - (1 - level) / 2``, widths added) is far too wide:
with the old demo ensemble every change interval spanned zero.

The DREAM measurements hold thousands of such pairs: single-base series, rows 2 or 3 bases
apart. Split by family, both rows of a pair sit in the same fold, so one member predicts
both without having trained on either (a family-out-of-fold pair). The nonconformity score
of a pair is ``|(y_alt - y_ref) - (yhat_alt - yhat_ref)|``; scores are grouped by the number
of bases that differ (1, 2, 3: a Mondrian split by edit size) and each group stores its
conformal quantiles on the calibration's level grid. A pair more than ``max_mismatches``
apart has no calibrated group and gets the Bonferroni bound
(:meth:`promoter_model.uncertainty.calibration.Calibration.difference_interval`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from promoter_model.uncertainty.conformal import check_level, conformal_quantiles

METHOD = ("split-conformal on |measured - predicted| of alt - ref over family-out-of-fold "
          "pairs of measured sequences, grouped by the number of bases that differ")
MAX_MISMATCHES = 3
MIN_PAIRS = 100


@dataclass
class DifferenceQuantiles:
    """Conformal quantiles of pair-difference residuals, one row per edit size.

    Attributes
    ----------
    mismatches : np.ndarray, shape (m,), int
        Edit sizes (bases that differ) with a calibrated group, increasing.
    levels : np.ndarray, shape (G,)
    quantiles : np.ndarray, shape (m, G)
        Half-widths (``inf``: too few pairs for that level).
    counts : np.ndarray, shape (m,)
        Pairs per group.
    info : dict
        Method and data.
    """

    mismatches: np.ndarray
    levels: np.ndarray
    quantiles: np.ndarray
    counts: np.ndarray
    info: dict = field(default_factory=dict)

    def half_width(self, mismatches, level: float) -> np.ndarray:
        """Calibrated half-width of each pair at ``level``; NaN where its edit size has no
        group (0 bases, or more than the largest calibrated size).
        """
        level = check_level(level)
        m = np.asarray(mismatches, dtype=np.int64)
        j = min(int(np.searchsorted(self.levels, level - 1e-12, side="left")),
                len(self.levels) - 1)
        row = np.searchsorted(self.mismatches, m)
        row_ok = np.clip(row, 0, len(self.mismatches) - 1)
        found = (row < len(self.mismatches)) & (self.mismatches[row_ok] == m)
        return np.where(found, self.quantiles[row_ok, j], np.nan)

    def to_dict(self) -> dict:
        q = [[None if not np.isfinite(v) else round(float(v), 6) for v in row]
             for row in self.quantiles]
        return {"method": METHOD, "mismatches": [int(m) for m in self.mismatches],
                "counts": [int(c) for c in self.counts], "quantiles": q, "info": self.info}

    @classmethod
    def from_dict(cls, d: dict, levels: np.ndarray) -> DifferenceQuantiles:
        """Read :meth:`to_dict` output on the calibration's level grid.

        Raises
        ------
        ValueError
            Naming what is malformed or inconsistent.
        """
        if not isinstance(d, dict):
            raise ValueError("calibration file: 'differences' must be an object")
        try:
            mism = np.asarray(d["mismatches"], dtype=np.int64).reshape(-1)
            counts = np.asarray(d["counts"], dtype=np.int64).reshape(-1)
            q = np.array([[np.inf if v is None else v for v in row] for row in d["quantiles"]],
                         dtype=np.float64)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"calibration file: 'differences' is malformed "
                             f"({str(exc)[:120]})") from None
        if (q.shape != (mism.size, levels.size) or counts.shape != mism.shape
                or np.any(np.diff(mism) <= 0) or np.any(mism < 1) or np.any(q < 0)
                or np.any(np.isnan(q)) or np.any(counts < 0)):
            raise ValueError(f"calibration file: 'differences' is inconsistent: "
                             f"{mism.size} groups, quantiles {q.shape}")
        info = d.get("info") if isinstance(d.get("info"), dict) else {}
        return cls(mismatches=mism, levels=np.asarray(levels, np.float64), quantiles=q,
                   counts=counts, info=dict(info))


def count_mismatches(codes_alt: np.ndarray, codes_ref: np.ndarray) -> np.ndarray:
    """Bases that differ between paired rows of base codes (``N`` never matches)."""
    a, r = np.asarray(codes_alt), np.asarray(codes_ref)
    return ((a != r) | (a == 4) | (r == 4)).sum(axis=-1)


def fit_differences(y_alt, y_ref, pred_alt, pred_ref, mismatches, levels,
                    max_mismatches: int = MAX_MISMATCHES, min_pairs: int = MIN_PAIRS,
                    info: dict | None = None) -> DifferenceQuantiles:
    """Fit conformal quantiles of pair-difference residuals per edit size.

    Parameters
    ----------
    y_alt, y_ref, pred_alt, pred_ref : array, shape (p,)
        Measured values and out-of-fold predictions of each pair's two rows (both rows
        predicted by a model that trained on neither).
    mismatches : array, shape (p,), int
        Bases that differ within each pair.
    levels : array
        The calibration's level grid.
    max_mismatches, min_pairs : int
        Groups of 1 .. ``max_mismatches`` differing bases with at least ``min_pairs`` pairs.

    Returns
    -------
    DifferenceQuantiles

    Raises
    ------
    ValueError
        No group has enough pairs.
    """
    arrays = [np.asarray(a, dtype=np.float64).ravel() for a in (y_alt, y_ref, pred_alt,
                                                                 pred_ref)]
    m = np.asarray(mismatches, dtype=np.int64).ravel()
    ok = np.all([np.isfinite(a) for a in arrays], axis=0)
    score = np.abs((arrays[0] - arrays[1]) - (arrays[2] - arrays[3]))
    groups, q, counts = [], [], []
    for size in range(1, int(max_mismatches) + 1):
        rows = ok & (m == size)
        if rows.sum() >= min_pairs:
            groups.append(size)
            q.append(conformal_quantiles(score[rows], levels))
            counts.append(int(rows.sum()))
    if not groups:
        raise ValueError(f"no edit size has {min_pairs} usable pairs to calibrate on")
    meta = {"method": METHOD, "n": int(sum(counts))}
    meta.update(info or {})
    return DifferenceQuantiles(mismatches=np.array(groups), levels=np.asarray(levels),
                               quantiles=np.stack(q), counts=np.array(counts), info=meta)
