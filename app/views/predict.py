"""Predict: expression of one or many promoter sequences, in context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import figures, services, ui
from promoter_model.sequence import unique_ids

st.title("Predict expression")
run = ui.need_run()
unit = services.unit_of(run)
path, stamp = str(run.path), services.run_stamp(run.path)

ex = services.examples()
with st.container(border=True):
    left, right = st.columns([3, 2])
    with left:
        text = st.text_area(
            "Paste sequences (one per line, FASTA, or a table with a `sequence` column)",
            key="predict_text", height=140,
            placeholder=">my_promoter\nTGCATTTTTTTCACATC...GGTTACGGCTGTT",
            help="Sequences are fitted to 110 bp by keeping the 3' end (next to the "
                 "transcription start) and padding with N on the 5' side; you are told when "
                 "that happens.")
        upload = st.file_uploader("…or upload a FASTA, CSV or TSV file",
                                  type=["fa", "fasta", "fna", "fas", "txt", "csv", "tsv"],
                                  key="predict_upload")
    with right:
        picked = st.multiselect("…or pick examples from the test set", ex["label"].tolist(),
                                default=ex["label"].tolist()[::4][:3], key="predict_examples",
                                help="Native yeast promoters and the highest and lowest "
                                     "expressers of the DREAM 2022 test set (measured values "
                                     "in brackets).")
        reference = st.radio("Compare with", ["all measured test sequences",
                                              "public-leaderboard test split"],
                             key="predict_reference", horizontal=False)

ids, seqs, measured = [], [], []
for label in picked:
    row = ex[ex["label"] == label].iloc[0]
    ids.append(row["id"])
    seqs.append(row["sequence"])
    measured.append(row["expression"])
for source_text, fmt, delim, source in (
        [(text, "auto", None, "pasted text")] if text.strip() else []) + (
        [ui.read_upload(upload) + (upload.name,)] if upload is not None else []):
    if source_text is None:
        continue
    table = ui.parse_input(source_text, fmt=fmt, source=source, delimiter=delim)
    if table is None:
        continue
    ids += table.ids
    seqs += table.sequences
    measured += (table.expression.tolist() if table.expression is not None
                 else [np.nan] * len(table))

if not seqs:
    st.info("Enter or pick at least one sequence.")
    st.stop()
limit = services.max_records()
if len(seqs) > limit:
    st.warning(f"{len(seqs):,} sequences given; only the first {limit:,} are predicted "
               "(PROMOTER_MAX_RECORDS).")
    ids, seqs, measured = ids[:limit], seqs[:limit], measured[:limit]
ids = unique_ids(ids)  # examples, pasted text and upload may share ids

fitted, notes = ui.fit_notes(seqs)
pred = services.predict_sequences(path, stamp, tuple(fitted))
t = services.test_measured()
ref_values = (t["expression"] if reference.startswith("all")
              else t.loc[t["public_leaderboard"] == 1, "expression"]).to_numpy()
pct = np.array([figures.percentile(ref_values, v) for v in pred])

for i, note in enumerate(notes):
    if note:
        st.caption(f":material/content_cut: **{ids[i]}** ({len(seqs[i])} bp): {note}.")

if len(pred) == 1:
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Predicted ({unit})", f"{pred[0]:.3f}")
    c2.metric("Percentile among measured test sequences", f"{pct[0]:.0f}")
    if np.isfinite(measured[0]):
        c3.metric("Measured", f"{measured[0]:.3f}", delta=f"{pred[0] - measured[0]:+.3f} error",
                  delta_color="off")
st.caption(ui.unit_caption(unit))

fig = figures.expression_histogram(ref_values, pred, unit=unit, labels=ids,
                                   title="Where the predictions sit among measured test "
                                         "expression")
ui.plotly(fig, key="predict_hist", name="expression_histogram")

# mutational robustness: 330 single-mutation effects per sequence
n_auto = services.ROBUSTNESS_AUTO
do_all = len(fitted) <= n_auto or st.toggle(
    f"Compute mutational robustness for all {len(fitted)} sequences (330 predictions each)",
    key="predict_robust_all")
n_rob = len(fitted) if do_all else n_auto
eps = st.session_state.get("predict_eps", 0.1)
with st.spinner("Predicting all single mutations…"):
    scores = services.ism_batch(path, stamp, tuple(fitted[:n_rob]))
from promoter_model.interpret.ism import mutational_robustness  # noqa: E402

# per-row values are kept by row; ids (made unique across all sources) only label them
row_effects = [mutational_robustness(scores[i], fitted[i]) for i in range(n_rob)]
robust = [figures.robustness_score(row_effects[i], eps) if i < n_rob else np.nan
          for i in range(len(ids))]
effects = dict(zip(ids[:n_rob], row_effects))

df = pd.DataFrame({"id": ids, "length_bp": [len(s) for s in seqs], "predicted": pred,
                   "percentile": pct, "measured": measured,
                   "robustness": robust,
                   "fit": [n or "" for n in notes], "sequence": fitted})
if np.all(~np.isfinite(np.asarray(measured, dtype=float))):
    df = df.drop(columns="measured")
st.subheader(f"Predictions ({len(df)})")
st.dataframe(df, hide_index=True, key="predict_table", column_config={
    "predicted": st.column_config.NumberColumn(f"predicted ({unit})", format="%.3f"),
    "percentile": st.column_config.ProgressColumn("percentile", min_value=0, max_value=100,
                                                  format="%.0f"),
    "robustness": st.column_config.NumberColumn(
        "robustness", format="%.2f",
        help="Fraction of the 330 single mutations that change the prediction by less than "
             "ε (Vaishnav et al. 2022)")})
ui.table_download(df, name="predictions", key="predict_csv")

st.subheader("Mutational robustness")
st.caption("Every sequence's 330 single-base substitutions, sorted by predicted effect. A flat "
           "curve near zero is a robust promoter; long tails are mutations that matter.")
st.number_input("ε for the robustness score", min_value=0.0, value=0.1, step=0.05,
                key="predict_eps", format="%.3f")
rfig = figures.robustness_plot(effects, unit=unit)
ui.plotly(rfig, key="predict_robust", name="mutational_robustness")
vec = pd.DataFrame({k: v for k, v in effects.items()})
vec.insert(0, "rank", np.arange(1, len(vec) + 1))
ui.table_download(vec, name="evolvability_vectors", key="predict_vec_csv",
                  label="Sorted effects (evolvability vectors) CSV")

if st.button("Open the first sequence in Mutagenesis", icon=":material/grid_on:"):
    st.session_state["mut_input"] = fitted[0]
    st.switch_page("views/mutagenesis.py")
