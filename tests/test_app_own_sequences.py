"""The Tile and Variant list pages (issue 30) under ``streamlit.testing.v1.AppTest``, on a
calibrated ensemble of two linear toys as the demo run (fast; every number checked is the
package's own: ``interpret.tiling.tile``, ``interpret.variant_lists``).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.app_pages_fixture import by_title, charts, ok  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 120
NATIVE = "".join(np.random.default_rng(11).choice(list("ACGT"), 605))
YEAST = {"dream_public_leaderboard": {"pearson_r2_yeast": 0.61234, "n_yeast": 208}}


@pytest.fixture(scope="module")
def own_env(tmp_path_factory):
    """A calibrated two-member linear ensemble (pair-calibrated) whose metrics hold a native
    yeast score, as the demo run; a second one without that score in the runs folder.
    """
    from promoter_model.predictor import load_predictor
    from promoter_model.runs.ensemble import write_ensemble
    from tests.toy_models import linear_ensemble, toy_pair_calibration

    root = tmp_path_factory.mktemp("own_app")
    cal = toy_pair_calibration()
    ens, _ = linear_ensemble(root / "demo_ens", calibration=cal)
    members = [ens / "members" / f"fold-{k}" for k in range(2)]
    write_ensemble(ens, members, unit="toy units", metrics=YEAST, calibration=cal)
    linear_ensemble(root / "runs" / "no_yeast_score", seeds=(2, 3), calibration=cal)
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(ens)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield load_predictor(ens)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def downloads(monkeypatch):
    """The data of every download button drawn, by key (CSV bytes as given)."""
    import streamlit as st

    real, made = st.download_button, {}

    def keep(label, data=None, *args, **kwargs):
        made[kwargs.get("key", "")] = data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    return made


def _page(name: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"views/{name}.py")
    at.run()
    ok(at)
    return at


def _csv(made, key) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(made[key]))


def _genbank(name: str, seq: str) -> str:
    lines = [f"LOCUS       {name}  {len(seq)} bp    DNA     linear   PLN 01-JAN-2024",
             "FEATURES             Location/Qualifiers", "ORIGIN"]
    for i in range(0, len(seq), 60):
        blocks = " ".join(seq[j:j + 10].lower() for j in range(i, min(i + 60, len(seq)), 10))
        lines.append(f"{i + 1:>9} {blocks}")
    return "\r\n".join(lines + ["//"])


# --------------------------------------------------------------------------- tiling
def test_tiling_a_long_paste_profile_strongest_window_and_csv(own_env, downloads):
    from promoter_model.interpret.tiling import COLUMNS, strongest_window, tile

    at = _page("tiling")
    note = " ".join(w.value for w in at.warning)
    assert "outside the training data" in note and "random 80 bp inserts" in note
    assert "0.612" in note and "n=208" in note  # the run's own measured yeast score
    wrapped = "\n".join(NATIVE[i:i + 60] for i in range(0, len(NATIVE), 60))
    at.text_area(key="tile_text").input(wrapped).run()  # no header, wrapped at 60 bp
    ok(at)
    assert any("11 lines wrapped at 60 bp were read as one sequence of 605 bp" in i.value
               for i in at.info), [i.value for i in at.info]
    assert any("605 bp) was cut into 54 windows" in i.value and "plus one ending at its 3'"
               in i.value and "plasmid flanks" in i.value for i in at.info)
    expected = tile(own_env, NATIVE, ids=["sequence"], step=10)
    best = strongest_window(expected).iloc[0]
    fig = by_title(charts(at), "predicted expression along the promoter")
    line = [t for t in fig["data"] if t.get("name") == "prediction"][0]
    np.testing.assert_allclose(np.asarray(line["y"], float), expected["prediction"], atol=1e-4)
    np.testing.assert_allclose(np.asarray(line["x"], float), expected["start"] + 40)
    band = [t for t in fig["data"] if t.get("fill") == "toself"]
    assert len(band) == 1 and band[0]["name"] == "90% interval"
    star = [t for t in fig["data"] if str(t.get("name", "")).startswith("strongest window")]
    assert star and star[0]["name"] == f"strongest window ({best.start}-{best.end})"
    assert at.metric[0].value == f"{best.start}-{best.end}"
    assert at.selectbox(key="tile_pick").value == best.start
    csv = _csv(downloads, "tile_csv")
    assert list(csv.columns) == COLUMNS and len(csv) == 54
    assert csv["start"].iloc[0] == 0 and (csv["end"] - csv["start"] == 80).all()
    np.testing.assert_allclose(csv["upper"], expected["upper"], atol=1e-4)
    assert {"tile_plot_png", "tile_plot_svg"} <= set(downloads)
    png = downloads["tile_plot_png"]()  # the package's matplotlib figure
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_tiling_a_genbank_paste_and_a_step_change(own_env):
    at = _page("tiling")
    at.text_area(key="tile_text").input(_genbank("PROM1", NATIVE[:205])).run()
    ok(at)
    assert any("GenBank/SnapGene" in i.value for i in at.info)
    fig = by_title(charts(at), "PROM1: predicted")
    line = [t for t in fig["data"] if t.get("name") == "prediction"][0]
    assert len(line["x"]) == 14  # 0, 10, ..., 120 and the last window ending at the 3' end
    at.number_input(key="tile_step").set_value(50).run()
    ok(at)
    assert any("one every 50 bp" in i.value and "plus one ending at its 3' end" in i.value
               for i in at.info)
    fig = by_title(charts(at), "PROM1: predicted")
    line = [t for t in fig["data"] if t.get("name") == "prediction"][0]
    assert (np.asarray(line["x"], float) - 40).tolist() == [0, 50, 100, 125]
    assert at.selectbox(key="tile_pick").value in (0, 50, 100, 125)  # still a window


def test_tiling_opens_a_window_in_mutagenesis(own_env):
    from promoter_model.sequence import FLANK_3, FLANK_5

    at = _page("tiling")
    at.text_area(key="tile_text").input(NATIVE[:300]).run()
    at.selectbox(key="tile_pick").set_value(120).run()
    ok(at)
    at.button(key="tile_open").click().run()
    ok(at)
    assert at.session_state["mut_input"] == FLANK_5 + NATIVE[120:200] + FLANK_3
    assert at.title[0].value == "In-silico mutagenesis"
    assert at.text_area(key="mut_input").value == FLANK_5 + NATIVE[120:200] + FLANK_3


def test_tiling_refuses_short_and_garbage_sequences_in_one_line(own_env):
    at = _page("tiling")
    at.text_area(key="tile_text").input("ACGT" * 10).run()
    ok(at)
    assert len(at.error) == 1 and "40 bp, shorter than one 80 bp window" in at.error[0].value
    assert "Predict page" in at.error[0].value and "\n" not in at.error[0].value
    at.text_area(key="tile_text").input(">x\n" + NATIVE[:100] + "QQ" + NATIVE[100:200]).run()
    ok(at)
    assert any("'Q' at position 101 is not a DNA base" in e.value for e in at.error)
    assert not at.get("plotly_chart")


@pytest.mark.slow
def test_tiling_computes_the_yeast_score_when_the_metrics_lack_it(own_env):
    at = _page("tiling")
    at.sidebar.selectbox(key="run_label").set_value("no_yeast_score (ensemble of 2)").run()
    ok(at)
    assert any("no score on native yeast" in w.value for w in at.warning)
    at.button(key="tile_yeast_go").click().run()
    ok(at)
    note = " ".join(w.value for w in at.warning)
    assert "its measured Pearson r² is" in note and "computed here" in note


# --------------------------------------------------------------------------- variants
WT = "".join(np.random.default_rng(5).choice(list("ACGT"), 80))


def _edits(at, wt: str, lines: str, offset: int = 0) -> None:
    at.text_area(key="var_wt").input(wt)
    at.number_input(key="var_offset").set_value(offset)
    at.text_area(key="var_edits").input(lines).run()
    ok(at)


def test_variant_edits_in_the_users_coordinates(own_env, downloads):
    from promoter_model.interpret.variant_lists import WT_COLUMNS, wt_effects

    at = _page("variants")
    a, b = WT[9], WT[29]
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    # offset -81: base 1 is -80, base 10 is -71, base 30 is -51, base 21 is -60
    lines = f"{a}-71{other[a]}\nsite2,-51{b}>{other[b]};del-40--38\nins-60:GGGG"
    _edits(at, WT, lines, offset=-81)
    assert any("base 1 is position **-80**" in c.value for c in at.caption)
    seqs = [WT[:9] + other[a] + WT[10:],
            WT[:29] + other[b] + WT[30:40] + WT[43:],
            WT[:20] + "GGGG" + WT[20:]]
    expected = wt_effects(own_env, WT, seqs, ids=["v1", "site2", "v3"]).table
    csv = _csv(downloads, "var_csv")
    assert list(csv.columns) == WT_COLUMNS
    assert csv["id"].tolist() == ["v1", "site2", "v3"]
    assert csv["edits"].tolist() == [f"{a}-71{other[a]}", f"-51{b}>{other[b]};del-40--38",
                                     "ins-60:GGGG"]
    for col in ("prediction", "effect", "effect_lower", "effect_upper", "p_up"):
        np.testing.assert_allclose(csv[col], expected[col], atol=1e-4)
    assert ((csv["p_up"] >= 0) & (csv["p_up"] <= 1)).all()
    fig = by_title(charts(at), "Change from the wild type, ranked")
    assert "wild-type base 1 is position -80" in fig["layout"]["title"]["text"]
    dots = fig["data"][0]
    order = np.argsort(-expected["effect"].to_numpy(), kind="stable")
    labels = [f"v1 · {a}-71{other[a]}", f"site2 · -51{b}>{other[b]};del-40--38",
              "v3 · ins-60:GGGG"]
    assert list(dots["y"]) == [labels[i] for i in order]
    np.testing.assert_allclose(np.asarray(dots["marker"]["color"], float),
                               expected["p_up"].to_numpy()[order], atol=1e-6)
    assert downloads["var_plot_png"]()[:4] == b"\x89PNG"


def test_a_bad_edit_is_named_in_one_line(own_env):
    at = _page("variants")
    wrong = {"A": "C", "C": "G", "G": "T", "T": "A"}[WT[44]]
    _edits(at, WT, f"v1,{WT[0]}1{wrong if wrong != WT[0] else 'N'}\n{wrong}45G")
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "\n" not in msg and f"the wild type has {WT[44]} at 45, not {wrong}" in msg
    assert "line" in msg and not at.get("plotly_chart")
    _edits(at, WT, "Z45")
    assert len(at.error) == 1 and "cannot read the edit" in at.error[0].value


def test_variant_pairs_table(own_env, downloads):
    from promoter_model.interpret.variant_lists import PAIR_COLUMNS, pair_effects

    at = _page("variants")
    at.button_group(key="var_mode").set_value("Pairs table (ref, alt)").run()
    alt1 = WT[:20] + ("A" if WT[20] != "A" else "C") + WT[21:]
    alt2 = WT[:50] + WT[53:]
    at.text_area(key="var_pairs").input(f"id,ref,alt\nsnp,{WT},{alt1}\ndel,{WT},{alt2}\n").run()
    ok(at)
    expected = pair_effects(own_env, [WT, WT], [alt1, alt2], ids=["snp", "del"]).table
    csv = _csv(downloads, "var_csv")
    assert list(csv.columns) == PAIR_COLUMNS + ["p_up"] and csv["id"].tolist() == ["snp", "del"]
    for col in ("effect", "effect_lower", "effect_upper", "p_up"):
        np.testing.assert_allclose(csv[col], expected[col], atol=1e-4)
    fig = by_title(charts(at), "Change from the reference, ranked")
    assert sorted(fig["data"][0]["y"]) == ["del", "snp"]
    at.text_area(key="var_pairs").input("ref;alt\nACGT;ACGA\n").run()
    ok(at)
    assert len(at.error) == 1 and "'ref' and 'alt' columns" in at.error[0].value
