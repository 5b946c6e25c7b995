"""The Design page under ``streamlit.testing.v1.AppTest`` on the ``tiny_run`` fixture.

Press Design, read the ranked table and the charts the page sent (trajectories, alignment,
histogram), check the designs against the predictor and the constraints, and open a design
in Mutagenesis.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from app.export import plotly_spec  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")


@pytest.fixture(scope="module")
def design_env(tiny_run, tmp_path_factory):
    """Point the app at a copy of ``tiny_run`` as its demo run."""
    root = tmp_path_factory.mktemp("design_app")
    demo = root / "demo_model"
    shutil.copytree(tiny_run, demo)
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield demo
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _page() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.run()
    at.switch_page("views/design.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _ok(at):
    assert not at.exception, [e.message for e in at.exception]


def _specs(at) -> list:
    return [plotly_spec(el.proto.spec) for el in at.get("plotly_chart")]


def _titled(specs, text):
    found = [s for s in specs if text in ((s["layout"].get("title") or {}).get("text") or "")]
    assert found, [(s["layout"].get("title") or {}).get("text") for s in specs]
    return found[0]


def test_design_page_designs_toward_a_target(design_env):
    """Target objective: ranked table, trajectories, alignment and histogram agree."""
    from promoter_model.predictor import load_predictor
    from promoter_model.sequence import FLANK_3, FLANK_5, one_hot

    at = _page()
    assert any("interval of a design is unavailable" in i.value for i in at.info)
    at.slider(key="design_budget").set_value(2)
    at.slider(key="design_n").set_value(2)
    at.checkbox(key="design_golden").check()
    at.button(key="design_go").click().run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "mutations" in d.value.columns)
    assert table["id"].iloc[0] == "start" and 2 <= len(table) <= 3
    assert (table["n_mutations"] <= 2).all() and table["sd"].isna().all()
    mean, _ = load_predictor(design_env).predict(one_hot(table["sequence"].tolist()))
    np.testing.assert_allclose(table["prediction"], mean, rtol=1e-4, atol=1e-5)
    for s in table["sequence"]:
        assert s.startswith(FLANK_5) and s.endswith(FLANK_3)
        assert not any(site in s for site in ("GGTCTC", "GAGACC", "CGTCTC", "GAGACG"))
    specs = _specs(at)
    traj = _titled(specs, "Design trajectories")
    assert len(traj["data"]) == len(table) - 1
    np.testing.assert_allclose(traj["data"][0]["y"][-1], table["prediction"].iloc[1], rtol=1e-4)
    align = _titled(specs, "Designs against the start")
    z = np.asarray(align["data"][0]["z"], dtype=float)
    assert sorted(z.sum(axis=1).astype(int).tolist()) == sorted(table["n_mutations"].tolist())
    # the designs as a ranked dot plot over the measured distribution (issue 30)
    ranked = [s for s in specs if any(t.get("name") == "predicted" for t in s["data"])][0]
    dots = next(t for t in ranked["data"] if t.get("name") == "predicted")
    np.testing.assert_allclose(sorted(dots["x"]), sorted(table["prediction"]), rtol=1e-5)
    assert any("Designs reaching the target" in m.label for m in at.metric)


def test_open_design_in_mutagenesis(design_env):
    """Maximise, then open the best design in Mutagenesis: its sequence is the input there."""
    at = _page()
    at.radio(key="design_goal").set_value("Maximise")
    at.slider(key="design_budget").set_value(1)
    at.slider(key="design_n").set_value(1)
    at.button(key="design_go").click().run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "mutations" in d.value.columns)
    assert table["prediction"].iloc[1] > table["prediction"].iloc[0]
    at.button(key="design_open").click().run()
    _ok(at)
    assert at.text_area(key="mut_input").value == table["sequence"].iloc[1]


def test_bad_constraint_is_one_message(design_env):
    """A malformed forbidden site is an error message, not a traceback."""
    at = _page()
    at.text_input(key="design_forbid").input("GGXC").run()
    _ok(at)
    assert any("forbidden site" in e.value for e in at.error)
    at.text_input(key="design_forbid").input("").run()
    at.text_input(key="design_keep").input("100-120").run()
    at.button(key="design_go").click().run()
    _ok(at)
    assert any("positions to keep must lie within 1..110" in e.value for e in at.error)


def test_figures_and_report_render(design_env):
    """The downloads: PNG/SVG of each design figure and the offline HTML report."""
    from app import reports
    from app.export import figure_bytes
    from app.figures import design as design_figures
    from promoter_model import plot
    from promoter_model.design import Objective, design
    from promoter_model.design.constraints import Constraints
    from promoter_model.predictor import load_predictor
    from promoter_model.sequence import VARIABLE_END, VARIABLE_START

    pred = load_predictor(design_env)
    res = design(pred, None, objective=Objective("maximize"),
                 constraints=Constraints(max_mutations=2), n_designs=2)
    d = res.designs
    traj = design_figures.trajectory_figure(res.trajectories, target=1.0, highlight="design-1")
    align = design_figures.alignment_figure(res.start, d["sequence"].tolist(), d["id"].tolist(),
                                            region=(VARIABLE_START, VARIABLE_END))
    assert len(traj.data) == len(d)  # the interactive charts: one trace per design
    assert np.asarray(align.data[0].z).shape == (len(d) + 1, VARIABLE_END - VARIABLE_START)
    arrays = design_figures.trajectory_arrays(res.trajectories)
    assert list(arrays) == d["id"].tolist()
    for ident, (step, pred, _, _) in arrays.items():
        rows = res.trajectories[res.trajectories["id"] == ident]
        np.testing.assert_allclose(pred, rows["prediction"])
        assert list(step) == list(rows["step"])
    for make in (lambda: plot.design_trajectories(arrays, target=1.0, highlight="design-1"),
                 lambda: plot.alignment(res.start, d["sequence"].tolist(), d["id"].tolist(),
                                        region=(VARIABLE_START, VARIABLE_END))):
        assert figure_bytes(make(), "png")[:4] == b"\x89PNG"
        assert b"<svg" in figure_bytes(make(), "svg")[:2000]
    text = design_figures.alignment_text(res.start, d["sequence"].tolist(), d["id"].tolist(),
                                         region=(VARIABLE_START, VARIABLE_END)).splitlines()
    assert text[0].endswith(res.start[VARIABLE_START:VARIABLE_END])
    assert all(len(line.split()[-1]) == 80 for line in text)
    assert sum(c != "." for c in text[1].split()[-1]) == d["n_mutations"].iloc[0]
    html = reports.design_report("tiny", "# Card\n", res, [("Trajectories", traj)])
    assert html.startswith("<!DOCTYPE html>") and "What a design is and is not" in html
    assert d["sequence"].iloc[0] in html and "Held-out" not in html


def test_min_distance_fewer_designs_and_oligos_with_overhangs(design_env):
    """Designs a minimum distance apart (fewer than asked, and the page says why), then the
    order sheet with the user's overhangs; a bad overhang is one error line.
    """
    from promoter_model.sequence import VARIABLE_END, VARIABLE_START

    at = _page()
    at.radio(key="design_goal").set_value("Maximise")
    at.slider(key="design_budget").set_value(1)
    at.slider(key="design_n").set_value(4).run()
    assert at.number_input(key="design_min_distance").max == 2
    at.number_input(key="design_min_distance").set_value(2)
    at.text_input(key="design_keep").input("18-95")  # two mutable positions: 96 and 97
    at.button(key="design_go").click().run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "mutations" in d.value.columns)
    designs = table[table["id"] != "start"]
    assert 1 <= len(designs) <= 2
    seqs = designs["sequence"].tolist()
    assert all(sum(a != b for a, b in zip(x, y)) >= 2 for i, x in enumerate(seqs)
               for y in seqs[i + 1:])
    why = [i.value for i in at.info if "designs were asked for" in i.value]
    assert why and f"4 designs were asked for and {len(designs)} found" in why[0]
    assert "differ from one another at 2 positions" in why[0]
    assert not any("--min-distance" in i.value for i in at.info)  # the CLI's words
    # the order sheet: each insert between the overhangs
    at.text_input(key="design_overhang_5").input("ggtctca")
    at.text_input(key="design_overhang_3").input("TGAGACC").run()
    _ok(at)
    sheet = next(d.value for d in at.dataframe if "oligo" in d.value.columns)
    assert sheet["id"].tolist() == designs["id"].tolist()
    assert sheet["oligo"].tolist() == ["GGTCTCA" + s[VARIABLE_START:VARIABLE_END] + "TGAGACC"
                                       for s in seqs]
    assert (sheet["length"] == 7 + 80 + 7).all()
    assert {"design_oligos_csv", "design_oligos_fasta"} <= {b.key for b in
                                                            at.get("download_button")}
    at.radio(key="design_oligo_region").set_value("full").run()
    sheet = next(d.value for d in at.dataframe if "oligo" in d.value.columns)
    assert sheet["oligo"].tolist() == ["GGTCTCA" + s + "TGAGACC" for s in seqs]
    at.text_input(key="design_overhang_5").input("GGNC").run()
    _ok(at)
    assert any(e.value.startswith("the 5' overhang 'GGNC': 'N' at position 3")
               for e in at.error)
