"""Conformal prediction intervals calibrated on out-of-fold (OOF) predictions.

The demo ensemble's members are trained on k-1 of k hash folds of the training pool; each
member's predictions of its own held-out fold are out-of-fold, and together they cover the
pool once. The nonconformity score of an OOF row is its absolute residual
``|y - yhat_oof|``. Scores are split into ``n_bins`` bins by the predicted value (a
Mondrian split-conformal interval: the width follows the error's dependence on the level of
expression), and each bin stores the conformal quantile of its scores on a grid of levels,
so an interval is available at any level up to the grid's top (0.999):

    half_width(level) = the ceil((n_b + 1) * level)-th smallest score of the bin,

infinite when that rank exceeds ``n_b``. A level between grid points uses the next grid
level up (slightly wider, never narrower). The interval of a new sequence is
``mean +- half_width`` with the bin chosen by ``mean``.

The served centre is the ensemble mean, which is more accurate than the single member
whose residuals were used, so the interval is conservative for it (see
``docs/uncertainty.md``, which also explains why this is used instead of CV+).

Differences (variant alt - ref, ISM effects): where the calibration holds
:class:`~promoter_model.uncertainty.difference.DifferenceQuantiles` (fitted on measured
family-out-of-fold pairs 1-3 bases apart) and the caller says how many bases differ,
:meth:`Calibration.difference_interval` uses them. Otherwise it is the Bonferroni bound: if
each of the two sequences' measured values lies in its own interval at level
``1 - (1 - level) / 2``, their difference lies in ``delta +- (w_alt + w_ref)``; this holds
with probability ``level`` whatever the correlation of the two errors, and is therefore wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from promoter_model.uncertainty.conformal import (  # noqa: F401 - re-exported
    LEVELS,
    binned_quantiles,
    check_level,
    conformal_quantiles,
)
from promoter_model.uncertainty.difference import DifferenceQuantiles

CALIBRATION_FILE = "calibration.json"
CALIBRATION_FORMAT = "promoter-calibration"
METHOD = "mondrian split-conformal on |y - yhat_oof|, binned by predicted value"
@dataclass
class Calibration:
    """Binned conformal quantiles of absolute OOF residuals.

    Attributes
    ----------
    edges : np.ndarray, shape (n_bins - 1,)
        Inner bin edges on the predicted value (bin ``b`` holds ``edges[b-1] <= mean <
        edges[b]``).
    levels : np.ndarray, shape (G,)
    quantiles : np.ndarray, shape (n_bins, G)
        Half-widths per bin and level (``inf``: not enough scores for that level).
    counts : np.ndarray, shape (n_bins,)
        OOF rows per bin.
    pred_range : (float, float)
        Smallest and largest OOF prediction: outside it the interval extrapolates.
    info : dict
        Where the scores came from (method, data, n).
    differences : DifferenceQuantiles or None
        Pair-difference quantiles by edit size (:mod:`.difference`); None: Bonferroni only.
    """

    edges: np.ndarray
    levels: np.ndarray
    quantiles: np.ndarray
    counts: np.ndarray
    pred_range: tuple
    info: dict = field(default_factory=dict)
    differences: DifferenceQuantiles | None = None

    @property
    def n_bins(self) -> int:
        """Number of bins of the predicted value."""
        return int(self.quantiles.shape[0])

    def bin_of(self, mean) -> np.ndarray:
        """Bin index of each predicted value."""
        return np.searchsorted(self.edges, np.asarray(mean, dtype=np.float64), side="right")

    def half_width(self, mean, level: float = 0.9) -> np.ndarray:
        """Half-width of the interval at ``level`` for each predicted value.

        Raises
        ------
        ValueError
            ``level`` outside (0, 1) or above the highest stored level.
        """
        level = check_level(level)
        top = float(self.levels[-1])
        if level > top + 1e-12:
            raise ValueError(f"interval level {level:g} is above the highest calibrated "
                             f"level {top:g}")
        j = int(np.searchsorted(self.levels, level - 1e-12, side="left"))
        return self.quantiles[self.bin_of(mean), j]

    def interval(self, mean, level: float = 0.9):
        """``(lower, upper)`` around each predicted value, arrays of the shape of ``mean``."""
        mean = np.asarray(mean, dtype=np.float64)
        w = self.half_width(mean, level).reshape(mean.shape)
        return mean - w, mean + w

    def bonferroni_half_width(self, mean_alt, mean_ref, level: float = 0.9) -> np.ndarray:
        """Bonferroni half-width for ``alt - ref`` at ``level`` (see the module docstring)."""
        each = 1.0 - (1.0 - check_level(level)) / 2.0
        return self.half_width(mean_alt, each) + self.half_width(mean_ref, each)

    def calibrated_pairs(self, mismatches) -> np.ndarray:
        """Whether each pair's edit size has pair-calibrated quantiles."""
        m = np.asarray(mismatches, dtype=np.int64)
        if self.differences is None:
            return np.zeros(m.shape, dtype=bool)
        return np.isin(m, self.differences.mismatches)

    def difference_half_width(self, mean_alt, mean_ref, level: float = 0.9,
                              mismatches=None) -> np.ndarray:
        """Half-width for ``alt - ref``: pair-calibrated where ``mismatches`` (bases that
        differ, per pair) has a calibrated group, Bonferroni elsewhere.
        """
        mean_alt = np.asarray(mean_alt, dtype=np.float64)
        mean_ref = np.asarray(mean_ref, dtype=np.float64)
        if mismatches is None or self.differences is None:
            return self.bonferroni_half_width(mean_alt, mean_ref, level)
        shape = np.broadcast_shapes(mean_alt.shape, mean_ref.shape)
        m = np.broadcast_to(np.asarray(mismatches, dtype=np.int64), shape)
        pair = self.differences.half_width(m, level, delta=mean_alt - mean_ref)
        if not np.isnan(pair).any():  # every pair calibrated: no Bonferroni level needed
            return pair
        return np.where(np.isnan(pair), self.bonferroni_half_width(mean_alt, mean_ref, level),
                        pair)

    def difference_interval(self, mean_alt, mean_ref, level: float = 0.9, mismatches=None):
        """``(lower, upper)`` of the measured difference ``alt - ref``.

        ``mismatches`` (int or array: bases that differ within each pair) selects the
        pair-calibrated width where one exists; without it, the Bonferroni bound.
        """
        mean_alt = np.asarray(mean_alt, dtype=np.float64)
        mean_ref = np.asarray(mean_ref, dtype=np.float64)
        delta = mean_alt - mean_ref
        w = self.difference_half_width(mean_alt, mean_ref, level,
                                       mismatches).reshape(delta.shape)
        return delta - w, delta + w

    def extrapolating(self, mean) -> np.ndarray:
        """True where a predicted value lies outside the OOF predictions' range."""
        mean = np.asarray(mean, dtype=np.float64)
        return (mean < self.pred_range[0]) | (mean > self.pred_range[1])

    # ----------------------------------------------------------------- file format
    def to_dict(self) -> dict:
        """The ``calibration.json`` content (``inf`` written as null)."""
        q = [[None if not np.isfinite(v) else round(float(v), 6) for v in row]
             for row in self.quantiles]
        out = {"format": CALIBRATION_FORMAT, "version": 1, "method": METHOD,
               "edges": [float(e) for e in self.edges],
               "levels": [float(v) for v in self.levels],
               "counts": [int(c) for c in self.counts],
               "pred_range": [float(self.pred_range[0]), float(self.pred_range[1])],
               "quantiles": q, "info": self.info}
        if self.differences is not None:
            out["differences"] = self.differences.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        """Read :meth:`to_dict` output, checking its shape.

        Raises
        ------
        ValueError
            Naming what is missing or inconsistent.
        """
        if not isinstance(d, dict) or d.get("format") != CALIBRATION_FORMAT:
            raise ValueError(f"not a calibration file (format must be {CALIBRATION_FORMAT!r})")
        try:
            levels = np.asarray(d["levels"], dtype=np.float64)
            edges = np.asarray(d["edges"], dtype=np.float64).reshape(-1)
            raw_counts = np.asarray(d["counts"], dtype=np.float64)
            q = np.array([[np.inf if v is None else v for v in row] for row in d["quantiles"]],
                         dtype=np.float64)
            lo, hi = (float(v) for v in d["pred_range"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"calibration file is malformed ({str(exc)[:120]})") from None
        for what, arr in (("levels", levels), ("edges", edges), ("counts", raw_counts),
                          ("pred_range", np.array([lo, hi]))):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"calibration file: {what} holds a value that is not a "
                                 "finite number")
        if np.any(np.isnan(q)):
            raise ValueError("calibration file: quantiles hold NaN (null stands for "
                             "infinite)")
        if (np.any(raw_counts < 0) or np.any(raw_counts > 1e12)
                or np.any(raw_counts != np.round(raw_counts))):
            raise ValueError("calibration file: counts must be whole numbers of rows")
        if not isinstance(d.get("info") or {}, dict):
            raise ValueError("calibration file: info must be a JSON object")
        counts = raw_counts.astype(np.int64)
        n_bins = edges.size + 1
        if (q.ndim != 2 or q.shape != (n_bins, levels.size) or counts.shape != (n_bins,)
                or levels.size == 0 or lo > hi
                or np.any(np.diff(levels) <= 0) or np.any(np.diff(edges) < 0)
                or levels[0] <= 0 or levels[-1] >= 1 or np.any(q < 0)):
            raise ValueError(f"calibration file is inconsistent: {n_bins} bins, "
                             f"{levels.size} levels, quantiles {q.shape}")
        differences = (DifferenceQuantiles.from_dict(d["differences"], levels)
                       if d.get("differences") is not None else None)
        return cls(edges=edges, levels=levels, quantiles=q, counts=counts,
                   pred_range=(lo, hi), info=dict(d.get("info") or {}),
                   differences=differences)

    def save(self, path) -> Path:
        """Write ``calibration.json`` atomically."""
        from .. import atomic

        path = Path(path)
        atomic.write_json(path, self.to_dict())
        return path


