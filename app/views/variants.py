"""Variant list: a wild type and its variants (edits in the user's own coordinates, or whole
sequences), or a table of ref/alt pairs; each variant's predicted change from its
reference with its interval and p_up, ranked (:mod:`promoter_model.interpret.variant_lists`,
as ``promoter-model variants``).

Bounds: sequences of at most :data:`MAX_LENGTH` bp, at most ``PROMOTER_MAX_RECORDS``
variants or pairs (1,000 by default), an offset within ``sequence.edits.MAX_OFFSET``
(:func:`promoter_model.bounds.count`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app import deployment, describe, ui
from app.cache import data as data_cache
from app.cache import predict as predict_cache
from app.cache import runs as run_cache
from app.cache import variants as variant_cache
from app.figures import variants as vfigures
from promoter_model import bounds, plot
from promoter_model.dream import percentile
from promoter_model.interpret.variant_lists import PAIR_COLUMNS, WT_COLUMNS
from promoter_model.sequence import (
    DEFAULT_MAX_LENGTH,
    NOTATION,
    SEQ_LEN,
    SequenceError,
    has_pair_columns,
    parse_pairs,
    read_variant_list,
)
from promoter_model.sequence.edits import MAX_OFFSET

MAX_LENGTH = DEFAULT_MAX_LENGTH  # bp of a wild type, variant or pair sequence
MAX_PLOTTED = 200  # rows of the ranked plot: the largest increases and decreases beyond it
EDITS, PAIRS = "Edits of a wild type", "Pairs table (ref, alt)"

st.title("Variant list")
run = ui.need_run()
unit = describe.unit_of(run)
path, stamp = str(run.path), run_cache.run_stamp(run.path)
limit = deployment.max_records()
st.caption("How much does each of your variants change the predicted expression? Give a wild "
           "type and its variants as edits numbered the way you number the sequence (or as "
           "whole sequences), or a table of reference and alternative sequences. The same as "
           "`promoter-model variants` on the command line.")

c1, c2 = st.columns([3, 1])
mode = c1.segmented_control("Variants given as", [EDITS, PAIRS], default=EDITS,
                            key="var_mode") or EDITS
level = predict_cache.DEFAULT_LEVEL
if predict_cache.calibrated(path, stamp):
    level = c2.select_slider("Interval coverage", options=[0.5, 0.8, 0.9, 0.95, 0.99],
                             value=predict_cache.DEFAULT_LEVEL, key="var_level",
                             format_func=lambda v: f"{v:.0%}")


def _text(area: str, upload, empty_hint: str) -> str:
    """The uploaded file's text when there is one, else the pasted text; the page stops
    (with ``empty_hint`` when nothing was given) when there is none.
    """
    text = area if upload is None else ui.read_upload(upload)[0]
    if text is None:
        st.stop()
    if not text.strip():
        st.info(empty_hint)
        st.stop()
    return text


def _stop_with(message: str) -> None:
    st.error(message, icon=":material/error:")
    st.stop()


offset = 0
if mode == EDITS:
    with st.container(border=True):
        w1, w2 = st.columns([3, 1])
        wt_text = w1.text_area(
            f"Wild type (plain, FASTA or a GenBank/SnapGene paste; up to {MAX_LENGTH:,} bp)",
            key="var_wt", height=110, placeholder=">my_promoter\nTGCATTTTTTTCACATC...")
        offset_in = w2.number_input(
            "Offset: wild-type base 1 is position 1 + offset", min_value=-MAX_OFFSET,
            max_value=MAX_OFFSET, value=0, step=1, key="var_offset",
            help="0 numbers the wild type from 1. To number a 600 bp upstream region "
                 "-600 to -1 relative to the transcription start, give -601. Every edit, "
                 "table and figure uses your numbers.")
        edits_text = st.text_area(
            "Variants, one a line: edits, or the variant's whole sequence", key="var_edits",
            height=150, placeholder="A45G\npromoter-3,A45G;C50T\ndel60-61\nins45:ACGT",
            help=f"Edits: {NOTATION}. Positions are the wild type's, in your numbering, not "
                 "shifted by earlier edits. An id and a comma or TAB may start a line; '#' "
                 "starts a comment.")
        upload = st.file_uploader("…or upload the list (TXT, CSV or TSV; one variant a line)",
                                  type=["txt", "csv", "tsv"], key="var_upload")
    if not wt_text.strip():
        st.info("Paste the wild type, then its variants.")
        st.stop()
    wt_table = ui.parse_input(wt_text, source="wild type", max_length=MAX_LENGTH)
    if wt_table is None or not len(wt_table):
        st.stop()
    if len(wt_table) > 1:
        st.caption(f"{len(wt_table)} records given for the wild type; the first "
                   f"({wt_table.ids[0]}) is used.")
    wt = wt_table.sequences[0]
    try:
        offset = bounds.count("The offset", offset_in, -MAX_OFFSET, MAX_OFFSET)
    except ValueError as exc:
        _stop_with(f"{exc}.")
    st.caption(f"Your numbering: wild-type base 1 is position **{1 + offset}**, its last base "
               f"({len(wt)}) is **{len(wt) + offset}**.")
    _, notes = ui.fit_notes([wt])
    if notes[0]:
        hidden = len(wt) - SEQ_LEN
        st.info(f"The wild type ({len(wt)} bp) was {notes[0]}."
                + (f" Edits in its first {hidden} bases (positions {1 + offset} to "
                   f"{hidden + offset}) change nothing the model reads." if hidden > 0
                   else ""), icon=":material/content_cut:")
    text = _text(edits_text, upload,
                 "Write the variants, one a line (for example `A45G` or `del60-61`).")
    try:
        variants = read_variant_list(text, wt, offset, source="variant list",
                                     max_variants=limit, max_length=MAX_LENGTH)
    except SequenceError as exc:
        _stop_with(f"{exc}.")
    with st.spinner(f"Predicting {len(variants.ids):,} variants…"):
        res = variant_cache.wt_effects(path, stamp, wt, tuple(variants.sequences),
                                       tuple(variants.ids), tuple(variants.labels), level)
    table, columns = res["table"], WT_COLUMNS
    labels = [f"{i} · {e}" if e and e != i else str(i)
              for i, e in zip(table["id"], table["edits"])]
    ref = res["reference_prediction"]
    m1, m2 = st.columns(2)
    m1.metric(f"Wild type, predicted ({unit})", f"{ref:.3f}",
              help=None if not np.isfinite(res["reference_sd"]) else
              f"members' sd {res['reference_sd']:.3f}")
    m2.metric("Percentile among measured test sequences",
              f"{np.atleast_1d(percentile(data_cache.measured_expression(), ref))[0]:.0f}")
else:
    with st.container(border=True):
        pairs_text = st.text_area(
            "Pairs table: a CSV or TSV with a header naming `ref` and `alt` columns "
            "(an `id` column is kept)", key="var_pairs", height=150,
            placeholder="id,ref,alt\nsnp1,TGCATTTTTTTCACATC...,TGCATTTTTTTCACATC...")
        upload = st.file_uploader("…or upload it (CSV or TSV)", type=["csv", "tsv", "txt"],
                                  key="var_pairs_upload")
    text = _text(pairs_text, upload, "Paste or upload a table with `ref` and `alt` columns.")
    if not has_pair_columns(text):
        _stop_with("The pairs table needs a header line naming 'ref' and 'alt' columns "
                   "(and optionally 'id'); its first line names neither.")
    try:
        pairs = parse_pairs(text, source="pairs table", max_length=MAX_LENGTH,
                            max_pairs=limit)
    except SequenceError as exc:
        _stop_with(f"{exc}.")
    seqs = pairs.refs + pairs.alts
    _, notes = ui.fit_notes(seqs)
    ui.show_fit_notes([f"{i} (ref)" for i in pairs.ids] + [f"{i} (alt)" for i in pairs.ids],
                      seqs, notes)
    with st.spinner(f"Predicting {len(pairs):,} pairs…"):
        res = variant_cache.pair_effects(path, stamp, tuple(pairs.refs), tuple(pairs.alts),
                                         tuple(pairs.ids), level)
    table, columns = res["table"], PAIR_COLUMNS + ["p_up"]
    labels = [str(i) for i in table["id"]]

for note in res["notes"]:  # a note opening with a column name keeps it as written
    first = note.split(" ", 1)[0]
    st.caption(f"{note if '_' in first else note[0].upper() + note[1:]}.")
st.caption("**p_up** is the probability that the measured effect is an increase: near 1 the "
           "variant very likely raises expression, near 0 it very likely lowers it, 0.5 "
           "says nothing either way (docs/uncertainty.md).")
ui.unit_explainer(unit)

# ------------------------------------------------------------------ ranked plot
eff = table["effect"].to_numpy(np.float64)
rows = np.arange(len(table))
if len(table) > MAX_PLOTTED:
    from promoter_model.plot import effect_order

    order = effect_order(eff)
    rows = np.sort(np.concatenate([order[:MAX_PLOTTED // 2], order[-(MAX_PLOTTED // 2):]]))
    st.caption(f"The plot shows the {MAX_PLOTTED // 2} largest increases and the "
               f"{MAX_PLOTTED // 2} largest decreases of the {len(table):,} variants; the "
               "table and the CSV have all.")
sub = table.iloc[rows]
sub_labels = [labels[i] for i in rows]
has_iv = np.isfinite(sub["effect_lower"]).any()
title = vfigures.EFFECTS_TITLE if mode == EDITS else "Change from the reference, ranked"
if mode == EDITS and offset:
    title += f" (wild-type base 1 is position {1 + offset})"
hover = [f"predicted {p:.3f}" for p in sub["prediction" if mode == EDITS
                                           else "alt_prediction"]]
ui.plotly(vfigures.effects_plot(sub["effect"], sub_labels,
                                sub["effect_lower"] if has_iv else None,
                                sub["effect_upper"] if has_iv else None, sub["p_up"],
                                unit=unit, title=title, hover_extra=hover),
          key="var_plot", name="variant_effects",
          static=lambda: plot.variant_effects(sub["effect"], sub_labels,
                                              sub["effect_lower"] if has_iv else None,
                                              sub["effect_upper"] if has_iv else None,
                                              sub["p_up"], unit=unit, title=title))
st.caption("Each variant on its own row, largest increase first: the dot is the predicted "
           "change from " + ("the wild type" if mode == EDITS else "its reference")
           + (f", the bar its {level:.0%} interval of the measured change" if has_iv else "")
           + ("; the dot's colour is p_up (red: likely up, blue: likely down)."
              if np.isfinite(sub["p_up"]).any() else "."))

# ------------------------------------------------------------------ table
st.subheader(f"Variants ({len(table):,})")
num = st.column_config.NumberColumn
st.dataframe(table[columns], hide_index=True, key="var_table", width="stretch",
             column_config={
                 "edits": st.column_config.TextColumn(
                     "edits", help="As you wrote them, in your numbering (offset "
                                   f"{offset}); for a whole sequence, what it changes"),
                 "prediction": num(f"predicted ({unit})", format="%.3f"),
                 "ref_prediction": num("ref predicted", format="%.3f"),
                 "alt_prediction": num("alt predicted", format="%.3f"),
                 "effect": num("change", format="%+.3f",
                               help="Predicted variant minus reference"),
                 "effect_sd": num("change sd", format="%.3f",
                                  help="Spread of the members' changes (uncalibrated)"),
                 "effect_lower": num(f"lower ({level:.0%})", format="%+.3f"),
                 "effect_upper": num(f"upper ({level:.0%})", format="%+.3f"),
                 "p_up": num("p_up", format="%.3f",
                             help="Probability that the measured change is an increase")})
ui.table_download(table[columns], name="variant_effects" if mode == EDITS else "pair_effects",
                  key="var_csv")
