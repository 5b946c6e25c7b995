"""Motifs: the motifs the model uses (discovered), first-layer filters, and a motif scan.

The discovered motifs are those ``promoter-model discover`` stored in
``RUN/motifs/discovered.json`` (read through :mod:`promoter_model.motifs.store`): each
pattern with its contribution logo (CWM), its significant JASPAR matches with q-values,
seqlet count, where its seqlets lie along the 110 bp input and its effect ± sd. A JASPAR
match is named beside a logo only when significant (q < ``SIGNIFICANT_Q``); the nearest
motifs of the others stay in the tables, with their q-values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app import deployment, describe, ui
from app.cache import data as data_cache
from app.cache import motifs as motif_cache
from app.cache import runs as run_cache
from app.figures import motifs as motif_figures
from promoter_model import motifs as dio
from promoter_model import plot
from promoter_model.interpret.reference import DEFAULT_N
from promoter_model.motifs.store import SIGNIFICANT_Q

st.title("Motifs learned by the model")
run = ui.need_run()
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)
# discovered motifs belong to the folder picked (an ensemble's are in the ensemble folder)
picked = st.session_state.get("run_path") or path


# --------------------------------------------------------------------------- discovered motifs
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
        return motif_cache.discovered(path, file_stamp(path))
    except ValueError as exc:
        msg = str(exc)
        if deployment.locked():  # no server paths on a shared deployment
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


def _role_text(p: dict) -> str:
    """The pattern's role by its effect's sign, and its attribution sign where they differ."""
    role = dio.pattern_role(p)
    attribution = {"+": "activator", "-": "repressor"}[p["sign"]]
    if role in ("activator", "repressor") and role != attribution:
        return (f"{role} (by its effect; its attributions are "
                f"{'positive' if p['sign'] == '+' else 'negative'}, TF-MoDISco's "
                f"{'pos' if p['sign'] == '+' else 'neg'} group)")
    return role


def _jaspar_beside(run_name: str, p: dict, label: str) -> None:
    """The significant JASPAR match's logo under the pattern's PFM, columns aligned."""
    best = dio.best_significant_match(p)
    motif = None if best is None else motif_cache.jaspar().get(best["id"])
    if motif is None:
        return
    top, bottom, al = dio.aligned_pair(p["pfm"], motif.pfm)
    titles = (f"{p['name']} (PFM)", f"{best['name']} {best['id']}"
                                    + (" (reverse complement)" if al["strand"] == "-" else ""))
    st.image(motif_cache.pair_logo_png(top, bottom, titles), width=340)
    ui.figure_downloads(lambda: plot.motif_pair(top, bottom, titles=titles),
                        name=f"{run_name}_{p['name']}_vs_jaspar_{best['id']}",
                        key=f"disc_jaspar_{p['name']}")
    st.caption(f"The pattern over {best['name']}, columns aligned where they agree best "
               f"(mean column correlation {al['score']:.2f}).")


def _pattern(run_name: str, p: dict, table, unit: str) -> None:
    """One pattern: logo, numbers, matches, seqlet positions, downloads."""
    name, cwm = p["name"], p["cwm"]
    label = dio.pattern_label(p)
    with st.container(border=True):
        a, b = st.columns([3, 4])
        with a:
            st.image(motif_cache.small_logo_png(cwm, "cwm", f"{name} (CWM)"), width="stretch")
            ui.figure_downloads(
                lambda m=cwm, t=f"{label} {name} (CWM)": plot.filter_logo(m, kind="cwm",
                                                                          title=t),
                name=f"{run_name}_{name}_cwm", key=f"disc_logo_{name}")
            st.image(motif_cache.small_logo_png(p["pfm"], "pfm", f"{name} (PFM)"),
                     width="stretch")
            ui.figure_downloads(
                lambda m=p["pfm"], t=f"{label} {name} (PFM)": plot.filter_logo(m, kind="pfm",
                                                                              title=t),
                name=f"{run_name}_{name}_pfm", key=f"disc_pfm_logo_{name}")
        with b:
            st.markdown(f"**{name}**: {_match_text(p)}")
            _jaspar_beside(run_name, p, label)
            how = {"insert": "inserted"}.get(p.get("effect_method"), "scrambled")
            st.caption(f"{_role_text(p)}; {p['n_seqlets']} seqlets; effect when its seqlets "
                       f"are {how}: {p['effect']:+.3f} ± {p['effect_sd']:.3f} ({unit})"
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
            st.code(COMMAND.format(run=Path(path).name if deployment.locked() else path),
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
        f" ({deployment.safe_markdown(str(ref.get('name', '')))}); {n_sig} match a "
        f"{deployment.safe_markdown(str(doc.get('jaspar_release', 'JASPAR')))} fungi motif at "
        f"q < {dio.SIGNIFICANT_Q:g}. Effect: mean predicted change when the pattern's "
        "seqlets are scrambled; a pattern is called an activator when its effect is "
        "positive, a repressor when negative, whatever the sign of its attributions.")
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
                               "first)", 1, pages, 1, key="disc_page", persist_state="session")
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
        doc = motif_cache.discovered(path, file_stamp(path))
    except ValueError:
        pass  # shown in the discovered section
    if doc is None:
        return {}
    return {p["name"]: dio.Motif(id=p["name"], name=dio.pattern_label(p),
                                 pfm=np.asarray(p["pfm"])) for p in doc["patterns"]}


# --------------------------------------------------------------------------- first-layer filters

def _filters(mot):
    """Filter logos sorted by influence, with their best JASPAR matches."""
    jaspar = motif_cache.jaspar()
    infl = mot["influence"].set_index("filter")
    order = (infl["mean_abs_change"].fillna(0).sort_values(ascending=False).index.to_numpy()
             if "mean_abs_change" in infl else np.arange(len(mot["weights"])))
    c1, c2, c3 = st.columns([3, 2, 3])
    raw = c1.toggle("Raw filter weights", key="motifs_raw", persist_state="session",
                    help="Off: each filter as a PFM built from the sequence stretches that "
                         "activate it most (letter heights in bits). On: the convolution "
                         "weights themselves, centred per position.")
    per_page = 10
    pages = max(1, int(np.ceil(len(order) / per_page)))
    page = c2.number_input(f"Page (of {pages}, {per_page} filters each)", 1, pages, 1,
                           key="motifs_page", persist_state="session")
    c3.caption(f"{len(order)} filters of width {mot['weights'].shape[1]}, sorted by influence "
               "(mean |change of prediction| when the filter is zeroed). PFMs from "
               f"{mot['meta'].get('n_reference', '?')} reference sequences"
               + (f" ({deployment.safe_markdown(str(mot['meta']['reference']))})."
                  if mot["meta"].get("reference") else "."))
    matches = mot["matches"]
    n_sig = int((matches[matches["rank"] == 1]["q_value"].astype(float) < SIGNIFICANT_Q).sum())
    st.caption(f"{n_sig} of {len(order)} filters match a JASPAR CORE fungi motif at "
               f"q < {SIGNIFICANT_Q:g} (Benjamini-Hochberg over the "
               f"{mot['meta'].get('release', 'JASPAR')} fungi motifs, per filter). Filters "
               "are the model's first layer, not its motifs: see Discovered motifs.")
    table = matches.merge(infl.reset_index(), on="filter", how="left")
    ui.table_download(table, name=f"{run.name}_filter_matches", key="motifs_csv",
                      label="All filters and matches CSV")
    for f in order[(page - 1) * per_page: page * per_page]:
        f = int(f)
        with st.container(border=True):
            a, b, c, d = st.columns([3, 2, 4, 3])
            matrix = mot["weights"][f] if raw else mot["pfms"][f]
            kind = "weights" if raw else "pfm"
            with a:
                st.image(motif_cache.small_logo_png(matrix, kind, f"filter {f}"),
                         width="stretch")
                ui.figure_downloads(
                    lambda m=matrix, k=kind, f=f: plot.filter_logo(m, kind=k,
                                                                   title=f"filter {f}"),
                    name=f"{run.name}_filter_{f}_{kind}", key=f"motifs_logo_{f}_{kind}")
            imp = infl.loc[f] if f in infl.index else {}
            b.markdown(f"**Filter {f}**")
            b.caption(f"influence {imp.get('mean_abs_change', float('nan')):.4f}  \n"
                      f"sites {int(mot['counts'][f])}  \n"
                      f"info {float(np.sum(mot['information_content'][f])):.1f} bits")
            m = matches[matches["filter"] == f].sort_values("rank")
            sig = m[m["q_value"].astype(float) < SIGNIFICANT_Q]
            if sig.empty:
                c.caption("no significant match" + (
                    f" (best JASPAR q = {float(m['q_value'].min()):.2g})" if not m.empty
                    else " (no JASPAR motif compared)"))
                continue
            c.dataframe(sig[["name", "id", "score", "q_value"]], hide_index=True,
                        key=f"motifs_m_{f}")
            best = sig.iloc[0]
            motif = jaspar.get(best["id"])
            if motif is not None:
                from promoter_model.motifs.pfm import reverse_complement_pfm

                pfm = reverse_complement_pfm(motif.pfm) if best.get("strand") == "-" \
                    else motif.pfm
                label = f"{best['name']} {best['id']} (q = {float(best['q_value']):.2g})"
                with d:
                    st.image(motif_cache.small_logo_png(pfm, "pfm", label), width="stretch")
                    ui.figure_downloads(
                        lambda p=pfm, t=label: plot.filter_logo(p, kind="pfm", title=t),
                        name=f"jaspar_{best['id']}_{best['name']}", key=f"motifs_jaspar_{f}")
    with st.expander("All filters and their nearest JASPAR motifs (with q-values)"):
        st.caption(f"A match with q ≥ {SIGNIFICANT_Q:g} is not significant: the nearest JASPAR "
                   "motif, not an identification of the filter.")
        st.dataframe(table.assign(significant=table["q_value"].astype(float) < SIGNIFICANT_Q),
                     hide_index=True, key="motifs_all_matches")


tab_found, tab_filters, tab_scan = st.tabs(["Discovered motifs", "First-layer filters",
                                            "Motif scan"])

with tab_found:
    show(picked, unit)

with tab_filters:
    # an ensemble has one first layer per member: its first member's filters are shown
    if len(run.members) > 1:
        st.caption(f"An ensemble has one first layer per member; these are the filters of "
                   f"member {run.members[0].path.name} (of {len(run.members)}).")
    mot = motif_cache.run_motifs(path, stamp)
    if mot is None:
        st.info("The filter analysis of this run has not been computed yet. It runs the model "
                f"on {DEFAULT_N:,} measured sequences (the same seeded sample of the bundled "
                "DREAM training data that `promoter-model motifs` uses), builds an "
                "activation-based PFM per filter, measures each filter's influence by zeroing "
                "it (one pass per filter: minutes for a large model on a CPU), and matches the "
                "PFMs to JASPAR CORE fungi motifs. The dashboard keeps the result in its own "
                "cache (the run folder is never written); `promoter-model motifs` writes the "
                "same analysis into the run's `motifs/` folder.")
        if st.button("Compute filter motifs", type="primary", key="motifs_compute"):
            try:
                with st.spinner("Analysing the first-layer filters…"):
                    motif_cache.compute_run_motifs(path, stamp)
                st.rerun()
            except OSError as exc:
                st.error(f"Could not compute the filter motifs: {exc}")
    else:
        _filters(mot)

with tab_scan:
    jaspar = motif_cache.jaspar()
    found = scan_choices(picked)
    choices = {**{f"discovered:{k}": m for k, m in found.items()}, **jaspar}
    ids = [f"discovered:{k}" for k in found] + sorted(jaspar, key=lambda i: jaspar[i].name.upper())
    default = next((i for i in ids if jaspar.get(i) and jaspar[i].name.upper() == "REB1"), ids[0])
    c1, c2 = st.columns([3, 2])
    seq_text = c1.text_area("Sequence", value=st.session_state.get("mut_input") or
                            data_cache.examples()["sequence"].iloc[0], key="scan_seq", height=90)
    motif_id = c2.selectbox(
        "Motif (discovered patterns first, then JASPAR)", ids, index=ids.index(default),
        key="scan_motif", persist_state="session",
        format_func=lambda i: (f"{choices[i].id}: {choices[i].name} (discovered, "
                               f"{choices[i].consensus})" if i.startswith("discovered:")
                               else f"{jaspar[i].name} ({i}, {jaspar[i].consensus})"))
    motif = choices[motif_id]
    title = (f"{motif.id} ({motif.name})" if motif_id.startswith("discovered:")
             else f"{motif.name} {motif.id}")
    both = c2.checkbox("Both strands", value=True, key="scan_both", persist_state="session")
    seq = ui.read_one(seq_text, "sequence")
    if seq:
        with c2:
            st.image(motif_cache.small_logo_png(motif.pfm, "pfm", title), width=260)
            ui.figure_downloads(lambda: plot.filter_logo(motif.pfm, kind="pfm", title=title),
                                name=f"motif_{title}", key="scan_logo")
        if motif_id.startswith("discovered:"):
            scan = motif_cache.motif_scan(path, stamp, seq, motif.id, both, pfm=motif.pfm)
        else:
            scan = motif_cache.motif_scan(path, stamp, seq, motif_id, both)
        st.caption(f"The consensus {motif.consensus} is written over the sequence "
                   "at every start inside the 80 bp variable region; the curve is the "
                   "predicted change from the unmodified sequence.")
        label = motif.id if motif_id.startswith("discovered:") else motif.name
        fig = motif_figures.motif_scan_plot(scan["position"], scan["delta"], strand=scan["strand"],
                                      motif=label, unit=unit)
        ui.plotly(fig, key="scan_plot", name=f"scan_{label}",
                  static=lambda: plot.motif_scan(scan["position"], scan["delta"],
                                                 strand=scan["strand"], motif=label,
                                                 unit=unit))
        best = scan.loc[scan["delta"].abs().sort_values(ascending=False).index[:10]]
        st.dataframe(best, hide_index=True, key="scan_table")
        ui.table_download(scan, name=f"scan_{label}", key="scan_csv")
