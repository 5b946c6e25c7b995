"""Motifs: the motifs the model uses (discovered), first-layer filters, and a motif scan.

A JASPAR match is named beside a logo only when significant (q < ``SIGNIFICANT_Q``); the
nearest motifs of the others stay in the tables, with their q-values.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import motif_figures, motif_services, motifs_discovered, services, ui
from promoter_model import plot
from promoter_model.interpret.reference import DEFAULT_N
from promoter_model.motifs.store import SIGNIFICANT_Q

st.title("Motifs learned by the model")
run = ui.need_run()
unit = services.unit_of(run)
path, stamp = str(run.path), services.run_stamp(run.path)
# discovered motifs belong to the folder picked (an ensemble's are in the ensemble folder)
picked = st.session_state.get("run_path") or path


def _filters(mot):
    """Filter logos sorted by influence, with their best JASPAR matches."""
    jaspar = motif_services.jaspar()
    infl = mot["influence"].set_index("filter")
    order = (infl["mean_abs_change"].fillna(0).sort_values(ascending=False).index.to_numpy()
             if "mean_abs_change" in infl else np.arange(len(mot["weights"])))
    c1, c2, c3 = st.columns([3, 2, 3])
    raw = c1.toggle("Raw filter weights", key="motifs_raw",
                    help="Off: each filter as a PFM built from the sequence stretches that "
                         "activate it most (letter heights in bits). On: the convolution "
                         "weights themselves, centred per position.")
    per_page = 10
    pages = max(1, int(np.ceil(len(order) / per_page)))
    page = c2.number_input(f"Page (of {pages}, {per_page} filters each)", 1, pages, 1,
                           key="motifs_page")
    c3.caption(f"{len(order)} filters of width {mot['weights'].shape[1]}, sorted by influence "
               "(mean |change of prediction| when the filter is zeroed). PFMs from "
               f"{mot['meta'].get('n_reference', '?')} reference sequences"
               + (f" ({services.safe_markdown(str(mot['meta']['reference']))})."
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
                st.image(motif_services.small_logo_png(matrix, kind, f"filter {f}"),
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
                    st.image(motif_services.small_logo_png(pfm, "pfm", label), width="stretch")
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
    motifs_discovered.show(picked, unit)

with tab_filters:
    # an ensemble has one first layer per member: its first member's filters are shown
    if len(run.members) > 1:
        st.caption(f"An ensemble has one first layer per member; these are the filters of "
                   f"member {run.members[0].path.name} (of {len(run.members)}).")
    mot = motif_services.run_motifs(path, stamp)
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
                    motif_services.compute_run_motifs(path, stamp)
                st.rerun()
            except OSError as exc:
                st.error(f"Could not write the cache into the run folder: {exc}")
    else:
        _filters(mot)

with tab_scan:
    jaspar = motif_services.jaspar()
    found = motifs_discovered.scan_choices(picked)
    choices = {**{f"discovered:{k}": m for k, m in found.items()}, **jaspar}
    ids = [f"discovered:{k}" for k in found] + sorted(jaspar, key=lambda i: jaspar[i].name.upper())
    default = next((i for i in ids if jaspar.get(i) and jaspar[i].name.upper() == "REB1"), ids[0])
    c1, c2 = st.columns([3, 2])
    seq_text = c1.text_area("Sequence", value=st.session_state.get("mut_input") or
                            services.examples()["sequence"].iloc[0], key="scan_seq", height=90)
    motif_id = c2.selectbox(
        "Motif (discovered patterns first, then JASPAR)", ids, index=ids.index(default),
        key="scan_motif",
        format_func=lambda i: (f"{choices[i].id}: {choices[i].name} (discovered, "
                               f"{choices[i].consensus})" if i.startswith("discovered:")
                               else f"{jaspar[i].name} ({i}, {jaspar[i].consensus})"))
    motif = choices[motif_id]
    title = (f"{motif.id} ({motif.name})" if motif_id.startswith("discovered:")
             else f"{motif.name} {motif.id}")
    both = c2.checkbox("Both strands", value=True, key="scan_both")
    seq = ui.read_one(seq_text, "sequence")
    if seq:
        with c2:
            st.image(motif_services.small_logo_png(motif.pfm, "pfm", title), width=260)
            ui.figure_downloads(lambda: plot.filter_logo(motif.pfm, kind="pfm", title=title),
                                name=f"motif_{title}", key="scan_logo")
        if motif_id.startswith("discovered:"):
            scan = motif_services.motif_scan(path, stamp, seq, motif.id, both, pfm=motif.pfm)
        else:
            scan = motif_services.motif_scan(path, stamp, seq, motif_id, both)
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
