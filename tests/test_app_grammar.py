"""The Grammar page under ``streamlit.testing.v1.AppTest``, on a calibrated ensemble of two
linear toys as the demo run (fast; the numbers checked are the package's own).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.app_pages_fixture import by_title, charts, ok  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 180


@pytest.fixture(scope="module")
def grammar_env(tmp_path_factory):
    from tests.toy_models import linear_ensemble, toy_calibration

    root = tmp_path_factory.mktemp("grammar_app")
    ens, _ = linear_ensemble(root / "demo_ens", calibration=toy_calibration())
    (root / "runs").mkdir()
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(ens)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield ens
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _page() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/grammar.py")
    at.run()
    ok(at)
    return at


def test_position_spacing_marginal_with_bands_and_downloads(grammar_env):
    from promoter_model.grammar import position_scan

    at = _page()
    assert at.number_input(key="gr_n").value == 20  # a small default
    assert any("computed" not in c.value and "sequences" in c.value for c in at.caption)
    at.number_input(key="gr_n").set_value(4).run()
    at.button(key="gr_pos_go").click().run()
    ok(at)
    fig = by_title(charts(at), "effect by position and strand")
    lines = [t for t in fig["data"] if t.get("mode") == "lines+markers"]
    bands = [t for t in fig["data"] if t.get("fill") == "toself"]
    assert [t["name"] for t in lines] == ["+ strand", "- strand"] and len(bands) == 2
    expected = position_scan(grammar_env, "MA0363.3", n_backgrounds=4, seed=0)
    plus = expected[expected["strand"] == "+"]["effect"].to_numpy()
    np.testing.assert_allclose(np.asarray(lines[0]["y"], dtype=float), plus, atol=1e-5)
    assert any("over 4 backgrounds" in c.value and "computed in" in c.value
               for c in at.caption)
    keys = {b.key for b in at.get("download_button")}
    assert {"gr_pos_csv", "gr_pos_plot_png", "gr_pos_plot_svg"} <= keys

    at.number_input(key="gr_space_max").set_value(3).run()
    at.button(key="gr_space_go").click().run()
    ok(at)
    fig = by_title(charts(at), "interaction by spacing")
    names = [t["name"] for t in fig["data"] if t.get("mode") == "lines+markers"]
    assert sorted(names) == ["++", "+-", "-+", "--"]
    assert np.asarray(fig["data"][1]["x"], dtype=float).max() == 3

    at.button(key="gr_marg_go").click().run()
    ok(at)
    hist = by_title(charts(at), "Marginal effect over backgrounds")
    assert len(hist["data"]) == 2 and all(len(t["x"]) == 4 for t in hist["data"])
    assert "gr_marg_csv" in {b.key for b in at.get("download_button")}


def test_typed_site_and_bad_site(grammar_env):
    at = _page()
    at.number_input(key="gr_n").set_value(2).run()
    at.selectbox(key="gr_motif_a").set_value("Type a site (IUPAC)…").run()
    at.text_input(key="gr_motif_a_text").set_value("TATAWA").run()
    at.button(key="gr_pos_go").click().run()
    ok(at)
    by_title(charts(at), "TATAWA: effect by position")
    at.text_input(key="gr_motif_a_text").set_value("XQZ").run()
    at.button(key="gr_pos_go").click().run()
    ok(at)
    assert any("XQZ" in e.value for e in at.error)


@pytest.mark.slow
def test_measured_pairs_say_which_were_never_trained_on(grammar_env):
    at = _page()
    assert any("the public-leaderboard rows" in i.value and "620 pairs" in i.value
               and "no family split" in i.value for i in at.info)
    assert "5,560 pairs" in at.checkbox(key="gr_meas_pool").label
    at.button(key="gr_meas_go").click().run()
    ok(at)
    fig = by_title(charts(at), "Designed pairs")
    names = [t["name"] for t in fig["data"]]
    assert names == ["in the training pool (0)", "never trained on (620)"]
    agree = [d.value for d in at.dataframe if "coverage" in d.value.columns][0]
    assert set(agree["pairs"]) == {"never trained on"}
    at.checkbox(key="gr_meas_pool").check().run()
    at.button(key="gr_meas_go").click().run()
    ok(at)
    names = [t["name"] for t in by_title(charts(at), "Designed pairs")["data"]]
    assert names == ["in the training pool (5560)", "never trained on (620)"]
    agree = [d.value for d in at.dataframe if "coverage" in d.value.columns][0]
    assert set(agree["pairs"]) == {"never trained on", "all"}
    assert {"gr_meas_csv", "gr_pairs_csv", "gr_meas_plot_png"} <= {
        b.key for b in at.get("download_button")}


def test_static_downloads_render():
    """The PNG/SVG downloads: the matplotlib figures of promoter_model.plot.grammar."""
    from app import export
    from promoter_model import plot

    pos, strand = np.tile(np.arange(5), 2), np.repeat(["+", "-"], 5)
    y = np.linspace(-1, 1, 10)
    figs = [plot.position_profile(pos, strand, y, np.full(10, 0.1), motif="REB1"),
            plot.spacing_curve(pos, np.repeat(["++", "+-"], 5), y, None, pair="A + B"),
            plot.effect_distribution({"REB1": y, "TATA": -y}),
            plot.measured_pairs(y, y[::-1], np.arange(10) % 2 == 0)]
    for k, fig in enumerate(figs):
        data = export.figure_bytes(fig, "svg" if k % 2 else "png")
        assert data[:4] == b"\x89PNG" or b"<svg" in data[:400]


def test_a_family_split_ensemble_holds_out_its_own_test_families(tmp_path, monkeypatch):
    """With a family-split ensemble open, "never trained on" means its test families (read
    from its split), and the counts on the page are computed from that split.
    """
    from promoter_model.families.dream import held_out_rows
    from promoter_model.grammar import load_pairs
    from tests.family_fixture import build_family_ensemble

    ens = build_family_ensemble(tmp_path)
    monkeypatch.setenv("PROMOTER_DEMO_RUN", str(ens))
    pos, _ = held_out_rows(ens)
    pairs = load_pairs()
    held = int((pairs["alt_pos"].isin(pos) & pairs["ref_pos"].isin(pos)).sum())
    at = _page()
    info = " ".join(i.value for i in at.info)
    assert "test-family rows" in info and f"{held:,} pairs" in info
    assert "public-leaderboard" not in info
    assert f"{len(pairs) - held:,} pairs" in at.checkbox(key="gr_meas_pool").label
