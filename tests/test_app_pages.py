"""Every dashboard page under ``streamlit.testing.v1.AppTest``, on the ``tiny_run`` fixture.

Each test sets inputs, checks that no exception was raised and reads the plotly spec that
the page sent (``element.proto.spec``) to check that the charts hold the right data.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from app.export import plotly_spec  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 120
GOOD = ("TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT")


@pytest.fixture(scope="module")
def app_env(tiny_run, tmp_path_factory):
    """A runs folder with a copy of ``tiny_run`` as the demo and a second run to overlay."""
    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.runs import load_run, write_checksums
    from promoter_model.sequence import one_hot
    from tests.conftest import random_promoters
    from tests.discovered_fixture import write_discovered

    root = tmp_path_factory.mktemp("app_runs")
    demo = root / "demo_model"
    shutil.copytree(tiny_run, demo)
    other = root / "runs" / "other_run"
    shutil.copytree(tiny_run, other)
    h = pd.read_csv(other / "history.csv")
    h["val_r2"] = [0.05, 0.15]
    h.to_csv(other / "history.csv", index=False)
    write_checksums(other)
    (root / "runs" / "broken_run").mkdir()
    # the motif cache, small and fast (the page's own button uses 2,000 sequences)
    X = one_hot(random_promoters(64, seed=3))
    compute_motifs(demo, X, np.linspace(-1, 1, 64, dtype=np.float32),
                   model=load_run(demo).model, n_null=10)
    write_discovered(demo)  # a REB1-like pattern (q < 0.05) and one without a match
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield {"demo": demo, "other": other}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


def _ok(at):
    assert not at.exception, [e.message for e in at.exception]


def _charts(at) -> list:
    return [plotly_spec(el.proto.spec) for el in at.get("plotly_chart")]


def _df(at, column, nth=0) -> pd.DataFrame:
    """The ``nth`` dataframe shown whose table has ``column``."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) > nth, [list(d.value.columns) for d in at.dataframe]
    return found[nth]


def _apply_mutation(at, pos: int, sequence: str = GOOD) -> str:
    """Apply a substitution at 1-based ``pos`` through the Mutagenesis keyboard form."""
    base = "A" if sequence[pos - 1] != "A" else "C"
    at.selectbox(key="mut_form_pos").set_value(pos)
    at.selectbox(key="mut_form_base").set_value(base)
    at.button(key="FormSubmitter:mut_form-Apply").click().run()
    return base


def _by_title(specs, text):
    found = [s for s in specs if text in ((s["layout"].get("title") or {}).get("text") or "")]
    assert found, [(s["layout"].get("title") or {}).get("text") for s in specs]
    return found[0]


# --------------------------------------------------------------------------- sidebar
def test_sidebar_offers_only_valid_runs(app_env):
    at = _app()
    _ok(at)
    run_box = at.sidebar.selectbox(key="run_label")
    assert run_box.options == ["demo: demo_model", "other_run"]
    assert any("broken_run" in c.value for c in at.sidebar.caption)
    assert any("parameters" in m.value for m in at.sidebar.markdown)
    # the scores in plain words, saying what data they were computed on
    assert any("correlate at r = 0.45" in c.value and "explain 20% of the variation" in c.value
               and "Test data: synthetic" in c.value for c in at.sidebar.caption)
    # the model card has its own page, linked from the sidebar (not an expander there)
    assert not any("Model card" in e.label for e in at.sidebar.expander)
    at.switch_page("views/model_card.py").run()
    _ok(at)
    card = (app_env["demo"] / "MODEL_CARD.md")
    if card.exists():
        assert any(card.read_text()[:40].lstrip("# ")[:20] in m.value for m in at.markdown)
    else:
        assert at.title[0].value.startswith("Model card")


def test_missing_demo_run_does_not_crash(app_env, tmp_path):
    os.environ["PROMOTER_DEMO_RUN"] = str(tmp_path / "nope")
    os.environ["PROMOTER_RUNS_DIR"] = str(tmp_path / "empty")
    try:
        at = _app()
        _ok(at)
        assert any("demo run was not found" in w.value for w in at.sidebar.warning)
        assert any("No model is selected" in i.value for i in at.info)
        assert at.sidebar.text_input[0].value == str(tmp_path / "empty")
    finally:
        os.environ["PROMOTER_DEMO_RUN"] = str(app_env["demo"])
        os.environ["PROMOTER_RUNS_DIR"] = str(app_env["demo"].parent / "runs")


