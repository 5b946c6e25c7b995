"""The sidebar's session control: save the session as one file, open a saved one.

Saving reads the session state when the button is clicked (a deferred download), so what
the page did in its last run (a design just made, a mutation just clicked) is in the file.
Opening checks the file (:func:`app.session.loads`), finds its run by name and model
checksum among this server's runs (:func:`app.session.match_run`) and puts everything back
before the next run (the uploader's ``on_change``); what could not be restored, and why, is
said under the control.
"""

from __future__ import annotations

import streamlit as st

from app import deployment, session
from app.cache import data as data_cache
from app.cache import motifs as motif_cache
from app.cache import runs as run_cache
from app.session_fields import TYPED_SITE, SessionError

NOTICE = "session_notice"  # (kind, text) of the last open, shown under the control
_UPLOADS = "session_uploads"  # a new uploader (empty) after each file opened


def _choices(path: str | None) -> dict:
    """What the pages offer here: example labels, and motif ids for the scan and grammar."""
    from promoter_model.motifs import discovered_path

    ids = {TYPED_SITE, *motif_cache.jaspar()}
    doc = None
    if path:
        try:
            doc = motif_cache.discovered(path, discovered_path(path).stat().st_mtime)
        except (OSError, ValueError):  # none, or unreadable (the Motifs page says why)
            pass
        ids |= {f"discovered:{p['name']}" for p in (doc or {}).get("patterns", [])}
    return {"examples": set(data_cache.examples()["label"]), "motifs": ids}


def _open(key: str) -> None:
    """The uploader's callback: check the file and put the session back."""
    state = st.session_state
    upload = state.get(key)
    if upload is None:
        return
    state[_UPLOADS] = state.get(_UPLOADS, 0) + 1
    runs, _ = run_cache.available_runs(state.get("runs_dir", ""),
                                      str(deployment.demo_run_path()))
    try:
        data = upload.getvalue()
        ref = session.loads(data).run  # the run first: the motif choices depend on it
        label, path, same, note = session.match_run(ref, runs, _checksum)
        opened = session.loads(data, choices=_choices(path or state.get("run_path")))
    except SessionError as exc:
        state[NOTICE] = ("error", f"This session file cannot be opened: {exc}.")
        return
    if path:
        state["run_path"], state["run_label"] = path, label
    current = state.get("run_path")
    session.apply(state, opened, current, run_cache.run_stamp(current) if current else 0.0,
                  same)
    notes = ([note] if note else []) + opened.notes
    text = f"Session opened ({upload.name})."
    state[NOTICE] = ("warning", text + " " + " ".join(f"Note: {n}." for n in notes)) \
        if notes else ("success", text)


def _checksum(path: str):
    from promoter_model.motifs import model_checksum

    return model_checksum(path)


def _saved_state():
    """The live session state, read when the download is clicked (another thread)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    live = ctx.session_state if ctx is not None else None

    def data() -> bytes:
        state = dict(live.filtered_state) if live is not None else {}
        return session.dumps(session.capture(state, session.run_reference(
            state.get("run_path"))))
    return data


def controls() -> None:
    """The sidebar's "Session" expander: save, open, and what the last open said."""
    notice = st.session_state.get(NOTICE)
    with st.expander("Session: save or open", expanded=notice is not None
                     and notice[0] != "success"):
        st.download_button(
            "Save session", data=_saved_state(), file_name="promoter_session.json",
            mime="application/json", key="session_save", on_click="ignore",
            icon=":material/download:", width="stretch",
            help="One JSON file with the sequences you entered, the page settings, the "
                 "Mutagenesis trajectory, the designs and the run (by name and model "
                 "checksum); open it here or on another machine to get the same state back.")
        for line in session.unsaved(st.session_state):
            st.caption(f"Not saved: {line}.")
        key = f"session_file_{st.session_state.get(_UPLOADS, 0)}"
        st.file_uploader("Open a saved session", type=["json"], key=key, on_change=_open,
                         args=(key,), help="A file saved with Save session.")
        if notice is not None:
            {"error": st.error, "warning": st.warning, "success": st.success}[notice[0]](
                notice[1])
