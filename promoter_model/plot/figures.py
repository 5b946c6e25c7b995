"""Heatmaps, curves and scatters of mutagenesis, design, predictions and training."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from promoter_model.metrics import finite_agreement
from promoter_model.plot._base import (
    MAX_NAMED_MARKERS,
    NEG_COLOR,
    PALETTE,
    POS_COLOR,
    axes_for,
    axis_title,
    finish,
    ism_cells,
    point_density,
    regions,
)
from promoter_model.sequence import ALPHABET


def ism_heatmap(scores, sequence: str, *, ax=None, zmax: float | None = None,
                unit: str = "expression", title: str | None = None, boxed=(),
                width: float = 12.0, height: float = 3.0, disagree=None,
                disagree_label: str = "members disagree on the sign"):
    """In-silico mutagenesis heatmap: rows A, C, G, T by positions, centred on zero.

    Parameters
    ----------
    scores : array, shape (L, 4)
        Predicted change of each substitution (0 at the reference base, NaN where unknown).
    sequence : str
        The reference (length L); its bases are dotted, ``N`` columns shaded grey.
    zmax : float, optional
        Half-width of the colour range; by default the largest |change| of this map.
    boxed : iterable of int
        1-based positions outlined (e.g. where a variant differs from its reference).
    disagree : array of bool, shape (L, 4), optional
        Cells where an ensemble's members disagree on the sign of the change
        (:func:`promoter_model.interpret.ism_summary.sign_disagreement`), each marked with a small
        ``x`` (the collection's gid is ``"disagree"``), explained in a legend under the
        map by ``disagree_label``
    """
    fig, ax = axes_for(ax, (width, height))
    cells = ism_cells(scores, sequence, zmax)
    z, zmax, idx, known = cells.z, cells.zmax, cells.row, cells.known
    L = z.shape[1]
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#d9d9d9")
    im = ax.imshow(np.ma.masked_invalid(z), aspect="auto", cmap=cmap, vmin=-zmax, vmax=zmax,
                   interpolation="nearest", extent=(0.5, L + 0.5, 3.5, -0.5))
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label=axis_title("change", unit))
    pos = np.arange(1, L + 1)
    ax.scatter(pos[known], idx[known], s=3, color="black", lw=0, zorder=5)
    for first, last in cells.unknown_runs:  # say what the grey is where it is wide enough
        if last - first >= 3:
            ax.text((first + last) / 2, 1.5, "N", ha="center", va="center", color="0.4",
                    fontsize=10)
    for (b, p), ls in zip(cells.strongest, ("-", ":")):
        ax.add_patch(Rectangle((p + 0.5, b - 0.5), 1, 1, fill=False, ec="black", lw=1.5,
                               ls=ls, zorder=6))
    for p in boxed:
        ax.add_patch(Rectangle((p - 0.5, -0.5), 1, 4, fill=False, ec="#222", lw=1.2, zorder=6))
    if disagree is not None:
        mask = np.asarray(disagree, dtype=bool)
        if mask.shape != (L, 4):
            raise ValueError(f"disagree mask has shape {mask.shape}, expected {(L, 4)}")
        p_idx, b_idx = np.nonzero(mask)
        ax.scatter(p_idx + 1, b_idx, marker="x", s=14, lw=0.8, color="#333", zorder=7,
                   gid="disagree", label=disagree_label)
        if p_idx.size:  # the exported figure explains its marks
            ax.legend(loc="upper right", bbox_to_anchor=(1.0, -0.2), frameon=False,
                      fontsize=8, handletextpad=0.2, borderaxespad=0.2)
    regions(ax, L, sequence)
    ax.set_yticks(range(4), list(ALPHABET))
    ax.set_xlim(0.5, L + 0.5)
    ax.set_xlabel("position (bp)")
    ax.set_ylabel("mutant base")
    return finish(ax, title, lifted=True)


def trajectory(expressions, labels, *, ax=None, unit: str = "expression",
               title: str | None = "Mutation trajectory", width: float = 7.0,
               height: float = 3.2, lower=None, upper=None):
    """Predicted expression along a mutation trajectory; ticks name each step's mutation.

    ``lower``/``upper`` (each step's interval, optional) are drawn as a shaded band.
    """
    fig, ax = axes_for(ax, (width, height))
    y = np.asarray(expressions, dtype=np.float64)
    steps = np.arange(y.size)
    if lower is not None and upper is not None:
        ax.fill_between(steps, np.asarray(lower, np.float64), np.asarray(upper, np.float64),
                        color=POS_COLOR, alpha=0.15, lw=0, gid="interval")
    ax.plot(steps, y, "-o", color=POS_COLOR, ms=4, lw=1.5)
    ax.set_xticks(steps, [f"{i}: {t}" for i, t in zip(steps.tolist(), labels)],
                  rotation=30 if y.size > 4 else 0, ha="right" if y.size > 4 else "center")
    ax.set_xlabel("step: mutation applied")
    ax.set_ylabel(axis_title("predicted", unit))
    return finish(ax, title)


def design_trajectories(trajectories: dict, *, ax=None, unit: str = "expression",
                        target: float | None = None, highlight: str | None = None,
                        title: str | None = "Design trajectories", width: float = 7.0,
                        height: float = 3.6):
    """Predicted value after each step of several designs, with intervals when known.

    Parameters
    ----------
    trajectories : dict of name -> (steps, prediction, lower, upper)
        Arrays of one length; ``lower``/``upper`` may be None.
    """
    fig, ax = axes_for(ax, (width, height))
    for k, (name, (step, pred, lower, upper)) in enumerate(trajectories.items()):
        pred = np.asarray(pred, dtype=np.float64)
        err = None
        if lower is not None and upper is not None and np.isfinite(lower).all():
            err = np.stack([pred - np.asarray(lower), np.asarray(upper) - pred])
        lw = 3 if name == highlight else (1.2 if highlight else 1.8)
        ax.errorbar(step, pred, yerr=err, fmt="-o", ms=3, lw=lw, capsize=2, elinewidth=1,
                    color=PALETTE[k % len(PALETTE)], label=str(name))
    if target is not None:
        ax.axhline(target, color="0.33", ls="--", lw=1)
        ax.annotate(f"target {target:.2f}", (1, target), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=8, color="0.33")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("step (mutations applied)")
    ax.set_ylabel(axis_title("predicted", unit))
    if 1 < len(trajectories) <= 20:
        ax.legend(fontsize=8, frameon=False)
    return finish(ax, title)


def alignment(start: str, sequences, ids, *, ax=None, region: tuple | None = None,
              title: str | None = "Designs against the start (edited bases in red)"):
    """Designs aligned against ``start``: every letter written, edited ones on red."""
    a, b = region or (0, len(start))
    names = ["start", *ids]
    letters = np.array([list(s[a:b]) for s in [start, *sequences]])
    edited = letters != letters[0][None]
    fig, ax = axes_for(ax, (max(6.0, 0.13 * (b - a) + 1.5), 0.8 + 0.28 * len(names)))
    ax.imshow(edited, aspect="auto", cmap=ListedColormap(
        ["#f4f4f4", POS_COLOR]), vmin=0, vmax=1, interpolation="nearest",
        extent=(a + 0.5, b + 0.5, len(names) - 0.5, -0.5))
    for (r, c), letter in np.ndenumerate(letters):
        ax.text(a + c + 1, r, letter, ha="center", va="center", fontsize=6,
                family="monospace", color="white" if edited[r, c] else "0.2")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("position (bp)")
    return finish(ax, title)


def robustness_curve(effects: dict, *, ax=None, unit: str = "expression",
                     title: str | None = "Mutational robustness", width: float = 7.0,
                     height: float = 3.2):
    """Sorted single-mutation effects of several sequences, overlaid (flat = robust).

    Parameters
    ----------
    effects : dict of name -> array, shape (n_mutations,)
    """
    fig, ax = axes_for(ax, (width, height))
    for name, values in effects.items():
        v = np.sort(np.asarray(values, dtype=np.float64))
        ax.plot(np.arange(1, v.size + 1), v, lw=1.3, label=str(name))
    ax.axhline(0, color="0.53", lw=0.8, ls=":")
    ax.set_xlabel("single mutations, ranked by effect")
    ax.set_ylabel(axis_title("predicted change", unit))
    if 1 < len(effects) <= 20:
        ax.legend(fontsize=8, frameon=False)
    return finish(ax, title)


def motif_scan(positions, delta, *, strand=None, ax=None, motif: str = "motif",
               unit: str = "expression", length: int = 110, width: float = 8.0,
               height: float = 3.2):
    """Predicted change when a motif is substituted starting at each (1-based) position."""
    fig, ax = axes_for(ax, (width, height))
    x = np.asarray(positions)
    y = np.asarray(delta, dtype=np.float64)
    strands = np.asarray(strand) if strand is not None else np.full(x.size, "+")
    for s, color in (("+", POS_COLOR), ("-", NEG_COLOR)):
        m = strands == s
        if m.any():
            ax.plot(x[m], y[m], "-o", ms=2.5, lw=1, color=color, label=f"{motif} ({s} strand)")
    ax.axhline(0, color="0.53", lw=0.8, ls=":")
    regions(ax, length)
    ax.set_xlim(0.5, length + 0.5)
    ax.set_xlabel("start of the inserted site (bp)")
    ax.set_ylabel(axis_title("predicted change", unit))
    if (strands == "-").any():
        ax.legend(fontsize=8, frameon=False)
    return finish(ax, f"Scan of {motif} along the sequence", lifted=True)


def seqlet_positions(starts, strands=None, *, width: int = 0, ax=None, length: int = 110,
                     title: str | None = None, figwidth: float = 6.0, height: float = 2.4):
    """Histogram of where a motif's seqlets lie along the input, one colour per strand.

    Parameters
    ----------
    starts : array of int, shape (n,)
        0-based start of each seqlet within the ``length`` bp input.
    strands : array of "+"/"-", shape (n,), optional
    width : int
        Seqlet width; > 0 plots seqlet centres instead of starts.
    """
    fig, ax = axes_for(ax, (figwidth, height))
    x = np.asarray(starts, dtype=np.float64) + 1 + (width - 1) / 2 * (width > 0)
    strands = np.asarray(strands) if strands is not None else np.full(x.size, "+")
    edges = np.arange(0.5, length + 1.5, 5.0)
    data = [x[strands == s] for s in ("+", "-")]
    ax.hist(data, bins=edges, stacked=True, color=[POS_COLOR, NEG_COLOR],
            label=[f"+ strand ({data[0].size})", f"- strand ({data[1].size})"])
    regions(ax, length, labels=title is None)
    ax.set_xlim(0.5, length + 0.5)
    ax.set_xlabel("seqlet centre (bp)" if width > 0 else "seqlet start (bp)")
    ax.set_ylabel("seqlets")
    ax.legend(fontsize=8, frameon=False)
    return finish(ax, title, lifted=title is not None)


def expression_histogram(measured, predicted=None, *, ax=None, labels=None, percentiles=None,
                         unit: str = "expression", bins: int = 60, title: str | None = None,
                         width: float = 7.0, height: float = 3.2, lower=None, upper=None):
    """Histogram of measured expression with predictions marked.

    Parameters
    ----------
    measured : array, shape (m,)
    predicted : float or array, shape (n,), optional
        One is a line (with its percentile, if given); up to 12 are named triangles
        (staggered in three rows), more a rug.
    percentiles : array, shape (n,), optional
        Percentile of each prediction among ``measured`` (computed by the caller).
    lower, upper : array, shape (n,), optional
        Each prediction's interval, drawn as a horizontal bar through its marker (and a
        shaded band for a single prediction).
    """
    fig, ax = axes_for(ax, (width, height))
    measured = np.asarray(measured, dtype=np.float64)
    counts, edges, _ = ax.hist(measured[np.isfinite(measured)], bins=bins, color="#bbbbbb",
                               lw=0)
    top = float(counts.max()) if counts.size else 1.0
    if predicted is not None:
        pred = np.atleast_1d(np.asarray(predicted, dtype=np.float64))
        if pred.size == 1:
            ax.axvline(pred[0], ymax=1 / 1.2, color=POS_COLOR, lw=2)
            text = f"{pred[0]:.2f}"
            if percentiles is not None:
                text += f" ({np.atleast_1d(percentiles)[0]:.0f}th percentile)"
            ax.text(pred[0], top * 1.1, text, color=POS_COLOR, ha="center", va="bottom")
        named = 1 < pred.size <= MAX_NAMED_MARKERS
        order = np.argsort(np.argsort(pred))
        y = top * (1.06 + 0.09 * (order % 3)) if named else np.full(pred.size, top * 1.06)
        if lower is not None and upper is not None:
            lo = np.atleast_1d(np.asarray(lower, dtype=np.float64))
            hi = np.atleast_1d(np.asarray(upper, dtype=np.float64))
            ax.hlines(y, lo, hi, color=POS_COLOR, lw=1.5, zorder=3, gid="interval")
            if pred.size == 1 and np.isfinite(lo[0]) and np.isfinite(hi[0]):
                ax.axvspan(lo[0], hi[0], color=POS_COLOR, alpha=0.12, lw=0, zorder=0)
        ax.scatter(pred, y, marker="v", s=50 if pred.size == 1 else 25, color=POS_COLOR,
                   zorder=4)
        if named:
            names = list(labels) if labels is not None else [f"sequence {i + 1}"
                                                             for i in range(pred.size)]
            for xi, yi, name in zip(pred, y, names):
                ax.annotate(str(name), (xi, yi), xytext=(0, 4), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7, color=POS_COLOR)
        ax.set_ylim(0, top * 1.4)
    ax.set_xlabel(unit)
    ax.set_ylabel("test sequences")
    return finish(ax, title)


def density_scatter(y, yhat, *, ax=None, unit: str = "expression",
                    measured_unit: str | None = None, title: str | None = None,
                    bins: int = 80, size: float = 5.0):
    """Predicted vs measured coloured by local density; n, r and R² in the title.

    Both axes span the data on the same range (square, 1:1 line dashed).
    """
    fig, ax = axes_for(ax, (size + 0.8, size))
    y, yhat, r, r2 = finite_agreement(y, yhat)
    if y.size:
        y, yhat, dens = point_density(y, yhat, bins)
        sc = ax.scatter(y, yhat, c=np.log10(dens + 1), s=4, lw=0, cmap="viridis",
                        rasterized=y.size > 2000)
        # the colour bar as tall as the square plot, not as the figure
        fig.colorbar(sc, cax=ax.inset_axes([1.04, 0.0, 0.04, 1.0]), label="log10 density")
        lo, hi = float(min(y.min(), yhat.min())), float(max(y.max(), yhat.max()))
        ax.plot([lo, hi], [lo, hi], color="0.27", lw=1, ls="--")
        pad = 0.04 * (hi - lo or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"measured ({measured_unit or unit})")
    ax.set_ylabel(f"predicted ({unit})")
    stats = f"n = {y.size:,}   r = {r:.3f}   R² = {r2:.3f}"
    return finish(ax, f"{title + ': ' if title else ''}{stats}")


def training_curves(histories: dict, metric: str, *, ax=None, selected=None,
                    title: str | None = None, ylabel: str | None = None,
                    width: float = 6.0, height: float = 3.2):
    """One metric per epoch for several runs; the selected run bold.

    Parameters
    ----------
    histories : dict of name -> DataFrame
        Each with ``epoch`` and ``metric`` columns; for ``loss`` the ``val_loss`` is drawn
        dashed in the same colour.
    selected : str or list of str, optional
        The run(s) drawn bold (an ensemble's members); all when None.
    """
    fig, ax = axes_for(ax, (width, height))
    k = 0
    for name, h in histories.items():
        if h is None or metric not in h or h.empty:
            continue
        bold = selected is None or name in ([selected] if isinstance(selected, str)
                                              else selected)
        style = dict(lw=2.2 if bold else 1.0, alpha=1.0 if bold else 0.55, ms=3,
                     color=PALETTE[k % len(PALETTE)])
        epoch = h["epoch"] if "epoch" in h else np.arange(1, len(h) + 1)
        ax.plot(epoch, h[metric], "-o", label=f"{name}: {metric}", **style)
        if metric == "loss" and "val_loss" in h:
            ax.plot(epoch, h["val_loss"], "--o", label=f"{name}: val_loss", **style)
        k += 1
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    if 1 < len(ax.lines) <= 20:
        ax.legend(fontsize=8, frameon=False)
    return finish(ax, title)


def calibration_curve(levels, observed, *, ax=None, title: str | None = "Interval calibration",
                      data: str = "public-leaderboard rows", width: float = 4.2,
                      height: float = 4.0):
    """Observed coverage of the prediction intervals against their nominal level.

    Parameters
    ----------
    levels : array, shape (k,)
        Nominal levels (e.g. 0.5 ... 0.99).
    observed : array, shape (k,)
        Share of measured values inside their interval at each level (computed by the
        caller, e.g. ``metrics.json`` ``interval.all_levels``).
    data : str
        What the coverage was measured on (axis label).

    Points on the dashed diagonal are exactly calibrated; above it, conservative.
    """
    fig, ax = axes_for(ax, (width, height))
    lv = np.asarray(levels, dtype=np.float64)
    ob = np.asarray(observed, dtype=np.float64)
    order = np.argsort(lv)
    ax.plot([0, 1], [0, 1], ls="--", color="#666", lw=1)
    ax.plot(lv[order], ob[order], "-o", color=POS_COLOR, ms=5, lw=1.5)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("nominal coverage (interval level)")
    ax.set_ylabel(f"observed coverage\n({data})")
    return finish(ax, title)
