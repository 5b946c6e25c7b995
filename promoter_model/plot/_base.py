"""Shared pieces of the figures: axes set-up, colours, two-line axis titles, promoter regions,
and the cells of an ISM heatmap (shared with the dashboard's interactive one).
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from promoter_model.sequence import FLANK_3, FLANK_5, VARIABLE_END, VARIABLE_START

POS_COLOR = "#b2182b"   # increases expression
NEG_COLOR = "#2166ac"   # decreases expression
#: logomaker's "classic" colours
LOGO_COLORS = {"A": (0.0, 0.5, 0.0), "C": (0.0, 0.0, 1.0), "G": (1.0, 0.65, 0.0),
               "T": (1.0, 0.0, 0.0)}
PALETTE = ["#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a",
           "#c51b7d", "#4d4d4d", "#01665e"]
MAX_NAMED_MARKERS = 12  # histogram: predictions named beside their marker up to this many


def axes_for(ax, figsize):
    """``(figure, axes)``: ``ax`` and its figure, or a new white figure of ``figsize``."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, facecolor="white", layout="constrained")
        return ax.figure, ax
    return ax.figure, ax


def finish(ax, title, *, lifted: bool = False):
    """Drop the top and right spines, title the axes on the left; return the figure."""
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        # lifted over the region labels drawn above the plot, never printed across them
        ax.set_title(title, loc="left", fontsize=11, pad=18 if lifted else 6)
    return ax.figure


def axis_title(label: str, unit: str) -> str:
    """``label`` and ``(unit)`` on two lines, so a long unit fits beside a short plot."""
    return f"{label}\n({unit})"


def region_labels(sequence: str | None = None) -> tuple:
    """Labels of positions 1-17 and 98-110: the plasmid flanks, unless ``sequence`` differs."""
    seq = (sequence or "").upper()
    five = ("5' flank" if sequence is None or seq[:VARIABLE_START] == FLANK_5
            else f"1-{VARIABLE_START} (not the 5' flank)")
    three = ("3' flank" if sequence is None or seq[VARIABLE_END:] == FLANK_3
             else f"{VARIABLE_END + 1}-110 (not the 3' flank)")
    return five, three


def regions(ax, length: int = 110, sequence: str | None = None, *, labels: bool = True,
            zorder: float = 3):
    """Shade the plasmid flanks, dash the variable region's ends, label them above ``ax``.

    The shading is drawn at ``zorder`` (over an image: 3; under logo letters: 0).
    """
    five, three = region_labels(sequence)
    above = ax.get_xaxis_transform()
    for x0, x1, label in ((0.5, VARIABLE_START + 0.5, five),
                          (VARIABLE_END + 0.5, length + 0.5, three)):
        ax.axvspan(x0, x1, color="0.5", alpha=0.12, lw=0, zorder=zorder)
        if labels:
            ax.text((x0 + x1) / 2, 1.01, label, transform=above, ha="center", va="bottom",
                    fontsize=8, color="0.33")
    if labels:
        ax.text((VARIABLE_START + VARIABLE_END + 1) / 2, 1.01,
                f"variable region ({VARIABLE_END - VARIABLE_START} bp, "
                f"{VARIABLE_START + 1}-{VARIABLE_END})", transform=above, ha="center",
                va="bottom", fontsize=8, color="0.33")
    for x in (VARIABLE_START + 0.5, VARIABLE_END + 0.5):
        ax.axvline(x, color="0.27", lw=1, ls="--", zorder=4)


class IsmCells(NamedTuple):
    """What an ISM heatmap draws, computed once for the matplotlib and the plotly figure.

    Attributes
    ----------
    z : np.ndarray, shape (4, L), float64
        The change of each mutant base (rows A, C, G, T; NaN where unknown).
    zmax : float
        Half-width of the colour range, centred on zero.
    reference : np.ndarray of str, shape (L,)
        The reference base of each position (``N`` past the end of the sequence).
    row : np.ndarray of int, shape (L,)
        The reference base's row (0-3), -1 at an unknown base.
    known : np.ndarray of bool, shape (L,)
        Positions with a known reference base (A, C, G or T).
    strongest : list of (row, column)
        The cell of the largest increase, then that of the largest decrease (0-based); empty
        when every change is 0 or unknown.
    unknown_runs : list of (first, last)
        1-based positions of each run of unknown bases.
    """

    z: np.ndarray
    zmax: float
    reference: np.ndarray
    row: np.ndarray
    known: np.ndarray
    strongest: list
    unknown_runs: list


def ism_cells(scores, sequence: str, zmax: float | None = None) -> IsmCells:
    """The cells of an ISM heatmap of ``scores`` (shape (L, 4)) on ``sequence``.

    ``zmax`` (when positive and finite) fixes the colour range; by default it is the
    largest |change| of this map (1 when there is none).
    """
    z = np.asarray(scores, dtype=np.float64).T
    L = z.shape[1]
    if zmax is None or not np.isfinite(zmax) or zmax <= 0:
        zmax = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        zmax = zmax if zmax > 0 else 1.0
    seq = sequence.upper()
    reference = np.array([seq[i] if i < len(seq) else "N" for i in range(L)])
    row = np.array(["ACGT".find(b) for b in reference])
    known = row >= 0
    strongest = []
    if np.isfinite(z).any() and np.nanmax(np.abs(z)) > 0:
        strongest = [tuple(int(v) for v in np.unravel_index(fn(z), z.shape))
                     for fn in (np.nanargmax, np.nanargmin)]
    unknown = np.arange(1, L + 1)[~known]
    runs = np.split(unknown, np.flatnonzero(np.diff(unknown) != 1) + 1) if unknown.size else []
    return IsmCells(z, float(zmax), reference, row, known, strongest,
                    [(int(r[0]), int(r[-1])) for r in runs])


def point_density(x, y, bins: int = 80):
    """Points sorted densest last, with the count of their 2-D histogram cell (for colour).

    Returns
    -------
    x, y, density : np.ndarray, shape (n,)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not x.size:
        return x, y, np.zeros(0)
    h, xe, ye = np.histogram2d(x, y, bins=bins)
    ix = np.clip(np.searchsorted(xe, x, side="right") - 1, 0, bins - 1)
    iy = np.clip(np.searchsorted(ye, y, side="right") - 1, 0, bins - 1)
    dens = h[ix, iy]
    order = np.argsort(dens, kind="stable")
    return x[order], y[order], dens[order]
