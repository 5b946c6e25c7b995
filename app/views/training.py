"""Training: learning curves, final metrics (with the DREAM subset scores), test-set fit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import figures, services, ui

st.title("Training and evaluation")
run = ui.need_run()
unit = services.unit_of(run)
path, stamp = str(run.path), services.run_stamp(run.path)

runs, _ = services.available_runs(st.session_state.get("runs_dir", ""),
                                  str(services.demo_run_path()))
others = [p for _, p in runs if p != path]
names = {p: label for label, p in runs}
overlay = st.multiselect("Overlay other runs", others, format_func=lambda p: names.get(p, p),
                         key="training_overlay")
hist = services.histories(tuple([path] + overlay))
selected = run.path.name

if run.history.empty:
    st.info("This run has no history.csv (no per-epoch curves).")
else:
    c1, c2 = st.columns(2)
    with c1:
        fig = figures.training_curves(hist, "val_r2", selected=selected,
                                      title="Validation R² per epoch", ylabel="validation R²")
        ui.plotly(fig, key="training_r2", name=f"{selected}_val_r2")
    with c2:
        fig = figures.training_curves(hist, "loss", selected=selected,
                                      title="Loss per epoch (dashed: validation)",
                                      ylabel="loss")
        ui.plotly(fig, key="training_loss", name=f"{selected}_loss")
    with st.expander("History table"):
        st.dataframe(run.history, hide_index=True)
        ui.table_download(run.history, name=f"{selected}_history", key="training_hist_csv")

st.subheader("Final metrics")
mt = services.metrics_table(run.metrics)
if mt.empty:
    st.info("This run has no metrics.json.")
else:
    st.dataframe(mt, hide_index=True, key="training_metrics")
    ui.table_download(mt, name=f"{selected}_metrics", key="training_metrics_csv")

st.subheader("Predicted vs measured on the held-out test set")
st.caption("The 9,045 public-leaderboard sequences of the DREAM 2022 test set (never trained "
           f"on), measured as {services.MEASURED_UNIT}.")
with st.spinner("Predicting the test set (once per run)…"):
    tp = services.test_predictions(path, stamp)
fig = figures.density_scatter(tp["measured"], tp["predicted"], unit=unit, title=selected,
                              measured_unit=services.MEASURED_UNIT)
ui.plotly(fig, key="training_scatter", name=f"{selected}_test_scatter")
ui.table_download(tp, name=f"{selected}_test_predictions", key="training_tp_csv",
                  label="Test predictions CSV")

scores = services.test_dream_scores(path, stamp)
rows = []
for subset in ("all", "random", "yeast", "high", "low", "challenging", "SNVs",
               "motif_perturbation", "motif_tiling"):
    if f"n_{subset}" in scores:
        rows.append({"subset": subset, "n": scores[f"n_{subset}"],
                     "Pearson r²": scores[f"pearson_r2_{subset}"],
                     "Spearman": scores[f"spearman_{subset}"]})
if rows:
    ds = pd.DataFrame(rows)
    st.markdown("**DREAM 2022 challenge scores, recomputed here** "
                "(pair subsets are scored on variant-minus-reference differences)")
    if "pearson_score" in scores:
        c1, c2 = st.columns(2)
        c1.metric("Weighted Pearson score", f"{scores['pearson_score']:.3f}")
        c2.metric("Weighted Spearman score", f"{scores['spearman_score']:.3f}")
    st.dataframe(ds, hide_index=True, key="training_dream")
    ui.table_download(ds, name=f"{selected}_dream_scores", key="training_dream_csv")
