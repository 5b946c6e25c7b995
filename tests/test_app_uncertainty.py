"""The dashboard's intervals, spreads and sign-disagreement marks (issue 14), via AppTest.

A calibrated ensemble of two linear toys (``tests/toy_models.linear_ensemble`` with
``toy_calibration``) must show the package's numbers; the single ``tiny_run`` must show no
interval columns and say that no interval is available.
"""

from __future__ import annotations

import io
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

from tests.app_pages_fixture import (  # noqa: E402
    apply_mutation,
    by_title,
    charts,
    df_of,
    ok,
)

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 120
ENSEMBLE = "lin_ens (ensemble of 2)"


@pytest.fixture(scope="module")
def unc_env(tiny_run, tmp_path_factory):
    """The single ``tiny_run`` as the demo and a calibrated two-member linear ensemble."""
    from tests.toy_models import linear_ensemble, toy_pair_calibration

    root = tmp_path_factory.mktemp("unc_app")
    demo = root / "demo_model"
    shutil.copytree(tiny_run, demo)
    cal = toy_pair_calibration()  # single-base changes get the pair-calibrated interval
    ens, weights = linear_ensemble(root / "runs" / "lin_ens", calibration=cal)
    _write_toy_metrics(ens, cal)
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield {"demo": demo, "ensemble": ens, "weights": weights}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


LEVELS = (0.5, 0.8, 0.9, 0.95)


def _write_toy_metrics(ens, cal):
    """metrics.json as the ensemble build lays it out, computed on synthetic measurements.

    ``y`` = ensemble mean + N(0, 0.5²) on 300 random promoters; each member's scores and
    the interval coverage at :data:`LEVELS` are computed by the package.
    """
    from promoter_model.metrics import regression_metrics
    from promoter_model.predictor import load_predictor
    from promoter_model.runs.ensemble import write_ensemble
    from promoter_model.sequence import one_hot
    from promoter_model.uncertainty import coverage
    from tests.conftest import random_promoters

    pred = load_predictor(ens)
    members = pred.predict_members(one_hot(random_promoters(300, seed=5)))
    mean = members.mean(axis=0)
    y = mean + np.random.default_rng(1).normal(size=mean.size) * 0.5
    metrics = {
        "dream_public_leaderboard": regression_metrics(y, mean),
        "members": {f"fold-{i}": {"dream_public_leaderboard": regression_metrics(y, m)}
                    for i, m in enumerate(members)},
        "interval": {"all_levels": {f"{lv:g}": coverage(y, *cal.interval(mean, lv))
                                    for lv in LEVELS}}}
    write_ensemble(ens, ["members/fold-0", "members/fold-1"], unit="toy units",
                   metrics=metrics, model_card="# Two linear toys\n", calibration=cal)


def _app(page: str, ensemble: bool) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    ok(at)
    if ensemble:
        at.sidebar.selectbox(key="run_label").select(ENSEMBLE).run()
        ok(at)
    at.switch_page(f"views/{page}.py").run()
    ok(at)
    return at


def _package_interval(path, sequences, level=0.9):
    from promoter_model.predictor import load_predictor
    from promoter_model.uncertainty import predict_interval_sequences

    return predict_interval_sequences(load_predictor(path), sequences, level)


# --------------------------------------------------------------------------- Predict
@pytest.fixture
def captured_downloads(monkeypatch):
    """Every download button's data by key (lazy figure downloads rendered at once)."""
    import streamlit as st

    real = st.download_button
    made = {}

    def eager(label, data=None, *args, **kwargs):
        made[kwargs.get("key", "")] = data() if callable(data) else data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", eager)
    return made


