"""Interactive figures of the Grammar page: position profile and spacing curve with bands,
the marginal effect's distribution, designed pairs measured against predicted.

Pure functions from arrays to plotly figures (the downloads are the matplotlib figures of
:mod:`promoter_model.plot.grammar`). Positions are 0-based starts in the 80 bp variable
region, as the grammar tables give them.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import AXIS_FONT, NEG_COLOR, POS_COLOR, axis_title, layout
from promoter_model.plot import PALETTE

STRAND_COLORS = {"+": POS_COLOR, "-": NEG_COLOR}


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _line_with_band(fig, x, y, half, color: str, name: str, hover: str) -> None:
    x, y = np.asarray(x), np.asarray(y, dtype=np.float64)
    if half is not None:
        h = np.asarray(half, dtype=np.float64)
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]),
                                 y=np.concatenate([y + h, (y - h)[::-1]]), fill="toself",
                                 fillcolor=_rgba(color, 0.18), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False, name=f"{name} band"))
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=name,
                             marker=dict(size=4, color=color), line=dict(color=color, width=1.3),
                             hovertemplate=hover))


def position_plot(position, strand, effect, spread=None, *, motif: str = "motif",
                  unit: str = "expression") -> go.Figure:
    """Effect of a motif at each start, one line per strand, ``effect ± spread`` as a band."""
    position, strand = np.asarray(position), np.asarray(strand)
    fig = go.Figure()
    for s in ("+", "-"):
        m = strand == s
        if m.any():
            _line_with_band(fig, position[m], np.asarray(effect)[m],
                            None if spread is None else np.asarray(spread)[m],
                            STRAND_COLORS[s], f"{s} strand",
                            f"{s} strand, start %{{x}}: %{{y:+.3f}}<extra></extra>")
    fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_xaxes(title_text="start of the site in the variable region (0-based)",
                     range=[-0.5, 79.5])
    fig.update_yaxes(title_text=axis_title("predicted effect", unit), title_font=AXIS_FONT)
    return layout(fig, f"{motif}: effect by position and strand", height=360)


def spacing_plot(spacing, orientation, interaction, spread=None, *, pair: str = "A + B",
                 unit: str = "expression") -> go.Figure:
    """A pair's interaction against spacing, one line per relative orientation."""
    spacing, orientation = np.asarray(spacing), np.asarray(orientation)
    fig = go.Figure()
    for k, o in enumerate(dict.fromkeys(orientation.tolist())):
        m = orientation == o
        _line_with_band(fig, spacing[m], np.asarray(interaction)[m],
                        None if spread is None else np.asarray(spread)[m],
                        PALETTE[k % len(PALETTE)], o,
                        f"{o}, spacing %{{x}}: %{{y:+.3f}}<extra></extra>")
    fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_xaxes(title_text="spacing (bases from the end of A to the start of B)")
    fig.update_yaxes(title_text=axis_title("interaction", unit), title_font=AXIS_FONT)
    return layout(fig, f"{pair}: interaction by spacing and orientation", height=360)


def effect_histogram(effects: dict, *, unit: str = "expression") -> go.Figure:
    """Each motif's effect in each background (``{motif: array}``), overlaid histograms."""
    fig = go.Figure()
    for k, (name, values) in enumerate(effects.items()):
        v = np.asarray(values, dtype=np.float64)
        fig.add_trace(go.Histogram(x=v, name=f"{name} (mean {np.nanmean(v):+.3f})",
                                   opacity=0.6, marker_color=PALETTE[k % len(PALETTE)],
                                   hovertemplate="%{x}: %{y} backgrounds<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=axis_title("effect in one background", unit))
    fig.update_yaxes(title_text="backgrounds")
    return layout(fig, "Marginal effect over backgrounds", height=320)


def pairs_plot(measured, predicted, held_out, labels=None, *,
               unit: str = "expression") -> go.Figure:
    """Measured against predicted ``alt - ref``; pairs never trained on in colour."""
    y, f = np.asarray(measured, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    h = np.asarray(held_out, dtype=bool)
    text = np.asarray(labels) if labels is not None else np.full(y.size, "")
    fig = go.Figure()
    for mask, name, color in ((~h, "in the training pool", "#bbbbbb"),
                              (h, "never trained on", POS_COLOR)):
        fig.add_trace(go.Scattergl(
            x=f[mask], y=y[mask], text=text[mask], mode="markers",
            name=f"{name} ({int(mask.sum())})", marker=dict(size=4, color=color),
            hovertemplate="%{text}<br>predicted %{x:+.3f}, measured %{y:+.3f}<extra></extra>"))
    ok = np.isfinite(y) & np.isfinite(f)
    if ok.any():
        lo, hi = float(min(y[ok].min(), f[ok].min())), float(max(y[ok].max(), f[ok].max()))
        fig.add_shape(type="line", x0=lo, y0=lo, x1=hi, y1=hi,
                      line=dict(color="#888", width=1, dash="dot"))
    fig.update_xaxes(title_text=axis_title("predicted alt - ref", unit))
    fig.update_yaxes(title_text="measured alt - ref", title_font=AXIS_FONT)
    return layout(fig, "Designed pairs: measured against predicted", height=420)
