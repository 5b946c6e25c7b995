"""The dashboard's sidebar and the Predict and Motifs pages under
``streamlit.testing.v1.AppTest``, on the ``tiny_run`` fixture; the upload limit, the Keras
state across script runs and every figure download. Mutagenesis and Training are in
``test_app_mutagenesis.py`` and ``test_app_training.py``.

Each test sets inputs, checks that no exception was raised and reads the plotly spec that
the page sent (``element.proto.spec``) to check that the charts hold the right data
(``app_pages_fixture``).
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from app_pages_fixture import (
    GOOD,
    app_test,
    by_title,
    charts,
    df_of,
    ok,
)


# --------------------------------------------------------------------------- sidebar
def test_sidebar_offers_only_valid_runs(app_env):
    at = app_test()
    ok(at)
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
    ok(at)
    card = (app_env["demo"] / "MODEL_CARD.md")
    if card.exists():
        assert any(card.read_text()[:40].lstrip("# ")[:20] in m.value for m in at.markdown)
    else:
        assert at.title[0].value.startswith("Model card")


def test_missing_demo_run_does_not_crash(app_env, tmp_path):
    os.environ["PROMOTER_DEMO_RUN"] = str(tmp_path / "nope")
    os.environ["PROMOTER_RUNS_DIR"] = str(tmp_path / "empty")
    try:
        at = app_test()
        ok(at)
        assert any("demo run was not found" in w.value for w in at.sidebar.warning)
        assert any("No model is selected" in i.value for i in at.info)
        assert at.sidebar.text_input[0].value == str(tmp_path / "empty")
    finally:
        os.environ["PROMOTER_DEMO_RUN"] = str(app_env["demo"])
        os.environ["PROMOTER_RUNS_DIR"] = str(app_env["demo"].parent / "runs")


@pytest.mark.slow
def test_sidebar_lists_ensembles_and_predicts_with_them(app_env, tmp_path):
    from promoter_model.runs.ensemble import write_ensemble

    ens = tmp_path / "runs" / "two_tiny"
    for k in range(2):
        shutil.copytree(app_env["demo"], ens / "members" / f"fold-{k}")
    write_ensemble(ens, ["members/fold-0", "members/fold-1"], unit="toy units")
    os.environ["PROMOTER_RUNS_DIR"] = str(tmp_path / "runs")
    try:
        at = app_test()
        ok(at)
        box = at.sidebar.selectbox(key="run_label")
        assert box.options == ["demo: demo_model", "two_tiny (ensemble of 2)"]
        box.select("two_tiny (ensemble of 2)").run()
        ok(at)
        assert any("ensemble of 2 members" in m.value for m in at.sidebar.markdown)
        assert any("Output: toy units" in c.value for c in at.sidebar.caption)
        at.switch_page("views/predict.py").run()
        ok(at)
        at.switch_page("views/training.py").run()
        ok(at)
        curves = by_title(charts(at), "Validation R² per epoch")
        names = {t["name"] for t in curves["data"]}
        assert names == {"two_tiny/fold-0: val_r2", "two_tiny/fold-1: val_r2"}
        assert set(df_of(at, "run")["run"]) == {"two_tiny/fold-0", "two_tiny/fold-1"}
        # first-layer filters belong to one model: the first member's, and the page says so
        at.switch_page("views/motifs.py").run()
        ok(at)
        assert any("filters of member fold-0 (of 2)" in c.value for c in at.caption)
        assert len(at.get("image")) >= 8  # fold-0's cached filter logos (copied with it)
    finally:
        os.environ["PROMOTER_RUNS_DIR"] = str(app_env["demo"].parent / "runs")


# --------------------------------------------------------------------------- Predict
def test_predict_examples_histogram_table_robustness(app_env):
    at = app_test()
    ok(at)
    df = df_of(at, "percentile")
    assert len(df) == 3 and df["predicted"].notna().all()
    specs = charts(at)
    ranked = by_title(specs, "Predictions ranked")  # several sequences: a ranked dot plot
    order = np.argsort(-df["predicted"].to_numpy(), kind="stable")
    np.testing.assert_allclose(ranked["data"][0]["x"], df["predicted"].to_numpy()[order],
                               rtol=1e-5)
    assert list(ranked["data"][0]["y"]) == df["id"].to_numpy()[order].tolist()
    bands = ranked["layout"]["meta"]["bands"]
    from app.cache import data as data_cache

    measured = data_cache.test_measured()
    assert bands["0.5"] == pytest.approx(float(np.median(measured["expression"])))
    rob = by_title(specs, "Mutational robustness")
    assert len(rob["data"]) == 3
    assert all(len(t["y"]) == 330 and np.all(np.diff(t["y"]) >= 0) for t in rob["data"])
    # the public-leaderboard split as reference
    at.radio(key="predict_reference").set_value("public-leaderboard test split").run()
    ok(at)
    bands = by_title(charts(at), "Predictions ranked")["layout"]["meta"]["bands"]
    public = measured.loc[measured["public_leaderboard"] == 1, "expression"]
    assert bands["0.5"] == pytest.approx(float(np.median(public)))
    # one sequence: its place on the measured histogram
    box = at.multiselect(key="predict_examples")
    box.set_value(box.options[:1]).run()
    hist = by_title(charts(at), "measured test expression")
    assert int(np.sum(hist["data"][0]["y"])) == 9_045


def test_predict_invalid_records_shown_inline_valid_ones_predicted(app_env):
    at = app_test()
    at.multiselect(key="predict_examples").set_value([])
    text = f">good\n{GOOD}\n>bad\nACGTXACGT\n>short\n{GOOD[10:]}\n"
    at.text_area(key="predict_text").input(text).run()
    ok(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "bad" in errors[0] and "position 5" in errors[0] \
        and "'X'" in errors[0]
    marks = [m.value for m in at.markdown if "<mark" in m.value]
    assert marks and ">X</mark>" in marks[0]
    df = df_of(at, "percentile")
    assert df["id"].tolist() == ["good", "short"]
    assert any("padded with 10 N on the 5' side" in i.value for i in at.info)
    assert len(at.metric) == 0  # two sequences: a table, not a single metric


def test_predict_single_sequence_metric_and_upload_limit(app_env):
    at = app_test()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(GOOD).run()
    ok(at)
    assert [m.label for m in at.metric][:2] == ["Predicted (model output (training units))",
                                                "Percentile among measured test sequences"]
    os.environ["PROMOTER_MAX_RECORDS"] = "2"
    try:
        at.text_area(key="predict_text").input("\n".join([GOOD] * 3)).run()
        ok(at)
        assert any("only the first 2" in w.value for w in at.warning)
        assert len(df_of(at, "percentile")) == 2
    finally:
        os.environ.pop("PROMOTER_MAX_RECORDS")


def test_predict_bare_variable_region_placed_between_flanks(app_env):
    at = app_test()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input(f">flanked\n{GOOD}\n>bare\n{GOOD[17:97]}\n").run()
    ok(at)
    df = df_of(at, "percentile")
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
        at = app_test(page)
        ok(at)
        boxes = [e for e in at.expander if e.label == "What do these expression values mean?"]
        assert len(boxes) == 1
        text = " ".join(m.value for m in boxes[0].markdown)
        assert f"**{s['min']:.2f} to {s['max']:.2f}**" in text
        assert f"standard deviation of **{s['yeast_sd']:.2f}**" in text
        assert "a difference of 0.1 is" in text and "a difference of 0.5 is" in text
        assert "percentile" in text


def test_predict_own_sequences_replace_the_default_examples(app_env):
    at = app_test()
    defaults = at.multiselect(key="predict_examples").value
    assert len(defaults) == 3 and len(df_of(at, "percentile")) == 3
    at.text_area(key="predict_text").input(f">mine\n{GOOD}\n").run()
    ok(at)
    assert df_of(at, "percentile")["id"].tolist() == ["mine"]
    assert any("default test-set examples are left out" in c.value for c in at.caption)
    # an example the user picks is added to their own sequences
    at.multiselect(key="predict_examples").set_value(defaults[:1]).run()
    ok(at)
    ids = df_of(at, "percentile")["id"].tolist()
    assert ids[0] == "mine" and len(ids) == 2
    cols = [c for c in df_of(at, "percentile").columns]
    assert "sequence" not in cols and "fit" in cols  # the table fits; sequences below


def test_predict_empty_and_garbage_input(app_env):
    at = app_test()
    at.multiselect(key="predict_examples").set_value([])
    at.text_area(key="predict_text").input("id,seq\n").run()
    ok(at)
    at.text_area(key="predict_text").input("sequence\nNOT DNA!\n").run()
    ok(at)
    assert at.error and "position" in at.error[0].value


# --------------------------------------------------------------------------- Motifs
def test_motifs_filters_and_scan(app_env):
    at = app_test("motifs")
    ok(at)
    images = len(at.get("image"))
    assert images >= 8  # filter logos (+ their best JASPAR logos)
    # every logo has its PNG and SVG download
    downloads = [b for b in at.get("download_button")
                 if b.label in ("PNG", "SVG") and ("logo" in b.key or "jaspar" in b.key)]
    assert len(downloads) == 2 * images, (len(downloads), images)
    matches = df_of(at, "filter")  # all filters and their nearest motifs
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
    ok(at)
    scan = by_title(charts(at), "Scan of")
    assert [t["name"].split(" (")[1] for t in scan["data"]] == ["+ strand)", "- strand)"]
    xs = np.asarray(scan["data"][0]["x"])
    assert xs.min() == 18 and xs.max() <= 97
    at.checkbox(key="scan_both").uncheck().run()
    ok(at)
    assert len(by_title(charts(at), "Scan of")["data"]) == 1


def test_motifs_discovered_patterns_with_q_values_exports_and_scan(app_env):
    from promoter_model.motifs.store import read_discovered
    from tests.discovered_fixture import NEG_BEST, REB1_Q

    at = app_test("motifs")
    ok(at)
    assert any(s.value == "Motifs the model uses (discovered)" for s in at.subheader)
    text = [m.value for m in at.markdown]
    assert f"**pos_0**: matches **REB1** (MA0363.3), q = {REB1_Q:.2g}" in text
    assert "**neg_0**: no significant match (q ≥ 0.05 for every JASPAR motif)" in text
    # the insignificant nearest motif is never written beside a logo, only in the table
    assert not any(NEG_BEST in t for t in text + [c.value for c in at.caption])
    table = df_of(at, "match_name", nth=1)  # pos_0's significant matches, then all matches
    assert table[table["pattern"] == "neg_0"]["match_name"].tolist() == [NEG_BEST]
    assert table[table["pattern"] == "neg_0"]["significant"].tolist() == [False]
    sig = df_of(at, "match_name")
    assert sig["match_name"].tolist() == ["REB1"] and sig["q_value"].tolist() == [REB1_Q]
    assert any("activator; 120 seqlets" in c.value and "+0.420 ± 0.140" in c.value
               for c in at.caption)
    # where the seqlets lie: every seqlet counted once, split by strand
    doc = read_discovered(app_env["demo"])
    pos = by_title(charts(at), "Where pos_0's seqlets lie")
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
    ok(at)
    scan = by_title(charts(at), "Scan of pos_0")
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
    at = app_test()
    at.sidebar.selectbox(key="run_label").set_value("other_run").run()
    at.switch_page("views/motifs.py").run()
    ok(at)
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
    ok(at)
    assert any("discovered motifs cannot be read" in e.value and "version None" in e.value
               for e in at.error)


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
    at = app_test("mutagenesis")
    at.text_area(key="mut_input").set_value(GOOD).run()
    ok(at)
    assert resets == []
    assert script_runner._clean_problem_modules.__module__ == "app.cache.runs"
    plt.figure()
    script_runner._clean_problem_modules()
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- downloads
@pytest.mark.slow
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
        ok(app_test(page))
    at = app_test("mutagenesis")
    at.button_group(key="mut_mode").set_value("Compare two sequences").run()
    at.text_area(key="cmp_ref").input(GOOD)
    at.text_area(key="cmp_alt").input(GOOD[:49] + ("A" if GOOD[49] != "A" else "C")
                                      + GOOD[50:]).run()
    ok(at)
    for key in ("predict_ranked", "predict_robust", "mut_robust", "mut_logo", "scan_plot",
                "training_r2", "training_loss", "training_scatter", "cmp_heat_ref",
                "cmp_heat_alt", "cmp_heat_diff"):
        assert made[f"{key}_png"][:8] == b"\x89PNG\r\n\x1a\n", key
        assert b"<svg" in made[f"{key}_svg"][:2000], key
    heat = [k for k in made if k.startswith("ism_heat_") and k.endswith("_png")]
    assert len(heat) == 1 and made[heat[0]][:4] == b"\x89PNG"  # the clickable heatmap
