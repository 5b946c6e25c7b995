"""Interactive figures of the Motifs page: motif scans and where discovered seqlets lie.

Pure functions from arrays to plotly figures, like :mod:`app.figures` (whose layout and
colours they share); the downloads are the matplotlib figures of :mod:`promoter_model.plot`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import (
    AXIS_FONT,
    NEG_COLOR,
    POS_COLOR,
    axis_title,
    layout,
    region_shapes,
)


def motif_scan_plot(positions, delta, *, strand=None, motif: str = "motif",
                    unit: str = "expression") -> go.Figure:
    """Predicted change when a motif is inserted (substituted) starting at each position.

    Parameters
    ----------
    positions : array, shape (n,)
        1-based start of the inserted site.
    delta : array, shape (n,)
        Prediction with the site minus prediction of the unmodified sequence.
    strand : array of "+"/"-", shape (n,), optional
        One trace per strand.
    """
    x = np.asarray(positions)
    y = np.asarray(delta, dtype=np.float64)
    strands = np.asarray(strand) if strand is not None else np.full(x.size, "+")
    fig = go.Figure()
    for st_, color in (("+", POS_COLOR), ("-", NEG_COLOR)):
        m = strands == st_
        if not m.any():
            continue
        fig.add_trace(go.Scatter(
            x=x[m], y=y[m], mode="lines+markers", name=f"{motif} ({st_} strand)",
            marker=dict(size=5, color=color), line=dict(color=color, width=1.2),
            hovertemplate=f"{st_} strand, start %{{x}}: %{{y:+.3f}}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"))
    lo, hi = float(min(0, np.nanmin(y, initial=0))), float(max(0, np.nanmax(y, initial=0)))
    region_shapes(fig, lo, hi if hi > lo else lo + 1)
    fig.update_xaxes(title_text="start of the inserted site (bp)", range=[0.5, 110.5])
    fig.update_yaxes(title_text=axis_title("predicted change", unit), title_font=AXIS_FONT)
    fig.update_layout(showlegend=bool((strands == "-").any()))
    return layout(fig, f"Scan of {motif} along the sequence", height=340)


def seqlet_position_plot(starts, strands=None, *, width: int = 0,
                         title: str = "Where the seqlets lie") -> go.Figure:
    """Histogram (5 bp bins) of a discovered motif's seqlets along the 110 bp input.

    Parameters
    ----------
    starts : array of int, shape (n,)
        0-based seqlet starts.
    strands : array of "+"/"-", shape (n,), optional
        One stacked trace per strand.
    width : int
        Seqlet width; > 0 places each seqlet at its centre.
    """
    x = np.asarray(starts, dtype=np.float64) + 1 + (width - 1) / 2 * (width > 0)
    strands = np.asarray(strands) if strands is not None else np.full(x.size, "+")
    fig = go.Figure()
    for st_, color in (("+", POS_COLOR), ("-", NEG_COLOR)):
        m = strands == st_
        fig.add_trace(go.Histogram(
            x=x[m], name=f"{st_} strand ({int(m.sum())})", marker_color=color,
            xbins=dict(start=0.5, end=110.5, size=5),
            hovertemplate=f"{st_} strand, %{{x}}: %{{y}} seqlets<extra></extra>"))
    counts = np.histogram(x, bins=np.arange(0.5, 111, 5.0))[0]
    region_shapes(fig, 0, float(max(1, counts.max(initial=0))))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="seqlet centre (bp)" if width > 0 else "seqlet start (bp)",
                     range=[0.5, 110.5])
    fig.update_yaxes(title_text="seqlets")
    return layout(fig, title, height=260)
