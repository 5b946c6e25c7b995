"""The dashboard on a family-split ensemble (``tests/family_fixture.py``): how new each
prediction is, the flanks left out of the strongest mutations, confident sign disagreement,
the Training page's test-family scores and coverage, and the Design page's interval words.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from app.export import plotly_spec  # noqa: E402
from tests.family_fixture import build_family_ensemble, toy_sequences  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
NEW = "TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT"


@pytest.fixture(scope="module")
def family_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("family_app")
    ens = build_family_ensemble(root)
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(ens)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield {"ensemble": ens, "metrics": json.loads((ens / "metrics.json").read_text())}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _app(page=None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _df(at, column):
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_sidebar_summary_from_the_test_families(family_env):
    at = _app()
    r = family_env["metrics"]["test_families"]["pearson_r"]
    assert any(f"correlate at r = {r:.2f}" in c.value for c in at.sidebar.caption)


def test_predict_says_how_new_each_sequence_is(family_env):
    from promoter_model.predictor import load_predictor

    pred = load_predictor(family_env["ensemble"])  # once, not once per candidate
    trained = next(s for s in toy_sequences() if pred.nearest_training([s])[0][0] == 0)
    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(f">seen\n{trained}\n>new\n{NEW}\n").run()
    assert not at.exception
    df = _df(at, "novelty")
    assert df["novelty"].iloc[0] == "identical to a training sequence"
    assert df["novelty"].iloc[1].startswith("new to the model")
    assert df["nearest_training_distance"].iloc[0] == 0
    at.text_area(key="predict_text").input(NEW).run()
    assert any("How new this sequence is to the model: new to the model" in c.value
               for c in at.caption)


def test_predict_without_an_index_says_so(tiny_run, family_env):
    os.environ["PROMOTER_DEMO_RUN"] = str(tiny_run)
    try:
        at = _app()
        at.multiselect(key="predict_examples").set_value([])
        at.text_area(key="predict_text").input(NEW).run()
        assert any("has no index of its training sequences" in c.value for c in at.caption)
        assert "novelty" not in _df(at, "percentile")
    finally:
        os.environ["PROMOTER_DEMO_RUN"] = str(family_env["ensemble"])


def test_mutagenesis_novelty_flanks_and_marks(family_env):
    at = _app()
    at.switch_page("views/mutagenesis.py").run()
    at.text_area(key="mut_input").input(NEW).run()
    assert not at.exception
    assert any("How new this sequence is to the model: new to the model" in c.value
               for c in at.caption)
    up, down = _df(at, "change"), [d.value for d in at.dataframe if "change" in d.value][1]
    for table in (up, down):
        pos = table["mutation"].str.extract(r"^(\d+)")[0].astype(int)
        assert pos.between(18, 97).all() and "flank" not in table
    assert any("left out" in c.value for c in at.caption)
    at.toggle(key="mut_top_flanks").set_value(True).run()
    both = [d.value for d in at.dataframe if "flank" in d.value]
    assert both and set(np.concatenate([t["flank"] for t in both])) <= {"", "5' flank",
                                                                         "3' flank"}
    # the x marks: only cells larger than the members' noise, explained in the caption
    heat = [plotly_spec(c.proto.spec) for c in at.get("plotly_chart")
            if "every single mutation" in json.dumps(plotly_spec(c.proto.spec)["layout"])][0]
    assert any("larger than the members' noise" in c.value for c in at.caption)
    marks = [t for t in heat["data"] if t.get("name") == "members disagree"]
    assert len(marks) <= 1


def test_confident_disagreement_skips_near_zero_cells():
    from promoter_model.interpret.ism_summary import confident_disagreement, members_noise

    e = np.array([[[0.02, 1.0, 1.0, 0.3]], [[-0.02, 1.1, -0.5, 0.3]], [[0.0, 0.9, 1.0, 0.3]]])
    noise = members_noise(e)
    mask = confident_disagreement(e, noise=0.1)
    assert mask.tolist() == [[False, False, True, False]]  # near-zero cell 0 never marked
    assert noise == pytest.approx(np.median(e.std(axis=0)))


def test_training_test_families_members_coverage_and_scatter(family_env):
    at = _app("training")
    m = family_env["metrics"]
    members = _df(at, "Pearson score")
    assert members["model"].tolist() == ["ensemble (mean)", "fold-0", "fold-1", "fold-2"]
    assert members["Pearson score"].iloc[0] == pytest.approx(
        m["test_families"]["pearson_score"])
    assert any("Pearson score" in c.value and "weighted" in c.value for c in at.caption)
    cov = _df(at, "coverage")
    assert "designed sequences" in cov["subset"].tolist()
    assert _df(at, "rows")["n"].sum() == m["split"]["test_rows"]
    specs = [plotly_spec(c.proto.spec) for c in at.get("plotly_chart")]
    scatter = [s for s in specs if "r = " in ((s["layout"].get("title") or {}).get("text") or "")]
    assert len(scatter[0]["data"][0]["x"]) == m["split"]["test_rows"]
    assert any("test families" in (h.value or "") for h in at.subheader)


def test_design_quotes_the_designed_coverage(family_env):
    at = _app("design")
    at.button(key="design_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    cov = family_env["metrics"]["interval"]["designed"]["coverage"]
    assert any(f"measured value {cov:.0%} of the time" in w.value and "Fannjiang" in w.value
               for w in at.warning)


def test_design_screen_says_what_it_returned(family_env):
    at = _app("design")
    at.radio(key="design_goal").set_value("Maximise")
    at.slider(key="design_budget").set_value(1)
    at.slider(key="design_n").set_value(10).run()
    at.button(key="design_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [m.label for m in at.metric]
    assert "Seconds" not in labels and "Designs found" in labels
    table = _df(at, "score")
    assert "reached" not in table  # only a target is reached or not
    assert not table.astype(str).isin(["None"]).any().any()
    assert table["gain"].iloc[0] == "" and table["gain"].iloc[1].startswith(("+", "-"))
    found = len(table) - 1  # the start is the first row
    if found < 10:
        assert any(f"10 designs were asked for and {found} found" in i.value for i in at.info)
    assert any("score: what the search maximises" in c.value for c in at.caption)
    specs = [plotly_spec(c.proto.spec) for c in at.get("plotly_chart")]
    ranked = [s for s in specs if "ranked" in ((s["layout"].get("title") or {}).get("text")
                                               or "")]
    assert len(ranked[0]["data"][0]["y"]) == len(table)


def test_plain_words_for_the_demo_ensemble_card_and_sidebar():
    from app import describe

    m = json.loads((ROOT / "assets" / "demo_ensemble" / "metrics.json").read_text())
    words = describe.card_plain_words(m)
    r2 = m["dream_public_leaderboard"]["pearson_r2"]
    assert words.startswith("**In plain words.**") and f"r² = {r2:.2f}" in words
    assert f"{100 * m['interval']['all']['coverage']:.0f}%" in words
    assert "mondrian split-conformal" in words and "Bonferroni" in words
    # the sidebar summary exists for the default ensemble (no "test" section)
    assert "correlate at r = " in describe.plain_summary(m)


def test_predict_reads_a_genbank_paste_and_says_what_was_stripped(family_env):
    core = NEW[17:97]
    lines = [core[i:i + 60] for i in range(0, 80, 60)]
    gb = ("LOCUS       my_promoter  80 bp    DNA\nORIGIN\n"
          + "".join(f"{1 + 60 * k:>9} {' '.join(ln[j:j + 10] for j in range(0, len(ln), 10))}\n"
                    for k, ln in enumerate(lines)) + "//\n").replace("\n", "\r\n")
    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(gb).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("GenBank" in i.value for i in at.info), [i.value for i in at.info]
    assert len(at.metric) >= 1  # one sequence, predicted


def test_a_model_split_by_hash_is_flagged_and_a_family_split_is_not():
    from app import describe

    old = json.loads((ROOT / "assets" / "demo_ensemble" / "metrics.json").read_text())
    new = json.loads((ROOT / "assets" / "family_ensemble" / "metrics.json").read_text())
    assert "public-leaderboard rows" in describe.not_by_family(old)
    assert describe.not_by_family(new) is None
    mine = describe.not_by_family({"split": {"method": "hash"}})  # a user's own library
    assert "split by sequence hash" in mine and "may include" in mine
    assert describe.not_by_family({"split": {"method": "family"}}) is None
    assert describe.not_by_family({"test": {"pearson_r": 0.5}}) is None  # it does not say


def test_the_training_pages_subset_scores_are_the_models_own_not_the_footnotes():
    """A family ensemble's metrics.json quotes the older ensemble's leaky scores under
    ``previous``: the subset table and the weak spots read its test families.
    """
    from app import describe

    m = json.loads((ROOT / "assets" / "family_ensemble" / "metrics.json").read_text())
    assert "pearson_r2_all" in m["previous"]  # the footnote has the key the search looks for
    assert describe.dream_section(m) is m["test_families"]
    assert describe.dream_section({"previous": m["previous"]}) is None
    old = json.loads((ROOT / "assets" / "demo_ensemble" / "metrics.json").read_text())
    assert describe.dream_section(old) is old["dream_public_leaderboard"]
    from promoter_model.dream import weak_spots

    assert "low expression" in describe.plain_summary(m)
    assert weak_spots(m["test_families"]) in describe.plain_summary(m)
