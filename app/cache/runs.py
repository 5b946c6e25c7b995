"""Loading runs for the dashboard: the run picker's list, the one cached load of a run or
ensemble, and its history; what keeps a loaded model fast between script runs.

* Runs are loaded once per process (``st.cache_resource``) through
  :func:`promoter_model.predictor.load_predictor` (checksums, safe mode, the deployment's
  locked runs root) and warmed up; every model call goes through
  :mod:`promoter_model.model.predict` (a ``tf.function``, thread-safe), never
  ``model.predict``.
* Everything cached is keyed by ``(run path, run stamp, ...)``; the stamp is the
  modification time of the run's ``checksums.json``, so a re-trained run in the same folder
  is reloaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from app.deployment import bundled_runs, locked, run_allowed, safe_markdown


def run_stamp(path) -> float:
    """Modification time of the run's checksums (changes when the run is rewritten)."""
    try:
        return (Path(path) / "checksums.json").stat().st_mtime
    except OSError:
        return 0.0


def keep_model_state_between_runs() -> bool:
    """Stop Streamlit from resetting Keras after every script run (keep its figure clean-up).

    After each run Streamlit calls ``keras.backend.clear_session()``
    (``script_runner._clean_problem_modules``), meant for apps that build a new model on every
    run. Here the model is loaded once per process (:func:`get_run`), and that reset only costs
    time: a full ``gc.collect()`` (about 0.25 s on this 2-core machine, holding the GIL while
    the page is sent) and TensorFlow's kernel cache dropped, so the next model call
    re-instantiates the compiled predictor (about 0.2 s). Together about half a second of
    every click on the Mutagenesis page (``bench/bench_app.py``).

    Returns
    -------
    bool
        False if this Streamlit version has no such hook (then nothing is changed).
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - Streamlit moved its runner
        return False
    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        return False
    script_runner._clean_problem_modules = close_matplotlib_figures
    return True


def close_matplotlib_figures() -> None:
    """The matplotlib half of Streamlit's per-run clean-up: close every open figure."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


# --------------------------------------------------------------------------- runs
@st.cache_data(ttl=20, show_spinner=False)
def available_runs(runs_dir: str, demo: str):
    """Valid runs and ensembles to offer, and the folders that were skipped.

    Returns
    -------
    runs : list of (label, path str)
        The demo first (if valid), then valid runs and ensembles under ``runs_dir``;
        an ensemble's label gives its member count.
    skipped : list of (path str, reason)
    """
    from promoter_model.runs.catalog import check_folder, scan
    from promoter_model.runs.run import RunError

    runs, skipped = [], []
    demo_p = Path(demo)
    extra = [b for b in bundled_runs() if b.resolve() != demo_p.resolve()]
    for k, folder in enumerate([demo_p] + extra):
        if not folder.is_dir():
            skipped.append((str(folder), "the bundled demo run is not installed"))
            continue
        try:
            entry = check_folder(folder)
            runs.append((f"{'demo' if k == 0 else 'bundled'}: {entry.label}",
                         str(folder.resolve())))
        except RunError as exc:
            skipped.append((str(folder), str(exc)))
    for entry in scan(runs_dir, detail=not locked()):
        if entry.problem is None:
            if str(entry.path.resolve()) not in {p for _, p in runs}:
                runs.append((entry.label, str(entry.path.resolve())))
        else:
            skipped.append((str(entry.path), entry.problem))
    return runs, skipped


@st.cache_resource(show_spinner="Loading the model (once per server)…", max_entries=4)
def get_predictor(path: str, stamp: float):
    """Load a run through ``predictor.load_predictor`` (checksums, safe mode) and warm it."""
    from promoter_model.model.predict import warm_up
    from promoter_model.predictor import load_predictor
    from promoter_model.runs.run import RunError

    if not run_allowed(path):
        raise RunError(f"{Path(path).name}: not a run of this server's runs folder")
    predictor = load_predictor(path)
    for member in predictor.members:
        warm_up(member.model)
        member.model_card = safe_markdown(member.model_card)
    predictor.model_card = safe_markdown(predictor.model_card)  # shown wherever a page shows it
    freeze_long_lived_objects()
    return predictor


def freeze_long_lived_objects() -> None:
    """Move everything alive now (TensorFlow, Keras, the loaded models: about 550,000
    objects) out of the garbage collector's sight, after a full collection.

    Streamlit runs a full ``gc.collect(2)`` after every script run (``runner.postScriptGC``)
    to keep memory in check. With TensorFlow loaded that walk takes about 0.3 s on this
    2-core machine, holding the GIL while the page is being sent: a quarter of every
    Mutagenesis update (``bench/bench_app.py``). Frozen objects are skipped, so the walk
    then covers only what the session created since. Called after each model load: the
    unfreeze first lets a model evicted from the cache be collected.
    """
    import gc

    gc.unfreeze()
    gc.collect()
    gc.freeze()


def get_run(path: str, stamp: float):
    """The loaded run of :func:`get_predictor` (its model, config, history and card)."""
    return get_predictor(path, stamp).members[0]


def current_run():
    """The run or ensemble picked in the sidebar (or None), loaded as a ``Predictor``.

    A predictor has the ``path``, ``name``, ``config``, ``metrics``, ``model_card`` and
    ``unit`` the pages show; an ensemble's ``members`` are its runs.
    """
    path = st.session_state.get("run_path")
    if not path:
        return None
    return get_predictor(path, run_stamp(path))


@st.cache_data(max_entries=8, show_spinner=False)
def histories(paths: tuple) -> dict:
    """History tables of several runs, by run name."""
    from promoter_model.runs.run import RunError, read_history

    out = {}
    for p in paths:
        try:
            out[Path(p).name] = read_history(p)
        except RunError:
            continue
    return out
