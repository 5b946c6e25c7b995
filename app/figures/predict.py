"""Figures of the Predict page: measured expression with the predictions marked, and
mutational robustness (also drawn along the Mutagenesis page's trajectory).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import AXIS_FONT, POS_COLOR, axis_title, error_bars, layout
from promoter_model.dream import percentile

MAX_NAMED_MARKERS = 12  # histogram: predictions named beside their marker up to this many


def expression_histogram(measured, predicted=None, *, unit: str = "expression",
                         labels=None, bins: int = 60, title: str | None = None,
                         lower=None, upper=None, level: float | None = None) -> go.Figure:
    """Histogram of measured expression with the predictions marked.

    Parameters
    ----------
    measured : array, shape (m,)
        Measured expression of the reference set (binned here, so the figure stays small).
    predicted : float or array, shape (n,), optional
        Predictions to mark; one is drawn as a line with its percentile, several as a rug.
    unit : str
        Axis label.
    labels : list of str, optional
        Names of the predictions (hover text).
    lower, upper : array, shape (n,), optional
        Each prediction's interval at ``level`` (``promoter_model.uncertainty``): an error
        bar through its marker (and a shaded band for a single prediction).
    """
    measured = np.asarray(measured, dtype=np.float64)
    measured = measured[np.isfinite(measured)]
    counts, edges = np.histogram(measured, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centers, y=counts, width=np.diff(edges), name="measured (test set)",
                           marker_color="#bbbbbb", marker_line_width=0,
                           hovertemplate="%{x:.2f}: %{y} sequences<extra></extra>"))
    if predicted is not None:
        pred = np.atleast_1d(np.asarray(predicted, dtype=np.float64))
        names = list(labels) if labels is not None else [f"sequence {i + 1}" for i in
                                                           range(pred.size)]
        pct = np.atleast_1d(percentile(measured, pred))
        top = float(counts.max()) if counts.size else 1.0
        has_iv = lower is not None and upper is not None
        if has_iv:
            lo = np.atleast_1d(np.asarray(lower, dtype=np.float64))
            hi = np.atleast_1d(np.asarray(upper, dtype=np.float64))
        if pred.size == 1:
            if has_iv and np.isfinite(lo[0]) and np.isfinite(hi[0]):
                fig.add_vrect(x0=lo[0], x1=hi[0], fillcolor=POS_COLOR, opacity=0.12,
                              line_width=0, layer="below")
            fig.add_shape(type="line", x0=pred[0], x1=pred[0], y0=0, y1=top * 1.05,
                          line=dict(color=POS_COLOR, width=3))
        # several predictions: each marker named (staggered in three rows) while few enough
        # to read; more are a rug with names on hover
        named = 1 < pred.size <= MAX_NAMED_MARKERS
        order = np.argsort(np.argsort(pred))
        y_mark = top * (1.08 + 0.09 * (order % 3)) if named else np.full(pred.size, top * 1.08)
        custom, error = np.array(pct), None
        hover = "%{text}<br>predicted %{x:.3f}<br>percentile %{customdata:.1f}"
        if has_iv:  # [percentile, lower, upper]
            custom = np.column_stack([pct, lo, hi])
            share = f"{level:.0%} " if level is not None else ""
            hover = hover.replace("customdata", "customdata[0]") + (
                f"<br>{share}interval %{{customdata[1]:.3f}} to %{{customdata[2]:.3f}}")
            error = error_bars(pred, lo, hi, thickness=1.5)
        fig.add_trace(go.Scatter(
            x=pred, y=y_mark, mode="markers+text" if named else "markers", name="prediction",
            marker=dict(color=POS_COLOR, size=10 if pred.size == 1 else 7, symbol="triangle-down"),
            text=names, customdata=custom, textposition="top center",
            textfont=dict(size=11, color=POS_COLOR), error_x=error,
            hovertemplate=hover + "<extra></extra>"))
        if pred.size == 1:
            fig.add_annotation(x=pred[0], y=top * 1.14, showarrow=False,
                               text=f"{pred[0]:.2f} ({pct[0]:.0f}th percentile)",
                               font=dict(color=POS_COLOR))
    fig.update_xaxes(title_text=unit)
    fig.update_yaxes(title_text="test sequences")
    fig.update_layout(showlegend=False, bargap=0)
    named = predicted is not None and 1 < np.size(predicted) <= MAX_NAMED_MARKERS
    return layout(fig, title, height=380 if named else 320)


def robustness_plot(effects: dict, *, unit: str = "expression",
                    title: str | None = "Mutational robustness") -> go.Figure:
    """Sorted single-mutation effects of several sequences, overlaid.

    Parameters
    ----------
    effects : dict of name -> array, shape (330,)
        Each sequence's predicted change for every single-base substitution, sorted.
        A flat curve near zero is a robust sequence; long tails mean mutations matter.
    """
    fig = go.Figure()
    for name, values in effects.items():
        v = np.sort(np.asarray(values, dtype=np.float64))
        fig.add_trace(go.Scatter(x=np.arange(1, v.size + 1), y=v, mode="lines", name=str(name),
                                 hovertemplate=f"{name}<br>rank %{{x}}: %{{y:.3f}}"
                                               "<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_xaxes(title_text="single mutations, ranked by effect")
    fig.update_yaxes(title_text=axis_title("predicted change", unit), title_font=AXIS_FONT)
    fig.update_layout(showlegend=len(effects) <= 20)
    return layout(fig, title, height=360)


RANKED_TITLE = "Predictions ranked, over the measured test expression"


def ranked_dots(measured, predicted, labels, *, unit: str = "expression", lower=None,
                upper=None, level: float | None = None, percentiles=None,
                title: str | None = RANKED_TITLE) -> go.Figure:
    """Each prediction a dot on its own row, highest first, with its interval as a bar;
    the measured distribution's 1-99%, 10-90% and 25-75% ranges shaded behind
    (twin of :func:`promoter_model.plot.ranked_predictions`). Rows keep 18 px each, so the
    labels stay legible to a few hundred sequences.
    """
    from promoter_model.plot import measured_bands, ranked_order
    from promoter_model.plot.ranked import BANDS

    pred = np.asarray(predicted, dtype=np.float64)
    order = ranked_order(pred)
    names = [str(labels[i]) for i in order]
    fig = go.Figure()
    q = measured_bands(measured)
    for lo, hi, shade in BANDS:
        fig.add_vrect(x0=q[lo], x1=q[hi], fillcolor=shade, opacity=1, line_width=0,
                      layer="below")
    fig.add_vline(x=q[0.5], line=dict(color="#777", width=1, dash="dot"),
                  annotation_text="measured median", annotation_position="top")
    custom = [np.asarray(percentiles, dtype=np.float64)[order] if percentiles is not None
              else np.full(pred.size, np.nan)]
    hover = "%{y}<br>predicted %{x:.3f}<br>percentile %{customdata[0]:.0f}"
    error = None
    if lower is not None and upper is not None:
        lo = np.asarray(lower, dtype=np.float64)[order]
        hi = np.asarray(upper, dtype=np.float64)[order]
        error = error_bars(pred[order], lo, hi, thickness=1.2)
        custom += [lo, hi]
        share = f"{level:.0%} " if level is not None else ""
        hover += f"<br>{share}interval %{{customdata[1]:.3f}} to %{{customdata[2]:.3f}}"
    fig.add_trace(go.Scatter(x=pred[order], y=names, mode="markers", name="predicted",
                             marker=dict(color=POS_COLOR, size=8), error_x=error,
                             customdata=np.column_stack(custom),
                             hovertemplate=hover + "<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", tickfont=dict(size=11),
                     automargin=True)
    fig.update_xaxes(title_text=unit)
    fig.update_layout(showlegend=False, meta={"bands": {f"{k:g}": v for k, v in q.items()}})
    return layout(fig, title, height=max(260, 18 * pred.size + 140))
