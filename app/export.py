"""Downloads: figures as PNG/SVG, tables as CSV, and a self-contained HTML report.

Static images are made with matplotlib, never with kaleido (which needs a browser process
and is not installed): logos are matplotlib figures already, and the dashboard's plotly
figures are redrawn with :func:`plotly_to_matplotlib`, which understands the trace types
:mod:`app.figures` uses (heatmap, scatter, bar) plus its shapes and annotations. Everything
works offline. The interactive plotly charts also offer SVG/PNG from their own toolbar
(:data:`PLOTLY_CONFIG`).
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
_MPL_RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10,
           "font.family": "DejaVu Sans", "svg.fonttype": "none"}


def decode_array(value):
    """A plotly array as numpy, whether plain or typed (``{"dtype", "bdata", "shape"}``)."""
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
    """The figure as a plain dict with every typed array decoded to numpy."""
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
        fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white",
                    bbox_inches="tight" if tight else None)
    finally:
        if close:
            plt.close(fig)
    return buf.getvalue()


def figure_bytes(fig, fmt: str = "png", *, width: float = 7.0, height: float | None = None
                 ) -> bytes:
    """PNG or SVG bytes of a plotly or matplotlib figure (matplotlib renders both)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown image format {fmt!r}; use png or svg")
    if _is_plotly(fig):
        fig = plotly_to_matplotlib(fig, width=width, height=height)
    return mpl_bytes(fig, fmt)


