"""Downloads: figures as PNG/SVG, tables as CSV, and a self-contained HTML report.

Static images are the matplotlib figures of :mod:`promoter_model.plot` (never kaleido, which
needs a browser process): each page hands :func:`app.ui.plotly` the matplotlib twin of its
plotly chart. Everything works offline. The interactive plotly charts also offer SVG/PNG
from their own toolbar (:data:`PLOTLY_CONFIG`). :func:`plotly_spec` reads a plotly figure
back as plain arrays (the tests use it to check what a page shows).
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime, timezone

import numpy as np

PUBLICATION_DPI = 300
#: st.plotly_chart(config=...) for every chart: SVG from the camera button, no logo.
PLOTLY_CONFIG = {"displaylogo": False,
                 "toImageButtonOptions": {"format": "svg", "scale": 2, "filename": "figure"}}
#: text stays text in the SVG downloads (editable in Illustrator/Inkscape)
_SAVE_RC = {"svg.fonttype": "none"}


def decode_array(value):
    """Decode a plotly array to numpy, whether plain or typed (``{"dtype", "bdata", "shape"}``)."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            dims = [int(v) for v in str(shape).split(",")] if isinstance(shape, str) else shape
            arr = arr.reshape(dims)
        return arr
    return None if value is None else np.asarray(value)


def _decode_tree(obj):
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            return decode_array(obj)
        return {k: _decode_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode_tree(v) for v in obj]
    return obj


def plotly_spec(fig) -> dict:
    """Return a plotly figure (or its JSON) as a plain dict, typed arrays decoded to numpy."""
    import json

    if isinstance(fig, str):
        return _decode_tree(json.loads(fig))
    return _decode_tree(json.loads(fig.to_json()))


def _is_plotly(fig) -> bool:
    return hasattr(fig, "to_plotly_json")


def mpl_bytes(fig, fmt: str = "png", *, close: bool = True, dpi: int = PUBLICATION_DPI,
              tight: bool = True) -> bytes:
    """Render a matplotlib figure to PNG or SVG bytes on a white background.

    ``tight=False`` skips the tight bounding box (a third of the time of a logo; the
    screen renderings are laid out with ``tight_layout`` already).
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        with plt.rc_context(_SAVE_RC):
            fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white",
                        bbox_inches="tight" if tight else None)
    finally:
        if close:
            plt.close(fig)
    return buf.getvalue()


def figure_bytes(fig, fmt: str = "png") -> bytes:
    """PNG or SVG bytes of a matplotlib figure (closed after use).

    Raises
    ------
    ValueError
        For another format, or a figure that is not matplotlib's (a plotly figure's
        download is drawn by :mod:`promoter_model.plot` instead).
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown image format {fmt!r}; use png or svg")
    if not hasattr(fig, "savefig"):
        raise ValueError(f"cannot render a {type(fig).__name__} as {fmt}: draw it with "
                         "promoter_model.plot")
    return mpl_bytes(fig, fmt)


# --------------------------------------------------------------------------- HTML report
def _img_tag(fig, alt: str) -> str:
    data = base64.b64encode(figure_bytes(fig, "png")).decode()
    return (f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}" '
            'style="max-width:100%">')


def markdown_html(text: str, shift: int = 0) -> str:
    """Markdown (CommonMark with tables) as HTML; raw HTML in the text is escaped.

    ``shift`` demotes the headings (1: ``#`` becomes ``<h2>``), for a document nested in a
    page that has its own title.
    """
    import re

    from markdown_it import MarkdownIt

    out = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    if shift:
        out = re.sub(r"<(/?)h([1-6])>", lambda m: f"<{m[1]}h{min(6, int(m[2]) + shift)}>", out)
    return out


def html_report(*, title: str, sequence: str, prediction: str, sections: list,
                model_card: str | None = None, run_name: str = "") -> str:
    """One self-contained HTML file (plotly.js inline, images as base64) that opens offline.

    Parameters
    ----------
    title : str
    sequence : str
    prediction : str
        One-line summary, e.g. "1.23 MAUDE-normalised expression (87th percentile)".
    sections : list of (heading, object)
        ``object`` is a plotly figure (embedded interactive), a matplotlib figure (PNG,
        closed after use), a DataFrame (table) or a string (paragraph).
    model_card : str, optional
        Markdown of the run's model card (rendered as HTML; raw HTML in it is escaped).
    """
    import pandas as pd

    parts = []
    plotly_js_done = False
    for heading, obj in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if _is_plotly(obj):
            parts.append(obj.to_html(full_html=False,
                                     include_plotlyjs=not plotly_js_done,
                                     config={"displaylogo": False}))
            plotly_js_done = True
        elif isinstance(obj, pd.DataFrame):
            parts.append(obj.to_html(index=False, float_format=lambda v: f"{v:.4g}",
                                     classes="table", border=0))
        elif isinstance(obj, str):
            parts.append(f"<p>{html.escape(obj)}</p>")
        elif obj is not None:
            parts.append(_img_tag(obj, heading))
    seq_html = html.escape(sequence)
    card = (f"<h2>Model card</h2><div class='card'>{markdown_html(model_card, shift=2)}</div>"
            if model_card else "")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body{{font-family:Arial,Helvetica,sans-serif;max-width:1200px;margin:2em auto;color:#222}}
code.seq{{font-family:monospace;word-break:break-all;background:#f4f4f4;padding:.3em;display:block}}
table.table{{border-collapse:collapse;font-size:.9em}}
table.table td,table.table th{{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right}}
div.card{{background:#fafafa;border:1px solid #eee;padding:0 1em 1em}}
div.card table{{border-collapse:collapse;font-size:.9em}}
div.card td,div.card th{{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}}
div.card code{{background:#f0f0f0;padding:0 .2em}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Run: <b>{html.escape(run_name)}</b> &middot; generated {stamp}</p>
<h2>Sequence</h2><code class="seq">{seq_html}</code>
<h2>Prediction</h2><p>{html.escape(prediction)}</p>
{''.join(parts)}
{card}
</body></html>
"""
