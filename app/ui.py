"""Small Streamlit helpers shared by the pages: downloads, logos, input errors, sequence input."""

from __future__ import annotations

import html
import re

import pandas as pd
import streamlit as st

from app import export, services

MAX_UPLOAD_MB = 20  # mirrors server.maxUploadSize in .streamlit/config.toml


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("_")[:60] or "figure"


def plotly(fig, *, key: str, name: str, **kwargs):
    """Show a plotly figure with PNG and SVG downloads (publication renderings)."""
    event = st.plotly_chart(fig, key=key, config=export.PLOTLY_CONFIG, **kwargs)
    figure_downloads(lambda: fig, name=name, key=key)
    return event


def figure_downloads(factory, *, name: str, key: str, width: float = 7.0):
    """PNG and SVG download buttons; the image is rendered only when clicked."""
    with st.container(horizontal=True):
        for fmt in ("png", "svg"):
            st.download_button(
                f"{fmt.upper()}", data=lambda fmt=fmt: export.figure_bytes(factory(), fmt,
                                                                            width=width),
                file_name=f"{slug(name)}.{fmt}", mime="image/png" if fmt == "png"
                else "image/svg+xml", key=f"{key}_{fmt}", on_click="ignore",
                icon=":material/download:", help=f"Download as {fmt.upper()} "
                "(publication size, white background)")


def table_download(df: pd.DataFrame, *, name: str, key: str, label: str = "CSV"):
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
    if unit == services.DEFAULT_UNIT:
        return ("The run does not say what it predicts; values are the model's output in its "
                "training units. Percentiles compare them with measured "
                f"{services.MEASURED_UNIT}.")
    return f"Predictions are {unit}."


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
                delimiter: str | None = None):
    """Parse pasted or uploaded text leniently; show problems; return the table or None."""
    from promoter_model.sequence import SequenceError, parse_text

    try:
        table = parse_text(text, fmt, strict=False, source=source, delimiter=delimiter)
    except SequenceError as exc:
        st.error(f"{source or 'Input'}: {exc.reason}", icon=":material/error:")
        return None
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
    """Fitted sequences and a note per sequence (None if it already had 110 bp)."""
    from promoter_model.sequence import describe_fit, fit_to_length

    fitted, change = fit_to_length(list(sequences))
    return fitted, [describe_fit(int(c)) for c in change]


def need_run():
    """The current run, or stop the page with a friendly message."""
    try:
        run = services.current_run()
    except Exception as exc:  # a run that passed the checks but fails to load
        st.error(f"The selected run could not be loaded: {exc}")
        st.stop()
    if run is None:
        st.info("No model is selected. Pick a run in the sidebar (or point the runs folder "
                "at a folder of trained runs).", icon=":material/info:")
        st.stop()
    return run
