"""Figures of the Mutagenesis page: the clickable ISM heatmap, the difference of two maps,
per-position bars and the mutation trajectory.

An "effect" is the predicted expression of the mutant minus that of the reference sequence.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.base import (
    AXIS_FONT,
    DIVERGING,
    NEG_COLOR,
    POS_COLOR,
    axis_title,
    error_bars,
    layout,
    region_shapes,
)
from promoter_model.plot import ism_cells
from promoter_model.sequence import ALPHABET


def ism_heatmap(scores, sequence: str, *, zmax: float | None = None, unit: str = "expression",
                title: str | None = None, reference: float | None = None,
                measured=None, sd=None, disagree=None, lower=None,
                upper=None) -> go.Figure:
    """In-silico mutagenesis heatmap: 4 rows (A, C, G, T) by 110 positions.

    Parameters
    ----------
    scores : array, shape (L, 4)
        Predicted change of each single-base substitution (0 at the reference base).
    sequence : str
        The reference sequence (length L); its bases are marked with a dot.
    zmax : float, optional
        Half-width of the colour range (absolute scale); by default the largest |change|
        of this map (relative scale). The scale is always centred on zero.
    reference : float, optional
        Predicted expression of the reference, shown in the hover as the mutant's value.
    measured : array, optional
        Measured expression of a reference set: the hover gives each mutant's percentile.
    sd, disagree : array, shape (L, 4), optional
        An ensemble's members' sd of each change (hover) and where they disagree on its
        sign (``ism_summary.sign_disagreement``): an ``x`` (last trace, ``"members disagree"``).
    lower, upper : array, shape (L, 4), optional
        The interval of each cell's measured change (``ism_summary.ism_intervals``), in the
        hover.

    Notes
    -----
    Trace 0 is the heatmap, trace 1 the reference-base dots, trace 2 an invisible grid of
    points (one per cell of a known base, A row first; ``customdata = [position (1-based),
    "12A>G", change, mutant prediction]``) that carries the hover text and the clicks the
    page uses for click-to-mutate. ``N`` positions (unknown bases) get no grid points: they
    are shaded grey, and trace 3 (present only when there are some) says so on hover. The
    strongest increase is boxed with a solid line, the strongest decrease with a dotted one.
    """
    cells = ism_cells(scores, sequence, zmax)  # the same cells as the PNG/SVG figure's
    z, zmax, ref_base, idx, has_ref = (cells.z, cells.zmax, cells.reference, cells.row,
                                       cells.known)
    L = z.shape[1]
    seq = sequence.upper()
    pos = np.arange(1, L + 1)
    text = np.array([[f"{p}{ref_base[p - 1]}>{b}" for p in pos] for b in ALPHABET])
    fig = go.Figure(go.Heatmap(
        z=z, x=pos, y=list(ALPHABET), colorscale=DIVERGING, zmid=0, zmin=-zmax, zmax=zmax,
        xgap=0.5, ygap=0.5, hoverinfo="skip",
        colorbar=dict(title=dict(text=f"change<br>({unit})", side="right"), thickness=12)))
    fig.add_trace(go.Scatter(
        x=pos[has_ref], y=[ALPHABET[i] for i in idx[has_ref]], mode="markers",
        name="reference base", marker=dict(color="black", size=4, symbol="circle"),
        hoverinfo="skip"))
    # clickable, hoverable grid (one point per cell of a known base) on top of the heatmap
    known = np.tile(has_ref, 4)
    gx = np.tile(pos, 4)[known]
    gy = np.repeat(list(ALPHABET), L)[known]
    change = z.ravel()[known]
    mutant = change + (reference if reference is not None else 0.0)
    label = text.ravel()[known]
    extra = "<br>predicted mutant %{customdata[3]:.3f}" if reference is not None else ""
    columns = [gx.astype(object), label.astype(object), change.astype(object),
               mutant.astype(object)]
    if reference is not None and measured is not None:
        ref_set = np.sort(np.asarray(measured, dtype=np.float64))
        pct = 100.0 * np.searchsorted(ref_set, mutant, side="right") / max(ref_set.size, 1)
        columns.append(pct.astype(object))
        extra += " (percentile %{customdata[4]:.0f})"
    if sd is not None:
        extra += f" ± %{{customdata[{len(columns)}]:.3f}} (members' sd)"
        columns.append(np.asarray(sd, dtype=np.float64).T.ravel()[known].astype(object))
    if lower is not None and upper is not None:  # none at the reference base (NaN there)
        lo, hi = (np.asarray(b, dtype=np.float64).T.ravel()[known] for b in (lower, upper))
        extra += f"%{{customdata[{len(columns)}]}}"
        columns.append(np.array(["" if np.isnan(a) else
                                 f"<br>90% interval of the measured change {a:+.3f} to {b:+.3f}"
                                 for a, b in zip(lo, hi)], dtype=object))
    flags = None
    if disagree is not None:
        flags = np.asarray(disagree, dtype=bool).T.ravel()[known]
        extra += f"%{{customdata[{len(columns)}]}}"
        columns.append(np.where(flags, "<br><b>members disagree on the sign</b>",
                                "").astype(object))
    fig.add_trace(go.Scatter(
        x=gx, y=gy, mode="markers", name="cells",
        marker=dict(size=9, symbol="square", color="rgba(0,0,0,0.004)"),
        customdata=np.stack(columns, axis=-1),
        hovertemplate="position %{customdata[0]}<br>%{customdata[1]}"
                      "<br>change %{customdata[2]:+.3f}" + extra + "<extra></extra>",
        showlegend=False))
    if not has_ref.all():
        _unknown_columns(fig, pos[~has_ref], cells.unknown_runs)
    if flags is not None and flags.any():
        # drawn over the clickable grid but transparent to the mouse (hoverinfo "skip"):
        # a click on a marked cell still reaches trace 2, whose hover names the disagreement
        fig.add_trace(go.Scatter(
            x=gx[flags], y=gy[flags], mode="markers", name="members disagree",
            marker=dict(symbol="x-thin", size=7, line=dict(width=1.5, color="black")),
            text=label[flags], hoverinfo="skip", showlegend=False))
    for (b, p), dash in zip(cells.strongest, ("solid", "dot")):
        fig.add_shape(type="rect", x0=p + 0.5, x1=p + 1.5, y0=b - 0.5, y1=b + 0.5,
                      line=dict(color="black", width=2, dash=dash))
    region_shapes(fig, -0.5, 3.5, sequence=seq)
    fig.update_xaxes(title_text="position (bp)", range=[0.5, L + 0.5], showgrid=False,
                     zeroline=False)
    fig.update_yaxes(title_text="mutant base", autorange="reversed", showgrid=False,
                     categoryorder="array", categoryarray=list(ALPHABET))
    # no dragmode/clickmode here: Streamlit selects points on click only when it sets them
    fig.update_layout(showlegend=False)
    return layout(fig, title, height=300)


def _unknown_columns(fig: go.Figure, positions, runs) -> None:
    """Shade the ``N`` positions (in ``runs`` of first, last) grey and explain them on hover
    (no mutation is offered).
    """
    positions = np.asarray(positions)
    for a, b in runs:
        fig.add_shape(type="rect", x0=a - 0.5, x1=b + 0.5, y0=-0.5, y1=3.5,
                      fillcolor="#d9d9d9", line_width=0, layer="below")
        if b - a >= 3:  # wide enough to say what the grey is, also on a printed figure
            fig.add_annotation(x=(a + b) / 2, y=1.5, text="N", showarrow=False,
                               font=dict(size=12, color="#666"))
    fig.add_trace(go.Scatter(
        x=np.repeat(positions, 4), y=np.tile(list(ALPHABET), positions.size), mode="markers",
        name="unknown", marker=dict(size=9, symbol="square", color="rgba(0,0,0,0.004)"),
        hovertemplate="position %{x}: N (unknown base)<br>no mutation offered<extra></extra>",
        showlegend=False))


DIFFERENCE_TITLE = "Difference of ISM maps (variant minus reference)"


def ism_difference_heatmap(scores_ref, scores_alt, seq_ref: str, seq_alt: str, *,
                           unit: str = "expression") -> go.Figure:
    """Heatmap of ``ISM(variant) - ISM(reference)``, differing positions marked."""
    diff = np.asarray(scores_alt, dtype=np.float64) - np.asarray(scores_ref, dtype=np.float64)
    fig = ism_heatmap(diff, seq_alt, unit=unit, title=DIFFERENCE_TITLE)
    for i, (a, b) in enumerate(zip(seq_ref.upper(), seq_alt.upper())):
        if a != b:
            fig.add_shape(type="rect", x0=i + 0.5, x1=i + 1.5, y0=-0.5, y1=3.5,
                          line=dict(color="#222", width=1.5))
    return fig


def position_bar(values, *, unit: str = "expression",
                 title: str | None = "Importance per position") -> go.Figure:
    """Bar chart of one value per position (e.g. mean |ISM change|)."""
    v = np.asarray(values, dtype=np.float64)
    pos = np.arange(1, v.size + 1)
    fig = go.Figure(go.Bar(x=pos, y=v, marker_color=np.where(v >= 0, POS_COLOR, NEG_COLOR),
                           hovertemplate="position %{x}: %{y:.3f}<extra></extra>"))
    region_shapes(fig, float(min(0, v.min(initial=0))), float(max(v.max(initial=0), 1e-9)))
    fig.update_xaxes(title_text="position (bp)", range=[0.5, v.size + 0.5])
    fig.update_yaxes(title_text=unit, title_font=AXIS_FONT)
    return layout(fig, title, height=240)


def trajectory_plot(expressions, labels, *, unit: str = "expression", lower=None,
                    upper=None) -> go.Figure:
    """Predicted expression along a mutation trajectory (step 0 is the input).

    Each step is a tick named by its mutation (``"0: input"``, ``"1: 30A>G"`` ...);
    ``lower``/``upper`` (each step's interval) are drawn as error bars.
    """
    y = np.asarray(expressions, dtype=np.float64)
    steps = np.arange(y.size)
    names = [f"{i}: {label}" for i, label in zip(steps.tolist(), labels)]
    error, hover = None, "step %{x}: %{text}<br>%{y:.3f}"
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, np.float64), np.asarray(upper, np.float64)
        error = error_bars(y, lo, hi, thickness=1.2)
        hover += " (interval %{customdata[0]:.3f} to %{customdata[1]:.3f})"
    fig = go.Figure(go.Scatter(x=steps, y=y, mode="lines+markers", text=list(labels),
                               error_y=error,
                               customdata=None if error is None else np.column_stack([lo, hi]),
                               hovertemplate=hover + "<extra></extra>",
                               line=dict(color=POS_COLOR)))
    fig.update_xaxes(title_text="step: mutation applied", tickmode="array",
                     tickvals=steps.tolist(), ticktext=names, tickangle=-30 if y.size > 4 else 0)
    fig.update_yaxes(title_text=axis_title("predicted", unit), title_font=AXIS_FONT)
    return layout(fig, "Mutation trajectory", height=340)
