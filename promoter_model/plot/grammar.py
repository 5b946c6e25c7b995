"""Figures of the motif grammar (:mod:`promoter_model.grammar`): the position profile, the
spacing curve, the marginal effect's distribution and measured against predicted pairs.

Arrays in, figure out; positions here are 0-based starts in the 80 bp variable region, as
the grammar tables give them.
"""

from __future__ import annotations

import numpy as np

from promoter_model.plot._base import NEG_COLOR, PALETTE, POS_COLOR, axes_for, axis_title, finish

STRAND_COLORS = {"+": POS_COLOR, "-": NEG_COLOR}


def _band(ax, x, y, half, color, label):
    x, y = np.asarray(x), np.asarray(y, dtype=np.float64)
    ax.plot(x, y, color=color, lw=1.3, label=label)
    if half is not None:
        h = np.asarray(half, dtype=np.float64)
        ax.fill_between(x, y - h, y + h, color=color, alpha=0.18, lw=0)


def position_profile(position, strand, effect, spread=None, *, ax=None, motif: str = "motif",
                     unit: str = "expression", band: str = "± sd over backgrounds"):
    """The effect of a motif at each start of the variable region, one line per strand.

    ``spread`` (same length as ``effect``) is drawn as a band ``effect ± spread``.
    """
    fig, ax = axes_for(ax, (8, 3.4))
    position, strand = np.asarray(position), np.asarray(strand)
    for s in ("+", "-"):
        m = strand == s
        if m.any():
            _band(ax, position[m], np.asarray(effect)[m],
                  None if spread is None else np.asarray(spread)[m], STRAND_COLORS[s],
                  f"{s} strand")
    ax.axhline(0, color="#888", lw=0.8, ls=":")
    ax.set_xlabel("start of the site in the variable region (0-based)")
    ax.set_ylabel(axis_title("predicted effect", unit))
    ax.legend(frameon=False, fontsize=8, title=f"band: {band}", title_fontsize=8)
    return finish(ax, f"{motif}: effect by position and strand")


def spacing_curve(spacing, orientation, interaction, spread=None, *, ax=None,
                  pair: str = "A + B", unit: str = "expression"):
    """A pair's interaction against spacing, one line per relative orientation."""
    fig, ax = axes_for(ax, (8, 3.4))
    spacing, orientation = np.asarray(spacing), np.asarray(orientation)
    for k, o in enumerate(dict.fromkeys(orientation)):
        m = orientation == o
        _band(ax, spacing[m], np.asarray(interaction)[m],
              None if spread is None else np.asarray(spread)[m], PALETTE[k % len(PALETTE)], o)
    ax.axhline(0, color="#888", lw=0.8, ls=":")
    ax.set_xlabel("spacing (bases from the end of A to the start of B)")
    ax.set_ylabel(axis_title("interaction", unit))
    ax.legend(frameon=False, fontsize=8, title="orientation (A, B)", title_fontsize=8)
    return finish(ax, f"{pair}: interaction by spacing")


def effect_distribution(effects: dict, *, ax=None, unit: str = "expression"):
    """Histogram of each motif's effect over backgrounds (``{motif: array}``)."""
    fig, ax = axes_for(ax, (6, 3.4))
    for k, (name, values) in enumerate(effects.items()):
        v = np.asarray(values, dtype=np.float64)
        ax.hist(v[np.isfinite(v)], bins=20, alpha=0.55, color=PALETTE[k % len(PALETTE)],
                label=f"{name} (mean {np.nanmean(v):+.3f})")
    ax.axvline(0, color="#888", lw=0.8, ls=":")
    ax.set_xlabel(axis_title("effect in one background", unit).replace("\n", " "))
    ax.set_ylabel("backgrounds")
    ax.legend(frameon=False, fontsize=8)
    return finish(ax, "Marginal effect over backgrounds")


def measured_pairs(measured, predicted, held_out, *, ax=None, unit: str = "expression",
                   title: str = "Designed pairs: measured against predicted alt - ref"):
    """Measured against predicted ``alt - ref``; pairs never trained on in colour."""
    fig, ax = axes_for(ax, (5, 4.4))
    y, f = np.asarray(measured, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    h = np.asarray(held_out, dtype=bool)
    ax.scatter(f[~h], y[~h], s=5, color="#bbbbbb", label=f"in the training pool ({(~h).sum()})")
    ax.scatter(f[h], y[h], s=6, color=POS_COLOR, label=f"never trained on ({h.sum()})")
    ok = np.isfinite(y) & np.isfinite(f)
    if ok.any():
        lo, hi = min(y[ok].min(), f[ok].min()), max(y[ok].max(), f[ok].max())
        ax.plot([lo, hi], [lo, hi], color="#888", lw=0.8, ls=":")
    ax.set_xlabel(axis_title("predicted alt - ref", unit).replace("\n", " "))
    ax.set_ylabel("measured alt - ref")
    ax.legend(frameon=False, fontsize=8)
    return finish(ax, title)
