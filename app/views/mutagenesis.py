"""Mutagenesis: ISM heatmap, attribution logo, top mutations, click-to-mutate trajectories,
and a compare mode (reference vs variant).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import describe, figures, reports, trajectory, ui
from app.cache import data as data_cache
from app.cache import ism as ism_cache
from app.cache import predict as predict_cache
from app.cache import runs as run_cache
from promoter_model import plot
from promoter_model.dream import difference_in_context, percentile
from promoter_model.interpret.ism_summary import robustness_score

DISAGREE_LABEL = "members disagree on the sign of a change larger than their noise ({:.3f})"

st.title("In-silico mutagenesis")
run = ui.need_run()
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)
ex = data_cache.examples()
measured = data_cache.measured_expression()

if "mut_input" not in st.session_state:
    st.session_state["mut_input"] = ex["sequence"].iloc[0]


def _use_example():
    label = st.session_state.get("mut_example")
    if label in set(ex["label"]):
        st.session_state["mut_input"] = ex.loc[ex["label"] == label, "sequence"].iloc[0]


mode = st.segmented_control("Mode", ["Explore and mutate", "Compare two sequences"],
                            default="Explore and mutate", key="mut_mode", persist_state="session")

if mode == "Compare two sequences":
    c1, c2 = st.columns(2)
    ref_text = c1.text_area("Reference sequence", key="cmp_ref",
                            value=st.session_state["mut_input"], height=100)
    alt_text = c2.text_area("Variant sequence", key="cmp_alt",
                            value=trajectory.current(st.session_state,
                                                     st.session_state["mut_input"]),
                            height=100)
    ref_seq = ui.read_one(ref_text, "reference")
    alt_seq = ui.read_one(alt_text, "variant")
    if not (ref_seq and alt_seq):
        st.stop()
    (p_ref, s_ref), (p_alt, s_alt) = (ism_cache.ism(path, stamp, ref_seq),
                                      ism_cache.ism(path, stamp, alt_seq))
    m1, m2, m3 = st.columns(3)
    m1.metric(f"Reference ({unit})", f"{p_ref:.3f}",
              delta=ui.pct_text(percentile(measured, p_ref)), delta_color="off",
              delta_arrow="off")
    m2.metric(f"Variant ({unit})", f"{p_alt:.3f}",
              delta=ui.pct_text(percentile(measured, p_alt)), delta_color="off",
              delta_arrow="off")
    m3.metric("Difference (variant − reference)", f"{p_alt - p_ref:+.3f}",
              help=difference_in_context(round(p_alt - p_ref, 3), data_cache.expression_scale()))
    pair = ism_cache.ism_interval(path, stamp, (ref_seq, alt_seq))  # both ISMs are shown
    effect = predict_cache.variant_effect(path, stamp, ref_seq, alt_seq)
    if pair["sd"] is None and pair["lower"] is None:
        st.caption(describe.UNAVAILABLE_SENTENCE)
    else:
        diff = [f"members' sd {effect['delta_sd']:.3f}"] if "delta_sd" in effect else []
        if "delta_lower" in effect:
            how = ("calibrated on measured pairs as far apart" if effect.get(
                "delta_calibrated") else "Bonferroni bound, wide")
            diff.insert(0, f"{pair['level']:.0%} interval {effect['delta_lower']:+.3f} to "
                           f"{effect['delta_upper']:+.3f} ({how})")
        if effect.get("members_disagree"):
            diff.append("the members disagree on its sign")
        st.caption(f"Reference: {describe.interval_sentence(pair, 0)}. Variant: "
                   f"{describe.interval_sentence(pair, 1)}. Difference: {'; '.join(diff)}.")
    ui.unit_explainer(unit)
    diffs = [f"{i + 1}{a}>{b}" for i, (a, b) in enumerate(zip(ref_seq, alt_seq)) if a != b]
    st.caption(f"{len(diffs)} differing position(s): {', '.join(diffs[:40]) or 'none'}")
    zmax = float(max(np.abs(s_ref).max(), np.abs(s_alt).max()))
    ui.plotly(figures.ism_heatmap(s_ref, ref_seq, zmax=zmax, unit=unit, reference=p_ref,
                                  title="Reference"), key="cmp_heat_ref", name="ism_reference",
              static=lambda: plot.ism_heatmap(s_ref, ref_seq, zmax=zmax, unit=unit,
                                              title="Reference"))
    ui.plotly(figures.ism_heatmap(s_alt, alt_seq, zmax=zmax, unit=unit, reference=p_alt,
                                  title="Variant"), key="cmp_heat_alt", name="ism_variant",
              static=lambda: plot.ism_heatmap(s_alt, alt_seq, zmax=zmax, unit=unit,
                                              title="Variant"))
    ui.plotly(figures.ism_difference_heatmap(s_ref, s_alt, ref_seq, alt_seq, unit=unit),
              key="cmp_heat_diff", name="ism_difference",
              static=lambda: plot.ism_heatmap(
                  np.asarray(s_alt) - np.asarray(s_ref), alt_seq, unit=unit,
                  title=figures.DIFFERENCE_TITLE,
                  boxed=[i + 1 for i, (a, b) in enumerate(zip(ref_seq, alt_seq)) if a != b]))
    st.stop()

# ------------------------------------------------------------------ explore and mutate
c1, c2 = st.columns([3, 2])
c2.selectbox("Start from an example", ex["label"], index=None, key="mut_example",
             on_change=_use_example, placeholder="choose a test-set promoter")
text = c1.text_area("Sequence (110 bp with the plasmid flanks, or the 80 bp variable region "
                    "alone)", key="mut_input", persist_state="session", height=90,
                    help="Up to 80 bp is placed between the plasmid flanks; a longer sequence "
                         "keeps its 3' end. N positions are unknown bases: they are shown "
                         "grey and never mutated.")
start = ui.read_one(text, "sequence")
if not start:
    st.stop()
def _predict(s: str) -> float:
    # the ISM of every trajectory sequence is shown anyway: its prediction comes with it
    return ism_cache.ism_prediction(path, stamp, s)[0]


traj = trajectory.trajectory(st.session_state, start, _predict)
# a heatmap click arrives as the chart's selection state: apply it before drawing, so one
# run shows the mutated sequence (the chart key changes with the sequence: no replays)
picked = trajectory.selected_mutation(st.session_state.get(trajectory.chart_key(traj)))
if picked:
    trajectory.apply(st.session_state, *picked, current=traj[-1]["sequence"], predict=_predict)
current = traj[-1]["sequence"]
ref_pred, scores = ism_cache.ism(path, stamp, current)
sd, disagree = ism_cache.ism_spread(path, stamp, current) or (None, None)
noise = ism_cache.ism_noise(path, stamp, current)
cell_lower, cell_upper = ism_cache.ism_cell_intervals(path, stamp, current)
tiv = ism_cache.ism_interval(path, stamp, tuple(r["sequence"] for r in traj))
now = {k: (v[-1:] if isinstance(v, np.ndarray) else v) for k, v in tiv.items()}

m1, m2, m3 = st.columns(3)
m1.metric(f"Predicted ({unit})", f"{ref_pred:.3f}", help=describe.interval_sentence(now) or None,
          delta=f"{ref_pred - traj[0]['predicted']:+.3f} vs input" if len(traj) > 1 else None)
m2.metric("Percentile among measured test sequences",
          f"{percentile(measured, ref_pred):.0f}",
          help="Share of the measured test sequences expressed at or below this prediction")
m3.metric("Mutations applied", len(traj) - 1)
distance, _ = predict_cache.nearest_training(path, stamp, (current,))
st.caption(ui.unit_caption(unit) + " " + (f"Prediction: {describe.interval_sentence(now)}."
                                           if tiv["sd"] is not None or tiv["lower"] is not None
                                           else describe.UNAVAILABLE_SENTENCE) + " "
           + (f"How new this sequence is to the model: {describe.novelty_words(distance)[0]}."
              if distance is not None else describe.NO_NOVELTY))
ui.unit_explainer(unit)

o1, o2, o3 = st.columns([2, 2, 3])
scale = o1.radio("Colour range", ["relative", "absolute"], horizontal=True, key="mut_scale",
                 persist_state="session",
                 help="Relative: ± the largest change of this sequence. Absolute: a fixed "
                      "range (default: that of the input sequence), so colours stay "
                      "comparable along the trajectory.")
zmax = None
if scale == "absolute":
    _, s0 = ism_cache.ism(path, stamp, traj[0]["sequence"])
    default = float(np.abs(s0).max()) or 1.0
    zmax = o2.number_input("± range", min_value=1e-6, value=round(default, 4), format="%.4f",
                           key="mut_zmax")
method = o3.selectbox("Logo", list(trajectory.METHODS), format_func=trajectory.METHODS.get,
                      key="mut_method", persist_state="session")

fig = figures.ism_heatmap(scores, current, zmax=zmax, unit=unit, reference=ref_pred,
                          measured=measured, sd=sd, disagree=disagree, lower=cell_lower,
                          upper=cell_upper,
                          title=f"Predicted effect of every single mutation — step "
                                f"{len(traj) - 1}: {traj[-1]['mutation']}")
st.caption("Click a cell to apply that mutation (dots: the current bases; solid box: "
           "strongest increase; dotted box: strongest decrease"
           + (f"; x: a change larger than the members' noise ({noise:.3f}, their median "
              "sd over this map) that at least one member predicts with the opposite sign"
              if disagree is not None else "") + ").")
ui.plotly(fig, key=trajectory.chart_key(traj), name="ism_heatmap", on_select="rerun",
          selection_mode="points",
          static=lambda: plot.ism_heatmap(scores, current, zmax=zmax, unit=unit,
                                          title=fig.layout.title.text, disagree=disagree,
                                          disagree_label=DISAGREE_LABEL.format(noise or 0)))
ui.table_download(trajectory.ism_csv(current, scores, sd, disagree, cell_lower, cell_upper),
                  name="ism", key="mut_ism_csv",
                  label="ISM CSV" + (" (with the members' sd and sign disagreement)"
                                     if sd is not None else "")
                  + (" and each change's 90% interval" if cell_lower is not None else ""))

attr = None
try:
    attr = ism_cache.attribution(path, stamp, current, method)
    ylabel = "expression lost" if method == "ism" else "attribution"
    png = ism_cache.logo_png(attr, trajectory.LOGO_TITLES[method], ylabel)
    st.image(png, width="stretch")
    if method == "ism":
        st.caption("Letter height: how much the prediction drops, on average over the three "
                   "other bases, when this base is mutated. A tall letter above the line is a "
                   "base the expression depends on; a letter below the line is one whose "
                   "mutation raises expression.")
    ui.figure_downloads(lambda: plot.attribution_logo(attr, title=trajectory.LOGO_TITLES[method],
                                                      ylabel=ylabel),
                        name=f"logo_{method}", key="mut_logo")
except ImportError:
    st.info("Attribution methods other than ISM are not installed yet.")

with st.form("mut_form", border=True):
    st.markdown("**Apply a mutation** (keyboard alternative to clicking)")
    f1, f2, f3 = st.columns([2, 1, 1])
    pos = f1.selectbox("Position", [p for p in range(1, len(current) + 1)
                                    if current[p - 1] != "N"], key="mut_form_pos",
                       format_func=lambda p: f"{p} ({current[p - 1]})",
                       help="N positions (unknown bases) are not offered.")
    base = f2.selectbox("New base", list("ACGT"), key="mut_form_base")
    if f3.form_submit_button("Apply", icon=":material/edit:"):
        if trajectory.apply(st.session_state, pos, base, current=current, predict=_predict):
            st.rerun()
        st.warning(f"Position {pos} already is {base}.")

st.subheader("Strongest single mutations")
with_flanks = st.toggle("Include mutations in the plasmid flanks (positions 1-17 and 98-110)",
                        key="mut_top_flanks", persist_state="session",
                        help="The model was trained on random 80 bp inserts between these "
                             "constant flanks: it never saw a flank base vary, so its "
                             "predictions for flank mutations are extrapolations.")
top = trajectory.top_table(scores, current, ref_pred, measured=measured, sd=sd, disagree=disagree,
                           difference=lambda a, r: predict_cache.difference_interval(
                               path, stamp, a, r, mismatches=1), include_flanks=with_flanks)
notes = ["Mutations in the plasmid flanks are left out: the model never saw those bases "
         "vary in training." if not with_flanks else
         "Mutations in the plasmid flanks are included and flagged in the `flank` column: the "
         "model never saw those bases vary in training."]
if "change_lower" in top:
    notes.append("change interval: 90% interval of the measured change "
                 + ("(calibrated on measured single-base pairs the members never trained "
                    "on; see docs/uncertainty.md)." if predict_cache.pair_calibrated(
                        path, stamp, 1) else
                    "(Bonferroni bound of the two sequences' intervals; wide, see "
                    "docs/uncertainty.md)."))
if "change_sd" in top:
    notes.append("change sd: the members' spread of the change, uncalibrated; members "
                 "disagree: a change larger than the members' noise that a member predicts "
                 "with the opposite sign.")
st.caption(" ".join(notes))
top_columns = {
    "mutation": st.column_config.TextColumn("mutation", pinned=True),
    "change": st.column_config.NumberColumn("change", format="%+.3f"),
    "change_sd": st.column_config.NumberColumn("change sd", format="%.3f"),
    "change_lower": st.column_config.NumberColumn("change lower", format="%+.3f"),
    "change_upper": st.column_config.NumberColumn("change upper", format="%+.3f"),
    "members_disagree": st.column_config.CheckboxColumn("members disagree"),
    "predicted": st.column_config.NumberColumn("predicted", format="%.3f"),
    "percentile": st.column_config.NumberColumn("percentile", format="%.0f"),
    "flank": st.column_config.TextColumn("flank")}
shown = top.drop(columns=["position", "reference", "alternative"])
if not with_flanks:
    shown = shown.drop(columns="flank")
tab_up, tab_down = st.tabs(["Increase expression", "Decrease expression"])
with tab_up:
    st.dataframe(shown[shown["change"] > 0], hide_index=True, key="mut_top_up",
                 width="stretch", column_config=top_columns)
with tab_down:
    st.dataframe(shown[shown["change"] < 0].iloc[::-1], hide_index=True, key="mut_top_down",
                 width="stretch", column_config=top_columns)
ui.table_download(top, name="top_mutations", key="mut_top_csv")

st.subheader("Mutation trajectory")
tdf = trajectory.trajectory_table(traj, measured=measured, interval=tiv)
b1, b2, b3 = st.columns([1, 1, 4])
if b1.button("Undo last step", disabled=len(traj) < 2, icon=":material/undo:"):
    trajectory.undo(st.session_state)
    st.rerun()
if b2.button("Reset", disabled=len(traj) < 2, icon=":material/restart_alt:"):
    trajectory.reset(st.session_state)
    st.rerun()
st.dataframe(tdf, hide_index=True, key="mut_traj")
ui.table_download(tdf, name="mutation_trajectory", key="mut_traj_csv")
if len(traj) > 1:
    ui.plotly(figures.trajectory_plot(tdf["predicted"], tdf["mutation"], unit=unit,
                                      lower=tiv["lower"], upper=tiv["upper"]),
              key="mut_traj_plot", name="trajectory",
              static=lambda: plot.trajectory(tdf["predicted"], tdf["mutation"], unit=unit,
                                             lower=tiv["lower"], upper=tiv["upper"]))

st.subheader("Mutational robustness along the trajectory")
from promoter_model.interpret.ism_summary import mutational_robustness  # noqa: E402

effects = {f"step {r['step']}: {r['mutation']}": mutational_robustness(
    ism_cache.ism(path, stamp, r["sequence"])[1], r["sequence"]) for r in traj[-8:]}
eps = st.number_input("Robustness threshold ε: a mutation changing the prediction by less "
                      "than this counts as having no effect", min_value=0.0, value=0.1,
                      step=0.05, format="%.3f", key="mut_eps",
                      persist_state="session", help=ui.threshold_help())
st.caption("Robustness (fraction of the single mutations with an effect smaller than ε): "
           + " · ".join(f"{k}: {robustness_score(v, eps):.2f}" for k, v in
                        effects.items()))
rfig = figures.robustness_plot(effects, unit=unit)
ui.plotly(rfig, key="mut_robust", name="robustness_trajectory",
          static=lambda: plot.robustness_curve(effects, unit=unit))
vec = pd.DataFrame(effects)
vec.insert(0, "rank", np.arange(1, len(vec) + 1))
ui.table_download(vec, name="sorted_mutation_effects", key="mut_vec_csv",
                  label="Sorted mutation effects CSV")
st.caption("One column per step: its single-mutation effects, ranked (Vaishnav et al. 2022 "
           "call this list the \"evolvability vector\").")

st.divider()
st.download_button(
    "Download report (HTML, opens offline)", icon=":material/description:",
    data=lambda: reports.sequence_report(run, current, ref_pred, scores, attr,
                              method, top, tdf, rfig, unit, measured, zmax,
                              spread=None if sd is None else (sd, disagree),
                              interval_text=f"; {describe.interval_sentence(now)}"
                              if describe.interval_sentence(now) else f"; {describe.UNAVAILABLE}"),
    file_name="promoter_report.html", mime="text/html", key="mut_report", on_click="ignore",
    type="primary")