def load_calibration(path) -> Calibration:
    """Read a ``calibration.json``.

    Raises
    ------
    ValueError
        The file is not valid JSON or not a calibration.
    """
    from ..runs.gate import read_json

    path = Path(path)
    try:
        return Calibration.from_dict(read_json(path.parent, path.name))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def fit_calibration(y, yhat, n_bins: int = 10, min_per_bin: int = 500, levels=LEVELS,
                    info: dict | None = None) -> Calibration:
    """Fit binned conformal quantiles of ``|y - yhat|`` on out-of-fold predictions.

    Parameters
    ----------
    y, yhat : array, shape (n,)
        Measured values and out-of-fold predictions (NaN rows are dropped).
    n_bins : int
        Bins of equal count along ``yhat``; fewer when a bin would hold fewer than
        ``min_per_bin`` rows (1 bin: plain split conformal).
    min_per_bin : int
    levels : array
        Grid of levels in (0, 1), increasing.
    info : dict, optional
        Stored with the calibration (what the data were).

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        Fewer than 2 usable rows, or shapes that differ.
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    yhat = np.asarray(yhat, dtype=np.float64).ravel()
    if y.shape != yhat.shape:
        raise ValueError(f"{y.size} measurements but {yhat.size} predictions")
    ok = np.isfinite(y) & np.isfinite(yhat)
    y, yhat = y[ok], yhat[ok]
    if y.size < 2:
        raise ValueError(f"{y.size} usable out-of-fold rows; a calibration needs more")
    levels = np.asarray(levels, dtype=np.float64)
    edges, q, counts = binned_quantiles(np.abs(y - yhat), yhat, levels, n_bins, min_per_bin)
    meta = {"method": METHOD, "n": int(y.size), "n_bins": int(edges.size + 1)}
    meta.update(info or {})
    return Calibration(edges=edges, levels=levels, quantiles=q, counts=counts,
                       pred_range=(float(yhat.min()), float(yhat.max())), info=meta)
