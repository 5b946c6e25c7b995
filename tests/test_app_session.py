"""Save and open a session through the sidebar (issue 30), under ``AppTest``.

State is set on the pages (Predict text, a Mutagenesis trajectory, designs with overhangs,
a Motifs setting), the sidebar's Save session button's file is taken, and a fresh AppTest
(another browser, or another machine with the same run) opens it: the same state comes
back, designs included, without pressing Design again. A broken file is one error line; a
run with the same name but another model is said, and its designs are left out.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
GOOD = "TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT"
OTHER = "TGCATTTTTTTCACATC" + "GATTACA" * 11 + "ACG" + "GGTTACGGCTGTT"
BASE = "A" if OTHER[29] != "A" else "C"
STEP = f"30{OTHER[29]}>{BASE}"  # the mutation applied in Mutagenesis

pytestmark = pytest.mark.slow


def _env(demo):
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(demo.parent / "runs")
    return old


def _restore(old):
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def machines(tiny_run, tmp_path_factory):
    """Two "machines": the same run copied to each, and a third whose run has the same
    folder name but another model (another seed).
    """
    import keras

    from promoter_model.model.architectures import build_model, preset
    from promoter_model.model.config import RunConfig
    from promoter_model.runs import save_run

    here = tmp_path_factory.mktemp("here") / "demo_model"
    there = tmp_path_factory.mktemp("there") / "demo_model"
    shutil.copytree(tiny_run, here)
    shutil.copytree(tiny_run, there)
    keras.utils.set_random_seed(7)
    cfg = RunConfig(preset="tiny", model=preset("tiny"))
    changed = save_run(tmp_path_factory.mktemp("changed") / "demo_model",
                       build_model(cfg.model), cfg)
    return {"here": here, "there": there, "changed": Path(changed)}


def _app(demo, page=None) -> AppTest:
    old = _env(demo)
    try:
        at = AppTest.from_file(MAIN, default_timeout=180)
        at.run()
        if page:
            at.switch_page(f"views/{page}.py").run()
    finally:
        _restore(old)
    return at


def _run(at, demo):
    old = _env(demo)
    try:
        return at.run()
    finally:
        _restore(old)


def _ok(at):
    assert not at.exception, [e.message for e in at.exception]


def _df(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _saved(at, demo, monkeypatch) -> bytes:
    """The bytes the sidebar's Save session button would download now."""
    import streamlit as st

    real, made = st.download_button, {}

    def keep(label, data=None, *args, **kwargs):
        if kwargs.get("key") == "session_save":
            made["data"] = data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", keep)
    _run(at, demo)
    monkeypatch.undo()
    return made["data"]()


def _open(at, demo, data: bytes):
    at.sidebar.get("file_uploader")[0].set_value(("my.json", data, "application/json"))
    _run(at, demo)
    _ok(at)
    return at


def _build_state(demo, monkeypatch):
    at = _app(demo, "predict")
    at.text_area(key="predict_text").input(">mine\n" + GOOD)
    _run(at, demo)
    at.switch_page("views/mutagenesis.py")
    _run(at, demo)
    at.text_area(key="mut_input").input(OTHER)
    _run(at, demo)
    at.selectbox(key="mut_form_pos").set_value(30)
    at.selectbox(key="mut_form_base").set_value(BASE)
    at.button(key="FormSubmitter:mut_form-Apply").click()
    _run(at, demo)
    _ok(at)
    at.switch_page("views/design.py")
    _run(at, demo)
    at.radio(key="design_goal").set_value("Maximise")
    at.slider(key="design_budget").set_value(1)
    at.slider(key="design_n").set_value(2)
    at.button(key="design_go").click()
    _run(at, demo)
    at.text_input(key="design_overhang_5").input("GGTCTCA")
    _run(at, demo)
    _ok(at)
    return at


