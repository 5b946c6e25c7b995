"""The dashboard's interactive figures: plotly, pure functions from arrays (no Streamlit).

Plotly is kept where hovering or clicking matters (the ISM heatmap is clicked to mutate);
the PNG/SVG downloads are the matplotlib figures of :mod:`promoter_model.plot` drawn from
the same arrays, and the logos are those figures (re-exported here). Positions are shown
1-based (1..110); ISM and attribution arrays have shape ``(110, 4)``, channels A, C, G, T.

Modules
-------
base
    Font, colours, the layout, two-line axis titles, error bars, the promoter's regions.
predict
    The Predict page: measured expression with the predictions marked; robustness curves.
mutagenesis
    The Mutagenesis page: the clickable ISM heatmap (its cells are
    :func:`promoter_model.plot.ism_cells`, as the PNG/SVG heatmap's), the difference of two
    maps, per-position bars, the mutation trajectory.
training
    The Training page: curves per epoch, predicted against measured, interval calibration.
design
    The Design page: the designs' trajectories and their alignment to the start.
motifs
    The Motifs page: motif scans and where discovered seqlets lie.
grammar
    The Grammar page: position profile and spacing curve with bands, the marginal effect's
    distribution, designed pairs measured against predicted.
variants
    The Tile and Variant list pages: windows along a native promoter with their band and
    the strongest highlighted; variants' effects ranked with intervals, coloured by p_up.
"""

from app.figures.base import (
    AXIS_FONT,
    BASE_COLORS,
    DIVERGING,
    FONT,
    NEG_COLOR,
    POS_COLOR,
    axis_title,
    error_bars,
    layout,
    region_shapes,
)
from app.figures.design import (
    PALETTE,
    alignment_figure,
    alignment_text,
    trajectory_arrays,
    trajectory_figure,
)
from app.figures.motifs import motif_scan_plot, seqlet_position_plot
from app.figures.mutagenesis import (
    DIFFERENCE_TITLE,
    ism_difference_heatmap,
    ism_heatmap,
    position_bar,
    trajectory_plot,
)
from app.figures.predict import MAX_NAMED_MARKERS, expression_histogram, robustness_plot
from app.figures.training import calibration_curve, density_scatter, training_curves
from promoter_model.dream import percentile
from promoter_model.plot import (  # the logos: matplotlib figures of the package already
    LOGO_COLORS,
    attribution_logo,
    draw_logo,
    filter_logo,
    information_matrix,
    logo_glyphs,
    region_labels,
)

__all__ = [
    "AXIS_FONT", "BASE_COLORS", "DIFFERENCE_TITLE", "DIVERGING", "FONT", "LOGO_COLORS",
    "MAX_NAMED_MARKERS", "NEG_COLOR", "PALETTE", "POS_COLOR", "alignment_figure",
    "alignment_text", "attribution_logo", "axis_title", "calibration_curve", "density_scatter",
    "draw_logo", "error_bars", "expression_histogram", "filter_logo", "information_matrix",
    "ism_difference_heatmap", "ism_heatmap", "layout", "logo_glyphs", "motif_scan_plot",
    "percentile", "position_bar", "region_labels", "region_shapes", "robustness_plot",
    "seqlet_position_plot", "trajectory_arrays", "trajectory_figure", "trajectory_plot",
    "training_curves",
]
