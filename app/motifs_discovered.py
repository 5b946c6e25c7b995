"""Motifs page, first section: the motifs the model uses, found by ``promoter-model discover``.

Reads ``RUN/motifs/discovered.json`` (through :mod:`promoter_model.motifs.store`)
and shows each pattern with its contribution logo (CWM), its significant JASPAR matches with
q-values, seqlet count, where its seqlets lie along the 110 bp input and its effect ± sd.
A JASPAR match with q >= ``SIGNIFICANT_Q`` is never written beside a logo: the pattern says
"no significant match" and the match stays in the table of all matches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app import motif_figures, motif_services, services, ui
from promoter_model import motifs as dio
from promoter_model import plot

COMMAND = "promoter-model discover {run}"
PER_PAGE = 8  # pattern cards per page (each draws two logos and a histogram)


def file_stamp(path) -> float:
    """Modification time of the run's discovered.json (0 when absent): the cache key."""
    try:
        return dio.discovered_path(path).stat().st_mtime
    except OSError:
        return 0.0


def load(path: str):
    """The checked document, or None (absent); a malformed file is shown as one error line."""
    try:
        return motif_services.discovered(path, file_stamp(path))
    except ValueError as exc:
        msg = str(exc)
        if services.locked():  # no server paths on a shared deployment
            msg = msg.replace(str(Path(path)), Path(path).name)
        st.error(f"The run's discovered motifs cannot be read: {msg}")
        return None


def _match_text(pattern: dict) -> str:
    best = dio.best_significant_match(pattern)
    if best is None:
        return f"no significant match (q ≥ {dio.SIGNIFICANT_Q:g} for every JASPAR motif)"
    return f"matches **{best['name']}** ({best['id']}), q = {best['q_value']:.2g}"


def _meme(patterns) -> str:
    """MEME text of patterns, named by their significant match only."""
    items = [(p["name"], (dio.best_significant_match(p) or {}).get("name", ""), p["pfm"])
             for p in patterns]
    return dio.to_meme(items, nsites=[p["n_seqlets"] for p in patterns])


def _downloads(name: str, table, patterns, key: str) -> None:
    with st.container(horizontal=True):
        ui.table_download(table, name=f"{name}_discovered", key=f"{key}_csv", label="CSV")
        st.download_button("MEME", data=_meme(patterns).encode(),
                           file_name=f"{ui.slug(name)}_discovered.meme", mime="text/plain",
                           key=f"{key}_meme", on_click="ignore", icon=":material/download:",
                           help="PFMs in MEME minimal motif format (Tomtom, FIMO, SEA)")


def _pattern(run_name: str, p: dict, table, unit: str) -> None:
    """One pattern: logo, numbers, matches, seqlet positions, downloads."""
    name, cwm = p["name"], p["cwm"]
    label = dio.pattern_label(p)
    with st.container(border=True):
        a, b = st.columns([3, 4])
        with a:
            st.image(motif_services.small_logo_png(cwm, "cwm", f"{name} (CWM)"), width="stretch")
            ui.figure_downloads(
                lambda m=cwm, t=f"{label} {name} (CWM)": plot.filter_logo(m, kind="cwm",
                                                                          title=t),
                name=f"{run_name}_{name}_cwm", key=f"disc_logo_{name}")
            st.image(motif_services.small_logo_png(p["pfm"], "pfm", f"{name} (PFM)"),
                     width="stretch")
            ui.figure_downloads(
                lambda m=p["pfm"], t=f"{label} {name} (PFM)": plot.filter_logo(m, kind="pfm",
                                                                              title=t),
                name=f"{run_name}_{name}_pfm", key=f"disc_pfm_logo_{name}")
        with b:
            role = "activator" if p["sign"] == "+" else "repressor"
            st.markdown(f"**{name}**: {_match_text(p)}")
            how = {"insert": "inserted"}.get(p.get("effect_method"), "scrambled")
            st.caption(f"{role}; {p['n_seqlets']} seqlets; effect when its seqlets are "
                       f"{how}: {p['effect']:+.3f} ± {p['effect_sd']:.3f} ({unit})"
                       .replace("nan", "n/a"))
            sig = table[(table["pattern"] == name) & table["significant"]]
            if not sig.empty:
                st.dataframe(sig[["match_name", "match_id", "p_value", "q_value"]],
                             hide_index=True, key=f"disc_matches_{name}")
            width = len(cwm)
            starts, strands = p["seqlet_starts"], p["seqlet_strands"]
            ui.plotly(motif_figures.seqlet_position_plot(starts, strands, width=width,
                                                   title=f"Where {name}'s seqlets lie"),
                      key=f"disc_pos_{name}", name=f"{run_name}_{name}_positions",
                      static=lambda s=starts, d=strands, w=width: plot.seqlet_positions(
                          s, d, width=w, title=f"{label} {name}: seqlet positions"))
            _downloads(f"{run_name}_{name}", table[table["pattern"] == name].drop(
                columns="significant"), [p], key=f"disc_{name}")


