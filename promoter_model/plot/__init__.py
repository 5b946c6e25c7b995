"""Matplotlib figures of every view of a promoter: arrays in, figure out, nothing computed.

Each function takes ``ax=None`` (a new figure is made) or an axes to draw on, and returns
the :class:`matplotlib.figure.Figure`; the caller closes it (``plt.close(fig)``). The
dashboard's PNG/SVG downloads are these figures. Positions are 1-based (1..110); ISM and
attribution matrices have shape ``(L, 4)`` with channels A, C, G, T.

Modules
-------
_base
    Colours, axes set-up, two-line axis titles, the promoter's regions, point densities,
    and :func:`ism_cells` (what an ISM heatmap draws; the dashboard's plotly heatmap uses it
    too).
logos
    Sequence logos: attributions, PFMs and information.
figures
    Heatmaps, trajectories, curves, histograms, scatters.
grammar
    Motif grammar: the position profile, the spacing curve, the marginal effect's
    distribution, designed pairs measured against predicted.
ranked
    Many predictions at once: a ranked dot plot with intervals over the measured
    distribution.
variants
    A biologist's own sequences: a native promoter's 80 bp windows along it
    (:func:`tiling_profile`) and a variant list's effects ranked, coloured by p_up
    (:func:`variant_effects`).

Everything is importable from here, e.g. ``from promoter_model import plot;
plot.ism_heatmap(scores, seq)``.
"""

from promoter_model.plot._base import (
    LOGO_COLORS,
    MAX_NAMED_MARKERS,
    NEG_COLOR,
    PALETTE,
    POS_COLOR,
    IsmCells,
    axis_title,
    ism_cells,
    point_density,
    region_labels,
    regions,
)
from promoter_model.plot.figures import (
    alignment,
    calibration_curve,
    density_scatter,
    design_trajectories,
    expression_histogram,
    ism_heatmap,
    motif_scan,
    robustness_curve,
    seqlet_positions,
    training_curves,
    trajectory,
)
from promoter_model.plot.grammar import (
    effect_distribution,
    measured_pairs,
    position_profile,
    spacing_curve,
)
from promoter_model.plot.logos import (
    attribution_logo,
    draw_logo,
    filter_logo,
    information_matrix,
    logo_glyphs,
    motif_pair,
)
from promoter_model.plot.ranked import measured_bands, ranked_order, ranked_predictions
from promoter_model.plot.variants import effect_order, tiling_profile, variant_effects

__all__ = [
    "IsmCells", "LOGO_COLORS", "MAX_NAMED_MARKERS", "NEG_COLOR", "PALETTE", "POS_COLOR",
    "alignment", "attribution_logo", "axis_title", "calibration_curve", "density_scatter",
    "design_trajectories", "draw_logo", "effect_distribution", "expression_histogram",
    "filter_logo", "information_matrix", "ism_cells", "ism_heatmap", "logo_glyphs",
    "measured_bands", "measured_pairs", "motif_pair", "motif_scan", "point_density",
    "position_profile", "ranked_order", "ranked_predictions", "region_labels", "regions",
    "robustness_curve", "seqlet_positions", "spacing_curve", "training_curves", "trajectory",
    "effect_order", "tiling_profile", "variant_effects",
]
