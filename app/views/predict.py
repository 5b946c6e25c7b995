"""Predict: expression of one or many promoter sequences, in context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import deployment, describe, figures, ui
from app.cache import data as data_cache
from app.cache import ism as ism_cache
from app.cache import predict as predict_cache
from app.cache import runs as run_cache
from app.figures import predict as pfigures
from promoter_model import plot
from promoter_model.dream import percentile
from promoter_model.interpret.ism_summary import robustness_score
from promoter_model.sequence import SEQ_LEN, describe_fit, unique_ids

EPS_DEFAULT = 0.1
ROBUSTNESS_AUTO = 20  # batch size up to which robustness is computed without asking

st.title("Predict expression")
run = ui.need_run()
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)

ex = data_cache.examples()
with st.container(border=True):
    left, right = st.columns([3, 2])
    with left:
        text = st.text_area(
            "Paste sequences (one per line, FASTA, or a table with a `sequence` column)",
            key="predict_text", persist_state="session", height=140,
            placeholder=">my_promoter\nTGCATTTTTTTCACATC...GGTTACGGCTGTT",
            help="The model reads 110 bp: the 17 bp 5' plasmid flank, the 80 bp variable "
                 "region and the 13 bp 3' flank. A sequence of up to 80 bp is read as the "
                 "variable region and placed between the flanks; a longer one keeps its 3' "
                 "end (next to the transcription start). You are told when either happens.")
        upload = st.file_uploader("…or upload a FASTA, CSV or TSV file",
                                  type=["fa", "fasta", "fna", "fas", "txt", "csv", "tsv"],
                                  key="predict_upload")
    with right:
        default_examples = ex["label"].tolist()[::4][:3]
        picked = st.multiselect("…or pick examples from the test set", ex["label"].tolist(),
                                default=default_examples, key="predict_examples",
                                persist_state="session",
                                help="Native yeast promoters and the highest and lowest "
                                     "expressers of the DREAM 2022 test set (measured values "
                                     "in brackets).")
        reference = st.radio("Compare with", ["all measured test sequences",
                                              "public-leaderboard test split"],
                             key="predict_reference", persist_state="session", horizontal=False)

ids, seqs, measured = [], [], []
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
# the default examples are a demonstration: they never mix into the user's own sequences
# (examples the user picked are added)
own = bool(text.strip()) or upload is not None
if own and picked == default_examples:
    picked = []
    if default_examples:
        st.caption("The default test-set examples are left out while you predict your own "
                   "sequences; pick examples on the right to add them.")
ex_ids, ex_seqs, ex_measured = [], [], []
for label in picked:
    row = ex[ex["label"] == label].iloc[0]
    ex_ids.append(row["id"])
    ex_seqs.append(row["sequence"])
    ex_measured.append(row["expression"])
ids, seqs, measured = ids + ex_ids, seqs + ex_seqs, measured + ex_measured

if not seqs:
    st.info("Enter or pick at least one sequence.")
    st.stop()
limit = deployment.max_records()
if len(seqs) > limit:
    st.warning(f"{len(seqs):,} sequences given; only the first {limit:,} are predicted "
               "(PROMOTER_MAX_RECORDS).")
    ids, seqs, measured = ids[:limit], seqs[:limit], measured[:limit]
ids = unique_ids(ids)  # examples, pasted text and upload may share ids

fitted, notes = ui.fit_notes(seqs)
level = predict_cache.DEFAULT_LEVEL
if predict_cache.calibrated(path, stamp):
    level = st.select_slider("Interval coverage", options=[0.5, 0.8, 0.9, 0.95, 0.99],
                             value=predict_cache.DEFAULT_LEVEL, format_func=lambda v: f"{v:.0%}",
                             key="predict_level", persist_state="session",
                             help="Share of sequences like the training pool whose measured "
                                  "expression lies inside their interval (conformal, "
                                  "calibrated on out-of-fold predictions; docs/uncertainty.md)")
iv = predict_cache.predict_interval(path, stamp, tuple(fitted), level)
distance, _ = predict_cache.nearest_training(path, stamp, tuple(fitted))
novelty = None if distance is None else describe.novelty_words(distance)
pred = iv["mean"]
t = data_cache.test_measured()
ref_values = (t["expression"] if reference.startswith("all")
              else t.loc[t["public_leaderboard"] == 1, "expression"]).to_numpy()
pct = percentile(ref_values, np.asarray(pred))

ui.show_fit_notes(ids, seqs, notes)

if len(pred) == 1:
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Predicted ({unit})", f"{pred[0]:.3f}",
              help=None if iv["lower"] is None else
              f"{level:.0%} interval {iv['lower'][0]:.3f} to {iv['upper'][0]:.3f}")
    c2.metric("Percentile among measured test sequences", f"{pct[0]:.0f}")
    if np.isfinite(measured[0]):
        c3.metric("Measured", f"{measured[0]:.3f}", delta=f"{pred[0] - measured[0]:+.3f} error",
                  delta_color="off")
if len(pred) == 1:
    st.caption(f"How new this sequence is to the model: {novelty[0]}." if novelty
               else describe.NO_NOVELTY)
elif novelty is None:
    st.caption(describe.NO_NOVELTY)
st.caption(ui.unit_caption(unit))
ui.unit_explainer(unit)

if iv["lower"] is None:
    st.caption(describe.UNAVAILABLE_SENTENCE)
else:
    st.caption(f"Each prediction has its {level:.0%} interval: where the measured expression "
               "of such a sequence lies with that probability (conformal, calibrated on the "
               "ensemble's out-of-fold predictions; not trustworthy far from the training "
               "sequences). `sd` is the spread of the members' predictions, uncalibrated.")
if len(pred) == 1:
    fig = figures.expression_histogram(ref_values, pred, unit=unit, labels=ids,
                                       lower=iv["lower"], upper=iv["upper"], level=level,
                                       title="Where the prediction sits among measured test "
                                             "expression")
    ui.plotly(fig, key="predict_hist", name="expression_histogram",
              static=lambda: plot.expression_histogram(
                  ref_values, pred, labels=ids, percentiles=pct, unit=unit,
                  lower=iv["lower"], upper=iv["upper"],
                  title="Where the prediction sits among measured test expression"))
else:
    st.caption("Each sequence on its own row, highest prediction first"
               + (f", with its {level:.0%} interval" if iv["lower"] is not None else "")
               + ". Behind them, the measured test expression: the light band holds 98% of "
                 "the measured sequences, the darker ones 80% and the middle half; the dotted "
                 "line is their median.")
    fig = pfigures.ranked_dots(ref_values, pred, ids, unit=unit, lower=iv["lower"],
                               upper=iv["upper"], level=level, percentiles=pct)
    ui.plotly(fig, key="predict_ranked", name="ranked_predictions",
              static=lambda: plot.ranked_predictions(
                  pred, ids, ref_values, lower=iv["lower"], upper=iv["upper"], unit=unit,
                  title=pfigures.RANKED_TITLE))

# mutational robustness: 330 single-mutation effects per sequence
n_auto = ROBUSTNESS_AUTO
do_all = len(fitted) <= n_auto or st.toggle(
    f"Compute mutational robustness for all {len(fitted)} sequences (330 predictions each)",
    key="predict_robust_all", persist_state="session")
n_rob = len(fitted) if do_all else n_auto
eps = st.session_state.get("predict_eps", EPS_DEFAULT)
with st.spinner("Predicting all single mutations…"):
    scores = ism_cache.ism_batch(path, stamp, tuple(fitted[:n_rob]))
from promoter_model.interpret.ism_summary import mutational_robustness  # noqa: E402

# per-row values are kept by row; ids (made unique across all sources) only label them
row_effects = [mutational_robustness(scores[i], fitted[i]) for i in range(n_rob)]
robust = [robustness_score(row_effects[i], eps) if i < n_rob else np.nan
          for i in range(len(ids))]
effects = dict(zip(ids[:n_rob], row_effects))

df = pd.DataFrame({"id": ids, "length_bp": [len(s) for s in seqs], "predicted": pred,
                   "percentile": pct, "measured": measured,
                   "robustness": robust,
                   "fit": [describe_fit(len(s) - SEQ_LEN, short=True) or "" for s in seqs],
                   "sequence": fitted})
for k, name in enumerate(("sd", "lower", "upper")):  # only what this model has
    if iv[name] is not None:
        df.insert(3 + k, name, iv[name])
if novelty is not None:
    df.insert(df.columns.get_loc("robustness"), "novelty", novelty)
    df.insert(df.columns.get_loc("robustness"), "nearest_training_distance", distance)
if np.all(~np.isfinite(np.asarray(measured, dtype=float))):
    df = df.drop(columns="measured")
st.subheader(f"Predictions ({len(df)})")
columns = {
    "id": st.column_config.TextColumn("id", pinned=True),
    "predicted": st.column_config.NumberColumn(f"predicted ({unit})", format="%.3f"),
    "measured": st.column_config.NumberColumn("measured", format="%.3f"),
    "sd": st.column_config.NumberColumn(
        "sd", format="%.3f", help="Spread (population sd) of the members' predictions: "
                                  "model disagreement, not a calibrated interval"),
    "lower": st.column_config.NumberColumn(f"lower ({level:.0%})", format="%.3f"),
    "upper": st.column_config.NumberColumn(f"upper ({level:.0%})", format="%.3f"),
    "percentile": st.column_config.ProgressColumn("percentile", min_value=0, max_value=100,
                                                  format="%.0f"),
    "robustness": st.column_config.NumberColumn(
        "robustness", format="%.2f",
        help=f"Fraction of the single-base substitutions that change the prediction by less "
             f"than the threshold ε = {eps:g} (Vaishnav et al. 2022); 1 = no single mutation "
             "matters"),
    "novelty": st.column_config.TextColumn(
        "how new", help="Distance to the nearest sequence the model trained on (bases of "
                        "the 80 bp variable region that differ)"),
    "nearest_training_distance": st.column_config.NumberColumn(
        "bases to nearest training", format="%d"),
    "fit": st.column_config.TextColumn("fit to 110 bp",
                                       help="What was done to reach the model's 110 bp")}
st.dataframe(df.drop(columns="sequence"), hide_index=True, key="predict_table", width="stretch",
             column_config=columns)
ui.table_download(df, name="predictions", key="predict_csv")
with st.expander(f"The {len(df)} sequences as predicted (110 bp each; also in the CSV)"):
    st.code("\n".join(f">{i}\n{s}" for i, s in zip(ids, fitted)), language=None,
            wrap_lines=True)

st.subheader("Mutational robustness")
st.caption("Every sequence's 330 single-base substitutions, sorted by predicted effect. A flat "
           "curve near zero is a robust promoter; long tails are mutations that matter. The "
           "robustness score in the table is the fraction of them whose effect is smaller "
           "than the threshold below.")
st.number_input("Robustness threshold ε: a mutation changing the prediction by less than "
                "this counts as having no effect", min_value=0.0, value=EPS_DEFAULT,
                step=0.05, key="predict_eps", persist_state="session", format="%.3f",
                help=ui.threshold_help())
rfig = figures.robustness_plot(effects, unit=unit)
ui.plotly(rfig, key="predict_robust", name="mutational_robustness",
          static=lambda: plot.robustness_curve(effects, unit=unit))
vec = pd.DataFrame({k: v for k, v in effects.items()})
vec.insert(0, "rank", np.arange(1, len(vec) + 1))
ui.table_download(vec, name="sorted_mutation_effects", key="predict_vec_csv",
                  label="Sorted mutation effects CSV")
st.caption("The CSV has one column per sequence: its 330 single-mutation effects, ranked "
           "(Vaishnav et al. 2022 call this list a sequence's \"evolvability vector\").")

if st.button("Open the first sequence in Mutagenesis", icon=":material/grid_on:"):
    st.session_state["mut_input"] = fitted[0]
    st.switch_page("views/mutagenesis.py")
