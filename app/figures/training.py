"""Interactive figures of the Training page: curves per epoch, predicted vs measured.

Plotly (hover gives each point's values); the downloads are the matching
:func:`promoter_model.plot.training_curves` and :func:`promoter_model.plot.density_scatter`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import layout
from promoter_model.metrics import finite_agreement
from promoter_model.plot import point_density


def training_curves(histories: dict, metric: str, *, selected=None,
                    title: str | None = None, ylabel: str | None = None) -> go.Figure:
    """One metric per epoch for several runs; the selected run drawn bold.

    Parameters
    ----------
    histories : dict of name -> DataFrame
        Each with an ``epoch`` column and ``metric``.
    metric : str
        e.g. ``val_r2``; for ``loss`` the validation loss is drawn dashed beside it, in the
        run's colour, one legend entry per run.
    selected : str or list of str, optional
        The run(s) drawn bold (an ensemble's members); all when None.
    """
    import plotly.colors

    palette = plotly.colors.qualitative.Plotly
    fig = go.Figure()
    for k, (name, h) in enumerate(histories.items()):
        if h is None or metric not in h or h.empty:
            continue
        bold = selected is None or name in ([selected] if isinstance(selected, str)
                                              else selected)
        epoch = h["epoch"] if "epoch" in h else np.arange(1, len(h) + 1)
        colour = palette[k % len(palette)]  # a run's loss and validation loss: one colour
        paired = metric == "loss" and "val_loss" in h
        fig.add_trace(go.Scatter(x=epoch, y=h[metric], mode="lines+markers",
                                 name=name if paired else f"{name}: {metric}",
                                 legendgroup=name,
                                 line=dict(width=3 if bold else 1.5, color=colour),
                                 opacity=1.0 if bold else 0.55,
                                 hovertemplate=f"{name}<br>{metric} %{{y:.4f}}"
                                               "<extra></extra>"))
        if paired:
            fig.add_trace(go.Scatter(x=epoch, y=h["val_loss"], mode="lines+markers",
                                     name=f"{name}: val_loss", legendgroup=name,
                                     showlegend=False,
                                     line=dict(width=3 if bold else 1.5, dash="dash",
                                               color=colour),
                                     opacity=1.0 if bold else 0.55,
                                     hovertemplate=f"{name}<br>val_loss %{{y:.4f}}"
                                                   "<extra></extra>"))
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text=ylabel or metric)
    return layout(fig, title, height=340)


def density_scatter(y, yhat, *, unit: str = "expression", title: str | None = None,
                    bins: int = 80, measured_unit: str | None = None) -> go.Figure:
    """Predicted vs measured, points coloured by local density, with r and R² in the title.

    Returns
    -------
    go.Figure
        ``layout.meta`` holds ``{"r": ..., "r2": ..., "n": ...}`` (R² is the coefficient
        of determination; r² is Pearson's squared).
    """
    y, yhat, r, r2 = finite_agreement(y, yhat)
    y, yhat, dens = point_density(y, yhat, bins)
    fig = go.Figure(go.Scatter(
        x=y, y=yhat, mode="markers",
        marker=dict(size=4, color=np.log10(dens + 1), colorscale="Viridis",
                    colorbar=dict(title=dict(text="log10<br>density"), thickness=12)),
        hovertemplate="measured %{x:.3f}<br>predicted %{y:.3f}<extra></extra>"))
    axis_range = None
    if y.size:
        lo, hi = float(min(y.min(), yhat.min())), float(max(y.max(), yhat.max()))
        fig.add_shape(type="line", x0=lo, y0=lo, x1=hi, y1=hi,
                      line=dict(color="#444", width=1, dash="dash"))
        pad = 0.04 * (hi - lo or 1.0)
        axis_range = [lo - pad, hi + pad]
    text = f"n = {y.size:,}   r = {r:.3f}   R² = {r2:.3f}"
    # both axes span the data (same range, square cells); the plot area, not the range,
    # shrinks to keep 1:1
    fig.update_xaxes(title_text=f"measured ({measured_unit or unit})", range=axis_range,
                     constrain="domain")
    fig.update_yaxes(title_text=f"predicted ({unit})", scaleanchor="x", scaleratio=1,
                     range=axis_range, constrain="domain")
    fig.update_layout(meta={"r": r, "r2": r2, "n": int(y.size)}, showlegend=False)
    return layout(fig, f"{title + ': ' if title else ''}{text}", height=480)


def calibration_curve(levels, observed, *, widths=None, title: str | None = None,
                      data: str = "public-leaderboard rows") -> go.Figure:
    """Observed vs nominal coverage of the intervals (twin of ``plot.calibration_curve``).

    ``widths`` (the mean interval width at each level) go in the hover.
    """
    lv = np.asarray(levels, dtype=np.float64)
    ob = np.asarray(observed, dtype=np.float64)
    order = np.argsort(lv)
    hover = "nominal %{x:.0%}<br>observed %{y:.1%}"
    custom = None
    if widths is not None:
        custom = np.asarray(widths, dtype=np.float64)[order]
        hover += "<br>mean width %{customdata:.3f}"
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="exactly calibrated",
                               line=dict(color="#666", width=1, dash="dash"),
                               hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=lv[order], y=ob[order], mode="lines+markers", name="observed",
                             customdata=custom, hovertemplate=hover + "<extra></extra>"))
    fig.update_xaxes(title_text="nominal coverage (interval level)", range=[0, 1],
                     tickformat=".0%", constrain="domain")
    fig.update_yaxes(title_text=f"observed coverage ({data})", range=[0, 1], tickformat=".0%",
                     scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_layout(showlegend=False)
    return layout(fig, title, height=520)


def subset_coverage(table, level: float, *, title: str | None = None) -> go.Figure:
    """Observed coverage of the intervals on each kind of held-out sequence against the
    nominal ``level`` (``table``: :func:`app.describe.coverage_table`).
    """
    t = table.iloc[::-1]
    fig = go.Figure(go.Scatter(
        x=t["coverage"], y=t["subset"], mode="markers", marker=dict(size=11, color="#1f77b4"),
        customdata=np.column_stack([t["n"], t["mean_width"]]),
        hovertemplate="%{y}: coverage %{x:.1%}<br>n = %{customdata[0]}<br>mean width "
                      "%{customdata[1]:.3f}<extra></extra>", name="observed"))
    fig.add_vline(x=level, line=dict(color="#666", dash="dash"),
                  annotation_text=f"nominal {level:.0%}", annotation_position="top")
    fig.update_xaxes(title_text="observed coverage (held-out rows inside their interval)",
                     tickformat=".0%", range=[min(0.5, float(t["coverage"].min()) - 0.05), 1.02])
    fig.update_layout(showlegend=False)
    return layout(fig, title, height=max(300, 40 * len(t) + 120))