def test_predict_ensemble_shows_sd_and_interval_in_table_histogram_and_csv(
        unc_env, captured_downloads):
    at = _app("predict", ensemble=True)
    df = df_of(at, "percentile")
    assert {"sd", "lower", "upper"} <= set(df.columns)
    seqs = list(at.multiselect(key="predict_examples").value)  # example labels
    assert len(df) == len(seqs) == 3
    # the package's numbers, for the 110 bp sequences the page predicted
    from app.cache import data as services

    ex = services.examples().set_index("label")
    iv = _package_interval(unc_env["ensemble"], ex.loc[seqs, "sequence"].tolist())
    np.testing.assert_allclose(df["predicted"], iv.mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(df["sd"], iv.sd, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(df["lower"], iv.lower, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(df["upper"], iv.upper, rtol=1e-5, atol=1e-5)
    assert np.all(df["sd"] > 0) and np.all(df["lower"] < df["predicted"]) \
        and np.all(df["predicted"] < df["upper"])
    # the ranked dot plot draws each prediction's interval as an error bar (highest first)
    ranked = by_title(charts(at), "Predictions ranked")
    marks = ranked["data"][0]
    order = np.argsort(-iv.mean, kind="stable")
    np.testing.assert_allclose(marks["error_x"]["array"], (iv.upper - iv.mean)[order],
                               rtol=1e-4)
    np.testing.assert_allclose(marks["error_x"]["arrayminus"], (iv.mean - iv.lower)[order],
                               rtol=1e-4)
    assert "90% interval" in marks["hovertemplate"]
    assert any("90% interval" in c.value for c in at.caption)
    # another level gives the package's interval at that level
    at.select_slider(key="predict_level").set_value(0.5).run()
    ok(at)
    df50 = df_of(at, "percentile")
    iv50 = _package_interval(unc_env["ensemble"], ex.loc[seqs, "sequence"].tolist(), 0.5)
    np.testing.assert_allclose(df50["lower"], iv50.lower, rtol=1e-5, atol=1e-5)
    assert np.all(df50["upper"] - df50["lower"] < df["upper"] - df["lower"])
    # the CSV export carries the columns; the static figure draws the intervals
    made = captured_downloads
    csv = pd.read_csv(io.BytesIO(made["predict_csv"]))
    assert {"sd", "lower", "upper"} <= set(csv.columns)
    np.testing.assert_allclose(csv["lower"], iv50.lower, rtol=1e-5, atol=1e-5)
    assert made["predict_ranked_png"][:4] == b"\x89PNG"


def test_predict_single_run_has_no_interval_columns_and_says_so(unc_env):
    from app.describe import UNAVAILABLE_SENTENCE

    at = _app("predict", ensemble=False)
    df = df_of(at, "percentile")
    assert not {"sd", "lower", "upper"} & set(df.columns)
    assert [c.value for c in at.caption if UNAVAILABLE_SENTENCE in c.value]
    assert not at.get("select_slider")
    ranked = by_title(charts(at), "Predictions ranked")
    assert not ranked["data"][0].get("error_x")


# --------------------------------------------------------------------------- Mutagenesis
GOOD = ("TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT")


def _member_effects(weights, sequence):
    """Each linear member's exact ISM: ``W[i, b] - W[i, ref_i]``, shape (m, L, 4)."""
    from promoter_model.sequence import one_hot

    x = one_hot([sequence])[0]
    return np.stack([W - (W * x).sum(axis=1, keepdims=True) for W in weights])


@pytest.mark.slow
def test_mutagenesis_ensemble_marks_disagreement_and_shows_spread_and_intervals(
        unc_env, captured_downloads):
    from promoter_model.interpret.ism_summary import (
        SIGN_TOL,
        confident_disagreement,
        members_noise,
    )
    from promoter_model.predictor import load_predictor

    at = _app("mutagenesis", ensemble=True)
    at.text_area(key="mut_input").input(GOOD).run()
    ok(at)
    effects = _member_effects(unc_env["weights"], GOOD)
    # marked: changes larger than the members' noise that a member predicts the other way
    noise = max(members_noise(effects), SIGN_TOL)
    sd, disagree = effects.std(axis=0), confident_disagreement(effects, noise)
    assert 0 < disagree.sum() < disagree.size
    assert (np.abs(effects.mean(axis=0))[disagree] > noise).all()
    heat = by_title(charts(at), "Predicted effect of every single mutation")
    np.testing.assert_allclose(np.asarray(heat["data"][0]["z"]), effects.mean(axis=0).T,
                               atol=1e-4)
    marks = heat["data"][-1]
    assert marks["name"] == "members disagree"
    b, p = np.nonzero(disagree.T)  # the grid runs A row first
    assert sorted(zip(marks["x"], marks["y"])) == sorted(zip((p + 1).tolist(),
                                                              ["ACGT"[k] for k in b]))
    # the marks let clicks through to the grid (trace 2), whose hover names the disagreement
    assert marks["hoverinfo"] == "skip"
    grid = heat["data"][2]
    assert grid["name"] == "cells"
    assert "members' sd" in grid["hovertemplate"]
    cell_text = [str(row[-2]) for row in grid["customdata"]]  # before the disagreement
    assert any("90% interval of the measured change" in t for t in cell_text)
    assert "" in cell_text and not any("nan" in t.lower() for t in cell_text)  # reference
    assert "members disagree on the sign" in grid["hovertemplate"] or any(
        "members disagree on the sign" in str(row[-1]) for row in grid["customdata"])
    assert any(f"larger than the members' noise ({noise:.3f}" in c.value for c in at.caption)

    # the strongest mutations: the change's sd and the difference interval of the package
    top = df_of(at, "change_sd")
    parts = top["mutation"].str.extract(r"^(\d+)([ACGT])>([ACGT])$")
    top["position"], top["alternative"] = parts[0].astype(int), parts[2]
    rows, cols = top["position"].to_numpy() - 1, ["ACGT".index(a) for a in top["alternative"]]
    np.testing.assert_allclose(top["change_sd"], sd[rows, cols], atol=1e-4)
    cal = load_predictor(unc_env["ensemble"]).calibration
    ref_pred = float(_package_interval(unc_env["ensemble"], [GOOD]).mean[0])
    # single mutations: the interval calibrated on measured single-base pairs
    assert cal.calibrated_pairs([1])[0]
    lo, hi = cal.difference_interval(ref_pred + top["change"].to_numpy(),
                                     np.full(len(top), ref_pred), 0.9, mismatches=1)
    bonf = cal.difference_interval(ref_pred + top["change"].to_numpy(),
                                   np.full(len(top), ref_pred), 0.9)
    assert np.all(hi - lo < bonf[1] - bonf[0])
    assert any("calibrated on measured single-base pairs" in c.value for c in at.caption)
    np.testing.assert_allclose(top["change_lower"], lo, atol=1e-4)
    np.testing.assert_allclose(top["change_upper"], hi, atol=1e-4)
    assert (top["members_disagree"] == disagree[rows, cols]).all()

    # the ISM CSV has the members' sd and sign disagreement (as the CLI's)
    ism = pd.read_csv(io.BytesIO(captured_downloads["mut_ism_csv"]))
    np.testing.assert_allclose(ism[["A_sd", "C_sd", "G_sd", "T_sd"]], sd, atol=1e-4)
    assert (ism[["A_disagree", "C_disagree", "G_disagree", "T_disagree"]].to_numpy()
            == disagree).all()
    # and each change's interval, pair-calibrated for a single substitution
    from promoter_model.interpret.ism_summary import ism_intervals
    from promoter_model.sequence import one_hot

    bounds = ism_intervals(cal, [ref_pred], ism[list("ACGT")].to_numpy()[None], one_hot([GOOD]))
    for name, b in zip(("lower", "upper"), bounds):
        np.testing.assert_allclose(ism[[f"{x}_{name}" for x in "ACGT"]], b[0], atol=1e-3)

    # a mutation: each step of the trajectory has the package's interval
    apply_mutation(at, 30, GOOD)
    ok(at)
    traj = df_of(at, "path")
    iv = _package_interval(unc_env["ensemble"], traj["sequence"].tolist())
    np.testing.assert_allclose(traj["lower"], iv.lower, atol=1e-4)
    np.testing.assert_allclose(traj["upper"], iv.upper, atol=1e-4)
    np.testing.assert_allclose(traj["sd"], iv.sd, atol=1e-4)
    plotted = by_title(charts(at), "Mutation trajectory")["data"][0]
    np.testing.assert_allclose(plotted["error_y"]["array"], iv.upper - iv.mean, atol=1e-4)

    # the report carries the marks and the interval; the static heatmap marks them too
    html = captured_downloads["mut_report"]
    html = html.decode() if isinstance(html, bytes) else html
    assert "members disagree" in html and "90% interval" in html
    assert captured_downloads[f"{_heat_key(captured_downloads)}_png"][:4] == b"\x89PNG"


def _heat_key(made):
    keys = [k[:-4] for k in made if k.startswith("ism_heat_") and k.endswith("_png")]
    return keys[-1]


def test_mutagenesis_compare_mode_shows_intervals(unc_env):
    from promoter_model.interpret.variants import variant_effect
    from promoter_model.predictor import load_predictor

    at = _app("mutagenesis", ensemble=True)
    at.button_group(key="mut_mode").set_value("Compare two sequences").run()
    alt = GOOD[:49] + ("A" if GOOD[49] != "A" else "C") + GOOD[50:]
    at.text_area(key="cmp_ref").input(GOOD)
    at.text_area(key="cmp_alt").input(alt).run()
    ok(at)
    row = variant_effect(load_predictor(unc_env["ensemble"]), GOOD, [alt]).iloc[0]
    iv = _package_interval(unc_env["ensemble"], [GOOD, alt])
    text = [c.value for c in at.caption if c.value.startswith("Reference:")]
    assert text, [c.value for c in at.caption]
    assert f"interval {iv.lower[0]:.3f} to {iv.upper[0]:.3f}" in text[0]
    assert f"interval {iv.lower[1]:.3f} to {iv.upper[1]:.3f}" in text[0]
    assert f"{row['delta_lower']:+.3f} to {row['delta_upper']:+.3f}" in text[0]
    assert row["delta_calibrated"] and "calibrated on measured pairs as far apart" in text[0]
    assert f"members' sd {row['delta_sd']:.3f}" in text[0]


@pytest.mark.slow
def test_mutagenesis_single_run_unchanged_no_marks(unc_env, captured_downloads):
    from app.describe import UNAVAILABLE_SENTENCE

    at = _app("mutagenesis", ensemble=False)
    at.text_area(key="mut_input").input(GOOD).run()
    ok(at)
    heat = by_title(charts(at), "Predicted effect of every single mutation")
    assert all(t.get("name") != "members disagree" for t in heat["data"])
    assert "members' sd" not in heat["data"][2]["hovertemplate"]
    top = df_of(at, "change")
    assert not {"change_sd", "change_lower", "change_upper", "members_disagree"} \
        & set(top.columns)
    traj = df_of(at, "path")
    assert not {"sd", "lower", "upper"} & set(traj.columns)
    assert any(UNAVAILABLE_SENTENCE in c.value for c in at.caption)
    ism = pd.read_csv(io.BytesIO(captured_downloads["mut_ism_csv"]))
    assert list(ism.columns) == ["id", "position", "reference", "A", "C", "G", "T"]


# --------------------------------------------------------------------------- Training
def test_training_ensemble_member_scores_and_calibration_plot(unc_env, captured_downloads):
    import json

    metrics = json.loads((unc_env["ensemble"] / "metrics.json").read_text())
    at = _app("training", ensemble=True)
    table = df_of(at, "Pearson r")
    assert table["model"].tolist() == ["ensemble (mean)", "fold-0", "fold-1"]
    expected = [metrics["dream_public_leaderboard"]["pearson_r"]] + [
        metrics["members"][f"fold-{i}"]["dream_public_leaderboard"]["pearson_r"]
        for i in range(2)]
    np.testing.assert_allclose(table["Pearson r"], expected)
    cal = by_title(charts(at), "Interval calibration")
    observed = cal["data"][1]
    np.testing.assert_allclose(observed["x"], LEVELS)
    np.testing.assert_allclose(
        observed["y"], [metrics["interval"]["all_levels"][f"{lv:g}"]["coverage"]
                        for lv in LEVELS])
    assert captured_downloads["training_calibration_png"][:4] == b"\x89PNG"
    assert b"<svg" in captured_downloads["training_calibration_svg"][:2000]


def test_training_ensemble_shows_its_stored_public_predictions(unc_env, monkeypatch):
    """With ``public.tsv.gz`` the scatter is the stored predictions and no model is called."""
    import json

    from app.cache import heldout
    from promoter_model.crossval.finalize import store_public_predictions
    from promoter_model.runs.ensemble import PUBLIC_FILE, stored_public_predictions

    ens = unc_env["ensemble"]
    sums = (ens / "checksums.json").read_text()
    store_public_predictions(ens, ROOT / "assets" / "data" / "test_measured.tsv.gz")
    try:
        monkeypatch.setattr(heldout, "get_predictor",
                            lambda *a: pytest.fail("stored predictions need no model"))
        at = _app("training", ensemble=True)
        assert any("predictions stored in the ensemble folder" in c.value for c in at.caption)
        scatter = by_title(charts(at), "n = ")
        kept = stored_public_predictions(ens)
        np.testing.assert_allclose(np.sort(scatter["data"][0]["y"]),
                                   np.sort(kept["prediction"]), rtol=1e-6)
    finally:
        (ens / PUBLIC_FILE).unlink()
        (ens / "checksums.json").write_text(sums)
    assert PUBLIC_FILE not in json.loads(sums)


def test_training_single_run_has_no_member_table_or_calibration_plot(unc_env):
    at = _app("training", ensemble=False)
    assert not [d for d in at.dataframe if "Pearson score" in d.value.columns
                or "model" in d.value.columns]
    titles = [(s["layout"].get("title") or {}).get("text") or "" for s in charts(at)]
    assert not any("calibration" in t for t in titles)


# --------------------------------------------------------------------------- Design
def test_design_calibrated_ensemble_gives_each_design_the_conformal_interval(unc_env):
    at = _app("design", ensemble=True)
    at.slider(key="design_budget").set_value(2)
    at.slider(key="design_n").set_value(2)
    at.button(key="design_go").click().run()
    ok(at)
    table = next(d.value for d in at.dataframe if "mutations" in d.value.columns)
    iv = _package_interval(unc_env["ensemble"], table["sequence"].tolist())
    np.testing.assert_allclose(table["prediction"], iv.mean, atol=1e-4)
    np.testing.assert_allclose(table["sd"], iv.sd, atol=1e-4)
    np.testing.assert_allclose(table["lower"], iv.lower, atol=1e-4)
    np.testing.assert_allclose(table["upper"], iv.upper, atol=1e-4)
    assert any("conformal" in c.value for c in at.caption)
