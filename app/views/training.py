"""Training: learning curves, final metrics (with the DREAM subset scores), test-set fit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import deployment, describe, ui
from app.cache import heldout
from app.cache import runs as run_cache
from app.figures import training as training_figures
from promoter_model import plot

st.title("Training and evaluation")
run = ui.need_run()  # a Predictor: one run, or an ensemble of runs
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)
selected = run.path.name

runs, _ = run_cache.available_runs(st.session_state.get("runs_dir", ""),
                                  str(deployment.demo_run_path()))
others = [p for _, p in runs if p != path]
names = {p: label for label, p in runs}
overlay = st.multiselect("Overlay other runs", others, format_func=lambda p: names.get(p, p),
                         key="training_overlay")
if run.is_ensemble:
    # each member's own curves (bold), then the overlaid runs (thin)
    hist = {f"{selected}/{m.path.name}": m.history for m in run.members}
    bold = list(hist)
    st.caption(f"An ensemble of {len(run.members)} runs: each member's curves are drawn "
               "(each on the validation data its own training held out).")
else:
    hist, bold = {selected: run.members[0].history}, [selected]
hist.update(run_cache.histories(tuple(overlay)))
shown = [h.assign(run=name) for name, h in hist.items()
         if name in bold and h is not None and not h.empty]
history = pd.concat(shown, ignore_index=True) if shown else pd.DataFrame()

if history.empty:
    st.info("This run has no history.csv (no per-epoch curves).")
else:
    c1, c2 = st.columns(2)
    with c1:
        fig = training_figures.training_curves(hist, "val_r2", selected=bold,
                                               title="Validation R² per epoch",
                                               ylabel="validation R²")
        ui.plotly(fig, key="training_r2", name=f"{selected}_val_r2",
                  static=lambda: plot.training_curves(hist, "val_r2", selected=bold,
                                                      title="Validation R² per epoch",
                                                      ylabel="validation R²"))
    with c2:
        fig = training_figures.training_curves(hist, "loss", selected=bold,
                                               title="Loss per epoch (dashed: validation)",
                                               ylabel="loss")
        ui.plotly(fig, key="training_loss", name=f"{selected}_loss",
                  static=lambda: plot.training_curves(
                      hist, "loss", selected=bold,
                      title="Loss per epoch (dashed: validation)", ylabel="loss"))
    with st.expander("History table"):
        st.dataframe(history, hide_index=True)
        ui.table_download(history, name=f"{selected}_history", key="training_hist_csv")

st.subheader("How well the model predicts")
dream_saved = describe.dream_section(run.metrics) if run.metrics else None
if not run.metrics:
    st.info("This run has no metrics.json.")
else:
    summary = describe.score_summary(run.metrics)
    leaky = describe.not_by_family(run.metrics)
    if leaky:
        st.warning(leaky, icon=":material/warning:")
    if summary:
        cols = st.columns(len(summary))
        for col, (label, value, help_text) in zip(cols, summary):
            col.metric(label, value, help=help_text)
    data = describe.headline_data(run.metrics)
    st.caption((f"Held-out test data: {data}. " if data else "")
               + "**r²** is the square of Pearson r. **R²**: the share of the "
               "variation in measured expression that the predictions explain. "
               "**Spearman**: the same for the ranking only.")
    st.caption(describe.PEARSON_WORDS)
    if dream_saved:
        ui.subset_scores(dream_saved, key="training_subsets",
                         title="Scores on each kind of test sequence (from metrics.json)")
    family = describe.family_split(run.metrics)
    per_member = describe.member_scores(run.metrics) if run.is_ensemble else None
    if per_member is not None:
        st.markdown("**Each member beside the ensemble** ("
                    + ("held-out test families" if family else "public-leaderboard test rows")
                    + ", from metrics.json)")
        st.dataframe(per_member, hide_index=True, key="training_members")
        ui.table_download(per_member, name=f"{selected}_member_scores",
                          key="training_members_csv")
    cov = describe.coverage_levels(run.metrics) if run.is_ensemble else None
    if cov is not None:
        levels, observed, widths = cov
        rows = "held-out test-family rows" if family else "public-leaderboard test rows"
        st.markdown("**Are the prediction intervals calibrated?**")
        st.caption(f"Share of the {rows} (never calibrated on) whose measured expression "
                   "lies inside its interval, at each nominal level (left), and on each kind "
                   "of test sequence at the page's level (right); on the dashed line the "
                   "intervals are exactly calibrated, above it conservative "
                   "(docs/uncertainty.md).")
        cal_left, cal_right = st.columns(2)
        with cal_left:
            fig = training_figures.calibration_curve(levels, observed, widths=widths,
                                                     title="Interval calibration", data=rows)
            ui.plotly(fig, key="training_calibration", name=f"{selected}_calibration",
                      static=lambda: plot.calibration_curve(levels, observed))
        cov_table = describe.coverage_table(run.metrics)
        level = float((run.metrics.get("interval") or {}).get("level", 0.9))
        if cov_table is not None:
            with cal_right:
                ui.plotly(training_figures.subset_coverage(
                    cov_table, level, title=f"Coverage of the {level:.0%} intervals by kind "
                                            "of sequence"),
                          key="training_subset_coverage", name=f"{selected}_subset_coverage")
            st.dataframe(cov_table, hide_index=True, key="training_coverage", width="stretch",
                         column_config={
                             "what": st.column_config.TextColumn("what it is", width="large"),
                             "coverage": st.column_config.NumberColumn(format="%.3f"),
                             "mean_width": st.column_config.NumberColumn("mean width",
                                                                         format="%.3f"),
                             "bonferroni_coverage": st.column_config.NumberColumn(
                                 "Bonferroni coverage", format="%.3f",
                                 help="Pairs: coverage of the wide Bonferroni bound beside "
                                      "the pair-calibrated interval")})
            ui.table_download(cov_table, name=f"{selected}_coverage", key="training_cov_csv")
        by_distance = describe.distance_table(run.metrics)
        if by_distance is not None:
            st.markdown("**By distance to the nearest training sequence**")
            st.caption("Held-out test rows grouped by how many of their 80 variable bases "
                       "differ from the nearest sequence the members trained on: scores and "
                       "interval coverage fall as sequences get newer to the model.")
            st.dataframe(by_distance, hide_index=True, key="training_by_distance",
                         width="stretch")
            ui.table_download(by_distance, name=f"{selected}_by_distance",
                              key="training_dist_csv")
    elif run.is_ensemble:
        st.caption("This ensemble's metrics.json has no interval coverage "
                   "(`interval.all_levels`): no calibration plot.")
    with st.expander("Everything in metrics.json (raw)"):
        st.json(run.metrics, expanded=1)
        mt = describe.metrics_table(run.metrics)
        ui.table_download(mt, name=f"{selected}_metrics", key="training_metrics_csv")

family = bool(run.metrics) and describe.family_split(run.metrics)
stored_families = heldout.family_test_predictions(path, stamp) if family else None
if stored_families is not None:
    st.subheader("Predicted vs measured on the held-out test families")
    st.caption(f"The {len(stored_families):,} rows of the test families, whose families no "
               "member trained, was selected or calibrated on: the predictions stored in the "
               "ensemble folder when it was built (`test.tsv.gz`, checked against its "
               "checksum), the ones its scores above were computed from. The "
               "public-leaderboard rows are not used here: the members trained on rows of "
               "the test table outside these families.")
    sp = stored_families
    fig = training_figures.density_scatter(sp["measured"], sp["prediction"], unit=unit,
                                           title=selected, measured_unit=describe.MEASURED_UNIT)
    ui.plotly(fig, key="training_scatter", name=f"{selected}_test_family_scatter",
              static=lambda: plot.density_scatter(sp["measured"], sp["prediction"], unit=unit,
                                                  title=selected,
                                                  measured_unit=describe.MEASURED_UNIT))
    ui.table_download(sp, name=f"{selected}_test_family_predictions", key="training_tp_csv",
                      label="Test-family predictions CSV")
    st.stop()

st.subheader("Predicted vs measured on the held-out test set")
st.caption("The 9,045 public-leaderboard sequences of the DREAM 2022 test set (never trained "
           f"on), measured as {describe.MEASURED_UNIT}.")
progress = st.progress(0.0, text="Predicting the 9,045 test sequences (once per run)…")
tp = heldout.test_predictions(path, stamp,
                              progress=lambda f: progress.progress(
                                  f, text=f"Predicting the 9,045 test sequences (once per "
                                          f"run)… {100 * f:.0f}%"))
progress.empty()
if tp.attrs.get("stored"):
    st.caption("These are the predictions stored in the ensemble folder when it was built "
               "(`public.tsv.gz`, checked against its checksum): the ones its scores above "
               "were computed from, so they are shown without predicting again.")
fig = training_figures.density_scatter(tp["measured"], tp["predicted"], unit=unit, title=selected,
                              measured_unit=describe.MEASURED_UNIT)
ui.plotly(fig, key="training_scatter", name=f"{selected}_test_scatter",
          static=lambda: plot.density_scatter(tp["measured"], tp["predicted"], unit=unit,
                                              title=selected,
                                              measured_unit=describe.MEASURED_UNIT))
ui.table_download(tp, name=f"{selected}_test_predictions", key="training_tp_csv",
                  label="Test predictions CSV")

scores = heldout.test_dream_scores(path, stamp)
if scores:
    st.markdown("**DREAM 2022 challenge scores, recomputed here from these predictions**")
    if "pearson_score" in scores:
        c1, c2 = st.columns(2)
        c1.metric("Weighted Pearson score", f"{scores['pearson_score']:.3f}",
                  help="The challenge's weighted mean of the subsets' Pearson r² "
                       "(assets/data/README.md)")
        c2.metric("Weighted Spearman score", f"{scores['spearman_score']:.3f}",
                  help="The same weights over the subsets' Spearman correlations")
    if dream_saved:
        st.caption("The score of each kind of test sequence is in the table above "
                   "(metrics.json); these recomputed weighted scores should match it.")
    else:
        ui.subset_scores(scores, key="training_dream", title=None)
