"""The session file (issue 30): what ``app.session`` writes, reads back and refuses.

Fast and model-free: a state dict with settings, a trajectory and a hand-made design result
goes through ``capture`` / ``dumps`` / ``loads`` / ``apply``; every broken or hostile file
is one ``SessionError`` line naming the problem. The round trip through the pages is in
``tests/test_app_session.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import session, trajectory  # noqa: E402
from app.session_fields import SessionError  # noqa: E402
from promoter_model import bounds  # noqa: E402
from promoter_model.sequence import FLANK_3, FLANK_5  # noqa: E402

CORE = "ACGT" * 20
START = FLANK_5 + CORE + FLANK_3
SUM = "a" * 64


def _design():
    from promoter_model.design.objective import DesignResult, Objective

    mutant = START[:19] + "T" + START[20:]
    table = pd.DataFrame({
        "id": ["start", "design-1"], "sequence": [START, mutant], "prediction": [0.1, 0.5],
        "sd": [np.nan, np.nan], "lower": [np.nan, np.nan], "upper": [np.nan, np.nan],
        "n_mutations": [0, 1], "mutations": ["", "20G>T"], "score": [0.1, 0.5],
        "reached": [None, None]})
    steps = pd.DataFrame({"id": ["design-1", "design-1"], "step": [0, 1],
                          "mutation": ["start", "20G>T"], "sequence": [START, mutant],
                          "prediction": [0.1, 0.5], "sd": [np.nan] * 2,
                          "lower": [np.nan] * 2, "upper": [np.nan] * 2})
    result = DesignResult(table=table, trajectories=steps, start=START,
                          objective=Objective("maximize"), strategy="greedy", unit="log2",
                          notes=["a note"], seconds=0.5, evaluations=331)
    params = {"path": "/x/run", "stamp": 1.0, "start": START, "objective": "O",
              "constraints": "C", "strategy": "greedy", "n_designs": 2, "seed": 0,
              "held_out": False, "min_distance": 1}
    return {"params": params, "result": result, "held": None}


def _state() -> dict:
    state = {"predict_text": ">a\nACGT", "design_gc": (20, 60), "design_budget": 3,
             "mut_mode": "Explore and mutate", "predict_examples": ["x"],
             "design_result": _design(), "unrelated": object()}
    trajectory.trajectory(state, START, lambda s: 0.25)
    trajectory.apply(state, 20, "T", current=START, predict=lambda s: 0.5)
    return state


def _doc() -> dict:
    return json.loads(session.dumps(session.capture(_state(), {"name": "run", "checksum": SUM})))


def test_round_trip_restores_settings_trajectory_and_designs():
    data = session.dumps(session.capture(_state(), {"name": "run", "checksum": SUM}))
    assert b"NaN" not in data and json.loads(data)["version"] == 1
    opened = session.loads(data)
    assert opened.run == {"name": "run", "checksum": SUM} and not opened.notes
    state = {"design_n": 7, "mut_input": "stale"}  # settings the file lacks go back
    session.apply(state, opened, "/here/run", 2.0, same=True)
    assert state["predict_text"] == ">a\nACGT" and state["design_gc"] == (20, 60)
    assert "design_n" not in state and "mut_input" not in state
    assert trajectory.export(state) == trajectory.export(_state())
    restored, original = state["design_result"], _design()
    assert restored["params"] == {**original["params"], "path": "/here/run", "stamp": 2.0}
    pd.testing.assert_frame_equal(restored["result"].table, original["result"].table)
    pd.testing.assert_frame_equal(restored["result"].trajectories,
                                  original["result"].trajectories)
    assert restored["result"].objective == original["result"].objective


def test_another_model_rescores_the_trajectory_and_drops_the_designs():
    state = {"design_result": _design()}
    session.apply(state, session.loads(session.dumps(_doc())), "/here/run", 2.0, same=False)
    assert "design_result" not in state
    steps = trajectory.export(state)["steps"]
    assert [s["predicted"] for s in steps] == [None, None]
    trajectory.trajectory(state, START, lambda s: 9.0)  # the page predicts them again
    assert [s["predicted"] for s in trajectory.export(state)["steps"]] == [9.0, 9.0]


def test_a_label_not_offered_here_is_left_out_with_a_note():
    opened = session.loads(session.dumps(_doc()), choices={"examples": {"y"}})
    assert "predict_examples" in opened.settings and opened.settings["predict_examples"] == []
    assert opened.notes == ["setting predict_examples: 'x' not offered here, left out"]


def test_match_run_by_name_and_checksum():
    runs = [("demo: a", "/r/a"), ("b", "/r/b")]
    sums = {"/r/a": SUM, "/r/b": "b" * 64}.get
    assert session.match_run({"name": "a", "checksum": SUM}, runs, sums) == (
        "demo: a", "/r/a", True, None)
    label, path, same, note = session.match_run({"name": "old", "checksum": SUM}, runs, sums)
    assert (path, same) == ("/r/a", True) and "is here as demo: a" in note
    # the same model under another name wins over the same name with another model
    label, path, same, note = session.match_run({"name": "b", "checksum": SUM}, runs, sums)
    assert (path, same) == ("/r/a", True)
    label, path, same, note = session.match_run({"name": "b", "checksum": "c" * 64}, runs,
                                                sums)
    assert (path, same) == ("/r/b", False) and "checksum differs" in note
    label, path, same, note = session.match_run({"name": "gone", "checksum": "c" * 64},
                                                runs, sums)
    assert path is None and not same and "not among this server's runs" in note


def _edit(change):
    doc = _doc()
    change(doc)
    return json.dumps(doc).encode()


BAD = [
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"\x80\x04\x95pickle", "not UTF-8"),
    (b'{"format": ', "not JSON (Expecting value at line 1"),
    (b"[" * 100_000, "nests lists or objects too deeply"),
    (b"[]", "not a promoter-explorer session"),
    (b'{"format": "promoter-explorer-session", "version": 2}', "version 2, saved by a newer"),
    (b'{"format": "promoter-explorer-session", "version": true}', "unknown session version"),
    (b'{"format": "promoter-explorer-session", "format": "x"}', "'format' appears twice"),
    (_edit(lambda d: d["settings"].update(design_budget=50)),
     "setting design_budget 50 is over the limit of 10"),
    (_edit(lambda d: d["settings"].update(predict_text=5)), "setting predict_text must be text"),
    (_edit(lambda d: d["settings"].update(mut_mode="Explode")),
     "setting mut_mode must be one of 'Explore and mutate', 'Compare two sequences'"),
    (_edit(lambda d: d["settings"].update(design_gc=[70, 30])), "design_gc must go up"),
    (_edit(lambda d: d["settings"].update(rm_rf=1)), "unknown setting 'rm_rf'"),
    (_edit(lambda d: d.update(extra=1)), "the session has an unknown field 'extra'"),
    (_edit(lambda d: d["run"].update(checksum="../../etc")), "64 hexadecimal digits"),
    (_edit(lambda d: d["trajectory"]["steps"][1].update(mutation="21A>C")),
     "trajectory step 1: '21A>C' does not turn the previous sequence into this one"),
    (_edit(lambda d: d["trajectory"]["steps"][0].update(sequence="XYZ")),
     "must be a sequence of A, C, G, T and N"),
    (_edit(lambda d: d["design"]["result"]["table"].pop("score")),
     "the design table lacks score"),
    (_edit(lambda d: d["design"]["result"]["table"].update(
        {k: v * 60 for k, v in d["design"]["result"]["table"].items()})),
     "the design table is 120 rows, over the limit of 101 rows"),
    (_edit(lambda d: d["design"]["result"]["objective"].update(kind="target")),
     "the design's objective: a target objective needs a finite target"),
]


@pytest.mark.parametrize("data,message", BAD, ids=[m[:30] for _, m in BAD])
def test_broken_or_hostile_files_are_one_line(data, message):
    with pytest.raises(SessionError) as err:
        session.loads(data)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_nan_and_size_bounds(monkeypatch):
    text = session.dumps(_doc()).decode().replace('"design_budget": 3', '"design_budget": NaN')
    with pytest.raises(SessionError, match="NaN is not a number JSON allows"):
        session.loads(text.encode())
    monkeypatch.setattr(bounds, "MAX_SESSION_BYTES", 100)
    with pytest.raises(SessionError, match=r"the session file is [0-9,]+ bytes, over the "
                                           r"limit of 100 bytes"):
        session.loads(session.dumps(_doc()))


def test_a_paste_over_the_bound_is_reported_not_saved(monkeypatch):
    state = {"predict_text": "A" * (bounds.MAX_SESSION_TEXT + 1), "design_budget": 2}
    assert session.unsaved(state) == [f"setting predict_text is {bounds.MAX_SESSION_TEXT + 1:,} "
                                      f"characters, over the limit of "
                                      f"{bounds.MAX_SESSION_TEXT:,} characters"]
    assert session.capture(state, None)["settings"] == {"design_budget": 2}


def test_every_saved_setting_is_a_persisted_widget_and_back():
    """The settings a session saves are exactly the widgets created with
    ``persist_state="session"`` (the grammar page's motif pickers by pattern) and those of
    ``SHOWN_ONLY``: a widget that keeps its value across pages is saved, and nothing else is.
    """
    import re

    from app.session_fields import FIELDS, SHOWN_ONLY

    src = "\n".join(p.read_text() for p in sorted((ROOT / "app" / "views").glob("*.py")))
    persisted = set(re.findall(r'key="([a-z0-9_]+)",\s*persist_state="session"', src))
    if re.search(r'key=key,\s*persist_state="session"', src):  # grammar.pick_motif
        persisted |= {"gr_motif_a", "gr_motif_b"}
    if re.search(r'key=f"\{key\}_text",\s*persist_state="session"', src):
        persisted |= {"gr_motif_a_text", "gr_motif_b_text"}
    assert persisted == set(FIELDS) - SHOWN_ONLY
    for key in SHOWN_ONLY:  # saved while on screen, but not kept across pages
        assert f'key="{key}"' in src and key not in persisted
