"""What every plotly figure of the dashboard shares: font, colours, layout, axis titles,
error bars and the promoter's regions.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from promoter_model.plot import region_labels
from promoter_model.sequence import VARIABLE_END, VARIABLE_START

FONT = dict(family="Arial, Helvetica, sans-serif", size=13)
POS_COLOR = "#b2182b"   # increases expression
NEG_COLOR = "#2166ac"   # decreases expression
DIVERGING = "RdBu_r"
BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    """The dashboard's layout (template, font, margins, ``title``, ``height``) on ``fig``."""
    fig.update_layout(template="plotly_white", font=FONT, height=height,
                      margin=dict(l=60, r=20, t=60 if title else 30, b=50),
                      title=dict(text=title) if title else None)
    fig.update_yaxes(automargin=True)
    return fig


def axis_title(label: str, unit: str) -> str:
    """``label`` and ``(unit)`` on two lines, so a long unit fits beside a short plot."""
    return f"{label}<br>({unit})"


AXIS_FONT = dict(size=12)


def error_bars(center, lower, upper, thickness: float) -> dict:
    """Plotly asymmetric error bars from ``center`` to each bound (none to an infinite one)."""
    with np.errstate(invalid="ignore"):
        plus, minus = (np.where(np.isfinite(d), d, np.nan) for d in (upper - center,
                                                                     center - lower))
    return dict(type="data", symmetric=False, array=plus, arrayminus=minus, color=POS_COLOR,
                thickness=thickness, width=4)


def region_shapes(fig: go.Figure, y0: float, y1: float, yref: str = "y",
                   sequence: str | None = None) -> None:
    """Shade the constant plasmid flanks and label the 80 bp variable region."""
    five, three = region_labels(sequence)
    for x0, x1, label in ((0.5, VARIABLE_START + 0.5, five),
                          (VARIABLE_END + 0.5, 110.5, three)):
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, yref=yref,
                      fillcolor="rgba(120,120,120,0.12)", line_width=0, layer="above")
        fig.add_annotation(x=(x0 + x1) / 2, y=1.0, yref="paper", yanchor="bottom",
                           text=label, showarrow=False, font=dict(size=11, color="#555"))
    fig.add_annotation(x=(VARIABLE_START + VARIABLE_END + 1) / 2, y=1.0, yref="paper",
                       yanchor="bottom", showarrow=False, font=dict(size=11, color="#555"),
                       text=f"variable region ({VARIABLE_END - VARIABLE_START} bp, "
                            f"{VARIABLE_START + 1}-{VARIABLE_END})")
    for x in (VARIABLE_START + 0.5, VARIABLE_END + 0.5):
        fig.add_shape(type="line", x0=x, x1=x, y0=y0, y1=y1, yref=yref,
                      line=dict(color="#444", width=1.5, dash="dash"))
