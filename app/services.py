"""Cached loaders and engine calls for the dashboard (the only Streamlit-aware glue).

* Runs are loaded once per process (``st.cache_resource``) and warmed up; every model call
  goes through :mod:`promoter_model.model.predict` (a ``tf.function``, thread-safe), never
  ``model.predict``.
* Expensive results (predictions, ISM, attributions, test-set predictions, motif tables) are
  cached with ``st.cache_data`` keyed by ``(run path, run stamp, sequence ...)``; the stamp
  is the modification time of the run's ``checksums.json``, so a re-trained run in the same
  folder is reloaded.

Configuration (environment variables)
-------------------------------------
PROMOTER_DEMO_RUN     the bundled run shown by default (``assets/demo_model``)
PROMOTER_RUNS_DIR     folder whose sub-folders are offered as runs (``runs/`` in the repo)
PROMOTER_MAX_RECORDS  most sequences accepted in one batch (1000)
PROMOTER_LOCKED       1/true/yes: a shared deployment. Only the demo run and runs directly
                      under PROMOTER_RUNS_DIR are offered or loaded, the runs folder cannot be
                      changed from the page, and nothing about other paths is shown
PROMOTER_CACHE_DIR    where the app writes its motif analyses (default: a private folder in
                      the system temp dir); the app never writes into a run folder
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from app.deployment import (  # noqa: F401  (part of this module's interface)
    bundled_runs,
    cache_dir,
    default_runs_dir,
    demo_run_path,
    locked,
    motif_cache_dir,
    run_allowed,
    safe_markdown,
)
from app.run_info import (  # noqa: F401  (part of this module's interface)
    MEASURED_UNIT,
    headline_data,
    metrics_table,
    unit_of,
)
from promoter_model.predictor import DEFAULT_UNIT  # noqa: F401  (part of this interface)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "assets" / "data"

ROBUSTNESS_AUTO = 20  # batch size up to which robustness is computed without asking


# --------------------------------------------------------------------------- config
def max_records() -> int:
    """Most sequences one Predict request may hold (``PROMOTER_MAX_RECORDS``, default 1000)."""
    try:
        return max(1, int(os.environ.get("PROMOTER_MAX_RECORDS", "1000")))
    except ValueError:
        return 1000


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
    for entry in scan(runs_dir):
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


# --------------------------------------------------------------------------- data
@st.cache_data(show_spinner=False)
def test_measured() -> pd.DataFrame:
    """All measured test sequences: ``pos, sequence, expression, public_leaderboard``."""
    from promoter_model.dream import load_test_table

    return load_test_table(DATA / "test_measured.tsv.gz")


@st.cache_data(show_spinner=False)
def expression_scale() -> dict:
    """Measured range and native-promoter spread of the test data (dream.expression_scale)."""
    from promoter_model.dream import expression_scale as _scale

    return _scale(DATA / "test_measured.tsv.gz", DATA / "test_subsets" / "yeast_seqs.csv")


@st.cache_data(show_spinner=False)
def measured_expression() -> np.ndarray:
    """Measured expression of every DREAM test sequence, shape (n,)."""
    return test_measured()["expression"].to_numpy(np.float64)


@st.cache_data(show_spinner=False)
def leaderboard_subsets() -> dict:
    """The public-leaderboard subsets (positions in the test table)."""
    from promoter_model.dream import load_subsets

    return load_subsets(DATA / "public_leaderboard.json")


@st.cache_data(show_spinner=False)
def examples(n: int = 4) -> pd.DataFrame:
    """Example sequences: native yeast promoters, high and low expressers of the test set.

    Returns
    -------
    DataFrame with ``label, id, group, sequence, expression``.
    """
    t = test_measured().set_index("pos")
    rows = []
    sub = DATA / "test_subsets"
    for group, file, pick in (("native yeast", "yeast_seqs.csv", "spread"),
                              ("high expresser", "high_exp_seqs.csv", "top"),
                              ("low expresser", "low_exp_seqs.csv", "bottom")):
        tags = pd.read_csv(sub / file)
        tags = tags[tags["pos"].isin(t.index)].copy()
        tags["expression"] = t.loc[tags["pos"], "expression"].to_numpy()
        tags = tags.sort_values("expression", ascending=pick == "bottom")
        if pick == "spread":
            idx = np.linspace(0, len(tags) - 1, n).round().astype(int)
            tags = tags.iloc[idx]
        else:
            tags = tags.head(n)
        for tag, pos, expr in zip(tags["tag"], tags["pos"], tags["expression"]):
            rows.append({"label": f"{tag} ({group}, measured {expr:+.2f})", "id": str(tag),
                         "group": group, "sequence": t.loc[pos, "sequence"],
                         "expression": float(expr)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- engine calls
@st.cache_data(max_entries=256, show_spinner=False)
def predict_mean_sd(path: str, stamp: float, sequences: tuple):
    """Mean prediction and members' sd (None for one run) of DNA strings: the one cached
    model call behind :func:`predict_sequences` and the pages' intervals.
    """
    return get_predictor(path, stamp).predict_sequences(list(sequences))


def predict_sequences(path: str, stamp: float, sequences: tuple) -> np.ndarray:
    """Mean predictions of DNA strings by the run or ensemble at ``path`` (cached)."""
    return predict_mean_sd(path, stamp, sequences)[0].astype(np.float32)


@st.cache_data(max_entries=256, show_spinner=False)
def ism_result(path: str, stamp: float, sequence: str):
    """The one ISM of a sequence: each member's effects (members, 110, 4) and each member's
    prediction of the sequence itself (members,), which the ISM computes anyway.
    """
    from promoter_model.interpret.ism import ism as compute_ism

    effects, reference = compute_ism(get_predictor(path, stamp), [sequence], members=True,
                                     reference=True)
    return effects[:, 0], reference[:, 0]


def ism_members(path: str, stamp: float, sequence: str) -> np.ndarray:
    """Each member's ISM effects of one sequence, shape (members, 110, 4): computed once
    (:func:`ism_result`), then the mean (:func:`ism`) and the spread
    (``uncertainty_services.ism_spread``).
    """
    return ism_result(path, stamp, sequence)[0]


def ism_prediction(path: str, stamp: float, sequence: str):
    """Mean prediction and members' sd (None for one run) of a sequence, from its ISM.

    For pages that show a sequence's ISM anyway (the Mutagenesis page): its numbers then
    all come from one model pass, with no separate prediction call.
    """
    reference = ism_result(path, stamp, sequence)[1]
    sd = float(reference.std()) if get_predictor(path, stamp).is_ensemble else None
    return float(reference.mean()), sd


@st.cache_data(max_entries=512, show_spinner=False)
def ism(path: str, stamp: float, sequence: str):
    """Reference prediction and ISM scores (110, 4) of one sequence (the members' mean)."""
    effects, reference = ism_result(path, stamp, sequence)
    return float(reference.mean()), effects.mean(axis=0, dtype=np.float64).astype(np.float32)


@st.cache_data(max_entries=64, show_spinner=False)
def ism_batch(path: str, stamp: float, sequences: tuple) -> np.ndarray:
    """ISM scores of many sequences, shape (n, 110, 4)."""
    from promoter_model.interpret.ism import ism as compute_ism

    return compute_ism(get_predictor(path, stamp), list(sequences))[0]


@st.cache_data(max_entries=128, show_spinner=False)
def attribution(path: str, stamp: float, sequence: str, method: str) -> np.ndarray:
    """Attribution matrix (110, 4) by ``method`` (ism, gradient_x_input, ...); for an
    ensemble the members' mean map.
    """
    from promoter_model.sequence import one_hot

    predictor = get_predictor(path, stamp)
    x = one_hot([sequence], length=predictor.input_length)[0]
    if method == "ism":
        from promoter_model.interpret.ism_summary import logo_matrix

        _, scores = ism(path, stamp, sequence)
        return logo_matrix(scores, x)  # the package's one formula for the ISM logo
    from promoter_model.interpret.attributions import attribution as _attr

    return np.asarray(_attr(predictor, x, method), dtype=np.float32)


@st.cache_data(max_entries=256, show_spinner=False)
def logo_png(matrix: np.ndarray, title: str = "", ylabel: str = "attribution") -> bytes:
    """Screen rendering (PNG) of an attribution logo, cached by its values."""
    from app import export, figures

    return export.mpl_bytes(figures.attribution_logo(matrix, title=title, ylabel=ylabel),
                            "png", dpi=100, tight=False)


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
