"""Many predictions at once: a ranked dot plot with interval bars, the measured
distribution as a band behind it (legible from 2 to a few hundred sequences).
"""

from __future__ import annotations

import numpy as np

from promoter_model.plot._base import POS_COLOR, axes_for, finish

#: the measured distribution's bands: (low quantile, high quantile, shade)
BANDS = ((0.01, 0.99, "#eeeeee"), (0.10, 0.90, "#dddddd"), (0.25, 0.75, "#c8c8c8"))


def ranked_order(predicted) -> np.ndarray:
    """Row order of a ranked dot plot: highest prediction first (ties keep input order)."""
    return np.argsort(-np.asarray(predicted, dtype=np.float64), kind="stable")


def measured_bands(measured) -> dict:
    """The quantiles of ``measured`` the ranked plot shades: ``{q: value}`` for every
    quantile of :data:`BANDS` and the median.
    """
    m = np.asarray(measured, dtype=np.float64)
    m = m[np.isfinite(m)]
    qs = sorted({q for lo, hi, _ in BANDS for q in (lo, hi)} | {0.5})
    return dict(zip(qs, np.quantile(m, qs).tolist())) if m.size else {}


def ranked_predictions(predicted, labels, measured=None, *, ax=None, lower=None, upper=None,
                       unit: str = "expression", title: str | None = None,
                       width: float = 7.0, row_height: float = 0.18):
    """Each prediction as a dot on its own row, ranked, with its interval as a bar.

    Parameters
    ----------
    predicted : array, shape (n,)
    labels : list of str, length n
        Row labels (drawn smaller beyond 60 rows).
    measured : array, shape (m,), optional
        Measured expression of a reference set: its 1-99%, 10-90% and 25-75% ranges are
        shaded behind the rows and its median drawn dotted.
    lower, upper : array, shape (n,), optional
        Each prediction's interval.
    """
    pred = np.asarray(predicted, dtype=np.float64)
    n = pred.size
    fig, ax = axes_for(ax, (width, max(2.4, 0.9 + row_height * n)))
    order = ranked_order(pred)
    y = np.arange(n)
    if measured is not None:
        q = measured_bands(measured)
        for lo, hi, shade in BANDS:
            ax.axvspan(q[lo], q[hi], color=shade, lw=0, zorder=0,
                       label=f"measured {lo:.0%}-{hi:.0%}")
        ax.axvline(q[0.5], color="#777", lw=1, ls=":", zorder=1, label="measured median")
    if lower is not None and upper is not None:
        lo = np.asarray(lower, dtype=np.float64)[order]
        hi = np.asarray(upper, dtype=np.float64)[order]
        ax.hlines(y, lo, hi, color=POS_COLOR, lw=1.2, alpha=0.7, zorder=2, gid="interval")
    ax.scatter(pred[order], y, s=18, color=POS_COLOR, zorder=3, label="predicted")
    ax.set_yticks(y, [str(labels[i]) for i in order], fontsize=8 if n <= 60 else 6)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel(unit)
    if measured is not None:
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    return finish(ax, title)
