"""Sequence logos drawn with logomaker's glyphs: attributions, filters, motifs."""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from promoter_model.plot._base import LOGO_COLORS, axes_for, finish, regions
from promoter_model.sequence import ALPHABET


@functools.lru_cache(maxsize=None)
def _glyph_template(letter: str):
    """Outline of ``letter`` as logomaker draws it in the box x in [-w/2, w/2], y in [0, 1]."""
    from logomaker import Glyph  # lazy: importing logomaker costs ~0.5 s at app start-up
    from matplotlib.figure import Figure

    glyph = Glyph(0.0, letter, floor=0.0, ceiling=1.0, ax=Figure().add_subplot())
    path = glyph.patch.get_path()
    return np.asarray(path.vertices, dtype=np.float64), np.asarray(path.codes)


def logo_glyphs(matrix):
    """Where each letter of a logo goes: positive values stacked up, negative down.

    Smallest letter first, so the largest ends on the outside; zero cells get no letter.

    Parameters
    ----------
    matrix : array, shape (L, 4)

    Returns
    -------
    position, base, floor, ceiling : np.ndarray, shape (g,)
        1-based position, channel index (0-3) and the glyph's bottom and top.
    """
    m = np.nan_to_num(np.asarray(matrix, dtype=np.float64))
    order = np.argsort(np.abs(m), axis=1, kind="stable")
    v = np.take_along_axis(m, order, axis=1)
    up = np.cumsum(np.where(v > 0, v, 0.0), axis=1)
    down = np.cumsum(np.where(v < 0, v, 0.0), axis=1)
    keep = v != 0
    pos = np.broadcast_to(np.arange(1, m.shape[0] + 1)[:, None], m.shape)
    floor = np.where(v > 0, up - v, down)
    ceiling = np.where(v > 0, up, down - v)
    return pos[keep], order[keep], floor[keep], ceiling[keep]


def draw_logo(ax, matrix) -> None:
    """Draw a logo of ``matrix`` (L, 4) on ``ax`` with logomaker's glyphs, one patch per base.

    Same picture as ``logomaker.Logo(color_scheme="classic", flip_below=False)``, drawn
    in milliseconds: each letter's outline is made once and placed by scaling.
    """
    pos, base, floor, ceiling = logo_glyphs(matrix)
    for j, letter in enumerate(ALPHABET):
        sel = base == j
        if not sel.any():
            continue
        verts, codes = _glyph_template(letter)
        height = (ceiling[sel] - floor[sel])[:, None]
        xy = np.empty((int(sel.sum()), len(verts), 2))
        xy[..., 0] = verts[None, :, 0] + pos[sel][:, None]
        xy[..., 1] = verts[None, :, 1] * height + floor[sel][:, None]
        # add_artist, not add_patch: limits are set below, and add_patch would walk every
        # Bezier segment of every glyph
        ax.add_artist(PathPatch(Path(xy.reshape(-1, 2), np.tile(codes, int(sel.sum()))),
                                facecolor=LOGO_COLORS[letter], edgecolor="black",
                                linewidth=0.0))
    top = float(ceiling.max(initial=0.0))
    bottom = float(floor.min(initial=0.0))
    pad = 0.05 * (top - bottom or 1.0)
    ax.set_xlim(0.5, len(matrix) + 0.5)
    ax.set_ylim(bottom - pad if bottom < 0 else 0, top + pad)


def attribution_logo(matrix, *, ax=None, title: str | None = None,
                     ylabel: str = "attribution", width: float = 14.0, height: float = 2.6):
    """Sequence logo of per-base attributions (or mean ISM effects), flanks shaded.

    Parameters
    ----------
    matrix : array, shape (L, 4)
    """
    fig, ax = axes_for(ax, (width, height))
    m = np.nan_to_num(np.asarray(matrix, dtype=np.float64))
    draw_logo(ax, m)
    regions(ax, len(m), labels=False, zorder=0)
    ax.axhline(0, color="0.3", lw=0.6)
    ax.set_xlabel("position (bp)")
    ax.set_ylabel(ylabel)
    return finish(ax, title)


def information_matrix(pfm) -> np.ndarray:
    """Letter heights (bits) of a position frequency/probability matrix, shape (k, 4)."""
    p = np.clip(np.asarray(pfm, dtype=np.float64), 0, None)
    s = p.sum(axis=1, keepdims=True)
    p = np.divide(p, s, out=np.full_like(p, 0.25), where=s > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.nansum(np.where(p > 0, p * np.log2(p), 0.0), axis=1, keepdims=True)
    return p * (2.0 - ent)


def filter_logo(matrix, *, ax=None, title: str | None = None, kind: str = "pfm",
                width: float = 3.2, height: float = 1.5):
    """Logo of a first-layer filter or a motif, shape (k, 4).

    ``kind="pfm"``: frequencies or counts, drawn in bits; ``kind="weights"``: convolution
    weights centred per position (positive up); ``kind="cwm"``: a contribution weight
    matrix drawn as it is (contributions of the bases seen, not centred).
    """
    if kind not in ("pfm", "weights", "cwm"):
        raise ValueError(f"kind must be pfm, weights or cwm, got {kind!r}")
    fig, ax = axes_for(ax, (width, height))
    m = np.asarray(matrix, dtype=np.float64)
    if kind == "pfm":
        m = information_matrix(m)
    elif kind == "weights":
        m = m - m.mean(axis=1, keepdims=True)
    draw_logo(ax, np.nan_to_num(m))
    ax.axhline(0, color="black", lw=0.5)
    if kind == "pfm":
        ax.set_ylim(0, 2)
    ax.set_ylabel({"pfm": "bits", "weights": "weight", "cwm": "contribution"}[kind],
                  fontsize=9)
    ax.set_xticks([])
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    return fig


def motif_pair(top, bottom, *, titles=("", ""), width: float = 3.6, height: float = 2.8):
    """Two motifs as logos (bits), one over the other on common columns, to compare shapes.

    Parameters
    ----------
    top, bottom : array, shape (w, 4)
        Probabilities already aligned column by column (e.g.
        :func:`promoter_model.motifs.aligned_pair`); a NaN column is left blank.
    titles : (str, str)
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(width, height), sharex=True, facecolor="white",
                             layout="constrained")
    for ax, matrix, title in zip(axes, (top, bottom), titles):
        filter_logo(matrix, ax=ax, title=title or None, kind="pfm")
    return fig
