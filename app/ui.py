"""Small Streamlit helpers shared by the pages: downloads, logos, input errors, sequence input."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import streamlit as st

from app import describe, export
from app.cache import data as data_cache
from app.cache import runs as run_cache
from promoter_model.predictor import DEFAULT_UNIT

MAX_UPLOAD_MB = 20  # mirrors server.maxUploadSize in .streamlit/config.toml


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` (at most 60 characters)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("_")[:60] or "figure"


def plotly(fig, *, key: str, name: str, static=None, **kwargs):
    """Show an interactive plotly figure; PNG and SVG downloads draw ``static()``.

    ``static`` makes the same figure with :mod:`promoter_model.plot` (matplotlib), only when
    a download is clicked; without it the chart's own toolbar still saves an SVG.
    """
    event = st.plotly_chart(fig, key=key, config=export.PLOTLY_CONFIG, **kwargs)
    if static is not None:
        figure_downloads(static, name=name, key=key)
    return event


def figure_downloads(factory, *, name: str, key: str):
    """PNG and SVG download buttons of the matplotlib figure ``factory()`` makes when clicked."""
    with st.container(horizontal=True):
        for fmt in ("png", "svg"):
            st.download_button(
                f"{fmt.upper()}", data=lambda fmt=fmt: export.figure_bytes(factory(), fmt),
                file_name=f"{slug(name)}.{fmt}", mime="image/png" if fmt == "png"
                else "image/svg+xml", key=f"{key}_{fmt}", on_click="ignore",
                icon=":material/download:", help=f"Download as {fmt.upper()} "
                "(publication size, white background)")


def table_download(df: pd.DataFrame, *, name: str, key: str, label: str = "CSV"):
    """A CSV download button for ``df``."""
    st.download_button(label, data=df.to_csv(index=False).encode(), file_name=f"{slug(name)}.csv",
                       mime="text/csv", key=key, on_click="ignore",
                       icon=":material/download:")


def logo(factory, *, key: str, name: str):
    """Draw a matplotlib logo made by ``factory()`` (closed after use) with downloads."""
    import matplotlib.pyplot as plt

    fig = factory()
    try:
        st.pyplot(fig, clear_figure=False, width="stretch")
    finally:
        plt.close(fig)
    figure_downloads(factory, name=name, key=key)


def unit_caption(unit: str) -> str:
    """One sentence saying what the predictions measure."""
    if unit == DEFAULT_UNIT:
        return ("The run does not say what it predicts; values are the model's output in its "
                "training units. Percentiles compare them with measured "
                f"{describe.MEASURED_UNIT}.")
    return (f"Predictions are {unit}; the percentile is the share of measured test sequences "
            "expressed at or below the value.")


def unit_text(unit: str, scale: dict) -> str:
    """Plain-words Markdown: what the expression scale is and what a difference means.

    Every number comes from ``scale`` (:func:`promoter_model.dream.expression_scale`).
    """
    from promoter_model.dream import difference_in_context

    s = scale
    what = (f"**{describe.MEASURED_UNIT}** is the scale of the DREAM 2022 test measurements: "
            "how strongly a promoter drives a yellow fluorescent reporter gene in yeast, "
            "estimated (by the MAUDE method) from how about 100 cells per promoter were "
            "sorted into fluorescence bins. It is a relative scale without a physical unit: "
            "higher means more expression, and values are meant to be compared with each "
            "other.")
    if unit != describe.MEASURED_UNIT:
        what = (f"This run's predictions are **{unit}**; they are compared below with "
                f"measured test expression. {what}")
    return (
        f"{what}\n\n"
        f"- The {s['n']:,} measured test sequences span **{s['min']:.2f} to {s['max']:.2f}** "
        f"(98% lie between {s['p01']:.2f} and {s['p99']:.2f}).\n"
        f"- The {s['yeast_n']:,} native yeast promoters among them have a standard deviation "
        f"of **{s['yeast_sd']:.2f}**; 80% lie between {s['yeast_p10']:.2f} and "
        f"{s['yeast_p90']:.2f}.\n"
        f"- So a difference of {difference_in_context(0.1, s)}; a difference of "
        f"{difference_in_context(0.5, s)}.\n"
        "- The **percentile** beside each value is the share of measured test sequences "
        "expressed at or below it (50: a typical test sequence).")


def unit_explainer(unit: str, *, expanded: bool = False) -> None:
    """An expander that says once, in plain words, what the expression values mean."""
    with st.expander("What do these expression values mean?", expanded=expanded,
                     icon=":material/help:"):
        st.markdown(unit_text(unit, data_cache.expression_scale()))


def subset_scores(scores: dict, *, key: str, title: str | None) -> None:
    """The DREAM subsets, each explained in one line, with the weak spots called out."""
    from promoter_model.dream import WEAK_R2, subset_table, weak_spots

    table = subset_table(scores)
    if table.empty:
        return
    if title:
        st.markdown(f"**{title}**")
    weak = weak_spots(scores)
    if weak:
        st.warning(f"**Weak spots** (Pearson r² below {WEAK_R2}): {weak}. Treat predictions "
                   "for these kinds of sequences with more caution.",
                   icon=":material/warning:")
    shown = table.assign(weak=np.where(table["weak"], "weak", ""))
    st.dataframe(shown, hide_index=True, key=key, width="stretch", column_config={
        "what": st.column_config.TextColumn("what it tests", width="large"),
        "n": st.column_config.NumberColumn("n", format="%d",
                                           help="Sequences (or pairs) in the subset"),
        "pearson_r2": st.column_config.NumberColumn("Pearson r²", format="%.2f"),
        "spearman": st.column_config.NumberColumn("Spearman", format="%.2f"),
        "weak": st.column_config.TextColumn(
            "weak spot", width="small", help=f"Pearson r² below {WEAK_R2}")})
    table_download(table, name=f"{key}_subset_scores", key=f"{key}_csv")


def threshold_help() -> str:
    """Help text of the robustness threshold ε, with the scale's numbers."""
    from promoter_model.dream import difference_in_context

    return ("Vaishnav et al. 2022 used 0.1616 on their scale. Here a difference of "
            f"{difference_in_context(0.1, data_cache.expression_scale())}.")


