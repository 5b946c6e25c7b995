"""Design: propose a few edits that take a promoter toward a target expression."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import describe, reports, session, ui
from app.cache import data as data_cache
from app.cache import runs as run_cache
from app.figures import design as design_figures
from app.figures import predict as pfigures
from promoter_model import bounds, plot
from promoter_model.design.constraints import GOLDEN_GATE, Constraints, parse_positions
from promoter_model.design.objective import Objective, design, fasta_text, held_out_check
from promoter_model.design.oligos import MAX_OVERHANG, check_overhang, oligo_fasta, oligos
from promoter_model.dream import percentile
from promoter_model.sequence import VARIABLE_END, VARIABLE_START

st.title("Design toward a target expression")
st.caption(reports.WHAT_IT_IS)
run = ui.need_run()
path, stamp = str(run.path), run_cache.run_stamp(run.path)
pred = run_cache.get_predictor(path, stamp)
unit = pred.unit
ex = data_cache.examples()
measured = data_cache.measured_expression()
RESULT = session.DESIGN_RESULT

# ------------------------------------------------------------------ start
source = st.segmented_control("Start from", ["Pasted sequence", "Example", "Random background"],
                              default="Example", key="design_source",
                              persist_state="session") or "Example"
start = None
if source == "Example":
    label = st.selectbox("Example (measured test promoter)", ex["label"], key="design_example",
                         persist_state="session")
    start = ex.loc[ex["label"] == label, "sequence"].iloc[0]
    st.code(start, language=None)
elif source == "Random background":
    st.caption("80 random bases between the plasmid flanks (seeded below).")
else:
    text = st.text_area("Start sequence (110 bp with the plasmid flanks, or the 80 bp "
                        "variable region alone)", key="design_input",
                        persist_state="session", height=90)
    start = ui.read_one(text, "start sequence")
    if not start:
        st.stop()

# ------------------------------------------------------------------ objective and budget
c1, c2, c3, c4 = st.columns(4)
goal = c1.radio("Objective", ["Reach a target", "Maximise", "Minimise"], key="design_goal",
                persist_state="session")
p99 = float(np.percentile(measured, 99))
target = c2.number_input(f"Target ({unit})", value=round(p99, 3), format="%.3f",
                         key="design_target",
                         persist_state="session", disabled=goal != "Reach a target",
                         help=f"Default: the 99th percentile of measured test expression "
                              f"({p99:.3f}).")
tolerance = c2.number_input("Counts as reached within ±", min_value=0.0, value=0.1, step=0.05,
                            format="%.3f", key="design_tol",
                            persist_state="session", disabled=goal != "Reach a target")
budget = c3.slider("Mutation budget (max. edits)", 1, 10, 5, key="design_budget",
                   persist_state="session")
n_designs = c3.slider("Designs", 1, 10, 5, key="design_n", persist_state="session")
if st.session_state.get("design_min_distance", 1) > 2 * budget:  # the budget was lowered
    st.session_state["design_min_distance"] = 2 * budget
min_distance = int(c3.number_input(
    "Designs differ from one another at (positions, at least)", 1, 2 * budget, 1,
    key="design_min_distance", persist_state="session",
    help="1: the designs are merely distinct. Higher: each design differs from every other "
         "at that many positions at least, so the set explores different edits; designs "
         f"within {budget} edits of the start differ at {2 * budget} positions at most. "
         "Fewer designs may come back."))
strategy = c4.selectbox("Search", ["greedy", "beam", "genetic"], key="design_strategy",
                        persist_state="session",
                        format_func={"greedy": "Greedy (ISM-guided)", "beam": "Beam search",
                                     "genetic": "Genetic algorithm"}.get,
                        help="Greedy: every step scores all single mutations of each design "
                             "in one batched call and takes the best. Beam: keeps the best "
                             "few candidates each step. Genetic: a seeded population evolved "
                             "by crossover and mutation.")
seed = c4.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1,
                       key="design_seed",
                       persist_state="session")

with st.expander("Constraints", expanded=False):
    st.caption("The plasmid flanks (positions 1-17 and 98-110) never change.")
    k1, k2 = st.columns(2)
    keep_text = k1.text_input("Positions to keep (1-based, e.g. 40-60, 72)", key="design_keep",
                              persist_state="session")
    forbid_text = k2.text_input("Forbidden subsequences (space-separated; both strands)",
                                key="design_forbid", persist_state="session")
    golden = k2.checkbox("Forbid Golden Gate sites (BsaI GGTCTC, BsmBI CGTCTC)",
                         key="design_golden", persist_state="session")
    use_gc = k1.checkbox("Limit GC content of the variable region", key="design_use_gc",
                         persist_state="session")
    gc = k1.slider("GC range (%)", 0, 100, (30, 70), key="design_gc",
                   persist_state="session", disabled=not use_gc)
    homo = k2.number_input("Longest homopolymer (0: no limit)", min_value=0,
                           max_value=bounds.MAX_POSITION, value=0, key="design_homo",
                           persist_state="session")

if pred.is_ensemble:
    kappa = st.number_input("Uncertainty penalty k (optimise mean − k × sd of the members)",
                            min_value=0.0, value=1.0, step=0.5, key="design_kappa",
                            persist_state="session")
    run_held_out = st.checkbox("Held-out check (design with all members but one, score with "
                               "the one left out)", key="design_held_out", persist_state="session")
else:
    kappa, run_held_out = 0.0, False
    st.info("This run is a single model: the interval of a design is unavailable (an "
            "ensemble gives a spread and a 90% interval).", icon=":material/info:")

try:
    objective = Objective({"Reach a target": "target", "Maximise": "maximize",
                           "Minimise": "minimize"}[goal], target=float(target),
                          tolerance=float(tolerance), uncertainty=float(kappa))
    constraints = Constraints(
        max_mutations=budget, keep=parse_positions([keep_text]),
        forbid=tuple(forbid_text.split()) + (tuple(GOLDEN_GATE.values()) if golden else ()),
        gc_range=(gc[0] / 100, gc[1] / 100) if use_gc else None,
        max_homopolymer=int(homo) or None)
except ValueError as exc:
    st.error(str(exc))
    st.stop()

params = {"path": path, "stamp": stamp, "start": start, "objective": repr(objective),
          "constraints": repr(constraints), "strategy": strategy, "n_designs": n_designs,
          "seed": int(seed), "held_out": run_held_out, "min_distance": min_distance}
go = st.button("Design", type="primary", icon=":material/science:", key="design_go")
# The progress bar's slot is on the page in every run, so the elements below keep their
# places (an expander that moved would close on the first rerun after a search).
bar_slot = st.empty()
if go:
    bar = bar_slot.progress(0.0, text="designing…")
    try:
        result = design(pred, start, objective=objective, constraints=constraints,
                        strategy=strategy, n_designs=n_designs, seed=int(seed),
                        min_distance=min_distance,
                        progress=lambda f, t: bar.progress(min(max(f, 0.0), 1.0), text=t))
        held = None
        if run_held_out:
            bar.progress(1.0, text="held-out check…")
            held = held_out_check(pred, start, objective=objective, constraints=constraints,
                                  strategy=strategy, n_designs=n_designs, seed=int(seed),
                                  min_distance=min_distance)
    except ValueError as exc:  # e.g. a kept position beyond the sequence
        bar.empty()
        st.error(str(exc))
        st.stop()
    bar.empty()
    st.session_state[RESULT] = {"params": params, "result": result, "held": held}

stored = st.session_state.get(RESULT)
if stored and (stored["params"]["path"], stored["params"]["stamp"]) != (path, stamp):
    stored = None  # made with another model
if not stored:
    st.info("Set the start, objective and budget, then press **Design**.")
    st.stop()
stored_params, result, held = stored["params"], stored["result"], stored["held"]
if stored_params != params:
    st.caption("The settings changed since these designs were made: press **Design** to "
               "redo them.")

# ------------------------------------------------------------------ results
for note in result.notes:
    if "--min-distance" not in note:  # said below, in the page's words
        st.info(note, icon=":material/info:")
table = result.table.copy()
table.insert(3, "percentile", percentile(measured, table["prediction"].to_numpy()))
designs = result.designs
m1, m2, m3 = st.columns(3)
m1.metric(f"Start ({unit})", f"{table['prediction'].iloc[0]:.3f}")
if len(designs):
    m2.metric(f"Best design ({unit})", f"{designs['prediction'].iloc[0]:.3f}",
              delta=f"{designs['prediction'].iloc[0] - table['prediction'].iloc[0]:+.3f}")
if objective.kind == "target":
    m3.metric("Designs reaching the target", f"{int(designs['reached'].sum())} of "
                                             f"{len(designs)}")
else:
    m3.metric("Designs found", f"{len(designs)} of {stored_params['n_designs']}")
if len(designs) < stored_params["n_designs"]:
    st.info(describe.fewer_designs(stored_params["n_designs"], len(designs),
                                   stored_params["min_distance"]), icon=":material/info:")
st.caption(ui.unit_caption(unit) + f" Searched in {result.seconds:.1f} s.")

st.subheader("Designs, ranked")
if pred.is_ensemble:
    st.caption("lower/upper: each design's 90% interval, "
               + ("conformal (calibrated on the ensemble's out-of-fold predictions)."
                  if getattr(pred, "calibration", None) is not None else
                  "mean ± 1.645 sd of the members: their spread, not calibrated.")
               + " sd: the members' spread."
               + (" gain: the prediction minus the start's; gain lower/upper: the 90% "
                  "interval of the measured gain, calibrated on measured pairs the members "
                  "never trained on for designs 1-3 mutations from the start "
                  "(gain_calibrated), the wide Bonferroni bound for designs further away."
                  if "gain" in table else ""))
    st.warning(describe.design_interval_text(run.metrics), icon=":material/warning:")
shown = table if objective.kind == "target" else table.drop(columns="reached")
gain_columns = [c for c in ("gain", "gain_lower", "gain_upper") if c in shown]
if gain_columns:  # the start has no gain over itself: a blank cell, not "None"
    shown = shown.assign(**{c: [("" if np.isnan(v) else f"{v:+.3f}") for v in shown[c]]
                            for c in gain_columns})
st.caption("score: what the search maximises, higher is better: "
           + {"target": "minus the distance to the target beyond the tolerance (0 = within "
                        "it)",
              "maximize": "the prediction", "minimize": "minus the prediction"}[objective.kind]
           + (", minus k × the members' sd" if kappa else "") + ".")
st.dataframe(shown, hide_index=True, key="design_table", column_config={
    "sequence": st.column_config.TextColumn(width="medium"),
    "prediction": st.column_config.NumberColumn(format="%.3f"),
    "percentile": st.column_config.NumberColumn(format="%.0f"),
    "sd": st.column_config.NumberColumn(format="%.3f"),
    "lower": st.column_config.NumberColumn(format="%.3f"),
    "upper": st.column_config.NumberColumn(format="%.3f"),
    "gain": st.column_config.TextColumn("gain"),
    "gain_lower": st.column_config.TextColumn("gain lower"),
    "gain_upper": st.column_config.TextColumn("gain upper"),
    "gain_calibrated": st.column_config.CheckboxColumn("gain interval calibrated"),
    "score": st.column_config.NumberColumn(format="%.3f", help="Higher is better (caption)"),
    "reached": st.column_config.CheckboxColumn("reached target")})
d1, d2, d3 = st.columns([1, 1, 4])
with d1:
    ui.table_download(table, name="designs", key="design_csv")
d2.download_button("FASTA", data=fasta_text(result.table).encode(), file_name="designs.fasta",
                   mime="text/plain", key="design_fasta", on_click="ignore",
                   icon=":material/download:")
if not len(designs):
    st.stop()

with st.expander("Order oligos: the designs with your cloning overhangs"):
    w1, w2, w3 = st.columns([2, 2, 2])
    left = w1.text_input("5' overhang (added before each insert)", key="design_overhang_5",
                         persist_state="session",
                         max_chars=MAX_OVERHANG, placeholder="e.g. GGTCTCA",
                         help="Ordered DNA: A, C, G, T only (e.g. a Golden Gate or Gibson arm "
                              "of your vector).")
    right = w2.text_input("3' overhang (added after each insert)", key="design_overhang_3",
                          persist_state="session",
                          max_chars=MAX_OVERHANG, placeholder="e.g. TGAGACC")
    region = w3.radio("Insert", ["variable", "full"], key="design_oligo_region",
                      persist_state="session",
                      format_func={"variable": "the 80 bp variable region",
                                   "full": "the whole sequence (110 bp with the flanks)"}.get)
    try:
        arms = (check_overhang(left, "the 5' overhang"), check_overhang(right, "the 3' overhang"))
        sheet = oligos(result.table, *arms, region=region)
    except ValueError as exc:
        st.error(str(exc))
    else:
        lengths = ", ".join(map(str, sorted(set(sheet["length"]))))
        insert = "80 bp variable region" if region == "variable" else "whole sequence"
        st.caption(f"{len(sheet)} oligo(s) of {lengths} nt: the {len(arms[0])} nt 5' "
                   f"overhang + the {insert} + the {len(arms[1])} nt 3' overhang. Check that "
                   "the junctions create no site your cloning must avoid.")
        st.dataframe(sheet, hide_index=True, key="design_oligos_table")
        k1, k2, _ = st.columns([1, 1, 4])
        with k1:
            ui.table_download(sheet, name="design_oligos", key="design_oligos_csv",
                              label="Oligos CSV")
        k2.download_button("Oligos FASTA", data=oligo_fasta(sheet).encode(),
                           file_name="design_oligos.fasta", mime="text/plain",
                           key="design_oligos_fasta", on_click="ignore",
                           icon=":material/download:")

ids = designs["id"].tolist()
pick = st.selectbox("Design to follow", ids, key="design_pick", persist_state="session")
seq = designs.set_index("id").loc[pick, "sequence"]
if st.button("Open in Mutagenesis", icon=":material/grid_on:", key="design_open"):
    st.session_state["mut_input"] = seq
    st.switch_page("views/mutagenesis.py")

st.subheader("Trajectories")
traj = result.trajectories
ui.plotly(design_figures.trajectory_figure(
    traj, unit=unit, target=objective.target if objective.kind == "target" else None,
    highlight=pick), key="design_traj_plot", name="design_trajectories",
    static=lambda: plot.design_trajectories(
        design_figures.trajectory_arrays(traj), unit=unit, highlight=pick,
        target=objective.target if objective.kind == "target" else None))
steps = traj[traj["id"] == pick].drop(columns=["id"])
st.dataframe(steps, hide_index=True, key="design_steps")
ui.table_download(traj, name="design_trajectories", key="design_traj_csv",
                  label="All trajectories CSV")

st.subheader("Alignment against the start")
region = (VARIABLE_START, VARIABLE_END) if len(result.start) == 110 else None
align = design_figures.alignment_figure(result.start, designs["sequence"].tolist(), ids,
                                        region=region)
ui.plotly(align, key="design_align", name="design_alignment",
          static=lambda: plot.alignment(result.start, designs["sequence"].tolist(), ids,
                                        region=region))
st.code(design_figures.alignment_text(result.start, designs["sequence"].tolist(), ids,
                                      region=region), language=None)

st.subheader("Among measured test expression")
hist = pfigures.ranked_dots(measured, table["prediction"].to_numpy(), table["id"].tolist(),
                            unit=unit, lower=table["lower"].to_numpy() if "lower" in table
                            and table["lower"].notna().all() else None,
                            upper=table["upper"].to_numpy() if "upper" in table
                            and table["upper"].notna().all() else None,
                            percentiles=table["percentile"].to_numpy(),
                            title="Start and designs, ranked, over measured test expression")
ui.plotly(hist, key="design_hist", name="designs_ranked",
          static=lambda: plot.ranked_predictions(
              table["prediction"].to_numpy(), table["id"].tolist(), measured, unit=unit,
              title="Start and designs over measured test expression"))

if held is not None:
    st.subheader("Held-out member check")
    st.caption(f"The left-out member agrees that the design moved toward the objective for "
               f"{int(held['agrees'].sum())} of {len(held)} designs.")
    st.dataframe(held, hide_index=True, key="design_held")
    ui.table_download(held, name="held_out_check", key="design_held_csv")

st.divider()
st.download_button(
    "Download report (HTML, opens offline)", icon=":material/description:",
    data=lambda: reports.design_report(
        run.name, run.model_card, result,
        [("Trajectories", design_figures.trajectory_figure(traj, unit=unit)),
         ("Alignment against the start", align), ("Among measured test expression", hist)], held),
    file_name="promoter_designs.html", mime="text/html", key="design_report",
    on_click="ignore", type="primary")
