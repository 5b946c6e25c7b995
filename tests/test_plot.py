"""promoter_model.plot: each figure from plain arrays, with the artists and layout expected."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402

from promoter_model import plot  # noqa: E402

SEQ = "TGCATTTTTTTCACATC" + "ACGT" * 20 + "GGTTACGGCTGTT"
UNIT = "MAUDE-normalised expression"


def _scores(seed=0):
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(110, 4))
    s[np.arange(110), ["ACGT".index(b) for b in SEQ]] = 0.0
    return s


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


# --------------------------------------------------------------------------- logos
def test_information_matrix():
    assert np.allclose(plot.information_matrix(np.full((3, 4), 0.25)), 0)
    assert np.allclose(plot.information_matrix(np.eye(4)).sum(axis=1), 2)


def test_logo_glyphs_stack_only_non_zero_cells():
    m = np.zeros((5, 4))
    m[0, 0], m[1, 2], m[2, 3] = 1.0, -0.5, 0.25
    m[3, 1], m[3, 3] = 0.3, 0.6    # two letters stacked upwards at position 4
    m[4, 0], m[4, 2] = -0.2, -0.7  # and two downwards at position 5
    pos, base, floor, ceiling = plot.logo_glyphs(m)
    got = {(int(p), int(b)): (f, c) for p, b, f, c in zip(pos, base, floor, ceiling)}
    want = {(1, 0): (0.0, 1.0), (2, 2): (-0.5, 0.0), (3, 3): (0.0, 0.25),
            (4, 1): (0.0, 0.3), (4, 3): (0.3, 0.9),  # the largest letter on top
            (5, 0): (-0.2, 0.0), (5, 2): (-0.9, -0.2)}
    assert got.keys() == want.keys()
    for key, (f, c) in want.items():
        assert got[key] == pytest.approx((f, c)), key


def test_draw_logo_places_logomakers_glyphs():
    """One patch per base, whose outlines are exactly logomaker.Glyph's at each cell."""
    from logomaker import Glyph

    m = np.zeros((5, 4))
    m[0, 0], m[1, 2], m[2, 3] = 1.0, -0.5, 0.25
    m[3, 1], m[3, 3] = 0.3, 0.6
    fig, ax = plt.subplots()
    plot.draw_logo(ax, m)
    patches = [p for p in ax.get_children() if isinstance(p, PathPatch)]
    assert len(patches) == 4  # A, C, G, T: one patch each
    lo, hi = ax.get_ylim()
    assert lo < -0.5 and hi > 0.9  # 0.3 + 0.6 stacked at position 4
    _, ref_ax = plt.subplots()
    pos, base, floor, ceiling = plot.logo_glyphs(m)
    for patch, letter in zip(patches, sorted(set(base))):
        expected = np.concatenate([
            Glyph(p, "ACGT"[b], floor=f, ceiling=c, ax=ref_ax).patch.get_path().vertices
            for p, b, f, c in zip(pos, base, floor, ceiling) if b == letter])
        np.testing.assert_allclose(patch.get_path().vertices, expected, atol=1e-9)
        assert patch.get_facecolor()[:3] == pytest.approx(plot.LOGO_COLORS["ACGT"[letter]])


def test_attribution_logo_new_figure_or_given_axes():
    m = np.zeros((110, 4))
    m[np.arange(110), ["ACGT".index(b) for b in SEQ]] = np.linspace(-1, 1, 110)
    fig = plot.attribution_logo(m, title="t", ylabel="gradient x input")
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and ax.get_xlim() == (0.5, 110.5)
    glyphs = [p for p in ax.get_children() if isinstance(p, PathPatch)]
    assert len(glyphs) == 4  # one patch per base present
    assert ax.get_title(loc="left") == "t" and ax.get_ylabel() == "gradient x input"
    assert ax.get_xlabel() == "position (bp)"
    # on an axes the caller owns: drawn there, that axes' figure returned
    outer, (a1, a2) = plt.subplots(2, 1)
    assert plot.attribution_logo(m, ax=a2) is outer
    assert a2.get_xlim() == (0.5, 110.5) and not a1.lines and a1.get_xlim() == (0, 1)
    assert len([p for p in a2.get_children() if isinstance(p, PathPatch)]) == 4