def pct_text(value: float) -> str:
    """``"67th percentile"`` with the right English suffix."""
    n = int(round(value))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} percentile"


# --------------------------------------------------------------------------- input errors
def _record_text(text: str, err) -> str | None:
    """The (normalised) sequence of the record an error is about, if it can be found."""
    from promoter_model.sequence import normalize

    if err.line is None:
        return None
    lines = text.splitlines()
    if not 1 <= err.line <= len(lines):
        return None
    first = lines[err.line - 1]
    if first.lstrip().startswith(">"):
        chunk = []
        for ln in lines[err.line:]:
            if ln.lstrip().startswith(">"):
                break
            chunk.append(ln)
        return normalize("".join(chunk))
    cells = re.split(r"[\t,]", first)
    pos = err.position or 0
    for cell in cells:
        s = normalize(cell.strip().strip('"'))
        if pos and len(s) >= pos and err.character is not None and \
                s[pos - 1] == normalize(err.character)[:1]:
            return s
    return normalize(first)


def marked_sequence(seq: str, position: int, context: int = 25) -> str:
    """HTML of ``seq`` around a 1-based ``position`` with that character highlighted."""
    i = position - 1
    lo, hi = max(0, i - context), min(len(seq), i + context + 1)
    before = html.escape(seq[lo:i])
    bad = html.escape(seq[i:i + 1]) or "&nbsp;"
    after = html.escape(seq[i + 1:hi])
    return (f"<code style='white-space:pre-wrap;word-break:break-all'>"
            f"{'…' if lo > 0 else ''}{before}"
            f"<mark style='background:#d62728;color:white;font-weight:bold;padding:0 2px'>"
            f"{bad}</mark>{after}{'…' if hi < len(seq) else ''}</code> "
            f"<small>(position {position})</small>")


def show_input_errors(errors, text: str) -> None:
    """One error box per rejected record, naming the record, position and character."""
    for err in errors[:50]:
        reason = err.reason
        if err.record and reason.startswith(f"record '{err.record}'"):
            reason = reason[len(f"record '{err.record}'"):].lstrip(": ")  # named just below
        who = f"**{err.record}**" if err.record else (f"line {err.line}" if err.line else "input")
        st.error(f"{who}: {reason}", icon=":material/error:")
        if err.position:
            seq = _record_text(text, err)
            if seq and len(seq) >= err.position:
                st.markdown(marked_sequence(seq, err.position), unsafe_allow_html=True)
    if len(errors) > 50:
        st.error(f"… and {len(errors) - 50} more records with problems.")