def show(path: str, unit: str) -> None:
    """The discovered-motifs section of the Motifs page (``path``: run or ensemble folder)."""
    st.subheader("Motifs the model uses (discovered)")
    doc = load(path)
    if doc is None:
        if not dio.discovered_path(path).exists():
            st.info("This run has no discovered motifs yet. They are found from the model's "
                    "attributions (TF-MoDISco seqlets clustered into patterns, matched to "
                    "JASPAR CORE fungi with q-values), unlike the first-layer filters below. "
                    "Run promoter-model discover on the run folder to produce them:")
            st.code(COMMAND.format(run=Path(path).name if services.locked() else path),
                    language="bash")
        return
    if doc.get("model_checksum") != dio.model_checksum(path):
        st.warning("These motifs were discovered for a different version of this run's "
                   "model (checksum differs): run promoter-model discover again.")
    patterns = doc["patterns"]
    table = dio.discovered_table(doc)
    ref = doc.get("reference") or {}
    n_sig = sum(dio.best_significant_match(p) is not None for p in patterns)
    st.caption(
        f"{len(patterns)} patterns from {doc.get('method', '?')} attributions of "
        f"{ref.get('n', '?')} reference sequences"
        f" ({services.safe_markdown(str(ref.get('name', '')))}); {n_sig} match a "
        f"{services.safe_markdown(str(doc.get('jaspar_release', 'JASPAR')))} fungi motif at "
        f"q < {dio.SIGNIFICANT_Q:g}. Effect: mean predicted change when the pattern's "
        "seqlets are scrambled (activators positive).")
    name = Path(path).name
    _downloads(name, table.drop(columns="significant"), patterns, key="disc_all")
    if not patterns:
        st.info("The discovery found no pattern with enough seqlets.")
        return
    ordered = sorted(patterns, key=lambda p: -p["n_seqlets"])
    per_page = PER_PAGE
    pages = max(1, -(-len(ordered) // per_page))
    if pages > 1:
        page = st.number_input(f"Page (of {pages}, {per_page} patterns each, most seqlets "
                               "first)", 1, pages, 1, key="disc_page")
    else:
        page = 1
    for p in ordered[(page - 1) * per_page: page * per_page]:
        _pattern(name, p, table, unit)
    with st.expander("All JASPAR matches of the discovered patterns (with q-values)"):
        st.caption(f"Rows with q ≥ {dio.SIGNIFICANT_Q:g} are not significant: the nearest "
                   "JASPAR motif, not an identification.")
        st.dataframe(table, hide_index=True, key="disc_table")


def scan_choices(path: str) -> dict:
    """Discovered patterns offered to the motif scan: ``{pattern name: Motif}``."""
    doc = None
    try:
        doc = motif_services.discovered(path, file_stamp(path))
    except ValueError:
        pass  # shown in the discovered section
    if doc is None:
        return {}
    return {p["name"]: dio.Motif(id=p["name"], name=dio.pattern_label(p),
                                 pfm=np.asarray(p["pfm"])) for p in doc["patterns"]}
