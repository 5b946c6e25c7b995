"""Dashboard figures, exports and page logic, checked from plain arrays (no Streamlit run)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from app import export, figures, reports  # noqa: E402
from app import trajectory as logic  # noqa: E402
from app.figures import motifs as motif_figures  # noqa: E402
from app.figures import training as training_figures  # noqa: E402
from promoter_model import plot  # noqa: E402

SEQ = ("TGCATTTTTTTCACATC" + "ACGT" * 20 + "GGTTACGGCTGTT")


def _scores(seed=0):
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(110, 4)).astype(np.float32)
    ref = np.array(["ACGT".index(b) for b in SEQ])
    s[np.arange(110), ref] = 0.0
    return s


def _spec(fig):
    return export.plotly_spec(fig)


# --------------------------------------------------------------------------- ISM heatmap
def test_ism_heatmap_data_scale_and_marks():
    s = _scores()
    spec = _spec(figures.ism_heatmap(s, SEQ, reference=0.5))
    heat, dots, grid = spec["data"][:3]
    assert heat["type"] == "heatmap"
    np.testing.assert_allclose(heat["z"], s.T, rtol=1e-6)
    assert heat["y"] == ["A", "C", "G", "T"]
    np.testing.assert_array_equal(heat["x"], np.arange(1, 111))
    zmax = np.abs(s).max()
    assert heat["zmid"] == 0 and heat["zmin"] == pytest.approx(-zmax) \
        and heat["zmax"] == pytest.approx(zmax)
    # reference bases: one dot per position on the reference row
    assert len(dots["x"]) == 110 and list(dots["y"][:4]) == list(SEQ[:4])
    # hover grid: 440 cells with position, change label and change
    assert len(grid["x"]) == 440
    assert "position" in grid["hovertemplate"] and "change" in grid["hovertemplate"]
    cd = grid["customdata"]
    k = 2 * 110 + 40  # row G, position 41
    assert int(cd[k][0]) == 41 and cd[k][1] == f"41{SEQ[40]}>G"
    assert float(cd[k][2]) == pytest.approx(s[40, 2], abs=1e-5)
    assert float(cd[k][3]) == pytest.approx(0.5 + s[40, 2], abs=1e-4)
    # strongest increase (solid) and decrease (dotted) boxed
    rects = [sh for sh in spec["layout"]["shapes"] if sh["type"] == "rect"
             and (sh.get("line") or {}).get("color") == "black"]
    b, p = np.unravel_index(np.argmax(s.T), s.T.shape)
    solid = [r for r in rects if r["line"]["dash"] == "solid"][0]
    assert solid["x0"] == pytest.approx(p + 0.5) and solid["y0"] == pytest.approx(b - 0.5)
    # flanks shaded and the variable region labelled
    texts = " ".join(a["text"] for a in spec["layout"]["annotations"])
    assert "5' flank" in texts and "3' flank" in texts and "variable region (80 bp" in texts


def test_ism_heatmap_absolute_range():
    spec = _spec(figures.ism_heatmap(_scores(), SEQ, zmax=10.0))
    assert spec["data"][0]["zmin"] == -10.0 and spec["data"][0]["zmax"] == 10.0


def test_ism_difference_marks_changed_positions():
    alt = SEQ[:49] + ("A" if SEQ[49] != "A" else "C") + SEQ[50:]
    spec = _spec(figures.ism_difference_heatmap(_scores(0), _scores(1), SEQ, alt))
    np.testing.assert_allclose(spec["data"][0]["z"], (_scores(1) - _scores(0)).T, atol=1e-6)
    boxed = [sh for sh in spec["layout"]["shapes"]
             if sh["type"] == "rect" and sh["x0"] == pytest.approx(49.5)
             and sh["y1"] == pytest.approx(3.5)]
    assert boxed


# --------------------------------------------------------------------------- predict figures
def test_percentile():
    m = np.arange(100)
    assert figures.percentile(m, -1) == 0
    assert figures.percentile(m, 49) == 50
    assert figures.percentile(m, 1000) == 100


def test_expression_histogram_single_and_batch():
    rng = np.random.default_rng(0)
    measured = rng.normal(size=5000)
    spec = _spec(figures.expression_histogram(measured, 0.25, unit="u"))
    bars, marker = spec["data"]
    assert int(np.sum(bars["y"])) == 5000
    np.testing.assert_allclose(marker["x"], [0.25])
    assert float(marker["customdata"][0]) == pytest.approx(figures.percentile(measured, 0.25))
    assert "percentile" in spec["layout"]["annotations"][0]["text"]
    spec = _spec(figures.expression_histogram(measured, [0.1, -1, 2], labels=["a", "b", "c"]))
    assert list(spec["data"][1]["text"]) == ["a", "b", "c"]


def test_robustness_plot():
    eff = {"x": np.array([0.3, -0.2, 0.0]), "y": np.zeros(3)}
    spec = _spec(figures.robustness_plot(eff))
    assert [t["name"] for t in spec["data"]] == ["x", "y"]
    np.testing.assert_allclose(spec["data"][0]["y"], [-0.2, 0.0, 0.3])


# --------------------------------------------------------------------------- training figures
def test_training_curves_and_density_scatter():
    h = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.5], "val_loss": [1.2, 0.7],
                      "val_r2": [0.1, 0.3]})
    spec = _spec(training_figures.training_curves({"a": h, "b": h}, "loss", selected="a"))
    # one legend entry per run; its validation loss dashed in the same colour
    assert [t["name"] for t in spec["data"]] == ["a", "a: val_loss", "b", "b: val_loss"]
    assert [t.get("showlegend", True) for t in spec["data"]] == [True, False, True, False]
    assert spec["data"][1]["line"]["dash"] == "dash"
    assert spec["data"][0]["line"]["color"] == spec["data"][1]["line"]["color"]
    assert spec["data"][0]["line"]["color"] != spec["data"][2]["line"]["color"]
    rng = np.random.default_rng(1)
    y = rng.normal(size=500)
    yhat = y + rng.normal(scale=0.5, size=500)
    fig = training_figures.density_scatter(y, yhat)
    spec = _spec(fig)
    assert len(spec["data"][0]["x"]) == 500
    r = np.corrcoef(y, yhat)[0, 1]
    assert spec["layout"]["meta"]["r"] == pytest.approx(r)
    r2 = 1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2)
    assert spec["layout"]["meta"]["r2"] == pytest.approx(r2)
    assert f"r = {r:.3f}" in spec["layout"]["title"]["text"]


def test_motif_scan_plot_per_strand():
    spec = _spec(motif_figures.motif_scan_plot([18, 19, 18, 19], [0.1, -0.2, 0.0, 0.3],
                                         strand=["+", "+", "-", "-"], motif="REB1"))
    assert [t["name"] for t in spec["data"]] == ["REB1 (+ strand)", "REB1 (- strand)"]
    np.testing.assert_allclose(spec["data"][1]["y"], [0.0, 0.3])


def test_seqlet_position_plot_per_strand_centres():
    spec = _spec(motif_figures.seqlet_position_plot([20, 60, 61], ["+", "-", "-"], width=9,
                                              title="Where pos_0's seqlets lie"))
    assert [t["name"] for t in spec["data"]] == ["+ strand (1)", "- strand (2)"]
    np.testing.assert_allclose(spec["data"][1]["x"], [65, 66])  # 0-based start + 1 + 4
    assert spec["layout"]["barmode"] == "stack"
    assert "Where pos_0's seqlets lie" in spec["layout"]["title"]["text"]


# --------------------------------------------------------------------------- logos
def test_logos_are_matplotlib_and_export():
    fig = figures.attribution_logo(_scores(), title="t")
    assert len(fig.axes) == 1 and fig.axes[0].get_xlim() == (0.5, 110.5)
    png = export.mpl_bytes(fig, "png", dpi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)  # closed after use
    svg = export.mpl_bytes(figures.filter_logo(np.eye(4)[[0, 1, 2, 3, 0]], title="f"), "svg")
    assert b"<svg" in svg[:500] and b"<text" in svg  # text kept as text, editable
    assert figures.attribution_logo is plot.attribution_logo  # one logo, the package's


# --------------------------------------------------------------------------- exports
@pytest.mark.parametrize("make", [
    lambda: plot.ism_heatmap(_scores(), SEQ),
    lambda: plot.expression_histogram(np.random.default_rng(0).normal(size=300), 0.2,
                                      percentiles=[60.0]),
    lambda: plot.robustness_curve({"a": np.linspace(-1, 1, 330)}),
    lambda: plot.density_scatter(np.arange(50.0), np.arange(50.0) + 1),
    lambda: plot.training_curves({"a": pd.DataFrame({"epoch": [1, 2],
                                                     "val_r2": [0.1, 0.2]})}, "val_r2"),
    lambda: plot.motif_scan([18, 19], [0.1, -0.1]),
    lambda: plot.trajectory([0.1, 0.2], ["input", "30A>G"]),
])
def test_downloads_render_offline(make):
    n_before = len(plt.get_fignums())
    png = export.figure_bytes(make(), "png")
    svg = export.figure_bytes(make(), "svg")
    assert png[:4] == b"\x89PNG" and len(png) > 5000
    assert b"<svg" in svg[:500]
    assert len(plt.get_fignums()) == n_before  # every matplotlib figure closed


def test_figure_bytes_refuses_plotly_and_unknown_formats():
    with pytest.raises(ValueError, match="promoter_model.plot"):
        export.figure_bytes(figures.ism_heatmap(_scores(), SEQ), "png")
    with pytest.raises(ValueError, match="use png or svg"):
        export.figure_bytes(plot.trajectory([0.0], ["input"]), "pdf")


def test_html_report_is_self_contained():
    import plotly.graph_objects as go

    html = export.html_report(
        title="Report", sequence=SEQ, prediction="1.0 units",
        sections=[("heat", figures.ism_heatmap(_scores(), SEQ)),
                  ("logo", figures.attribution_logo(_scores())),
                  ("table", pd.DataFrame({"a": [1.5]})), ("more", go.Figure()),
                  ("note", "plain <text>")],
        model_card="# Card\nsome **bold** text <script>x</script>\n\n| a | b |\n| --- | --- |"
                   "\n| 1 | 2 |\n", run_name="r")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<img alt=\"logo\" src=\"data:image/png;base64,") == 1
    assert "plain &lt;text&gt;" in html
    # the model card is rendered Markdown (headings demoted under the report's own), not raw
    card = html[html.index("<h2>Model card</h2>"):]
    assert "<h3>Card</h3>" in card and "<strong>bold</strong>" in card
    assert "<table>" in card and "<td>1</td>" in card
    assert "# Card" not in card and "**" not in card and "| --- |" not in card
    assert "<script>x</script>" not in card and "&lt;script&gt;" in card
    # plotly.js inline exactly once, nothing fetched from the network
    assert len(html) > 1_000_000
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert SEQ in html


def test_report_draws_the_ism_logo_once_named_for_what_it_plots():
    class Run:
        model_card = "# c"
        name = "r"

    scores = _scores()
    top = logic.top_table(scores, SEQ, 0.5)
    traj = logic.trajectory_table([{"step": 0, "mutation": "input", "sequence": SEQ,
                                    "predicted": 0.5}])
    html = reports.sequence_report(Run(), SEQ, 0.5, scores, np.zeros((110, 4)), "ism", top, traj,
                        figures.robustness_plot({"a": np.zeros(330)}), "u", np.arange(10.0),
                        None)
    assert html.count(f"<h2>{logic.ISM_LOGO_TITLE}</h2>") == 1
    assert "<h2>Attribution logo" not in html  # the ISM method's logo is not drawn again
    assert "mean effect of mutating" not in html
    assert "expression lost when the base is mutated" in logic.ISM_LOGO_TITLE


def test_downloads_name_trajectory_steps_and_lift_titles_over_labels():
    mfig = plot.trajectory([0.1, 0.3, 0.2], ["input", "30A>G", "31C>T"], unit="u")
    ax = mfig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0: input", "1: 30A>G",
                                                            "2: 31C>T"]
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert ax.get_ylabel() == "predicted\n(u)"
    plt.close(mfig)
    mfig = plot.ism_heatmap(_scores(), SEQ, title="T")
    ax = mfig.axes[0]
    mfig.canvas.draw()
    renderer = mfig.canvas.get_renderer()
    title = ax.title.get_window_extent(renderer)
    labels = [t.get_window_extent(renderer) for t in ax.texts if "flank" in t.get_text()
              or "variable" in t.get_text()]
    assert labels and all(title.y0 >= b.y1 - 1 for b in labels)  # title above the labels
    plt.close(mfig)


def test_long_axis_titles_split_and_scatter_spans_the_data():
    unit = "MAUDE-normalised expression"
    for fig in (figures.robustness_plot({"a": np.zeros(330)}, unit=unit),
                figures.trajectory_plot([0, 1], ["input", "2A>C"], unit=unit),
                motif_figures.motif_scan_plot([20, 21], [0.1, -0.1], unit=unit)):
        title = _spec(fig)["layout"]["yaxis"]["title"]["text"]
        assert title.endswith(f"<br>({unit})")
    rng = np.random.default_rng(0)
    y = rng.uniform(-1.4, 1.7, 500)
    lay = _spec(training_figures.density_scatter(y, y * 0.9))["layout"]
    lo, hi = lay["xaxis"]["range"]
    assert -1.6 < lo < -1.4 and 1.7 < hi < 1.9 and lay["yaxis"]["range"] == [lo, hi]
    assert lay["xaxis"]["constrain"] == "domain"


def test_histogram_names_a_few_predictions():
    fig = figures.expression_histogram(np.linspace(-1, 1, 100), [0.1, 0.5, -0.3],
                                       labels=["a", "b", "c"])
    marks = _spec(fig)["data"][1]
    assert marks["mode"] == "markers+text" and list(marks["text"]) == ["a", "b", "c"]
    mfig = plot.expression_histogram(np.linspace(-1, 1, 100), [0.1, 0.5, -0.3],
                                     labels=["a", "b", "c"])
    assert {"a", "b", "c"} <= {t.get_text() for t in mfig.axes[0].texts}
    plt.close(mfig)
    many = figures.expression_histogram(np.linspace(-1, 1, 100), np.linspace(0, 1, 50))
    assert _spec(many)["data"][1]["mode"] == "markers"  # a rug, names on hover


def test_heatmap_hover_gives_the_mutant_percentile():
    spec = _spec(figures.ism_heatmap(_scores(), SEQ, reference=0.0,
                                     measured=np.linspace(-1, 1, 101)))
    grid = spec["data"][2]
    cd = np.asarray(grid["customdata"], dtype=object)
    mutant = cd[:, 3].astype(float)
    np.testing.assert_allclose(cd[:, 4].astype(float),
                               100 * np.searchsorted(np.linspace(-1, 1, 101), mutant,
                                                     side="right") / 101)
    assert "percentile %{customdata[4]:.0f}" in grid["hovertemplate"]


def test_heatmap_n_positions_unknown_and_not_clickable():
    seq = "N" * 5 + SEQ[5:]
    scores = _scores()
    scores[:5] = np.nan
    spec = _spec(figures.ism_heatmap(scores, seq))
    grid = spec["data"][2]
    assert min(grid["x"]) == 6 and len(grid["x"]) == 4 * 105
    assert spec["data"][3]["name"] == "unknown"
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert "1-17 (not the 5' flank)" in texts and "3' flank" in texts
    assert figures.region_labels(SEQ) == ("5' flank", "3' flank")
    state = {}
    logic.trajectory(state, seq, lambda s: 0.0)
    assert not logic.apply(state, 3, "A", current=seq, predict=lambda s: 0.0)
    ev = {"selection": {"points": [{"curve_number": 3, "x": 3, "y": "A"}]}}
    assert logic.selected_mutation(ev) is None


# --------------------------------------------------------------------------- page logic
def test_selected_mutation_from_event():
    ev = {"selection": {"points": [{"curve_number": 2, "point_index": 5, "x": 6, "y": "G"}]}}
    assert logic.selected_mutation(ev) == (6, "G")
    assert logic.selected_mutation({"selection": {"points": []}}) is None
    assert logic.selected_mutation(None) is None


def test_trajectory_apply_undo_reset():
    state = {}
    predict = lambda s: float(s.count("A"))  # noqa: E731
    steps = logic.trajectory(state, SEQ, predict)
    assert len(steps) == 1 and steps[0]["mutation"] == "input"
    base = "A" if SEQ[19] != "A" else "C"
    assert logic.apply(state, 20, base, current=SEQ, predict=predict)
    assert not logic.apply(state, 20, SEQ[19], current=SEQ, predict=predict)  # no change
    steps = state[logic._KEY]
    assert steps[-1]["mutation"] == f"20{SEQ[19]}>{base}" and steps[-1]["sequence"][19] == base
    table = logic.trajectory_table(steps)
    assert list(table["step"]) == [0, 1]
    assert table["change_vs_input"].iloc[1] == pytest.approx(predict(steps[1]["sequence"])
                                                             - predict(SEQ))
    logic.undo(state)
    assert len(state[logic._KEY]) == 1
    logic.apply(state, 20, base, current=SEQ, predict=predict)
    logic.reset(state)
    assert len(state[logic._KEY]) == 1
    # a new input starts a new trajectory
    other = "C" + SEQ[1:]
    assert logic.trajectory(state, other, predict)[0]["sequence"] == other
