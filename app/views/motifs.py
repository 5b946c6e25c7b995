"""Motifs: first-layer filters as logos with their JASPAR matches, and a motif scan."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import figures, services, ui
from promoter_model import plot

st.title("Motifs learned by the model")
run = ui.need_run()
unit = services.unit_of(run)
path, stamp = str(run.path), services.run_stamp(run.path)


def _filters(mot):
    """Filter logos sorted by influence, with their best JASPAR matches."""
    jaspar = services.jaspar()
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
                st.image(services.small_logo_png(matrix, kind, f"filter {f}"),
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
            if m.empty:
                c.caption("no JASPAR match")
                continue
            c.dataframe(m[["name", "id", "score", "q_value"]], hide_index=True,
                        key=f"motifs_m_{f}")
            best = m.iloc[0]
            motif = jaspar.get(best["id"])
            if motif is not None:
                from promoter_model.interpret.motifs import reverse_complement_pfm

                pfm = reverse_complement_pfm(motif.pfm) if best.get("strand") == "-" \
                    else motif.pfm
                label = f"{best['name']} {best['id']}"
                with d:
                    st.image(services.small_logo_png(pfm, "pfm", label), width="stretch")
                    ui.figure_downloads(
                        lambda p=pfm, t=label: plot.filter_logo(p, kind="pfm", title=t),
                        name=f"jaspar_{best['id']}_{best['name']}", key=f"motifs_jaspar_{f}")


tab_filters, tab_scan = st.tabs(["First-layer filters", "Motif scan"])

with tab_filters:
    mot = services.run_motifs(path, stamp)
    if mot is None:
        st.info("The filter analysis of this run has not been computed yet. It runs the model "
                "on 1,000 measured sequences, builds an activation-based PFM per filter, "
                "measures each filter's influence by zeroing it (one pass per filter: minutes "
                "for a large model on a CPU), and matches the PFMs to JASPAR CORE fungi "
                "motifs; the result is cached in the run's `motifs/` folder (also written by "
                "`promoter-model motifs`).")
        if st.button("Compute filter motifs", type="primary", key="motifs_compute"):
            try:
                with st.spinner("Analysing the first-layer filters…"):
                    services.compute_run_motifs(path, stamp)
                st.rerun()
            except OSError as exc:
                st.error(f"Could not write the cache into the run folder: {exc}")
    else:
        _filters(mot)

with tab_scan:
    jaspar = services.jaspar()
    ids = sorted(jaspar, key=lambda i: jaspar[i].name.upper())
    default = next((i for i in ids if jaspar[i].name.upper() == "REB1"), ids[0])
    c1, c2 = st.columns([3, 2])
    seq_text = c1.text_area("Sequence", value=st.session_state.get("mut_input") or
                            services.examples()["sequence"].iloc[0], key="scan_seq", height=90)
    motif_id = c2.selectbox("JASPAR motif", ids, index=ids.index(default), key="scan_motif",
                            format_func=lambda i: f"{jaspar[i].name} ({i}, "
                                                  f"{jaspar[i].consensus})")
    both = c2.checkbox("Both strands", value=True, key="scan_both")
    seq = ui.read_one(seq_text, "sequence")
    if seq:
        with c2:
            st.image(services.small_logo_png(jaspar[motif_id].pfm, "pfm",
                                             f"{jaspar[motif_id].name} {motif_id}"), width=260)
            ui.figure_downloads(
                lambda: plot.filter_logo(jaspar[motif_id].pfm, kind="pfm",
                                         title=f"{jaspar[motif_id].name} {motif_id}"),
                name=f"jaspar_{motif_id}_{jaspar[motif_id].name}", key="scan_logo")
        scan = services.motif_scan(path, stamp, seq, motif_id, both)
        st.caption(f"The consensus {jaspar[motif_id].consensus} is written over the sequence "
                   "at every start inside the 80 bp variable region; the curve is the "
                   "predicted change from the unmodified sequence.")
        fig = figures.motif_scan_plot(scan["position"], scan["delta"], strand=scan["strand"],
                                      motif=jaspar[motif_id].name, unit=unit)
        ui.plotly(fig, key="scan_plot", name=f"scan_{jaspar[motif_id].name}",
                  static=lambda: plot.motif_scan(scan["position"], scan["delta"],
                                                 strand=scan["strand"],
                                                 motif=jaspar[motif_id].name, unit=unit))
        best = scan.loc[scan["delta"].abs().sort_values(ascending=False).index[:10]]
        st.dataframe(best, hide_index=True, key="scan_table")
        ui.table_download(scan, name=f"scan_{jaspar[motif_id].name}", key="scan_csv")
