"""Interactive figures of the dashboard: pure functions from arrays to plotly figures.

Nothing here imports Streamlit or runs a model, so every figure can be built and checked in
a test from plain numpy arrays. Plotly is kept where hovering or clicking matters (the ISM
heatmap is clicked to mutate); the PNG/SVG downloads are the matplotlib figures of
:mod:`promoter_model.plot` drawn from the same arrays, and the logos are those figures.

Conventions: positions are shown 1-based (1..110); ISM and attribution arrays have shape
``(110, 4)`` with channels A, C, G, T; an "effect" is predicted expression of the mutant minus
that of the reference sequence.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from promoter_model.dream import percentile
from promoter_model.plot import (  # noqa: F401  (re-exported: logos are matplotlib already)
    LOGO_COLORS,
    attribution_logo,
    draw_logo,
    filter_logo,
    information_matrix,
    ism_cells,
    logo_glyphs,
    region_labels,
)
from promoter_model.sequence import ALPHABET, VARIABLE_END, VARIABLE_START

FONT = dict(family="Arial, Helvetica, sans-serif", size=13)
POS_COLOR = "#b2182b"   # increases expression
NEG_COLOR = "#2166ac"   # decreases expression
DIVERGING = "RdBu_r"
BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    fig.update_layout(template="plotly_white", font=FONT, height=height,
                      margin=dict(l=60, r=20, t=60 if title else 30, b=50),
                      title=dict(text=title) if title else None)
    fig.update_yaxes(automargin=True)
    return fig


def axis_title(label: str, unit: str) -> str:
    """``label`` and ``(unit)`` on two lines, so a long unit fits beside a short plot."""
    return f"{label}<br>({unit})"


_AXIS_FONT = dict(size=12)


# --------------------------------------------------------------------------- Predict
MAX_NAMED_MARKERS = 12  # histogram: predictions named beside their marker up to this many


def _error_bars(center, lower, upper, thickness: float) -> dict:
    """Plotly asymmetric error bars from ``center`` to each bound (none to an infinite one)."""
    with np.errstate(invalid="ignore"):
        plus, minus = (np.where(np.isfinite(d), d, np.nan) for d in (upper - center,
                                                                     center - lower))
    return dict(type="data", symmetric=False, array=plus, arrayminus=minus, color=POS_COLOR,
                thickness=thickness, width=4)


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
            error = _error_bars(pred, lo, hi, thickness=1.5)
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
    return _layout(fig, title, height=380 if named else 320)


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
    fig.update_yaxes(title_text=axis_title("predicted change", unit), title_font=_AXIS_FONT)
    fig.update_layout(showlegend=len(effects) <= 20)
    return _layout(fig, title, height=360)


# --------------------------------------------------------------------------- Mutagenesis
def _region_shapes(fig: go.Figure, y0: float, y1: float, yref: str = "y",
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


def ism_heatmap(scores, sequence: str, *, zmax: float | None = None, unit: str = "expression",
                title: str | None = None, reference: float | None = None,
                measured=None, sd=None, disagree=None) -> go.Figure:
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
    _region_shapes(fig, -0.5, 3.5, sequence=seq)
    fig.update_xaxes(title_text="position (bp)", range=[0.5, L + 0.5], showgrid=False,
                     zeroline=False)
    fig.update_yaxes(title_text="mutant base", autorange="reversed", showgrid=False,
                     categoryorder="array", categoryarray=list(ALPHABET))
    # no dragmode/clickmode here: Streamlit selects points on click only when it sets them
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=300)


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
    _region_shapes(fig, float(min(0, v.min(initial=0))), float(max(v.max(initial=0), 1e-9)))
    fig.update_xaxes(title_text="position (bp)", range=[0.5, v.size + 0.5])
    fig.update_yaxes(title_text=unit, title_font=_AXIS_FONT)
    return _layout(fig, title, height=240)


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
        error = _error_bars(y, lo, hi, thickness=1.2)
        hover += " (interval %{customdata[0]:.3f} to %{customdata[1]:.3f})"
    fig = go.Figure(go.Scatter(x=steps, y=y, mode="lines+markers", text=list(labels),
                               error_y=error,
                               customdata=None if error is None else np.column_stack([lo, hi]),
                               hovertemplate=hover + "<extra></extra>",
                               line=dict(color=POS_COLOR)))
    fig.update_xaxes(title_text="step: mutation applied", tickmode="array",
                     tickvals=steps.tolist(), ticktext=names, tickangle=-30 if y.size > 4 else 0)
    fig.update_yaxes(title_text=axis_title("predicted", unit), title_font=_AXIS_FONT)
    return _layout(fig, "Mutation trajectory", height=340)