def _cmap(colorscale):
    from matplotlib.colors import LinearSegmentedColormap

    if isinstance(colorscale, str):
        name = {"RdBu_r": "RdBu_r", "Viridis": "viridis", "RdBu": "RdBu"}.get(colorscale,
                                                                             "viridis")
        import matplotlib

        return matplotlib.colormaps[name]
    if colorscale:
        stops = [(float(s), c) for s, c in colorscale]
        cols = []
        for s, c in stops:
            if isinstance(c, str) and c.startswith("rgb"):
                vals = [float(v) / 255 for v in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
                cols.append((s, vals))
            else:
                cols.append((s, c))
        return LinearSegmentedColormap.from_list("plotly", cols)
    import matplotlib

    return matplotlib.colormaps["viridis"]


def _color(c, default="C0"):
    if c is None or isinstance(c, (list, tuple, np.ndarray)):
        return default
    if isinstance(c, str) and c.startswith("rgba"):
        v = [float(x) for x in c[c.index("(") + 1:c.index(")")].split(",")]
        return (v[0] / 255, v[1] / 255, v[2] / 255, v[3])
    if isinstance(c, str) and c.startswith("rgb"):
        v = [float(x) for x in c[c.index("(") + 1:c.index(")")].split(",")]
        return (v[0] / 255, v[1] / 255, v[2] / 255)
    return c


_DASH = {"dash": "--", "dot": ":", "dashdot": "-.", "solid": "-", None: "-"}


def _plain(text, breaks: bool = False):
    """Plotly rich text as plain text; ``<br>`` becomes a space (or a new line)."""
    if text is None:
        return ""
    return html.unescape(str(text)).replace("<br>", "\n" if breaks else " ").replace(
        "<b>", "").replace("</b>", "")


def _ticks(ax, axis: dict, which: str) -> None:
    """Tick positions and names of a plotly axis: ``tickvals/ticktext`` or ``dtick``."""
    from matplotlib.ticker import MultipleLocator

    set_ticks = ax.set_xticks if which == "x" else ax.set_yticks
    if axis.get("tickvals") is not None:
        vals = list(np.asarray(axis["tickvals"]).tolist())
        text = axis.get("ticktext")
        labels = [str(t) for t in text] if text is not None else None
        set_ticks(vals, labels)
        angle = axis.get("tickangle")
        if angle and which == "x":
            for label in ax.get_xticklabels():
                label.set_rotation(-float(angle))
                label.set_ha("right")
    elif axis.get("dtick") is not None and axis.get("type") != "category":
        (ax.xaxis if which == "x" else ax.yaxis).set_major_locator(
            MultipleLocator(float(axis["dtick"])))


def plotly_to_matplotlib(fig, *, width: float = 7.0, height: float | None = None):
    """Redraw a single-panel plotly figure with matplotlib (for publication exports).

    Handles heatmaps (categorical rows), scatter (lines and markers), bars, shapes (lines,
    rectangles) and text annotations, axis titles, ranges and the title. Fully transparent
    helper traces (the click grid of the ISM heatmap) are skipped.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    spec = plotly_spec(fig) if _is_plotly(fig) else _decode_tree(fig)
    layout = spec.get("layout", {})
    px_h = layout.get("height") or 400
    height = height or max(2.2, width * px_h / 900)
    with plt.rc_context(_MPL_RC):
        mfig, ax = plt.subplots(figsize=(width, height), facecolor="white")
        categories = None
        for tr in spec.get("data", []):
            kind = tr.get("type", "scatter")
            if kind == "heatmap":
                z = np.asarray(tr["z"], dtype=np.float64)
                ys = list(tr.get("y") or range(z.shape[0]))
                xs = np.asarray(tr.get("x") if tr.get("x") is not None else range(z.shape[1]),
                                dtype=np.float64)
                categories = [str(v) for v in ys]
                zmin, zmax = tr.get("zmin"), tr.get("zmax")
                im = ax.imshow(z, aspect="auto", cmap=_cmap(tr.get("colorscale")),
                               vmin=zmin, vmax=zmax, interpolation="nearest",
                               extent=(xs[0] - 0.5, xs[-1] + 0.5, len(ys) - 0.5, -0.5))
                cb_title = _plain(((tr.get("colorbar") or {}).get("title") or {}).get("text"))
                mfig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label=cb_title)
                ax.set_yticks(range(len(ys)), categories)
            elif kind == "bar":
                x = np.asarray(tr["x"], dtype=np.float64)
                w = tr.get("width")
                col = (tr.get("marker") or {}).get("color")
                if isinstance(col, (list, tuple, np.ndarray)):
                    col = [_color(c) for c in col]
                else:
                    col = _color(col, "0.7")
                ax.bar(x, np.asarray(tr["y"], dtype=np.float64),
                       width=w if w is not None else 0.8, color=col, linewidth=0)
            elif kind in ("scatter", "scattergl"):
                marker = tr.get("marker") or {}
                mc = marker.get("color")
                if isinstance(mc, str) and mc.startswith("rgba") and _color(mc)[3] < 0.05:
                    continue  # invisible helper layer
                x = tr.get("x")
                y = tr.get("y")
                if x is None or y is None or len(x) == 0:
                    continue
                x = np.asarray(x)
                y = np.asarray(y)
                if categories is not None and y.dtype.kind in "US":
                    y = np.array([categories.index(str(v)) for v in y], dtype=np.float64)
                mode = tr.get("mode", "lines+markers")
                if "text" in mode and tr.get("text") is not None:
                    tc = _color(((tr.get("textfont") or {}).get("color")), "0.2")
                    for xi, yi, ti in zip(x, y, tr["text"]):
                        ax.annotate(_plain(ti), (xi, yi), xytext=(0, 5),
                                    textcoords="offset points", ha="center", va="bottom",
                                    fontsize=7, color=tc)
                line = tr.get("line") or {}
                label = _plain(tr.get("name"))
                alpha = tr.get("opacity", 1.0)
                if "lines" in mode:
                    ax.plot(x, y, ls=_DASH.get(line.get("dash"), "-"), lw=(line.get("width") or 2) * 0.6,
                            color=_color(line.get("color"), None), alpha=alpha,
                            label=label, marker="o" if "markers" in mode else None,
                            ms=2.5)
                elif "markers" in mode:
                    if isinstance(mc, (list, tuple, np.ndarray)) and len(mc) == len(x) \
                            and np.asarray(mc).dtype.kind in "fi":
                        sc = ax.scatter(x, y, c=np.asarray(mc, dtype=np.float64), s=4,
                                        cmap=_cmap(marker.get("colorscale")), lw=0,
                                        rasterized=len(x) > 2000)
                        if marker.get("colorbar"):
                            t = _plain(((marker.get("colorbar") or {}).get("title")
                                        or {}).get("text"))
                            mfig.colorbar(sc, ax=ax, fraction=0.04, pad=0.01, label=t)
                    else:
                        size = marker.get("size", 6)
                        ax.scatter(x, y, s=(size if np.isscalar(size) else 6) ** 2 * 0.5,
                                   color=_color(mc, "k") if not isinstance(
                                       mc, (list, tuple, np.ndarray)) else "k",
                                   lw=0, label=label, zorder=3)
        for sh in layout.get("shapes", []) or []:
            kind = sh.get("type")
            line = sh.get("line") or {}
            ls = _DASH.get(line.get("dash"), "-")
            lw = (line.get("width") if line.get("width") is not None else 1) * 0.7
            col = _color(line.get("color"), "k")
            y_paper = sh.get("yref") == "paper"
            x_paper = sh.get("xref") == "paper"
            x0, x1, y0, y1 = sh.get("x0"), sh.get("x1"), sh.get("y0"), sh.get("y1")
            trans = ax.get_xaxis_transform() if y_paper else (
                ax.get_yaxis_transform() if x_paper else ax.transData)
            if kind == "line":
                if lw > 0:
                    ax.plot([x0, x1], [y0, y1], ls=ls, lw=lw, color=col, transform=trans)
            elif kind == "rect":
                from matplotlib.patches import Rectangle

                fill = _color(sh.get("fillcolor"), "none") if sh.get("fillcolor") else "none"
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, transform=trans,
                                       facecolor=fill, edgecolor=col if lw > 0 else "none",
                                       lw=lw, ls=ls, zorder=4))
        for an in layout.get("annotations", []) or []:
            if an.get("x") is None or an.get("y") is None:
                continue
            trans = ax.get_xaxis_transform() if an.get("yref") == "paper" else ax.transData
            ax.text(an["x"], an["y"], _plain(an.get("text")), transform=trans, ha="center",
                    va="bottom", fontsize=8, color=_color((an.get("font") or {}).get("color"),
                                                         "0.3"))
        xa, ya = layout.get("xaxis") or {}, layout.get("yaxis") or {}
        ax.set_xlabel(_plain((xa.get("title") or {}).get("text"), breaks=True))
        ax.set_ylabel(_plain((ya.get("title") or {}).get("text"), breaks=True))
        if xa.get("range"):
            ax.set_xlim(*xa["range"])
        if ya.get("range"):
            ax.set_ylim(*ya["range"])
        _ticks(ax, xa, "x")
        _ticks(ax, ya, "y")
        title = _plain((layout.get("title") or {}).get("text"))
        if title:
            # labels drawn above the plot (flanks, variable region) get the title lifted
            # over them instead of printed across them
            above = any(an.get("yref") == "paper" and (an.get("y") or 0) >= 1.0
                        for an in layout.get("annotations", []) or [])
            ax.set_title(title, loc="left", pad=18 if above else 6)
        ax.spines[["top", "right"]].set_visible(False)
        handles, labels = ax.get_legend_handles_labels()
        if layout.get("showlegend", True) and 1 < len(labels) <= 20:
            ax.legend(fontsize=8, frameon=False)
        mfig.tight_layout()
    return mfig


# --------------------------------------------------------------------------- HTML report
def _img_tag(fig, alt: str) -> str:
    data = base64.b64encode(figure_bytes(fig, "png") if _is_plotly(fig) else mpl_bytes(fig, "png")
                            ).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}" style="max-width:100%">'


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