def test_filter_logo_bits_and_weights():
    fig = plot.filter_logo(np.eye(4)[[0, 1, 2, 3, 0]], title="f")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "bits" and ax.get_ylim() == (0, 2)
    assert len([p for p in ax.get_children() if isinstance(p, PathPatch)]) == 4
    fig = plot.filter_logo(np.arange(20.0).reshape(5, 4), kind="weights")
    assert fig.axes[0].get_ylabel() == "weight"


def test_filter_logo_cwm_drawn_as_is():
    cwm = np.zeros((4, 4))
    cwm[[0, 1, 2, 3], [0, 1, 2, 3]] = [0.2, -0.1, 0.3, 0.05]  # a CWM: the seen base only
    ax = plot.filter_logo(cwm, kind="cwm").axes[0]
    assert ax.get_ylabel() == "contribution"
    assert len([p for p in ax.get_children() if isinstance(p, PathPatch)]) == 4
    lo, hi = ax.get_ylim()
    assert lo < -0.1 and hi > 0.3  # not centred, not in bits
    with pytest.raises(ValueError, match="kind must be"):
        plot.filter_logo(cwm, kind="bits")


def test_seqlet_positions_stacked_by_strand_over_the_input():
    starts = [20, 21, 60, 61, 62]
    ax = plot.seqlet_positions(starts, ["+", "+", "+", "-", "-"], width=9,
                               title="REB1 pos_0").axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["+ strand (3)", "- strand (2)"]
    heights = [sum(p.get_height() for p in c) for c in ax.containers]
    assert heights == [3, 2]  # one stacked layer per strand: each seqlet counted once
    assert ax.get_xlim() == (0.5, 110.5) and ax.get_xlabel() == "seqlet centre (bp)"
    assert "REB1 pos_0" in ax.get_title(loc="left")
    # without a width the starts themselves (1-based) are binned
    ax = plot.seqlet_positions([0], None).axes[0]
    assert ax.get_xlabel() == "seqlet start (bp)"


# --------------------------------------------------------------------------- mutagenesis
def test_ism_heatmap_image_scale_dots_boxes_and_regions():
    s = _scores()
    fig = plot.ism_heatmap(s, SEQ, unit=UNIT, title="T")
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # heatmap and colourbar
    assert len(ax.images) == 1
    np.testing.assert_allclose(ax.images[0].get_array(), s.T)
    zmax = np.abs(s).max()
    assert ax.images[0].get_clim() == pytest.approx((-zmax, zmax))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "C", "G", "T"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 110  # reference dots
    boxes = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    b, p = np.unravel_index(np.argmax(s.T), s.T.shape)
    assert any(r.get_xy() == pytest.approx((p + 0.5, b - 0.5)) and r.get_linestyle() == "-"
               for r in boxes)
    assert {"5' flank", "3' flank", "variable region (80 bp, 18-97)"} <= set(_texts(ax))
    assert "(" + UNIT + ")" in fig.axes[1].get_ylabel()
    # the title is lifted over the region labels, not printed across them
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    title = ax.title.get_window_extent(renderer)
    labels = [t.get_window_extent(renderer) for t in ax.texts if "flank" in t.get_text()
              or "variable" in t.get_text()]
    assert labels and all(title.y0 >= box.y1 - 1 for box in labels)
    assert plot.ism_heatmap(s, SEQ, zmax=10.0).axes[0].images[0].get_clim() == (-10, 10)


