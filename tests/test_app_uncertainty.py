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

from tests.test_app_pages import _by_title, _charts, _df, _ok  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 120
ENSEMBLE = "lin_ens (ensemble of 2)"


@pytest.fixture(scope="module")
def unc_env(tiny_run, tmp_path_factory):
    """The single ``tiny_run`` as the demo and a calibrated two-member linear ensemble."""
    from tests.toy_models import linear_ensemble, toy_calibration

    root = tmp_path_factory.mktemp("unc_app")
    demo = root / "demo_model"
    shutil.copytree(tiny_run, demo)
    ens, weights = linear_ensemble(root / "runs" / "lin_ens", calibration=toy_calibration())
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield {"demo": demo, "ensemble": ens, "weights": weights}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _app(page: str, ensemble: bool) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    _ok(at)
    if ensemble:
        at.sidebar.selectbox(key="run_label").select(ENSEMBLE).run()
        _ok(at)
    at.switch_page(f"views/{page}.py").run()
    _ok(at)
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
    df = _df(at, "percentile")
    assert {"sd", "lower", "upper"} <= set(df.columns)
    seqs = list(at.multiselect(key="predict_examples").value)  # example labels
    assert len(df) == len(seqs) == 3
    # the package's numbers, for the 110 bp sequences the page predicted
    from app import services

    ex = services.examples().set_index("label")
    iv = _package_interval(unc_env["ensemble"], ex.loc[seqs, "sequence"].tolist())
    np.testing.assert_allclose(df["predicted"], iv.mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(df["sd"], iv.sd, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(df["lower"], iv.lower, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(df["upper"], iv.upper, rtol=1e-5, atol=1e-5)
    assert np.all(df["sd"] > 0) and np.all(df["lower"] < df["predicted"]) \
        and np.all(df["predicted"] < df["upper"])
    # the histogram draws each prediction's interval as an error bar
    hist = _by_title(_charts(at), "measured test expression")
    marks = hist["data"][1]
    np.testing.assert_allclose(marks["error_x"]["array"], iv.upper - iv.mean, rtol=1e-4)
    np.testing.assert_allclose(marks["error_x"]["arrayminus"], iv.mean - iv.lower, rtol=1e-4)
    assert "90% interval" in marks["hovertemplate"]
    assert any("90% interval" in c.value for c in at.caption)
    # another level gives the package's interval at that level
    at.select_slider(key="predict_level").set_value(0.5).run()
    _ok(at)
    df50 = _df(at, "percentile")
    iv50 = _package_interval(unc_env["ensemble"], ex.loc[seqs, "sequence"].tolist(), 0.5)
    np.testing.assert_allclose(df50["lower"], iv50.lower, rtol=1e-5, atol=1e-5)
    assert np.all(df50["upper"] - df50["lower"] < df["upper"] - df["lower"])
    # the CSV export carries the columns; the static figure draws the intervals
    made = captured_downloads
    csv = pd.read_csv(io.BytesIO(made["predict_csv"]))
    assert {"sd", "lower", "upper"} <= set(csv.columns)
    np.testing.assert_allclose(csv["lower"], iv50.lower, rtol=1e-5, atol=1e-5)
    assert made["predict_hist_png"][:4] == b"\x89PNG"


def test_predict_single_run_has_no_interval_columns_and_says_so(unc_env):
    from promoter_model.uncertainty import UNAVAILABLE

    at = _app("predict", ensemble=False)
    df = _df(at, "percentile")
    assert not {"sd", "lower", "upper"} & set(df.columns)
    assert [c.value for c in at.caption if UNAVAILABLE in c.value]
    assert not at.get("select_slider")
    hist = _by_title(_charts(at), "measured test expression")
    assert not hist["data"][1].get("error_x")
