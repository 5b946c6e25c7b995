"""Save and open a dashboard session: one plain, versioned JSON file, read strictly.

A session is the dashboard's state, not science: the text in the boxes, the page settings
(:mod:`app.session_fields`), the Mutagenesis trajectory (:func:`app.trajectory.export`), the
designs of the Design page and the run they were made with, named by its folder name and
its model checksum (:func:`promoter_model.motifs.model_checksum`, the one rule for what
identifies a model). It names widget keys, which only the app has, so it lives in the app;
the package has no notion of a session. No ``st.*`` here (:mod:`app.session_bar` is the
sidebar control).

The file: ``{"format": "promoter-explorer-session", "version": 1, "saved_at", "run":
{"name", "checksum"}, "settings": {key: value}, "trajectory": {"start", "steps"} | null,
"design": {"params", "result", "held_out"} | null}``; JSON text, UTF-8, no NaN (unknown is
``null``), no pickles. :func:`loads` refuses anything else with a one-line
:class:`SessionError`: a file over :data:`promoter_model.bounds.MAX_SESSION_BYTES`, not
JSON, a duplicated key, an unknown field or setting, a value of the wrong kind or out of
its widget's bounds, a trajectory whose steps do not follow from one another, a design
table with missing columns or too many rows.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from app.session_fields import (
    FIELDS,
    SEED,
    Choice,
    Flag,
    Real,
    SessionError,
    Text,
    Whole,
    check_object,
    check_sequence,
    check_setting,
    check_table,
)
from promoter_model import bounds

FORMAT = "promoter-explorer-session"
VERSION = 1
DESIGN_RESULT = "design_result"  # the Design page's state key: {"params", "result", "held"}
_TOP = ("format", "version", "saved_at", "run", "settings", "trajectory", "design")
_MUTATION = re.compile(r"([0-9]+)([ACGTN])>([ACGT])")
#: column kinds of the tables a design carries
_TABLE = {"id": "text", "sequence": "seq", "prediction": "real", "sd": "real?",
          "lower": "real?", "upper": "real?", "n_mutations": "whole", "mutations": "text",
          "score": "real", "reached": "bool?"}
_STEPS = {"id": "text", "step": "whole", "mutation": "text", "sequence": "seq",
          "prediction": "real", "sd": "real?", "lower": "real?", "upper": "real?"}
_HELD = {"left_out": "text", "id": "text", "sequence": "seq", "mutations": "text",
         "design_prediction": "real", "left_out_start": "real",
         "left_out_prediction": "real", "agrees": "bool"}
_PARAMS = {"start": None, "objective": None, "constraints": None, "strategy": None,
           "n_designs": None, "seed": None, "held_out": None, "min_distance": None}


@dataclass
class Session:
    """A checked session file: what :func:`apply` puts back."""

    run: dict | None
    settings: dict
    trajectory: dict | None = None
    design: dict | None = None
    notes: list = field(default_factory=list)


# --------------------------------------------------------------------------- writing
def _plain(v):
    """JSON-ready: tuples as lists, numpy scalars as Python, NaN as None."""
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _columns(df: pd.DataFrame) -> dict:
    return {c: [_plain(x) for x in df[c].tolist()] for c in df.columns}


def unsaved(state) -> list:
    """The settings in ``state`` a session file cannot hold (e.g. a paste over the bound),
    as one line each.
    """
    out = []
    for key in FIELDS:
        if state.get(key) is not None:
            try:
                check_setting(key, _plain(state[key]))
            except SessionError as exc:
                out.append(str(exc))
    return out


def capture(state, run: dict | None) -> dict:
    """The session document of ``state`` (a dict-like session state).

    ``run``: ``{"name", "checksum"}`` of the selected run (:func:`run_reference`), or None.
    """
    from app import trajectory

    settings = {}
    for key in FIELDS:
        if state.get(key) is None:
            continue
        value = _plain(state[key])
        try:
            check_setting(key, value)
        except SessionError:
            continue  # listed by unsaved(), shown beside the button
        settings[key] = value
    design = None
    stored = state.get(DESIGN_RESULT)
    if stored:
        result, held = stored["result"], stored["held"]
        design = {
            "params": {k: _plain(stored["params"][k]) for k in _PARAMS},
            "result": {"start": result.start, "strategy": result.strategy, "unit": result.unit,
                       "objective": {"kind": result.objective.kind,
                                     "target": _plain(result.objective.target),
                                     "tolerance": result.objective.tolerance,
                                     "uncertainty": result.objective.uncertainty},
                       "notes": list(result.notes), "seconds": float(result.seconds),
                       "evaluations": int(result.evaluations),
                       "table": _columns(result.table),
                       "trajectories": _columns(result.trajectories)},
            "held_out": None if held is None else _columns(held)}
    return {"format": FORMAT, "version": VERSION,
            "saved_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "run": run, "settings": settings, "trajectory": trajectory.export(state),
            "design": design}


def dumps(doc: dict) -> bytes:
    """The file's bytes (indented JSON, UTF-8)."""
    return (json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode()


def run_reference(path) -> dict | None:
    """``{"name", "checksum"}`` of a run or ensemble folder (None without one)."""
    from promoter_model.motifs import model_checksum

    if not path:
        return None
    return {"name": Path(path).name, "checksum": model_checksum(path)}


# --------------------------------------------------------------------------- reading
def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise SessionError(f"the key {k!r:.60} appears twice in one object")
        out[k] = v
    return out


def _no_constant(name):
    raise SessionError(f"{name} is not a number JSON allows (write null for unknown)")


def _trajectory(v) -> dict | None:
    if v is None:
        return None
    check_object(v, "the trajectory", ("start", "steps"))
    start = check_sequence(v["start"], "the trajectory's start")
    steps = v["steps"]
    if not isinstance(steps, list) or not steps:
        raise SessionError("the trajectory's steps must be a non-empty list")
    try:
        bounds.size("the trajectory", len(steps), bounds.MAX_SESSION_STEPS, "steps")
    except bounds.BoundError as exc:
        raise SessionError(str(exc)) from None
    out, previous = [], None
    for i, s in enumerate(steps):
        where = f"trajectory step {i}"
        check_object(s, where, ("step", "mutation", "sequence", "predicted"))
        seq = check_sequence(s["sequence"], f"{where} sequence")
        if s["step"] != i or isinstance(s["step"], bool):
            raise SessionError(f"{where} is numbered {s['step']!r:.20}")
        if s["predicted"] is not None:
            Real().check(f"{where} predicted", s["predicted"])
        if i == 0:
            if s["mutation"] != "input" or seq != start:
                raise SessionError("trajectory step 0 must be the input, the start sequence")
        else:
            m = _MUTATION.fullmatch(s["mutation"]) if isinstance(s["mutation"], str) else None
            pos = int(m.group(1)) if m else 0
            if (not m or not 1 <= pos <= len(previous) or previous[pos - 1] != m.group(2)
                    or seq != previous[:pos - 1] + m.group(3) + previous[pos:]):
                raise SessionError(f"{where}: {str(s['mutation'])[:30]!r} does not turn the "
                                   "previous sequence into this one")
        out.append({"step": i, "mutation": s["mutation"], "sequence": seq,
                    "predicted": s["predicted"]})
        previous = seq
    return {"start": start, "steps": out}


def _design(v) -> dict | None:
    from promoter_model.design.objective import MAX_DESIGNS, DesignResult, Objective

    if v is None:
        return None
    check_object(v, "the design", ("params", "result", "held_out"))
    p = check_object(v["params"], "the design's params", _PARAMS)
    if p["start"] is not None:
        check_sequence(p["start"], "the design's start")
    for k in ("objective", "constraints"):
        Text(5000).check(f"design {k}", p[k])
    Choice(("greedy", "beam", "genetic")).check("design strategy", p["strategy"])
    Whole(1, MAX_DESIGNS).check("design n_designs", p["n_designs"])
    Whole(0, SEED).check("design seed", p["seed"])
    Flag().check("design held_out", p["held_out"])
    Whole(1, 2 * bounds.MAX_MUTATIONS).check("design min_distance", p["min_distance"])
    r = check_object(v["result"], "the design's result", ("start", "strategy", "unit", "objective",
                                                     "notes", "seconds", "evaluations",
                                                     "table", "trajectories"))
    o = check_object(r["objective"], "the design's objective",
                ("kind", "target", "tolerance", "uncertainty"))
    notes = r["notes"]
    if not isinstance(notes, list) or len(notes) > 50 or not all(
            isinstance(n, str) and len(n) <= 1000 for n in notes):
        raise SessionError("the design's notes must be a list of at most 50 short texts")
    table = check_table(r["table"], "the design table", _TABLE, MAX_DESIGNS + 1)
    if not len(table) or table["id"].iloc[0] != "start":
        raise SessionError("the design table must begin with the start's row")
    steps = check_table(r["trajectories"], "the design trajectories", _STEPS,
                   MAX_DESIGNS * (bounds.MAX_MUTATIONS + 1))
    held = None if v["held_out"] is None else check_table(
        v["held_out"], "the held-out check", _HELD, bounds.MAX_MEMBERS * MAX_DESIGNS)
    try:
        objective = Objective(o["kind"], target=o["target"], tolerance=o["tolerance"],
                              uncertainty=o["uncertainty"])
        result = DesignResult(
            table=table, trajectories=steps, start=check_sequence(r["start"], "the design start"),
            objective=objective, strategy=Choice(
                ("greedy", "beam", "genetic")).check("design strategy", r["strategy"]),
            unit=Text(300).check("design unit", r["unit"]), notes=list(notes),
            seconds=Real(lo=0.0).check("design seconds", r["seconds"]),
            evaluations=Whole(0, 10**12).check("design evaluations", r["evaluations"]))
    except (TypeError, ValueError) as exc:
        raise SessionError(f"the design's objective: {exc}") from None
    return {"params": dict(p), "result": result, "held": held}


def loads(data: bytes, choices: dict | None = None) -> Session:
    """Check a session file's bytes; return what :func:`apply` puts back.

    ``choices``: ``{"examples": labels, "motifs": ids}`` offered here; a setting naming one
    not offered is left out with a note (``Session.notes``).

    Raises
    ------
    SessionError
        One line naming the problem.
    """
    try:
        bounds.size("the session file", len(data), bounds.MAX_SESSION_BYTES)
    except bounds.BoundError as exc:
        raise SessionError(str(exc)) from None
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionError("the file is not UTF-8 text (a session file is JSON)") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise SessionError(f"the file is not JSON ({exc.msg} at line {exc.lineno}, column "
                           f"{exc.colno})") from None
    except RecursionError:
        raise SessionError("the file nests lists or objects too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionError(f"the file is not a promoter-explorer session (no \"format\": "
                           f"\"{FORMAT}\")")
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise SessionError(f"the session is version {version}, saved by a newer dashboard; "
                           f"this one reads version {VERSION}")
    if version != VERSION or isinstance(version, bool):
        raise SessionError(f"unknown session version {version!r:.20} (this dashboard reads "
                           f"version {VERSION})")
    check_object(doc, "the session", _TOP)
    Text(40).check("saved_at", doc["saved_at"])
    run = doc["run"]
    if run is not None:
        check_object(run, "the session's run", ("name", "checksum"))
        Text(300).check("run name", run["name"])
        if run["checksum"] is not None and not (isinstance(run["checksum"], str)
                                                and re.fullmatch(r"[0-9a-f]{64}",
                                                                 run["checksum"])):
            raise SessionError("the run's checksum must be 64 hexadecimal digits or null")
    if not isinstance(doc["settings"], dict):
        raise SessionError("the session's settings must be an object")
    settings, notes = {}, []
    for key, value in doc["settings"].items():
        value, note = check_setting(key, value, choices)
        if note:
            notes.append(note)
        if value is not None:
            settings[key] = value
    return Session(run=run, settings=settings, trajectory=_trajectory(doc["trajectory"]),
                   design=_design(doc["design"]), notes=notes)


# --------------------------------------------------------------------------- opening
def match_run(ref: dict | None, runs, checksum) -> tuple:
    """Find the session's run among ``runs`` (``[(label, path)]``).

    Returns
    -------
    (label, path, same, note)
        The run to select (label and path, None when none fits), whether it is the model
        the session was saved with, and a note when it is not exactly that run (None).
    """
    if ref is None:
        return None, None, False, "the session names no run: the current run is kept"
    name, want = ref["name"], ref["checksum"]
    sums = {path: checksum(path) for _, path in runs}
    for label, path in runs:
        if Path(path).name == name and want is not None and sums[path] == want:
            return label, path, True, None
    for label, path in runs:
        if want is not None and sums[path] == want:
            return label, path, True, (f"the session's run {name} is here as {label} (same "
                                       "model checksum)")
    for label, path in runs:
        if Path(path).name == name:
            return label, path, False, (
                f"the run {name} here is not the model the session was saved with (its "
                "checksum differs): its predictions are recomputed with this run and its "
                "designs are left out (press Design to redo them)")
    return None, None, False, (
        f"the session's run {name} is not among this server's runs: the current run is "
        "kept, predictions are recomputed with it and the designs are left out")


def apply(state, session: Session, run_path: str | None, stamp: float, same: bool) -> None:
    """Put ``session`` into ``state``: every setting (one the file lacks goes back to its
    default), the trajectory (predicted again unless ``same`` model) and the designs (only
    with the ``same`` model, tied to ``run_path`` and its ``stamp``).
    """
    from app import trajectory

    for key in FIELDS:
        if key in session.settings:
            value = session.settings[key]
            state[key] = tuple(value) if key == "design_gc" else value
        elif key in state:
            del state[key]
    trajectory.restore(state, session.trajectory, rescore=not same)
    if session.design is not None and same and run_path:
        d = session.design
        state[DESIGN_RESULT] = {"params": {**d["params"], "path": run_path, "stamp": stamp},
                                "result": d["result"], "held": d["held"]}
    elif DESIGN_RESULT in state:
        del state[DESIGN_RESULT]
