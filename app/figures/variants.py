"""Interactive figures of the Tile and Variant list pages: a native promoter's windows along
it with their band and the strongest one highlighted, and a variant list's effects ranked
with their intervals, coloured by p_up.

Pure functions from arrays to plotly figures (the downloads are the matplotlib figures of
:mod:`promoter_model.plot.variants`, drawn from the same arrays).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import AXIS_FONT, POS_COLOR, axis_title, layout
from promoter_model.plot import effect_order
from promoter_model.plot.variants import BEST_COLOR, P_UP_CMAP

TILING_TITLE = "Predicted expression along the promoter"
EFFECTS_TITLE = "Change from the wild type, ranked"


def tiling_plot(start, end, prediction, lower=None, upper=None, *, best: int | None = None,
                length: int | None = None, unit: str = "expression", band: str = "interval",
                title: str = TILING_TITLE) -> go.Figure:
    """Each window's prediction at its centre (clickable: ``customdata[0]`` is its row),
    its band shaded, the strongest window (0-based ``best`` start) boxed and starred.
    """
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    y = np.asarray(prediction, dtype=np.float64)
    x = (start + end) / 2
    fig = go.Figure()
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        if np.isfinite(lo).any() and np.isfinite(hi).any():
            fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]),
                                     y=np.concatenate([hi, lo[::-1]]), fill="toself",
                                     fillcolor="rgba(178,24,43,0.16)", line=dict(width=0),
                                     hoverinfo="skip", name=band))
    nan = np.full(y.size, np.nan)
    custom = np.column_stack([np.arange(y.size), start, end,
                              nan if lower is None else np.asarray(lower, dtype=np.float64),
                              nan if upper is None else np.asarray(upper, dtype=np.float64)])
    hover = ("window %{customdata[1]}-%{customdata[2]} (0-based, end exclusive)<br>"
             "predicted %{y:.3f}")
    if lower is not None:
        hover += f"<br>{band} %{{customdata[3]:.3f}} to %{{customdata[4]:.3f}}"
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name="prediction",
                             marker=dict(size=5, color=POS_COLOR),
                             line=dict(color=POS_COLOR, width=1.5), customdata=custom,
                             hovertemplate=hover + "<extra></extra>"))
    if best is not None:
        k = int(np.flatnonzero(start == best)[0])
        fig.add_vrect(x0=start[k], x1=end[k], fillcolor=BEST_COLOR, opacity=0.15,
                      line_width=0, layer="below")
        fig.add_trace(go.Scatter(x=[x[k]], y=[y[k]], mode="markers",
                                 name=f"strongest window ({start[k]}-{end[k]})",
                                 marker=dict(symbol="star", size=16, color=BEST_COLOR,
                                             line=dict(color="#333", width=1)),
                                 customdata=custom[k:k + 1],
                                 hovertemplate="strongest window %{customdata[1]}-"
                                               "%{customdata[2]}<br>predicted %{y:.3f}"
                                               "<extra></extra>"))
    fig.update_xaxes(title_text="position in your sequence (bp from its 5' end; each window "
                                "drawn at its centre)",
                     range=[0, length] if length is not None else None)
    fig.update_yaxes(title_text=axis_title("predicted", unit), title_font=AXIS_FONT)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return layout(fig, title, height=400)


def effects_plot(effect, labels, lower=None, upper=None, p_up=None, *,
                 unit: str = "expression", title: str = EFFECTS_TITLE,
                 hover_extra=None) -> go.Figure:
    """Each variant's change from its reference on its own row, largest increase first,
    its interval as a bar, the dot coloured by ``p_up`` (twin of
    :func:`promoter_model.plot.variant_effects`). ``hover_extra`` (n strings) adds a line
    to each dot's hover.
    """
    e = np.asarray(effect, dtype=np.float64)
    order = effect_order(e)
    names = [str(labels[i]) for i in order]
    nan = np.full(e.size, np.nan)
    lo = np.asarray(lower, dtype=np.float64)[order] if lower is not None else nan
    hi = np.asarray(upper, dtype=np.float64)[order] if upper is not None else nan
    p = np.asarray(p_up, dtype=np.float64)[order] if p_up is not None else nan
    extra = np.asarray([str(s) for s in hover_extra], dtype=object)[order] \
        if hover_extra is not None else np.full(e.size, "", dtype=object)
    error = None
    if np.isfinite(lo).any():
        with np.errstate(invalid="ignore"):
            error = dict(type="data", symmetric=False, array=hi - e[order],
                         arrayminus=e[order] - lo, color="#777", thickness=1.3, width=3)
    colored = np.isfinite(p).any()
    marker = dict(size=9, line=dict(color="#444", width=0.5))
    if colored:
        marker.update(color=p, colorscale=P_UP_CMAP, cmin=0, cmax=1,
                      colorbar=dict(title=dict(text="p_up", side="right"), thickness=12,
                                    len=min(1.0, 0.3 + 6 / max(e.size, 1))))
    else:
        marker.update(color=POS_COLOR)
    fig = go.Figure(go.Scatter(
        x=e[order], y=names, mode="markers", name="effect", marker=marker, error_x=error,
        customdata=np.column_stack([lo, hi, p, extra]),
        hovertemplate="%{y}<br>change %{x:+.3f}<br>interval %{customdata[0]:+.3f} to "
                      "%{customdata[1]:+.3f}<br>p_up %{customdata[2]:.3f}"
                      "<br>%{customdata[3]}<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="#888", width=1, dash="dot"))
    fig.update_yaxes(autorange="reversed", type="category", tickfont=dict(size=11),
                     automargin=True)
    fig.update_xaxes(title_text=f"change from the reference ({unit})")
    fig.update_layout(showlegend=False)
    return layout(fig, title, height=max(260, 20 * e.size + 140))
