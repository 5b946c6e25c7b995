"""Motifs for the pages: JASPAR motifs, the filter analysis, motif scans and the run's
discovered motifs (each a thin, cached call of the package; :mod:`app.cache.runs` loads runs).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app.cache.runs import get_predictor, get_run
from app.deployment import motif_cache_dir


@st.cache_resource(show_spinner="Reading JASPAR fungi motifs…")
def jaspar() -> dict:
    """JASPAR CORE fungi motifs by matrix ID (offline, from pyjaspar)."""
    from promoter_model.motifs.jaspar import jaspar_fungi_motifs

    return {m.id: m for m in jaspar_fungi_motifs()}


@st.cache_data(max_entries=8, show_spinner=False)
def run_motifs(path: str, stamp: float):
    """The filter analysis of the run (an ensemble's first member), or None if not computed."""
    from promoter_model.interpret.filters import load_motifs

    member = str(get_run(path, stamp).path)  # the loaded run itself, or the first member
    # the app's own analysis first, then one shipped with the run (``promoter-model motifs``)
    return load_motifs(member, cache_dir=motif_cache_dir(member)) or load_motifs(member)


def compute_run_motifs(path: str, stamp: float):
    """Compute the filter analysis on the package's reference set (as ``promoter-model
    motifs`` does: :func:`promoter_model.interpret.reference.filter_reference`).
    """
    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.interpret.reference import filter_reference

    run = get_run(path, stamp)  # the run itself, or an ensemble's first member
    cache = check_cache_writable(motif_cache_dir(run.path))  # before minutes of work
    X, y, described = filter_reference()
    out = compute_motifs(run.path, X, y, model=run.model,
                         cache_dir=cache,  # never written into the run
                         reference=described)
    run_motifs.clear()
    return out


def check_cache_writable(folder):
    """``folder`` (the app's motif cache for one run), created if needed and writable.

    Raises
    ------
    OSError
        Naming the cache folder (never the run's) and ``PROMOTER_CACHE_DIR``, checked before
        any analysis starts.
    """
    import os
    from pathlib import Path

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK | os.X_OK)
    except OSError as exc:
        writable, why = False, exc.strerror or str(exc)
    else:
        why = "read-only file system or no permission"
    if not writable:
        raise OSError(f"the dashboard's cache folder {folder} cannot be written ({why}); "
                      "set PROMOTER_CACHE_DIR to a writable folder. The run folder is never "
                      "written")
    return folder


@st.cache_data(max_entries=1024, show_spinner=False)
def small_logo_png(matrix: np.ndarray, kind: str = "pfm", title: str = "") -> bytes:
    """PNG of a filter or JASPAR logo, cached by its values."""
    from app import export, figures

    return export.mpl_bytes(figures.filter_logo(matrix, kind=kind, title=title), "png",
                            dpi=100, tight=False)


@st.cache_data(max_entries=256, show_spinner=False)
def pair_logo_png(top: np.ndarray, bottom: np.ndarray, titles: tuple) -> bytes:
    """PNG of two aligned motifs one over the other (``plot.motif_pair``), cached."""
    from app import export
    from promoter_model.plot import motif_pair

    return export.mpl_bytes(motif_pair(top, bottom, titles=titles), "png", dpi=100,
                            tight=False)


@st.cache_data(max_entries=64, show_spinner=False)
def motif_scan(path: str, stamp: float, sequence: str, motif_id: str, both: bool, pfm=None):
    """Predicted change with a JASPAR (or, given ``pfm``, discovered) motif at each start."""
    from promoter_model.interpret.variants import motif_scan as _scan

    motif = jaspar()[motif_id] if pfm is None else np.asarray(pfm)
    return _scan(get_predictor(path, stamp), sequence, motif, both_strands=both)


@st.cache_data(max_entries=8, show_spinner=False)
def discovered(path: str, stamp: float):
    """The run's checked ``motifs/discovered.json`` (None if absent; ``stamp``: its mtime)."""
    from promoter_model.motifs.store import read_discovered

    return read_discovered(path)