def test_save_and_reopen_in_a_fresh_app_gives_the_same_state(machines, monkeypatch):
    here, there = machines["here"], machines["there"]
    at = _build_state(here, monkeypatch)
    designs = _df(at, "mutations")
    oligos = _df(at, "oligo")
    data = _saved(at, here, monkeypatch)
    doc = json.loads(data)
    assert doc["format"] == "promoter-explorer-session" and doc["version"] == 1
    assert doc["run"]["name"] == "demo_model" and len(doc["run"]["checksum"]) == 64
    assert doc["settings"]["predict_text"] == ">mine\n" + GOOD  # saved from another page
    assert [s["mutation"] for s in doc["trajectory"]["steps"]] == ["input", STEP]

    fresh = _open(_app(there), there, data)  # another machine, the same run
    notice = [s.value for s in fresh.sidebar.success]
    assert notice == ["Session opened (my.json)."]
    fresh.switch_page("views/design.py")
    _run(fresh, there)
    _ok(fresh)
    again = _df(fresh, "mutations")
    assert again["sequence"].tolist() == designs["sequence"].tolist()
    assert again["prediction"].tolist() == pytest.approx(designs["prediction"].tolist())
    assert _df(fresh, "oligo")["oligo"].tolist() == oligos["oligo"].tolist()
    assert not any("settings changed" in c.value for c in fresh.caption)
    assert fresh.slider(key="design_n").value == 2
    fresh.switch_page("views/mutagenesis.py")
    _run(fresh, there)
    assert fresh.text_area(key="mut_input").value == OTHER
    assert _df(fresh, "path")["mutation"].tolist() == ["input", STEP]
    fresh.switch_page("views/predict.py")
    _run(fresh, there)
    assert fresh.text_area(key="predict_text").value == ">mine\n" + GOOD
    assert _df(fresh, "predicted")["id"].tolist() == ["mine"]
    # saving the reopened session gives the same file (but for the time it was saved)
    again_doc = json.loads(_saved(fresh, there, monkeypatch))
    for d in (doc, again_doc):
        d.pop("saved_at")
    assert again_doc == doc


def test_another_model_of_the_same_name_is_said_and_designs_left_out(machines, monkeypatch):
    here, changed = machines["here"], machines["changed"]
    at = _build_state(here, monkeypatch)
    data = _saved(at, here, monkeypatch)
    fresh = _open(_app(changed), changed, data)
    warning = [w.value for w in fresh.sidebar.warning]
    assert len(warning) == 1 and "checksum differs" in warning[0]
    fresh.switch_page("views/design.py")
    _run(fresh, changed)
    assert any("press **Design**" in i.value for i in fresh.info)  # no designs shown
    fresh.switch_page("views/mutagenesis.py")
    _run(fresh, changed)
    _ok(fresh)
    steps = _df(fresh, "path")  # the trajectory, predicted again by this model
    assert steps["mutation"].tolist() == ["input", STEP]
    assert steps["predicted"].notna().all()


def test_a_broken_file_is_one_error_line(machines):
    here = machines["here"]
    at = _open(_app(here), here, b'{"format": "promoter-explorer-session", "version": 1}')
    assert [e.value for e in at.sidebar.error] == [
        "This session file cannot be opened: the session lacks saved_at."]
    at = _open(at, here, b"\x80\x04pickle")
    assert [e.value for e in at.sidebar.error] == [
        "This session file cannot be opened: the file is not UTF-8 text (a session file is "
        "JSON)."]


def test_saved_settings_have_the_bounds_and_options_of_their_widgets(machines):
    """Each saved setting shown on a page in its default state is checked against the
    widget itself: slider and number bounds, the options of radios and selects.
    """
    from app.session_fields import FIELDS, Choice, Flag, Real, Span, Text, Whole

    here = machines["here"]
    seen = {}
    at = _app(here)
    for page in ("predict", "mutagenesis", "design", "motifs", "grammar"):
        at.switch_page(f"views/{page}.py")
        _run(at, here)
        _ok(at)
        for kind in ("slider", "number_input", "radio", "selectbox", "button_group",
                     "select_slider", "multiselect", "checkbox", "toggle", "text_area",
                     "text_input"):
            for w in at.get(kind):
                if getattr(w, "key", None) in FIELDS:
                    seen[w.key] = (kind, w)
    assert len(seen) >= 30, sorted(seen)
    for key, (kind, w) in seen.items():
        spec = FIELDS[key]
        if isinstance(spec, Whole):
            assert kind in ("slider", "number_input") and spec.lo == w.min, key
            assert w.max is not None and spec.hi >= w.max, key
        elif isinstance(spec, Span):
            assert kind == "slider" and (spec.lo, spec.hi) == (w.min, w.max), key
        elif isinstance(spec, Real):
            assert kind == "number_input" and (spec.lo is None or spec.lo == w.min), key
        elif isinstance(spec, Choice):
            assert len(w.options) == len(spec.options), key
        elif isinstance(spec, Flag):
            assert kind in ("checkbox", "toggle"), key
        elif isinstance(spec, Text):
            assert kind in ("text_area", "text_input"), key
