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
of bases that differ (1, 2, 3: a Mondrian split by edit size) and, within a group, into bins
of equal count by the size of the predicted change ``|yhat_alt - yhat_ref|`` (a larger
predicted change has a larger error: on the demo ensemble's single-base pairs the 90%
quantile of the score rises from 0.19 in the smallest quarter of predicted changes to 0.38
in the largest). Each bin stores its conformal quantiles on the calibration's level grid. A
pair more than ``max_mismatches`` apart has no calibrated group and gets the Bonferroni bound
(:meth:`promoter_model.uncertainty.calibration.Calibration.difference_interval`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from promoter_model.uncertainty.conformal import binned_quantiles, check_level

METHOD = ("split-conformal on |measured - predicted| of alt - ref over family-out-of-fold "
          "pairs of measured sequences, grouped by the number of bases that differ and, "
          "within it, binned by the size of the predicted change")
MAX_MISMATCHES = 3
MIN_PAIRS = 100
N_BINS = 10  # as the single-sequence calibration: bins of equal count ...
MIN_PER_BIN = 500  # ... and at least this many pairs each


@dataclass
class DifferenceQuantiles:
    """Conformal quantiles of pair-difference residuals, per edit size and, within it, per
    bin of the predicted change's size ``|alt - ref|``.

    Group ``g`` (edit size ``mismatches[g]``) has ``len(edges[g]) + 1`` bins; its rows of
    ``quantiles`` and ``bin_counts`` start at ``offsets[g]``.

    Attributes
    ----------
    mismatches : np.ndarray, shape (m,), int
        Edit sizes (bases that differ) with a calibrated group, increasing.
    levels : np.ndarray, shape (G,)
    quantiles : np.ndarray, shape (R, G)
        Half-widths per bin (``inf``: too few pairs for that level), groups one after
        another.
    counts : np.ndarray, shape (m,)
        Pairs per group.
    info : dict
        Method and data.
    edges : list of np.ndarray
        Inner bin edges on ``|predicted alt - ref|`` per group (empty: one bin).
    bin_counts : np.ndarray, shape (R,)
        Pairs per bin.
    """

    mismatches: np.ndarray
    levels: np.ndarray
    quantiles: np.ndarray
    counts: np.ndarray
    info: dict = field(default_factory=dict)
    edges: list = None
    bin_counts: np.ndarray = None

    def __post_init__(self):
        if self.edges is None:  # one bin per group
            self.edges = [np.zeros(0) for _ in self.mismatches]
        self.edges = [np.asarray(e, dtype=np.float64).reshape(-1) for e in self.edges]
        if self.bin_counts is None:
            self.bin_counts = np.asarray(self.counts)
        self.offsets = np.concatenate([[0], np.cumsum([e.size + 1 for e in self.edges])])

    def rows(self, mismatches, delta=None):
        """Row of :attr:`quantiles` for each pair and whether its edit size has a group,
        both of the broadcast shape of ``mismatches`` and ``delta``.

        ``delta`` is the predicted ``alt - ref`` (its size picks the bin); it may be None
        only when every group has one bin.

        Raises
        ------
        ValueError
            ``delta`` is None and a group has bins.
        """
        if delta is None and any(e.size for e in self.edges):
            raise ValueError("these difference quantiles are binned by the predicted change: "
                             "give each pair's predicted alt - ref")
        m = np.asarray(mismatches, dtype=np.int64)
        d = np.zeros(()) if delta is None else np.asarray(delta, dtype=np.float64)
        shape = np.broadcast_shapes(m.shape, d.shape)
        m = np.broadcast_to(m, shape).ravel()
        size = np.abs(np.broadcast_to(d, shape)).ravel()
        g = np.searchsorted(self.mismatches, m)
        g_ok = np.clip(g, 0, len(self.mismatches) - 1)
        found = (g < len(self.mismatches)) & (self.mismatches[g_ok] == m)
        row = self.offsets[g_ok].astype(np.int64)
        for k, e in enumerate(self.edges):
            if e.size:
                at = g_ok == k
                row[at] += np.searchsorted(e, size[at], side="right")
        return row.reshape(shape), found.reshape(shape)

    def half_width(self, mismatches, level: float, delta=None) -> np.ndarray:
        """Calibrated half-width of each pair at ``level``; NaN where its edit size has no
        group (0 bases, or more than the largest calibrated size). ``delta``: the predicted
        ``alt - ref`` of each pair, which picks its bin.
        """
        level = check_level(level)
        j = min(int(np.searchsorted(self.levels, level - 1e-12, side="left")),
                len(self.levels) - 1)
        row, found = self.rows(mismatches, delta)
        return np.where(found, self.quantiles[row, j], np.nan)

    def to_dict(self) -> dict:
        q = [[None if not np.isfinite(v) else round(float(v), 6) for v in row]
             for row in self.quantiles]
        return {"method": METHOD, "mismatches": [int(m) for m in self.mismatches],
                "counts": [int(c) for c in self.counts], "quantiles": q, "info": self.info,
                "edges": [[round(float(v), 6) for v in e] for e in self.edges],
                "bin_counts": [int(c) for c in self.bin_counts]}

    @classmethod
    def from_dict(cls, d: dict, levels: np.ndarray) -> DifferenceQuantiles:
        """Read :meth:`to_dict` output on the calibration's level grid (a file without
        ``edges`` has one bin per edit size).

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
            edges = [np.asarray(e, dtype=np.float64).reshape(-1)
                     for e in d.get("edges", [[] for _ in mism])]
            bins = np.asarray(d.get("bin_counts", counts), dtype=np.int64).reshape(-1)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"calibration file: 'differences' is malformed "
                             f"({str(exc)[:120]})") from None
        rows = sum(e.size + 1 for e in edges)
        if (len(edges) != mism.size or q.shape != (rows, levels.size)
                or counts.shape != mism.shape or bins.shape != (rows,)
                or np.any(np.diff(mism) <= 0) or np.any(mism < 1) or np.any(q < 0)
                or np.any(np.isnan(q)) or np.any(counts < 0) or np.any(bins < 0)
                or any(np.any(~np.isfinite(e)) or np.any(np.diff(e) < 0) for e in edges)):
            raise ValueError(f"calibration file: 'differences' is inconsistent: "
                             f"{mism.size} groups, {rows} bins, quantiles {q.shape}")
        info = d.get("info") if isinstance(d.get("info"), dict) else {}
        return cls(mismatches=mism, levels=np.asarray(levels, np.float64), quantiles=q,
                   counts=counts, info=dict(info), edges=edges, bin_counts=bins)


def count_mismatches(codes_alt: np.ndarray, codes_ref: np.ndarray) -> np.ndarray:
    """Bases that differ between paired rows of base codes (``N`` never matches)."""
    a, r = np.asarray(codes_alt), np.asarray(codes_ref)
    return ((a != r) | (a == 4) | (r == 4)).sum(axis=-1)


def fit_differences(y_alt, y_ref, pred_alt, pred_ref, mismatches, levels,
                    max_mismatches: int = MAX_MISMATCHES, min_pairs: int = MIN_PAIRS,
                    n_bins: int = N_BINS, min_per_bin: int = MIN_PER_BIN,
                    info: dict | None = None) -> DifferenceQuantiles:
    """Fit conformal quantiles of pair-difference residuals per edit size and, within it,
    per bin of the predicted change's size.

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
    n_bins, min_per_bin : int
        Within a group, bins of equal count along ``|pred_alt - pred_ref|``; fewer when a
        bin would hold fewer than ``min_per_bin`` pairs (1 bin: the edit size alone). A
        larger predicted change has a larger error, so its interval is wider.

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
    size = np.abs(arrays[2] - arrays[3])
    groups, q, counts, edges, bin_counts = [], [], [], [], []
    for edit in range(1, int(max_mismatches) + 1):
        rows = ok & (m == edit)
        n = int(rows.sum())
        if n < min_pairs:
            continue
        e, group_q, group_counts = binned_quantiles(score[rows], size[rows], levels, n_bins,
                                                    min_per_bin)
        groups.append(edit)
        counts.append(n)
        edges.append(e)
        q.extend(group_q)
        bin_counts.extend(int(c) for c in group_counts)
    if not groups:
        raise ValueError(f"no edit size has {min_pairs} usable pairs to calibrate on")
    meta = {"method": METHOD, "n": int(sum(counts))}
    meta.update(info or {})
    return DifferenceQuantiles(mismatches=np.array(groups), levels=np.asarray(levels),
                               quantiles=np.stack(q), counts=np.array(counts), info=meta,
                               edges=edges, bin_counts=np.array(bin_counts))