def test_ism_heatmap_unknown_positions_and_boxed_variant():
    seq = "N" * 5 + SEQ[5:]
    s = _scores()
    s[:5] = np.nan
    ax = plot.ism_heatmap(s, seq, boxed=[50]).axes[0]
    assert ax.images[0].get_array().mask[:, :5].all()  # drawn in the "bad" grey
    assert sum(len(c.get_offsets()) for c in ax.collections) == 105
    assert "N" in _texts(ax) and "1-17 (not the 5' flank)" in _texts(ax)
    assert any(isinstance(r, Rectangle) and r.get_xy() == pytest.approx((49.5, -0.5))
               and r.get_height() == 4 for r in ax.patches)
    assert plot.region_labels(SEQ) == ("5' flank", "3' flank")


def test_trajectory_names_steps_by_mutation():
    ax = plot.trajectory([0.1, 0.3, 0.2], ["input", "30A>G", "31C>T"], unit="u").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0: input", "1: 30A>G",
                                                            "2: 31C>T"]
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert ax.get_ylabel() == "predicted\n(u)"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.1, 0.3, 0.2])


def test_design_trajectories_and_alignment():
    traj = {"d1": ([0, 1, 2], [0.1, 0.4, 0.6], [0.0, 0.3, 0.5], [0.2, 0.5, 0.7]),
            "d2": ([0, 1], [0.1, 0.3], None, None)}
    ax = plot.design_trajectories(traj, target=0.5, highlight="d1").axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["d1", "d2"]
    d1, d2 = ax.containers  # one errorbar container per design, the highlighted one bold
    assert d1.lines[0].get_linewidth() > d2.lines[0].get_linewidth()
    assert d1.has_yerr and not d2.has_yerr
    assert "target 0.50" in _texts(ax)
    alt = SEQ[:30] + ("T" if SEQ[30] != "T" else "A") + SEQ[31:]
    ax = plot.alignment(SEQ, [alt], ["d1"], region=(17, 97)).axes[0]
    edited = ax.images[0].get_array()
    assert edited.shape == (2, 80) and edited.sum() == 1 and edited[1, 13] == 1
    assert len(ax.texts) == 160
    assert [t.get_text() for t in ax.get_yticklabels()] == ["start", "d1"]


def test_robustness_curve_sorted_and_labelled():
    ax = plot.robustness_curve({"x": [0.3, -0.2, 0.0], "y": np.zeros(3)}, unit=UNIT).axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [-0.2, 0.0, 0.3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y"]
    assert ax.get_ylabel() == f"predicted change\n({UNIT})"


def test_motif_scan_per_strand():
    ax = plot.motif_scan([18, 19, 18, 19], [0.1, -0.2, 0.0, 0.3], strand=["+", "+", "-", "-"],
                         motif="REB1", unit=UNIT).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["REB1 (+ strand)", "REB1 (- strand)"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.0, 0.3])
    assert ax.get_xlim() == (0.5, 110.5) and ax.get_ylabel().endswith(f"\n({UNIT})")
    assert "Scan of REB1" in ax.get_title(loc="left")


# --------------------------------------------------------------------------- predictions
def test_expression_histogram_single_and_named():
    rng = np.random.default_rng(0)
    measured = rng.normal(size=5000)
    ax = plot.expression_histogram(measured, 0.25, percentiles=[60.1], unit="u").axes[0]
    assert sum(p.get_height() for p in ax.patches) == 5000
    assert "0.25 (60th percentile)" in _texts(ax)
    assert ax.get_xlabel() == "u" and ax.get_ylabel() == "test sequences"
    ax = plot.expression_histogram(measured, [0.1, 0.5, -0.3], labels=["a", "b", "c"]).axes[0]
    assert {"a", "b", "c"} <= set(_texts(ax))
    ax = plot.expression_histogram(measured, np.linspace(0, 1, 50)).axes[0]
    assert not ax.texts and len(ax.collections[0].get_offsets()) == 50  # a rug


