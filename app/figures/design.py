"""Figures of the Design page: pure functions from tables to plotly figures (no Streamlit).

Inputs are the tables of :func:`promoter_model.design.objective.design`: ``trajectories`` (one row
per design and step) and the designs' sequences. Positions are 1-based.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import POS_COLOR, axis_title, layout

PALETTE = ["#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#35978f", "#8c510a",
           "#c51b7d", "#4d4d4d", "#01665e"]


def trajectory_figure(traj, *, unit: str = "expression", target: float | None = None,
                      highlight: str | None = None) -> go.Figure:
    """Predicted value after each step of every design, with its 90% interval when known.

    Parameters
    ----------
    traj : pd.DataFrame
        ``id, step, mutation, prediction, lower, upper``.
    unit : str
    target : float, optional
        Drawn as a dashed line.
    highlight : str, optional
        A design drawn thicker (the others thinner).
    """
    fig = go.Figure()
    for k, (ident, g) in enumerate(traj.groupby("id", sort=False)):
        color = PALETTE[k % len(PALETTE)]
        err = None
        if g["lower"].notna().all():
            err = dict(type="data", symmetric=False, color=color, thickness=1,
                       array=(g["upper"] - g["prediction"]).to_numpy(),
                       arrayminus=(g["prediction"] - g["lower"]).to_numpy())
        width = 3 if ident == highlight else (1.5 if highlight else 2)
        fig.add_trace(go.Scatter(
            x=g["step"], y=g["prediction"], mode="lines+markers", name=ident, error_y=err,
            text=g["mutation"], line=dict(color=color, width=width),
            hovertemplate=f"{ident}<br>step %{{x}}: %{{text}}<br>%{{y:.3f}}<extra></extra>"))
    if target is not None:
        fig.add_hline(y=target, line=dict(color="#555555", dash="dash"),
                      annotation_text=f"target {target:.2f}")
    steps = int(traj["step"].max()) if len(traj) else 0
    fig.update_xaxes(title_text="step (mutations applied)", tickmode="array",
                     tickvals=list(range(steps + 1)))
    fig.update_yaxes(title_text=axis_title("predicted", unit))
    return layout(fig, "Design trajectories", height=380)


def trajectory_arrays(traj) -> dict:
    """Return the trajectories table as ``{id: (step, prediction, lower, upper)}``.

    The input of :func:`promoter_model.plot.design_trajectories`; ``lower`` and ``upper``
    are None when a design has no interval.
    """
    out = {}
    for ident, g in traj.groupby("id", sort=False):
        known = g["lower"].notna().all()
        out[ident] = (g["step"].to_numpy(), g["prediction"].to_numpy(),
                      g["lower"].to_numpy() if known else None,
                      g["upper"].to_numpy() if known else None)
    return out


def alignment_figure(start: str, sequences, ids, *, region: tuple | None = None) -> go.Figure:
    """Designs aligned against the start; edited bases coloured, letters shown.

    Parameters
    ----------
    start : str
    sequences : list of str
        Same length as ``start``.
    ids : list of str
    region : (int, int), optional
        0-based half-open range of positions to show (default: all).
    """
    a, b = region or (0, len(start))
    rows = [start] + list(sequences)
    names = ["start"] + list(ids)
    letters = np.array([list(s[a:b]) for s in rows])
    edited = (letters != letters[0][None]).astype(float)
    pos = np.arange(a + 1, b + 1)
    fig = go.Figure(go.Heatmap(
        z=edited[::-1], x=pos, y=names[::-1], text=letters[::-1], texttemplate="%{text}",
        textfont=dict(size=9), colorscale=[[0, "#f4f4f4"], [1, POS_COLOR]], zmin=0, zmax=1,
        showscale=False, xgap=1, ygap=2,
        hovertemplate="%{y}, position %{x}: %{text}<extra></extra>"))
    fig.update_xaxes(title_text="position (bp)")
    return layout(fig, "Designs against the start (edited bases in red)",
                   height=120 + 26 * len(rows))


def alignment_text(start: str, sequences, ids, region: tuple | None = None) -> str:
    """Plain-text alignment: the start, then each design with ``.`` for unchanged bases."""
    a, b = region or (0, len(start))
    width = max(len(str(i)) for i in ["start", *ids])
    ref = np.array(list(start[a:b]))
    lines = [f"{'start':<{width}}  {start[a:b]}"]
    for ident, seq in zip(ids, sequences):
        s = np.array(list(seq[a:b]))
        lines.append(f"{ident:<{width}}  " + "".join(np.where(s == ref, ".", s)))
    return "\n".join(lines)
