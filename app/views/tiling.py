"""Tile a native promoter: 80 bp windows of a long sequence, each placed between the
plasmid flanks and predicted (:mod:`promoter_model.interpret.tiling`, as ``promoter-model
tile``), drawn along the promoter with their band, the strongest highlighted, each
openable in Mutagenesis.

Bounds: a sequence of at most :data:`MAX_LENGTH` bp, a step of 1 to :data:`MAX_STEP` bp
(:func:`promoter_model.bounds.count`), so at most about 5,000 windows.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import describe, ui
from app.cache import data as data_cache
from app.cache import predict as predict_cache
from app.cache import runs as run_cache
from app.cache import variants as variant_cache
from app.figures import variants as vfigures
from promoter_model import bounds, plot
from promoter_model.dream import percentile
from promoter_model.interpret.tiling import (
    COLUMNS,
    native_note,
    strongest_window,
    window_starts,
    yeast_score,
)
from promoter_model.sequence import FLANK_3, FLANK_5, SEQ_LEN, VARIABLE_LEN

MAX_LENGTH = 5000  # bp of one pasted promoter (the command line allows 20,000)
MAX_STEP = VARIABLE_LEN  # a larger step would skip bases between windows
DEFAULT_STEP = 10
PICK = "tile_pick"  # the window to open in Mutagenesis: its 0-based start
CLICKED = "tile_clicked"  # the last chart click applied to PICK

st.title("Tile a native promoter")
run = ui.need_run()
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)
st.caption("Paste a native promoter (say the 600 bp upstream of a gene): it is cut into "
           f"{VARIABLE_LEN} bp windows, each placed between the plasmid flanks as the "
           "model's variable region and predicted, so you see where along the promoter the "
           "model hears the strongest activity. The same as `promoter-model tile` on the "
           "command line.")
if run.input_length != SEQ_LEN:
    st.error(f"Tiling places {VARIABLE_LEN} bp windows in the {SEQ_LEN} bp plasmid layout; "
             f"this model reads {run.input_length} bp.")
    st.stop()

# ------------------------------------------------------------------ out of distribution
metrics = run.metrics or {}
computed = (yeast_score(metrics) is None and not describe.family_split(metrics)
            and st.session_state.get("tile_yeast") == path)
if computed:
    with st.spinner("Predicting the 9,045 public-leaderboard test sequences (once per "
                    "model)…"):
        metrics = variant_cache.computed_dream_metrics(path, stamp)
note = native_note(metrics)
st.warning(f"**Native windows are outside the training data.** {note[0].upper()}{note[1:]}"
           + (" (computed here from this model's predictions of those rows)" if computed
              else "") + ". Read the profile as where the model hears activity, not as "
           "measured expression.", icon=":material/warning:")
if yeast_score(metrics) is None and not describe.family_split(metrics):
    if st.button("Compute this model's score on native yeast promoters (predicts the 9,045 "
                 "public-leaderboard test sequences once)", key="tile_yeast_go"):
        st.session_state["tile_yeast"] = path
        st.rerun()

# ------------------------------------------------------------------ input
with st.container(border=True):
    left, right = st.columns([3, 1])
    with left:
        text = st.text_area(
            f"Native promoter (at least {VARIABLE_LEN} bp, at most {MAX_LENGTH:,}): plain, "
            "FASTA, or pasted from GenBank/SnapGene", key="tile_text", height=150,
            placeholder=">my_gene_upstream\nACGT... (600 bp, 5' to 3', ending next to the "
                        "start codon or TSS)",
            help="Numbers, spaces and line breaks of a GenBank or SnapGene paste are "
                 "ignored, and a sequence wrapped over lines is read as one; you are told "
                 "what was stripped. Give the promoter 5' to 3' (the strand of the gene).")
        upload = st.file_uploader("…or upload a FASTA or GenBank file",
                                  type=["fa", "fasta", "fna", "fas", "gb", "gbk", "txt"],
                                  key="tile_upload")
    with right:
        step_in = st.number_input(f"Step between windows (1 to {MAX_STEP} bp)", 1, MAX_STEP,
                                  DEFAULT_STEP, key="tile_step",
                                  help="Bases between window starts. A smaller step gives a "
                                       "smoother profile and more windows to predict; a "
                                       "last window ending at the 3' end is always added.")
        level = predict_cache.DEFAULT_LEVEL
        if predict_cache.calibrated(path, stamp):
            level = st.select_slider("Interval coverage", options=[0.5, 0.8, 0.9, 0.95, 0.99],
                                     value=predict_cache.DEFAULT_LEVEL, key="tile_level",
                                     format_func=lambda v: f"{v:.0%}")

source_text, fmt, source = text, "auto", "pasted text"
if upload is not None:
    source_text, fmt, _ = ui.read_upload(upload)
    source = upload.name
elif not text.strip():
    st.info("Paste or upload a native promoter to tile it.")
    st.stop()
if source_text is None:  # an unreadable upload (said above)
    st.stop()
table = ui.parse_input(source_text, fmt=fmt, source=source, max_length=MAX_LENGTH)
if table is None or not len(table):
    st.stop()
k = 0
if len(table) > 1:
    k = st.selectbox(f"{len(table)} records given: the one to tile", range(len(table)),
                     format_func=lambda i: f"{table.ids[i]} ({len(table.sequences[i])} bp)",
                     key="tile_record")
seq, seq_id = table.sequences[k], str(table.ids[k])
try:
    step = bounds.count("The step", step_in, 1, MAX_STEP)
    starts = window_starts(len(seq), step)
except ValueError as exc:
    message = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
    if len(seq) < VARIABLE_LEN:
        message = (f"{seq_id} is {len(seq)} bp, shorter than one {VARIABLE_LEN} bp window: "
                   "predict it on the Predict page, where it is placed between the plasmid "
                   "flanks as it is.")
    st.error(message, icon=":material/error:")
    st.stop()
extra = starts.size > 1 and (starts[-1] - starts[-2]) != step
unknown = seq.count("N")
st.info(f"**{seq_id}** ({len(seq):,} bp) was cut into {starts.size:,} windows of "
        f"{VARIABLE_LEN} bp, one every {step} bp from its 5' end"
        + (", plus one ending at its 3' end" if extra else "")
        + f". Each window was placed between the {len(FLANK_5)} bp 5' and {len(FLANK_3)} bp "
          f"3' plasmid flanks, as the variable region of a {SEQ_LEN} bp construct, and "
          "predicted." + (f" It has {unknown} unknown base(s) (N), read as unknown."
                          if unknown else ""), icon=":material/content_cut:")

with st.spinner(f"Predicting {starts.size:,} windows…"):
    df = variant_cache.tile(path, stamp, seq, seq_id, step, level)
best = strongest_window(df).iloc[0]
best_start = int(best["start"])
measured = data_cache.measured_expression()

c1, c2, c3 = st.columns(3)
c1.metric("Strongest window", f"{best_start}-{int(best['end'])}",
          help="0-based start, end exclusive (Python slicing): bases "
               f"{best_start + 1} to {int(best['end'])} counting from 1.")
c2.metric(f"Its prediction ({unit})", f"{best['prediction']:.3f}",
          help=None if not np.isfinite(best["lower"]) else
          f"{level:.0%} interval {best['lower']:.3f} to {best['upper']:.3f}")
c3.metric("Percentile among measured test sequences",
          f"{np.atleast_1d(percentile(measured, best['prediction']))[0]:.0f}")

if np.isfinite(df["lower"]).any():
    lower, upper, band = df["lower"], df["upper"], f"{level:.0%} interval"
    st.caption(f"The band is each window's {level:.0%} interval (conformal, calibrated on "
               "the ensemble's out-of-fold predictions of the training pool: for native "
               "windows, far from that pool, it is not a guarantee).")
elif np.isfinite(df["sd"]).any():
    lower, upper = df["prediction"] - df["sd"], df["prediction"] + df["sd"]
    band = "± members' sd"
    st.caption("The band is ± the spread of the members' predictions (model disagreement, "
               f"uncalibrated). {describe.UNAVAILABLE_SENTENCE}")
else:
    lower = upper = None
    band = "interval"
    st.caption(describe.UNAVAILABLE_SENTENCE)

# a click on a window picks it (applied once per click, before the picker is drawn)
def _clicked_start(event) -> int | None:
    """The 0-based start of the window a chart click selected (its ``customdata[1]``; the
    browser sends a typed array as ``{"0": .., "1": ..}``), or None.
    """
    for point in ((event or {}).get("selection") or {}).get("points") or []:
        data = point.get("customdata")
        value = data.get("1") if isinstance(data, dict) else (
            data[1] if isinstance(data, (list, tuple)) and len(data) > 1 else None)
        if isinstance(value, (int, float)) and np.isfinite(value):
            return int(value)
    return None


clicked = _clicked_start(st.session_state.get("tile_plot"))
if clicked is not None and st.session_state.get(CLICKED) != (seq, step, clicked):
    st.session_state[CLICKED] = (seq, step, clicked)
    st.session_state[PICK] = clicked
if (st.session_state.get(PICK) not in set(starts.tolist())
        or st.session_state.get("tile_pick_seq") != seq):  # a new sequence: its strongest
    st.session_state[PICK] = best_start
    st.session_state["tile_pick_seq"] = seq

fig = vfigures.tiling_plot(df["start"], df["end"], df["prediction"], lower, upper,
                           best=best_start, length=len(seq), unit=unit, band=band,
                           title=f"{seq_id}: {vfigures.TILING_TITLE.lower()}")
ui.plotly(fig, key="tile_plot", name=f"{seq_id}_tiling", on_select="rerun",
          selection_mode="points",
          static=lambda: plot.tiling_profile(df["start"], df["prediction"], lower, upper,
                                             best=best_start, length=len(seq), unit=unit,
                                             band=band, title=f"{seq_id}: predicted "
                                                              "expression along the promoter"))
st.caption(f"Each point is one {VARIABLE_LEN} bp window, drawn at its centre; the star and "
           "the shaded span mark the strongest. Click a point to pick that window below.")
ui.unit_explainer(unit)

# ------------------------------------------------------------------ open a window
rows = dict(zip(df["start"].astype(int).tolist(), df["prediction"].tolist()))
o1, o2 = st.columns([3, 2], vertical_alignment="bottom")
pick = o1.selectbox("Window to open in Mutagenesis", list(rows), key=PICK,
                    format_func=lambda s: f"{s}-{s + VARIABLE_LEN}: predicted {rows[s]:.3f}"
                    + (" (strongest)" if s == best_start else ""))
if o2.button("Open this window in Mutagenesis", icon=":material/grid_on:", key="tile_open"):
    st.session_state["mut_input"] = FLANK_5 + seq[pick:pick + VARIABLE_LEN] + FLANK_3
    st.switch_page("views/mutagenesis.py")
st.code(seq[pick:pick + VARIABLE_LEN], language=None, wrap_lines=True)
st.caption(f"Bases {pick + 1} to {pick + VARIABLE_LEN} of {seq_id} (counting from 1). "
           "Mutagenesis receives the window between the plasmid flanks (110 bp), as it was "
           "predicted here.")

st.subheader(f"Windows ({len(df):,})")
shown = df[COLUMNS].drop(columns=[c for c in ("sd", "lower", "upper")
                                  if not np.isfinite(df[c]).any()])
st.dataframe(shown, hide_index=True, key="tile_table", width="stretch", column_config={
    "start": st.column_config.NumberColumn("start (0-based)", format="%d"),
    "end": st.column_config.NumberColumn("end (exclusive)", format="%d"),
    "prediction": st.column_config.NumberColumn(f"predicted ({unit})", format="%.3f"),
    "sd": st.column_config.NumberColumn("sd", format="%.3f",
                                        help="Spread of the members' predictions"),
    "lower": st.column_config.NumberColumn(f"lower ({level:.0%})", format="%.3f"),
    "upper": st.column_config.NumberColumn(f"upper ({level:.0%})", format="%.3f")})
ui.table_download(df[COLUMNS], name=f"{seq_id}_windows", key="tile_csv")
st.caption("The CSV has every window: id, start (0-based), end (exclusive), prediction, sd "
           "(members' spread; empty for one run), lower and upper (the interval; empty "
           "without a calibration), as `promoter-model tile` writes it.")