def test_density_scatter_stats_and_square_range():
    rng = np.random.default_rng(1)
    y = rng.uniform(-1.4, 1.7, 500)
    yhat = y * 0.9
    fig = plot.density_scatter(y, yhat, unit="u", title="run")
    ax = fig.axes[0]
    r = np.corrcoef(y, yhat)[0, 1]
    r2 = 1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2)
    assert ax.get_title(loc="left") == f"run: n = 500   r = {r:.3f}   R² = {r2:.3f}"
    assert len(ax.collections[0].get_offsets()) == 500
    lo, hi = ax.get_xlim()
    assert -1.6 < lo < -1.4 and 1.7 < hi < 1.9 and ax.get_ylim() == (lo, hi)
    assert ax.get_aspect() == 1.0
    assert ax.get_xlabel() == "measured (u)" and ax.get_ylabel() == "predicted (u)"


def test_training_curves_loss_dashed_and_selected_bold():
    h = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.5], "val_loss": [1.2, 0.7]})
    fig, ax = plt.subplots()
    assert plot.training_curves({"a": h, "b": h}, "loss", selected="a", ax=ax) is fig
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["a: loss", "a: val_loss", "b: loss", "b: val_loss"]
    assert ax.lines[1].get_linestyle() == "--"
    assert ax.lines[0].get_linewidth() > ax.lines[2].get_linewidth()
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_every_figure_saves(fmt, tmp_path):
    figs = [plot.ism_heatmap(_scores(), SEQ), plot.attribution_logo(_scores()),
            plot.density_scatter(np.arange(50.0), np.arange(50.0) + 1),
            plot.expression_histogram(np.arange(10.0), 3.0)]
    for i, fig in enumerate(figs):
        path = tmp_path / f"{i}.{fmt}"
        fig.savefig(path, dpi=50)
        assert path.stat().st_size > 1000


def test_calibration_curve_plots_observed_against_nominal():
    levels, observed = np.array([0.9, 0.5, 0.8]), np.array([0.93, 0.55, 0.82])
    fig = plot.calibration_curve(levels, observed)
    ax = fig.axes[0]
    diagonal, curve = ax.get_lines()
    np.testing.assert_allclose(diagonal.get_xydata(), [[0, 0], [1, 1]])
    np.testing.assert_allclose(curve.get_xdata(), [0.5, 0.8, 0.9])  # sorted by level
    np.testing.assert_allclose(curve.get_ydata(), [0.55, 0.82, 0.93])
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
    assert "nominal" in ax.get_xlabel() and "observed" in ax.get_ylabel()


def test_histogram_and_trajectory_draw_given_intervals():
    measured = np.random.default_rng(0).normal(size=500)
    pred, lo, hi = np.array([-1.0, 0.5]), np.array([-1.8, -0.2]), np.array([-0.1, 1.4])
    ax = plot.expression_histogram(measured, pred, lower=lo, upper=hi).axes[0]
    bars = [c for c in ax.collections if c.get_gid() == "interval"]
    assert len(bars) == 1
    segments = np.asarray(bars[0].get_segments())
    np.testing.assert_allclose(segments[:, :, 0], np.column_stack([lo, hi]))
    ax = plot.trajectory([0.0, 0.4], ["input", "30A>G"], lower=[-1, -0.6],
                         upper=[1, 1.4]).axes[0]
    assert [c for c in ax.collections if c.get_gid() == "interval"]
    ax = plot.expression_histogram(measured, pred).axes[0]
    assert not [c for c in ax.collections if c.get_gid() == "interval"]


def test_ism_heatmap_explains_its_disagreement_marks_in_a_legend():
    import numpy as np

    s = np.zeros((110, 4))
    mask = np.zeros((110, 4), bool)
    mask[30, 1] = True
    fig = plot.ism_heatmap(s, SEQ, disagree=mask, disagree_label="members disagree (0.03)")
    try:
        legend = fig.axes[0].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["members disagree (0.03)"]
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    fig = plot.ism_heatmap(s, SEQ, disagree=np.zeros((110, 4), bool))  # no marks, no legend
    assert fig.axes[0].get_legend() is None
