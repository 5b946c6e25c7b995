"""A biologist's own sequences: a native promoter tiled in 80 bp windows, and a variant
list's effects ranked (:mod:`promoter_model.interpret.tiling`,
:mod:`promoter_model.interpret.variant_lists`).

Arrays in, figure out. Tiling positions are bases from the 5' end of the user's sequence
(window starts 0-based, as the tiling table gives them); a variant's label is written by
the caller in the user's own coordinates.
"""

from __future__ import annotations

import numpy as np

from promoter_model.plot._base import POS_COLOR, axes_for, axis_title, finish

#: the strongest window's span (apart from the prediction's red band)
BEST_COLOR = "#e08214"
#: p_up's colours: blue (the measured effect likely down) through grey to red (likely up)
P_UP_CMAP = "RdBu_r"


def tiling_profile(start, prediction, lower=None, upper=None, *, width: int = 80,
                   best: int | None = None, length: int | None = None, ax=None,
                   unit: str = "expression", band: str = "interval",
                   title: str | None = "Predicted expression along the promoter"):
    """Each window's prediction drawn at its centre, its band shaded, the best window boxed.

    Parameters
    ----------
    start : array, shape (n,)
        0-based window starts in the user's sequence.
    prediction : array, shape (n,)
    lower, upper : array, shape (n,), optional
        The band (an interval, or prediction -/+ the members' sd); NaN rows are left out.
    width : int
        Window width (80 bp).
    best : int, optional
        0-based start of the window to highlight (the strongest).
    length : int, optional
        The sequence's length: the x axis spans it.
    band : str
        What the band is, for the legend.
    """
    fig, ax = axes_for(ax, (8, 3.4))
    x = np.asarray(start, dtype=np.float64) + width / 2
    y = np.asarray(prediction, dtype=np.float64)
    if best is not None:
        ax.axvspan(best, best + width, color=BEST_COLOR, alpha=0.15, lw=0,
                   label=f"strongest window ({best}-{best + width})")
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        if np.isfinite(lo).any() and np.isfinite(hi).any():
            ax.fill_between(x, lo, hi, color=POS_COLOR, alpha=0.18, lw=0, label=band)
    ax.plot(x, y, color=POS_COLOR, lw=1.3, marker="o", ms=2.5, label="prediction")
    if best is not None:
        k = int(np.flatnonzero(np.asarray(start) == best)[0])
        ax.scatter([x[k]], [y[k]], s=90, marker="*", color=BEST_COLOR, edgecolors="0.2",
                   linewidths=0.5, zorder=4)
    if length is not None:
        ax.set_xlim(0, length)
    ax.set_xlabel("position in the sequence (bp from its 5' end; each window at its centre)")
    ax.set_ylabel(axis_title("predicted", unit))
    ax.legend(frameon=False, fontsize=8, loc="best")
    return finish(ax, title)


def effect_order(effect) -> np.ndarray:
    """Row order of a ranked effect plot: largest increase first (NaN last, ties stable)."""
    e = np.asarray(effect, dtype=np.float64)
    return np.argsort(np.where(np.isfinite(e), -e, np.inf), kind="stable")


def variant_effects(effect, labels, lower=None, upper=None, p_up=None, *, ax=None,
                    unit: str = "expression", title: str | None = None,
                    width: float = 7.0, row_height: float = 0.2):
    """Each variant's change from its reference on its own row, ranked, with its interval
    as a bar and the dot coloured by ``p_up`` (the probability that the measured effect is
    positive).

    Parameters
    ----------
    effect : array, shape (n,)
    labels : list of str, length n
    lower, upper : array, shape (n,), optional
        The interval of the measured effect.
    p_up : array, shape (n,), optional
        Colours the dots (a colour bar is drawn); NaN dots are grey.
    """
    e = np.asarray(effect, dtype=np.float64)
    n = e.size
    fig, ax = axes_for(ax, (width, max(2.4, 1.0 + row_height * n)))
    order = effect_order(e)
    y = np.arange(n)
    if lower is not None and upper is not None:
        lo = np.asarray(lower, dtype=np.float64)[order]
        hi = np.asarray(upper, dtype=np.float64)[order]
        ax.hlines(y, lo, hi, color="0.45", lw=1.2, zorder=2, gid="interval")
    ax.axvline(0, color="0.5", lw=0.8, ls=":", zorder=1)
    if p_up is not None and np.isfinite(np.asarray(p_up, dtype=np.float64)).any():
        p = np.asarray(p_up, dtype=np.float64)[order]
        ok = np.isfinite(p)
        dots = ax.scatter(e[order][ok], y[ok], c=p[ok], cmap=P_UP_CMAP, vmin=0, vmax=1,
                          s=26, edgecolors="0.3", linewidths=0.4, zorder=3)
        ax.scatter(e[order][~ok], y[~ok], s=22, color="0.6", zorder=3)
        bar = fig.colorbar(dots, ax=ax, shrink=min(1.0, 6 / max(n, 1) + 0.3), pad=0.02)
        bar.set_label("p_up: probability the measured\neffect is an increase", fontsize=8)
    else:
        ax.scatter(e[order], y, s=22, color=POS_COLOR, zorder=3)
    ax.set_yticks(y, [str(labels[i]) for i in order], fontsize=8 if n <= 60 else 6)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel(axis_title("change from the reference", unit).replace("\n", " "))
    return finish(ax, title)