def test_sidebar_lists_ensembles_and_predicts_with_them(app_env, tmp_path):
    from promoter_model.runs.ensemble import write_ensemble

    ens = tmp_path / "runs" / "two_tiny"
    for k in range(2):
        shutil.copytree(app_env["demo"], ens / "members" / f"fold-{k}")
    write_ensemble(ens, ["members/fold-0", "members/fold-1"], unit="toy units")
    os.environ["PROMOTER_RUNS_DIR"] = str(tmp_path / "runs")
    try:
        at = _app()
        _ok(at)
        box = at.sidebar.selectbox(key="run_label")
        assert box.options == ["demo: demo_model", "two_tiny (ensemble of 2)"]
        box.select("two_tiny (ensemble of 2)").run()
        _ok(at)
        assert any("ensemble of 2 members" in m.value for m in at.sidebar.markdown)
        assert any("Output: toy units" in c.value for c in at.sidebar.caption)
        at.switch_page("views/predict.py").run()
        _ok(at)
        at.switch_page("views/training.py").run()
        _ok(at)
        curves = _by_title(_charts(at), "Validation R² per epoch")
        names = {t["name"] for t in curves["data"]}
        assert names == {"two_tiny/fold-0: val_r2", "two_tiny/fold-1: val_r2"}
        assert set(_df(at, "run")["run"]) == {"two_tiny/fold-0", "two_tiny/fold-1"}
        # first-layer filters belong to one model: the first member's, and the page says so
        at.switch_page("views/motifs.py").run()
        _ok(at)
        assert any("filters of member fold-0 (of 2)" in c.value for c in at.caption)
        assert len(at.get("image")) >= 8  # fold-0's cached filter logos (copied with it)
    finally:
        os.environ["PROMOTER_RUNS_DIR"] = str(app_env["demo"].parent / "runs")


# --------------------------------------------------------------------------- Predict
def test_predict_examples_histogram_table_robustness(app_env):
    at = _app()
    _ok(at)
    df = _df(at, "percentile")
    assert len(df) == 3 and df["predicted"].notna().all()
    specs = _charts(at)
    ranked = _by_title(specs, "Predictions ranked")  # several sequences: a ranked dot plot
    order = np.argsort(-df["predicted"].to_numpy(), kind="stable")
    np.testing.assert_allclose(ranked["data"][0]["x"], df["predicted"].to_numpy()[order],
                               rtol=1e-5)
    assert list(ranked["data"][0]["y"]) == df["id"].to_numpy()[order].tolist()
    bands = ranked["layout"]["meta"]["bands"]
    from app.cache import data as data_cache

    measured = data_cache.test_measured()
    assert bands["0.5"] == pytest.approx(float(np.median(measured["expression"])))
    rob = _by_title(specs, "Mutational robustness")
    assert len(rob["data"]) == 3
    assert all(len(t["y"]) == 330 and np.all(np.diff(t["y"]) >= 0) for t in rob["data"])
    # the public-leaderboard split as reference
    at.radio(key="predict_reference").set_value("public-leaderboard test split").run()
    _ok(at)
    bands = _by_title(_charts(at), "Predictions ranked")["layout"]["meta"]["bands"]
    public = measured.loc[measured["public_leaderboard"] == 1, "expression"]
    assert bands["0.5"] == pytest.approx(float(np.median(public)))
    # one sequence: its place on the measured histogram
    box = at.multiselect(key="predict_examples")
    box.set_value(box.options[:1]).run()
    hist = _by_title(_charts(at), "measured test expression")
    assert int(np.sum(hist["data"][0]["y"])) == 9_045