def parse_input(text: str, *, fmt: str = "auto", source: str | None = None,
                delimiter: str | None = None, max_length: int | None = None):
    """Parse pasted or uploaded text leniently; show problems; return the table or None.

    ``max_length`` (default the package's, 1,000 bp) is the longest record accepted.
    """
    from promoter_model.sequence import DEFAULT_MAX_LENGTH, SequenceError, parse_text

    try:
        table = parse_text(text, fmt, strict=False, source=source, delimiter=delimiter,
                           max_length=max_length or DEFAULT_MAX_LENGTH)
    except SequenceError as exc:
        st.error(f"{source or 'Input'}: {exc.reason}", icon=":material/error:")
        return None
    for note in getattr(table, "notes", None) or []:  # what was stripped or joined
        st.info(f"{source or 'Input'}: {note}.".replace("..", "."),
                icon=":material/content_paste:")
    if table.errors:
        st.warning(f"{len(table.errors)} record(s) could not be used and are listed below; "
                   f"the other {len(table)} are predicted.", icon=":material/warning:")
        show_input_errors(table.errors, text)
    return table


def read_upload(upload):
    """Decode an uploaded file to text and guess its format from the extension."""
    data = upload.getvalue()
    name = upload.name
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"{name} is larger than {MAX_UPLOAD_MB} MB.")
        return None, None, None
    if b"\x00" in data[:65536]:
        st.error(f"{name} is a binary file, not sequence text.")
        return None, None, None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        st.error(f"{name}, line {line}: byte 0x{data[exc.start]:02X} is not UTF-8 text.")
        return None, None, None
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    fmt = {"fa": "fasta", "fasta": "fasta", "fna": "fasta", "fas": "fasta",
           "csv": "table", "tsv": "table"}.get(suffix, "auto")
    delimiter = "," if suffix == "csv" else ("\t" if suffix == "tsv" else None)
    return text, fmt, delimiter


def fit_notes(sequences) -> tuple:
    """Fitted sequences and a note per sequence (None if it already had 110 bp).

    The package's rule (:func:`promoter_model.sequence.fit_to_length`): up to 80 bp is read
    as the variable region and placed between the plasmid flanks; other lengths keep their
    3' end.
    """
    from promoter_model.sequence import describe_fit, fit_to_length

    fitted, change = fit_to_length(list(sequences))
    return fitted, [describe_fit(int(c)) for c in change]


def show_fit_notes(ids, sequences, notes, *, each: int = 5) -> None:
    """Tell the user how their sequences were fitted: one box, and each one if few."""
    from promoter_model.sequence import fit_summary

    summary = fit_summary(list(sequences))
    if not summary:
        return
    lines = [f"{summary}."]
    if sum(1 for n in notes if n) <= each:
        lines += [f"- **{ids[i]}** ({len(sequences[i])} bp): {n}." for i, n in enumerate(notes)
                  if n]
    else:
        lines.append("The `fit` column of the table says what was done to each.")
    st.info("\n".join(lines), icon=":material/content_cut:")


def need_run():
    """The current run or ensemble (a ``Predictor``), or stop the page with a friendly message."""
    try:
        run = run_cache.current_run()
    except Exception as exc:  # a run that passed the checks but fails to load
        st.error(f"The selected run could not be loaded: {exc}")
        st.stop()
    if run is None:
        st.info("No model is selected. Pick a run in the sidebar (or point the runs folder "
                "at a folder of trained runs).", icon=":material/info:")
        st.stop()
    return run


def read_one(text: str, what: str):
    """The first valid sequence of ``text``, fitted to 110 bp (notes and errors shown)."""
    if not text or not text.strip():
        st.info(f"Enter a {what}.")
        return None
    table = parse_input(text, source=what)
    if table is None or not len(table):
        return None
    if len(table) > 1:
        st.caption(f"{len(table)} records given for the {what}; the first "
                   f"({table.ids[0]}) is used.")
    fitted, notes = fit_notes(table.sequences[:1])
    if notes[0]:
        st.info(f"The {what} ({len(table.sequences[0])} bp) was {notes[0]}.",
                icon=":material/content_cut:")
    return fitted[0]
