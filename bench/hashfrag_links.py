"""Comparing two groupings of ``bench_hashfrag.py``: the row pairs one method links and the
other does not, what each such pair shares (Hamming distance, longest common run, tandem
repeats, reverse complements), the reason it was linked, and markdown examples.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

BASES = np.array(list("ACGTN"))
COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)



def pair_agreement(a: np.ndarray, b: np.ndarray) -> dict:
    """Co-grouped pairs in both labelings, only in ``a``, only in ``b``."""
    def pairs(x):
        s = np.bincount(x)
        return int((s * (s - 1) // 2).sum())

    joint = np.unique(a.astype(np.int64) * (int(b.max()) + 1) + b, return_inverse=True)[1]
    both = pairs(joint)
    return {"both": both, "only_a": pairs(a) - both, "only_b": pairs(b) - both}


def longest_run(a: np.ndarray, b: np.ndarray, chunk: int = 4000) -> tuple:
    """Longest exact common substring of each row pair at any offset, its start in ``a``
    and the offset (``b`` index minus ``a`` index), shapes (p,); ``N`` matches nothing.
    """
    p, width = a.shape
    shifts = np.arange(-(width - 1), width)
    tb = np.arange(width)[:, None] + shifts[None, :]
    ok = (tb >= 0) & (tb < width)
    tb = np.clip(tb, 0, width - 1)
    best = np.zeros(p, np.int64)
    offset = np.zeros(p, np.int64)
    for lo in range(0, p, chunk):
        aa, bb = a[lo:lo + chunk], b[lo:lo + chunk]
        run = np.zeros((len(aa), len(shifts)), np.uint8)
        top = np.zeros_like(run)
        for t in range(width):
            eq = (aa[:, t:t + 1] == bb[:, tb[t]]) & ok[t] & (aa[:, t:t + 1] != 4)
            run += 1
            run *= eq
            np.maximum(top, run, out=top)
        k = top.argmax(axis=1)
        best[lo:lo + chunk] = top[np.arange(len(aa)), k]
        offset[lo:lo + chunk] = shifts[k]
    # where the run lies, at its offset
    t = np.arange(width)
    tj = t[None, :] + offset[:, None]
    eq = ((tj >= 0) & (tj < width) & (a == np.take_along_axis(b, np.clip(tj, 0, width - 1), 1))
          & (a != 4))
    run = np.zeros(p, np.int64)
    where = np.zeros(p, np.int64)
    for j in range(width):
        run = (run + 1) * eq[:, j]
        where = np.where(run == best, j - best + 1, where)
    return best, np.where(best > 0, where, 0), offset


def repeat_mask(codes: np.ndarray, width: int = 20, max_period: int = 10) -> np.ndarray:
    """Bases lying in a ``width``-base window of period <= ``max_period`` (a tandem repeat,
    as our k-mer rule defines it for its 20-base anchors), shape (n, L), bool.
    """
    n, length = codes.shape
    starts = np.zeros((n, length - width + 1), dtype=bool)
    for p in range(1, max_period + 1):
        eq = (codes[:, :-p] == codes[:, p:]).astype(np.int32)
        c = np.concatenate([np.zeros((n, 1), np.int32), np.cumsum(eq, axis=1)], axis=1)
        starts |= (c[:, width - p:] - c[:, :length - width + 1]) == width - p
    diff = np.zeros((n, length + 1), np.int32)
    r, w = np.nonzero(starts)
    np.add.at(diff, (r, w), 1)
    np.add.at(diff, (r, w + width), -1)
    return np.cumsum(diff, axis=1)[:, :length] > 0


def evidence(codes: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
    """What two regions share, for each pair ``key = i * n + j``, indexed by ``key``.

    Columns: ``i``, ``j``, ``hamming``, ``run`` (longest exact common run at any offset),
    ``run_at`` and ``run_offset`` (where it lies in ``i`` and the shift to ``j``),
    ``run_repeat`` (bases of the run inside a tandem repeat, :func:`repeat_mask`) and
    ``rc_run`` (longest run shared with ``j``'s reverse complement).
    """
    n = len(codes)
    i, j = keys // n, keys % n
    a, b = codes[i], codes[j]
    df = pd.DataFrame({"i": i, "j": j, "hamming": (a != b).sum(axis=1)}, index=keys)
    df["run"], df["run_at"], df["run_offset"] = longest_run(a, b)
    df["rc_run"] = longest_run(a, COMPLEMENT[b[:, ::-1]])[0]
    rep = repeat_mask(codes)
    cum = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(rep, axis=1)], axis=1)
    at, r = df["run_at"].to_numpy(), df["run"].to_numpy()
    df["run_repeat"] = cum[i, at + r] - cum[i, at]
    return df


def classify_links(ev: pd.DataFrame, ours_key: np.ndarray, table: pd.DataFrame,
                   threshold: float, labels: dict) -> dict:
    """Direct links of one method that the other does not make, by reason.

    Parameters
    ----------
    ev : pd.DataFrame
        :func:`evidence` of (at least) every such pair.
    ours_key : np.ndarray
        Our direct links (near copies and shared 30-mers) as ``i * n + j``, ``i < j``.
    table : pd.DataFrame
        :func:`pair_table`.
    threshold : float
        hashFrag's score threshold.
    labels : dict
        ``ours`` (our families of the sample), ``ours_whole`` (our families on the whole
        file, for the sample's rows) and ``hf`` (hashFrag's groups at ``threshold``).

    Returns
    -------
    dict
        ``hf_only`` and ``ours_only``: :func:`evidence` rows joined with the BLAST scores
        (``fwd``, ``rev``; -1 without a hit), ``reason``, and ``joined``: whether the other
        method groups the pair anyway, through other links (for ``hf_only`` also
        ``joined_whole``: whether ours does on the whole test file).
    """
    cols = ["fwd", "rev", "gaps", "mismatch", "length"]
    hf_key = table.index[np.maximum(table["fwd"], table["rev"]) >= threshold]
    out = {}
    for name, keys in (("hf_only", np.setdiff1d(hf_key, ours_key)),
                       ("ours_only", np.setdiff1d(ours_key, hf_key))):
        df = ev.loc[keys].join(table[cols])
        df[cols] = df[cols].fillna(-1)
        i, j = df["i"].to_numpy(), df["j"].to_numpy()
        if name == "hf_only":
            df["joined"] = labels["ours"][i] == labels["ours"][j]
            df["joined_whole"] = labels["ours_whole"][i] == labels["ours_whole"][j]
            df["reason"] = np.select(
                [df["fwd"] < threshold, df["run"] >= 30, df["gaps"] > 0],
                ["reverse complement only", "shared run >= 30 bp in a tandem repeat",
                 "gapped alignment (indel)"], "ungapped, > 3 mismatches, no 30 bp run")
        else:
            df["joined"] = labels["hf"][i] == labels["hf"][j]
            df["reason"] = np.select(
                [(df["hamming"] <= 3) & (df["fwd"] < 0), df["hamming"] <= 3,
                 df["fwd"] < 0],
                ["near copy, no BLAST hit reported", "near copy, score below threshold",
                 "shared 30-mer, no BLAST hit reported"],
                "shared 30-mer, score below threshold")
        out[name] = df
    return out


def merges(a: np.ndarray, b: np.ndarray) -> tuple:
    """Groups of ``b`` that hold rows of several groups of ``a``, the ``a`` groups in them,
    the groups of ``a`` that ``b`` splits, and the rows of those ``b`` groups.
    """
    df = pd.DataFrame({"a": a, "b": b})
    per_b = df.groupby("b")["a"].nunique()
    joined = per_b[per_b > 1].index
    per_a = df.groupby("a")["b"].nunique()
    inside = df["b"].isin(joined)
    return (len(joined), int(df[inside]["a"].nunique()), int((per_a > 1).sum()),
            int(inside.sum()))


def reverse_complement_families(codes: np.ndarray) -> tuple:
    """Our families when each region's reverse complement counts as the region itself
    (hashFrag's default): ``(labels, seconds)``.
    """
    from promoter_model.families import group_families

    n = len(codes)
    both = np.concatenate([codes, COMPLEMENT[codes[:, ::-1]]])
    start = time.perf_counter()
    fams = group_families(both, pairs=np.stack([np.arange(n), np.arange(n) + n], axis=1))
    seconds = time.perf_counter() - start
    return np.unique(fams.label[:n], return_inverse=True)[1], seconds


def repeat_bridges(codes: np.ndarray, label: np.ndarray, min_unique: int = 10) -> dict:
    """How our largest family holds together: its links, and its parts when a shared
    30-mer counts only if its run has ``min_unique`` bases outside tandem repeats.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from promoter_model.families.group import near_copy_pairs, shared_kmer_pairs

    rows = np.flatnonzero(label == np.bincount(label).argmax())
    sub = codes[rows]
    near, kmer = near_copy_pairs(sub), shared_kmer_pairs(sub)
    ev = evidence(sub, kmer[:, 0] * len(sub) + kmer[:, 1])
    unique = (ev["run"] - ev["run_repeat"]).to_numpy()
    keep = np.concatenate([near, kmer[unique >= min_unique]])
    graph = coo_matrix((np.ones(len(keep)), (keep[:, 0], keep[:, 1])), shape=(len(sub),) * 2)
    parts = np.bincount(connected_components(graph, directed=False)[1])
    return {"rows": len(rows), "near": len(near), "kmer": len(kmer),
            "repeat_kmer": int((unique < min_unique).sum()), "min_unique": min_unique,
            "parts": np.sort(parts)[::-1]}


def show_pair(codes, pos, tags, row) -> list:
    """Markdown lines showing one pair: ids, evidence and the two regions aligned at the
    offset of their longest common run (``|`` marks equal bases); for a link made only
    through a reverse complement, ``b`` is shown reverse-complemented.
    """
    i, j = int(row["i"]), int(row["j"])
    a, b = codes[i], codes[j]
    off = int(row["run_offset"])
    flipped = row.get("reason") == "reverse complement only"
    if flipped:
        b = COMPLEMENT[b[::-1]]
        off = int(longest_run(a[None], b[None])[2][0])
    pad_a, pad_b = max(0, off), max(0, -off)
    sa = " " * pad_a + "".join(BASES[a])
    sb = " " * pad_b + "".join(BASES[b])
    width = max(len(sa), len(sb))
    sa, sb = sa.ljust(width), sb.ljust(width)
    mid = "".join("|" if x == y and x != " " else " " for x, y in zip(sa, sb))
    score = f"forward {row['fwd']:g}, reverse complement {row['rev']:g}"
    if row["fwd"] < 0 and row["rev"] < 0:
        score = "no BLAST hit"
    r, s = int(row["run"]), int(row["run_at"])
    run_seq = "".join(BASES[codes[i, s:s + r]])
    gaps = f"; BLAST gaps {int(row['gaps'])}" if row["fwd"] >= 0 else ""
    head = (f"- pos {pos[i]} ({tags[i]}) and pos {pos[j]} ({tags[j]}): hashFrag score "
            f"{score}{gaps}; Hamming {int(row['hamming'])}; longest common run {r} bp "
            f"(`{run_seq}`, {int(row['run_repeat'])} bp of it in a tandem repeat); "
            f"reverse-complement run {int(row['rc_run'])} bp; grouped together by the other "
            f"method anyway: {bool(row['joined'])}")
    if "joined_whole" in row:
        head += f" (by ours on the whole test file: {bool(row['joined_whole'])})"
    return [head, "", "```", "a " + sa.rstrip(), "  " + mid.rstrip(),
            ("b'" if flipped else "b ") + sb.rstrip(), "```", ""]


def row_tags(table: pd.DataFrame, subsets: dict, rows: np.ndarray) -> np.ndarray:
    """A short subset tag for each sample row (``series/other`` when it has none)."""
    from promoter_model.families.dream import strata_masks

    masks = strata_masks(subsets, len(table))
    tags = np.full(len(rows), "series/other", dtype=object)
    for name in ("SNVs", "random", "high", "low", "challenging", "yeast", "motif_tiling",
                 "motif_perturbation"):
        tags[masks[name][rows]] = name
    return tags