def test_predict_invalid_records_shown_inline_valid_ones_predicted(app_env):
    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    text = f">good\n{GOOD}\n>bad\nACGTXACGT\n>short\n{GOOD[10:]}\n"
    at.text_area(key="predict_text").input(text).run()
    _ok(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "bad" in errors[0] and "position 5" in errors[0] \
        and "'X'" in errors[0]
    marks = [m.value for m in at.markdown if "<mark" in m.value]
    assert marks and ">X</mark>" in marks[0]
    df = _df(at, "percentile")
    assert df["id"].tolist() == ["good", "short"]
    assert any("padded with 10 N on the 5' side" in i.value for i in at.info)
    assert len(at.metric) == 0  # two sequences: a table, not a single metric


def test_predict_single_sequence_metric_and_upload_limit(app_env):
    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(GOOD).run()
    _ok(at)
    assert [m.label for m in at.metric][:2] == ["Predicted (model output (training units))",
                                                "Percentile among measured test sequences"]
    os.environ["PROMOTER_MAX_RECORDS"] = "2"
    try:
        at.text_area(key="predict_text").input("\n".join([GOOD] * 3)).run()
        _ok(at)
        assert any("only the first 2" in w.value for w in at.warning)
        assert len(_df(at, "percentile")) == 2
    finally:
        os.environ.pop("PROMOTER_MAX_RECORDS")


def test_predict_bare_variable_region_placed_between_flanks(app_env):
    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(f">flanked\n{GOOD}\n>bare\n{GOOD[17:97]}\n").run()
    _ok(at)
    df = _df(at, "percentile")
    assert df["predicted"].iloc[0] == pytest.approx(df["predicted"].iloc[1], abs=1e-6)
    assert df["fit"].tolist() == ["", "flanks added"]
    assert f">bare\n{GOOD}" in at.code[0].value  # the sequences as predicted
    notes = " ".join(i.value for i in at.info)
    assert "1 of 2 sequences were fitted to 110 bp" in notes
    assert "**bare** (80 bp): read as the variable region" in notes


def test_units_explained_once_with_numbers_from_the_data(app_env):
    from promoter_model.dream import expression_scale

    s = expression_scale()
    for page in (None, "mutagenesis"):
        at = _app(page)
        _ok(at)
        boxes = [e for e in at.expander if e.label == "What do these expression values mean?"]
        assert len(boxes) == 1
        text = " ".join(m.value for m in boxes[0].markdown)
        assert f"**{s['min']:.2f} to {s['max']:.2f}**" in text
        assert f"standard deviation of **{s['yeast_sd']:.2f}**" in text
        assert "a difference of 0.1 is" in text and "a difference of 0.5 is" in text
        assert "percentile" in text


def test_predict_own_sequences_replace_the_default_examples(app_env):
    at = _app()
    defaults = at.multiselect(key="predict_examples").value
    assert len(defaults) == 3 and len(_df(at, "percentile")) == 3
    at.text_area(key="predict_text").input(f">mine\n{GOOD}\n").run()
    _ok(at)
    assert _df(at, "percentile")["id"].tolist() == ["mine"]
    assert any("default test-set examples are left out" in c.value for c in at.caption)
    # an example the user picks is added to their own sequences
    at.multiselect(key="predict_examples").set_value(defaults[:1]).run()
    _ok(at)
    ids = _df(at, "percentile")["id"].tolist()
    assert ids[0] == "mine" and len(ids) == 2
    cols = [c for c in _df(at, "percentile").columns]
    assert "sequence" not in cols and "fit" in cols  # the table fits; sequences below


def test_predict_empty_and_garbage_input(app_env):
    at = _app()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input("id,seq\n").run()
    _ok(at)
    at.text_area(key="predict_text").input("sequence\nNOT DNA!\n").run()
    _ok(at)
    assert at.error and "position" in at.error[0].value


# --------------------------------------------------------------------------- Mutagenesis
def test_mutagenesis_heatmap_logo_tables_and_trajectory(app_env):
    from promoter_model.model.predict import predict_sequences
    from promoter_model.runs import load_run

    at = _app("mutagenesis")
    at.text_area(key="mut_input").input(GOOD).run()
    _ok(at)
    specs = _charts(at)
    heat = _by_title(specs, "Predicted effect of every single mutation")
    z = np.asarray(heat["data"][0]["z"])
    assert z.shape == (4, 110) and heat["data"][0]["zmid"] == 0
    ref = np.array(["ACGT".index(b) for b in GOOD])
    assert np.all(z[ref, np.arange(110)] == 0)
    assert list(heat["data"][1]["y"]) == list(GOOD)
    assert len(at.get("image")) >= 1  # the attribution logo
    top = _df(at, "change")
    assert (top["change"] > 0).all()
    up = top.iloc[0]  # flank mutations are left out by default: the variable region's best
    assert np.isclose(up["change"], z[:, 17:97].max(), atol=1e-6)
    assert top["mutation"].str.extract(r"^(\d+)")[0].astype(int).between(18, 97).all()
    assert len(_df(at, "path")) == 1

    # keyboard path: apply 30 -> base, re-predicted, appended to the trajectory
    base = _apply_mutation(at, 30)
    _ok(at)
    traj = _df(at, "path")
    assert traj["mutation"].tolist() == ["input", f"30{GOOD[29]}>{base}"]
    mutant = GOOD[:29] + base + GOOD[30:]
    model = load_run(app_env["demo"]).model
    assert traj["predicted"].iloc[1] == pytest.approx(
        float(predict_sequences(model, [mutant])[0]), abs=1e-5)
    assert np.isclose(traj["predicted"].iloc[1] - traj["predicted"].iloc[0],
                      z["ACGT".index(base), 29], atol=1e-5)
    heat = _by_title(_charts(at), "step 1")
    assert list(heat["data"][1]["y"])[29] == base
    assert _by_title(_charts(at), "Mutation trajectory")

    # absolute colour range and another attribution method
    at.radio(key="mut_scale").set_value("absolute").run()
    _ok(at)
    at.selectbox(key="mut_method").set_value("gradient_x_input").run()
    _ok(at)
    heat = _by_title(_charts(at), "step 1")
    assert heat["data"][0]["zmax"] == pytest.approx(at.number_input(key="mut_zmax").value)

    at.button[[b.label for b in at.button].index("Undo last step")].click().run()
    _ok(at)
    assert len(_df(at, "path")) == 1


def test_mutagenesis_n_positions_unknown_not_offered(app_env):
    at = _app("mutagenesis")
    at.text_area(key="mut_input").input(GOOD[10:]).run()  # 100 bp: 10 N on the 5' side
    _ok(at)
    assert any("padded with 10 N" in i.value for i in at.info)
    heat = _by_title(_charts(at), "Predicted effect of every single mutation")
    z = np.asarray(heat["data"][0]["z"], dtype=float)
    assert np.isnan(z[:, :10]).all() and np.isfinite(z[:, 10:]).all()
    grid = heat["data"][2]
    assert min(grid["x"]) == 11 and len(grid["x"]) == 400  # no clickable N cells
    assert heat["data"][3]["name"] == "unknown" and "N (unknown base)" in \
        heat["data"][3]["hovertemplate"]
    labels = [a["text"] for a in heat["layout"]["annotations"]]
    assert "1-17 (not the 5' flank)" in labels and "3' flank" in labels
    assert at.selectbox(key="mut_form_pos").options[0].startswith("11 (")
    at.toggle(key="mut_top_flanks").set_value(True).run()  # flank mutations listed too
    for table in [d.value for d in at.dataframe if "flank" in d.value.columns]:
        assert not table["mutation"].str.contains("N>").any()
    # the bare 80 bp variable region is the flanked sequence: the full flank labels
    at.text_area(key="mut_input").input(GOOD[17:97]).run()
    _ok(at)
    assert any("read as the variable region" in i.value for i in at.info)
    heat = _by_title(_charts(at), "Predicted effect of every single mutation")
    assert "5' flank" in [a["text"] for a in heat["layout"]["annotations"]]
    assert np.isfinite(np.asarray(heat["data"][0]["z"], dtype=float)).all()


def test_mutagenesis_compare_mode(app_env):
    at = _app("mutagenesis")
    at.button_group(key="mut_mode").set_value("Compare two sequences").run()
    _ok(at)
    alt = GOOD[:49] + ("A" if GOOD[49] != "A" else "C") + GOOD[50:]
    at.text_area(key="cmp_ref").input(GOOD)
    at.text_area(key="cmp_alt").input(alt).run()
    _ok(at)
    labels = [m.label for m in at.metric]
    assert labels[2] == "Difference (variant − reference)"
    specs = _charts(at)
    ref, var = _by_title(specs, "Reference"), _by_title(specs, "Variant")
    diff = _by_title(specs, "Difference of ISM maps")
    np.testing.assert_allclose(np.asarray(diff["data"][0]["z"]),
                               np.asarray(var["data"][0]["z"]) - np.asarray(ref["data"][0]["z"]),
                               atol=1e-6)
    assert any("50" in c.value for c in at.caption)


# --------------------------------------------------------------------------- Motifs
def test_motifs_filters_and_scan(app_env):
    at = _app("motifs")
    _ok(at)
    images = len(at.get("image"))
    assert images >= 8  # filter logos (+ their best JASPAR logos)
    # every logo has its PNG and SVG download
    downloads = [b for b in at.get("download_button")
                 if b.label in ("PNG", "SVG") and ("logo" in b.key or "jaspar" in b.key)]
    assert len(downloads) == 2 * images, (len(downloads), images)
    matches = _df(at, "filter")  # all filters and their nearest motifs
    assert {"name", "id", "score", "q_value", "significant"} <= set(matches.columns)
    # a filter is named beside its logo only for a significant match; else it says so
    best = matches[matches["rank"] == 1].set_index("filter")
    shown = [int(m.value.strip("*").split()[1]) for m in at.markdown
             if m.value.startswith("**Filter ")]
    unmatched = sum(best.loc[f, "q_value"] >= 0.05 for f in shown)
    assert unmatched == sum("no significant match (best JASPAR q =" in c.value
                            for c in at.caption)
    assert len(shown) - unmatched == len([k for k in at.get("download_button")
                                          if k.key.startswith("motifs_jaspar_")]) / 2
    at.toggle(key="motifs_raw").set_value(True).run()
    _ok(at)
    scan = _by_title(_charts(at), "Scan of")
    assert [t["name"].split(" (")[1] for t in scan["data"]] == ["+ strand)", "- strand)"]
    xs = np.asarray(scan["data"][0]["x"])
    assert xs.min() == 18 and xs.max() <= 97
    at.checkbox(key="scan_both").uncheck().run()
    _ok(at)
    assert len(_by_title(_charts(at), "Scan of")["data"]) == 1


def test_motifs_discovered_patterns_with_q_values_exports_and_scan(app_env):
    from promoter_model.motifs.store import read_discovered
    from tests.discovered_fixture import NEG_BEST, REB1_Q

    at = _app("motifs")
    _ok(at)
    assert any(s.value == "Motifs the model uses (discovered)" for s in at.subheader)
    text = [m.value for m in at.markdown]
    assert f"**pos_0**: matches **REB1** (MA0363.3), q = {REB1_Q:.2g}" in text
    assert "**neg_0**: no significant match (q ≥ 0.05 for every JASPAR motif)" in text
    # the insignificant nearest motif is never written beside a logo, only in the table
    assert not any(NEG_BEST in t for t in text + [c.value for c in at.caption])
    table = _df(at, "match_name", nth=1)  # pos_0's significant matches, then all matches
    assert table[table["pattern"] == "neg_0"]["match_name"].tolist() == [NEG_BEST]
    assert table[table["pattern"] == "neg_0"]["significant"].tolist() == [False]
    sig = _df(at, "match_name")
    assert sig["match_name"].tolist() == ["REB1"] and sig["q_value"].tolist() == [REB1_Q]
    assert any("activator; 120 seqlets" in c.value and "+0.420 ± 0.140" in c.value
               for c in at.caption)
    # where the seqlets lie: every seqlet counted once, split by strand
    doc = read_discovered(app_env["demo"])
    pos = _by_title(_charts(at), "Where pos_0's seqlets lie")
    assert sum(len(t["x"]) for t in pos["data"]) == doc["patterns"][0]["n_seqlets"]
    assert [t["name"].split(" (")[0] for t in pos["data"]] == ["+ strand", "- strand"]
    keys = {b.key: b for b in at.get("download_button")}
    for k in ("disc_all_csv", "disc_all_meme", "disc_pos_0_csv", "disc_neg_0_meme",
              "disc_logo_pos_0_svg", "disc_pos_pos_0_png"):
        assert k in keys, sorted(keys)
    # the motif scan offers the discovered patterns and scans with their consensus
    box = at.selectbox(key="scan_motif")
    assert box.options[0].startswith("pos_0: REB1 (discovered, ")
    assert box.options[1].startswith("neg_0: pattern neg_0 (discovered, ")
    box.set_value("discovered:pos_0").run()
    _ok(at)
    scan = _by_title(_charts(at), "Scan of pos_0")
    assert len(scan["data"]) == 2


def test_motifs_without_discovered_says_how_and_filters_name_significant_only(app_env):
    import json as _json

    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.runs import load_run
    from promoter_model.sequence import one_hot
    from tests.conftest import random_promoters

    other = app_env["other"]
    compute_motifs(other, one_hot(random_promoters(32, seed=4)), model=load_run(other).model,
                   n_null=10, influence=False)
    path = other / "motifs" / "matches.json"
    rows = _json.loads(path.read_text())
    for r in rows:  # nothing significant but filter 0's best match
        r["q_value"] = max(r["q_value"], 0.5)
    rows[0].update(id="MA0363.3", name="REB1", q_value=0.001, p_value=1e-5)  # filter 0, rank 1
    path.write_text(_json.dumps(rows))
    at = _app()
    at.sidebar.selectbox(key="run_label").set_value("other_run").run()
    at.switch_page("views/motifs.py").run()
    _ok(at)
    assert any(s.value == "Motifs the model uses (discovered)" for s in at.subheader)
    assert any("has no discovered motifs yet" in i.value for i in at.info)
    assert any("promoter-model discover" in c.value and str(other) in c.value
               for c in at.code)
    assert any(c.value.startswith("1 of 8 filters match a JASPAR CORE fungi motif at q < 0.05")
               for c in at.caption)
    # filter 0's significant REB1 is drawn (with its q-value); the others say they have none
    assert "motifs_jaspar_0_png" in {b.key for b in at.get("download_button")}
    cards = [d.value for d in at.dataframe if list(d.value.columns) == ["name", "id", "score",
                                                                         "q_value"]]
    assert cards[0]["name"].tolist() == ["REB1"] and cards[0]["q_value"].tolist() == [0.001]
    assert sum(c.value.startswith("no significant match") for c in at.caption) == 7
    # a malformed discovered.json is one error line on the page, never a traceback
    (other / "motifs" / "discovered.json").write_text('{"format": "promoter-discovered-motifs"}')
    at.run()
    _ok(at)
    assert any("discovered motifs cannot be read" in e.value and "version None" in e.value
               for e in at.error)


# --------------------------------------------------------------------------- Training
def test_training_curves_metrics_and_test_scatter(app_env):
    at = _app("training")
    _ok(at)
    specs = _charts(at)
    r2 = _by_title(specs, "Validation R²")
    np.testing.assert_allclose(r2["data"][0]["y"], [0.1, 0.2])
    loss = _by_title(specs, "Loss per epoch")
    assert [t["name"] for t in loss["data"]] == ["demo_model", "demo_model: val_loss"]
    # a run's loss and validation loss: one colour, one legend entry
    assert loss["data"][0]["line"]["color"] == loss["data"][1]["line"]["color"]
    assert [t.get("showlegend", True) for t in loss["data"]] == [True, False]
    sc = _by_title(specs, "n = ")
    assert sc["layout"]["meta"]["n"] == 9_045 and len(sc["data"][0]["x"]) == 9_045
    labels = {m.label: m.value for m in at.metric}
    assert labels["Test Pearson r"] == "0.450" and labels["Test R²"] == "0.200"
    assert labels["Test sequences"] == "10"
    assert any("metrics.json (raw)" in e.label for e in at.expander)
    dream = _df(at, "subset")
    assert dream["subset"].tolist()[:2] == ["all", "random"] and len(dream) == 9
    assert dream["what"].str.len().min() > 10  # every subset explained in a line
    # no raw "None" / NaN cells in any table of the page
    for el in at.dataframe:
        df = el.value
        assert not df.isna().any().any(), df
        assert not df.astype(str).isin(["None", "nan"]).any().any(), df
    # overlay the other run
    other = str(app_env["other"].resolve())
    at.multiselect(key="training_overlay").set_value([other]).run()
    _ok(at)
    r2 = _by_title(_charts(at), "Validation R²")
    assert [t["name"] for t in r2["data"]] == ["demo_model: val_r2", "other_run: val_r2"]
    np.testing.assert_allclose(r2["data"][1]["y"], [0.05, 0.15])


def test_training_weak_spots_from_metrics_json(app_env, tmp_path):
    from promoter_model.dream import WEAK_R2
    from promoter_model.runs import write_checksums

    run = tmp_path / "dream_run"
    shutil.copytree(app_env["demo"], run)
    demo_metrics = json.loads((ROOT / "assets" / "demo_model" / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps(demo_metrics))
    write_checksums(run)
    old = os.environ["PROMOTER_DEMO_RUN"]
    os.environ["PROMOTER_DEMO_RUN"] = str(run)
    try:
        at = _app("training")
        _ok(at)
    finally:
        os.environ["PROMOTER_DEMO_RUN"] = old
    saved = demo_metrics["dream_public_leaderboard"]
    weak = [w.value for w in at.warning if "Weak spots" in w.value]
    assert len(weak) >= 1
    for subset, label in (("high", "high expression"), ("low", "low expression"),
                          ("SNVs", "SNV differences")):
        assert saved[f"pearson_r2_{subset}"] < WEAK_R2
        assert f"{label} (r² {saved[f'pearson_r2_{subset}']:.2f})" in weak[0]
    assert "yeast" not in weak[0]
    table = _df(at, "what")
    assert table.loc[table["subset"] == "high", "weak"].item() == "weak"
    assert table.loc[table["subset"] == "yeast", "weak"].item() == ""


def test_streamlit_config_limits_uploads():
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize = 20" in text and "enableXsrfProtection = true" in text
    json.dumps(text)  # plain text


def test_script_runs_keep_keras_state_but_close_figures(app_env, monkeypatch):
    """Streamlit's per-run clean-up must not reset Keras (it costs ~0.5 s per click: a full
    gc.collect and TensorFlow's kernel cache dropped) but still closes matplotlib figures.
    """
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules",
                        script_runner._clean_problem_modules)  # restored after the test
    resets = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: resets.append(1))
    at = _app("mutagenesis")
    at.text_area(key="mut_input").set_value(GOOD).run()
    _ok(at)
    assert resets == []
    assert script_runner._clean_problem_modules.__module__ == "app.cache.runs"
    plt.figure()
    script_runner._clean_problem_modules()
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- downloads
def test_every_figure_download_renders_from_the_package_plots(app_env, monkeypatch):
    """Each PNG/SVG button of every page yields an image drawn by promoter_model.plot.

    The buttons render lazily (on click), so the real ``st.download_button`` is wrapped to
    call each image's data function at once; an error in a figure fails here.
    """
    import streamlit as st

    real = st.download_button
    made = {}

    def eager(label, data=None, *args, **kwargs):
        key = kwargs.get("key", "")
        if label in ("PNG", "SVG") and callable(data):
            made[key] = data()
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", eager)
    for page in ("predict", "mutagenesis", "motifs", "training"):
        _ok(_app(page))
    at = _app("mutagenesis")
    at.button_group(key="mut_mode").set_value("Compare two sequences").run()
    at.text_area(key="cmp_ref").input(GOOD)
    at.text_area(key="cmp_alt").input(GOOD[:49] + ("A" if GOOD[49] != "A" else "C")
                                      + GOOD[50:]).run()
    _ok(at)
    for key in ("predict_ranked", "predict_robust", "mut_robust", "mut_logo", "scan_plot",
                "training_r2", "training_loss", "training_scatter", "cmp_heat_ref",
                "cmp_heat_alt", "cmp_heat_diff"):
        assert made[f"{key}_png"][:8] == b"\x89PNG\r\n\x1a\n", key
        assert b"<svg" in made[f"{key}_svg"][:2000], key
    heat = [k for k in made if k.startswith("ism_heat_") and k.endswith("_png")]
    assert len(heat) == 1 and made[heat[0]][:4] == b"\x89PNG"  # the clickable heatmap
