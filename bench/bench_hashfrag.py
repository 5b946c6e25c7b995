"""Families: ours (``group_families``) against hashFrag's homologous groups on a DREAM sample.

    python bench/bench_hashfrag.py --hashfrag-python /tmp/hfvenv/bin/python
    python bench/bench_hashfrag.py --hashfrag-python ... --rows 6000 --thresholds 60 40 30
    python bench/bench_hashfrag.py --hashfrag-python ... --no-scaling

hashFrag (de Boer lab, PyPI ``hashfrag``) finds candidate pairs with BLAST (``blastn``, word
size 11, reward 1, penalty -1, gap open 2, extend 1, DUST off, at most 500 targets and one
HSP per query), rescores each as ``positives - mismatches - 2 * gap opens - (gap positions -
gap opens)``, calls a pair homologous when that score reaches a threshold (``-t``, which the
tool requires; its documentation's examples use 60 on 200 bp MPRA sequences) and makes
homologous groups the connected components (union-find). Its BLAST database holds every
sequence and its reverse complement (``--skip-revcomp`` turns that off), so a
reverse-complement match links two rows as well.

Needs ``blastn``/``makeblastdb`` on PATH (Debian ``ncbi-blast+``) and a Python with hashFrag
installed, e.g. a separate venv given as ``--hashfrag-python``; this script installs and
downloads nothing, and without either it prints one ``skipped: ...`` line and exits 0.
The PyPI wheel 1.0.2 does not package ``messages.json``, so its ``hashFrag`` command fails
at start; the script runs the modules the ``create_orthogonal_splits`` pipeline runs
(``blastn_module``, ``process_blast_results_module``, ``identify_homologous_groups_module``)
with that pipeline's defaults, in the hashFrag Python.

Both methods see the same rows: a seeded sample of the DREAM test file made of whole
families of ours (two of the ten motif-perturbation backgrounds, one motif-tiling family,
native yeast fragments, "challenging" rows, single-base variant series) filled up with
uniformly drawn rows, as their 80 bp variable regions (the 17 + 13 bp flanks are the same
in every row and would make every pair a BLAST candidate). The report gives, per threshold,
groups, largest group and co-grouped pairs of each method, the pairs one groups and the
other does not (also against our families of the whole file: a sample drops the
intermediate rows our near-copy chains run through), the direct links behind them by
reason with examples; then two checks of our grouping on the whole test file (with reverse
complements, as hashFrag links them; what holds our largest family together), and unless
``--no-scaling`` the chance background on real random promoters and the cost of both
methods extrapolated to the 6.7M-row training file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import ROOT, cpu_model  # noqa: E402

HEADING = "## Families: ours against hashFrag"
BASES = np.array(list("ACGTN"))
COMPLEMENT = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
TRAIN_ROWS = 6_739_258
# the pipeline defaults of hashFrag 1.0.2 (main.py, create_orthogonal_splits)
HF_DEFAULTS = {"word_size": 11, "gapopen": 2, "gapextend": 1, "penalty": -1, "reward": 1,
               "max_target_seqs": 500, "xdrop_ungap": 20, "xdrop_gap": 30,
               "xdrop_gap_final": 100, "evalue": 10, "dust": "no"}
BLAST_COLUMNS = ["qseqid", "sseqid", "pident", "length", "mismatch", "gapopen", "qstart",
                 "qend", "sstart", "send", "evalue", "bitscore", "raw_score", "positive",
                 "gaps"]
# run inside the hashFrag Python: the pipeline's three modules, timed, one JSON line out
DRIVER = r"""
import argparse, json, logging, sys, time
from hashFrag.modules import blastn_module, identify_homologous_groups_module
from hashFrag.modules import process_blast_results_module
logging.disable(logging.CRITICAL)
cfg = json.loads(sys.argv[1])
d = cfg["dir"]
times = {}
common = dict(skip_revcomp=cfg["skip_revcomp"], blastdb_label="hashFrag",
              threads=cfg["threads"], output_dir=d, **cfg["params"])
if cfg.get("db"):  # queries against a database: hashFrag's train/test mode
    files = dict(fasta_path=None, train_fasta_path=cfg["db"], test_fasta_path=cfg["fasta"])
    for stage, only in (("makeblastdb", True), ("blastn", False)):
        t = time.perf_counter()
        blastn_module.run(argparse.Namespace(**files, **common, exec_makeblastdb_only=only,
                                             force=False))
        times[stage] = time.perf_counter() - t
    print(json.dumps(times))
    sys.exit(0)
t = time.perf_counter()
blastn_module.run(argparse.Namespace(
    fasta_path=cfg["fasta"], train_fasta_path=None, test_fasta_path=None,
    exec_makeblastdb_only=False, force=True, **common))
times["blastn_module"] = time.perf_counter() - t
t = time.perf_counter()
process_blast_results_module.run(argparse.Namespace(
    blastn_path=d + "/hashFrag.blastn.out",
    processed_blastn_path=d + "/hashFrag.blastn.processed.tsv", word_size=11,
    **{k: cfg["params"][k] for k in ("gapopen", "gapextend", "penalty", "reward")}))
times["process_blast_results_module"] = time.perf_counter() - t
for th in cfg["thresholds"]:
    t = time.perf_counter()
    identify_homologous_groups_module.run(argparse.Namespace(
        hits_path=d + "/hashFrag.blastn.processed.tsv", threshold=th,
        output_path=d + f"/groups_{th:g}.tsv"))
    times[f"identify_homologous_groups_module t={th:g}"] = time.perf_counter() - t
print(json.dumps(times))
"""


# ---------------------------------------------------------------- availability, machine

def missing_tools(hashfrag_python: str) -> str | None:
    """Why the comparison cannot run here (``None`` when it can)."""
    for tool in ("blastn", "makeblastdb"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not on PATH (Debian package ncbi-blast+)"
    if not hashfrag_python or not Path(hashfrag_python).exists():
        return f"no hashFrag Python at {hashfrag_python!r} (give --hashfrag-python)"
    probe = subprocess.run([hashfrag_python, "-c", "import hashFrag.modules.blastn_module, "
                            "hashFrag.modules.identify_homologous_groups_module"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"{hashfrag_python} cannot import hashFrag ({last})"
    return None


def versions(hashfrag_python: str) -> dict:
    """The versions of blastn and hashFrag, as strings."""
    blast = subprocess.run(["blastn", "-version"], capture_output=True, text=True).stdout
    hf = subprocess.run([hashfrag_python, "-c", "import importlib.metadata as m; "
                         "print(m.version('hashfrag'))"], capture_output=True, text=True)
    return {"blastn": blast.splitlines()[0].split(":")[-1].strip() if blast else "?",
            "hashfrag": hf.stdout.strip() or "?"}


def load_text() -> str:
    """``uptime``'s load averages (1, 5, 15 min) as text."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- the sample

def choose_sample(table: pd.DataFrame, label: np.ndarray, subsets: dict, rows: int,
                  seed: int) -> tuple[np.ndarray, dict]:
    """Rows of the sample (sorted ``pos``) and how many each part contributed.

    Parameters
    ----------
    table : pd.DataFrame
        The DREAM test file (row index = ``pos``).
    label : np.ndarray, shape (n,)
        Our families on the whole file (sequence rules only).
    subsets : dict
        :func:`promoter_model.families.dream.all_subsets`.
    rows : int
        Sample size; whole families first, then uniformly drawn rows up to it.
    seed : int
        Seed of every draw.

    Returns
    -------
    rows : np.ndarray, int64
    parts : dict
        ``part name -> (families, rows)`` it added (rows already taken count once).
    """
    from promoter_model.families.dream import strata_masks

    rng = np.random.default_rng(seed)
    n = len(table)
    masks = strata_masks(subsets, n)
    sizes = np.bincount(label)
    taken = np.zeros(n, dtype=bool)
    parts = {}

    def add(name, fams=None, extra=None):
        new = np.isin(label, fams) if fams is not None else np.zeros(n, bool)
        if extra is not None:
            new[extra] = True
        new &= ~taken
        taken[new] = True
        nf = len(fams) if fams is not None else np.unique(label[new]).size
        parts[name] = (int(nf), int(new.sum()))

    pert = pd.read_csv(ROOT / "promoter_model" / "data" / "test_subsets"
                       / "motif_perturbation_seqs.csv")
    refs = rng.choice(np.sort(pert["ref_tag"].unique()), 2, replace=False)
    chosen = pert[pert["ref_tag"].isin(refs)]
    add(f"motif perturbation: backgrounds {', '.join(refs)} (part of one family of ours)",
        extra=np.unique(chosen[["alt_pos", "ref_pos"]].to_numpy()))
    tiling = np.unique(label[masks["motif_tiling"]])
    add("motif tiling: one whole family", fams=rng.choice(tiling, 1))

    def whole(mask, k, max_size=500):
        fams = np.unique(label[mask & ~taken])
        fams = fams[sizes[fams] <= max_size]
        return rng.choice(fams, min(k, len(fams)), replace=False)

    add("native yeast fragments: whole families", fams=whole(masks["yeast"], 40))
    add("challenging: whole families", fams=whole(masks["challenging"], 150))
    series = masks["SNVs"] & ~masks["motif_perturbation"] & ~masks["motif_tiling"]
    fams = np.unique(label[series & ~taken])
    fams = fams[(sizes[fams] >= 20) & (sizes[fams] <= 400)]
    add("single-base variant series: whole families", fams=rng.choice(fams, 6, replace=False))
    left = np.flatnonzero(~taken)
    need = max(0, rows - int(taken.sum()))
    add("uniformly drawn rows", extra=rng.choice(left, min(need, len(left)), replace=False))
    return np.flatnonzero(taken), parts


# ---------------------------------------------------------------- running the two methods

def fasta_bytes(codes: np.ndarray) -> bytes:
    """The regions as FASTA, ids ``r0``, ``r1``, ... in row order."""
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)[codes]
    return b"".join(b">r%d\n" % i + row.tobytes() + b"\n" for i, row in enumerate(letters))


def run_hashfrag(hashfrag_python: str, codes: np.ndarray, thresholds, work: Path,
                 threads: int, skip_revcomp: bool = False, reuse: bool = False) -> dict:
    """Run hashFrag's pipeline modules on ``codes``: stage times, group labels, BLAST hits.

    Returns
    -------
    dict
        ``times`` (seconds per module), ``seconds`` (wall time of the whole call),
        ``labels`` (threshold -> group of each row) and ``hits`` (the BLAST table with
        hashFrag's rescored ``score``, row indices ``i``, ``j`` and ``rc``). With
        ``reuse``, the files and times of an earlier run in ``work`` on the same rows and
        settings are read instead of running hashFrag again.
    """
    work.mkdir(parents=True, exist_ok=True)
    fasta = work / "regions.fa"
    cfg = {"fasta": str(fasta), "dir": str(work), "thresholds": list(thresholds),
           "threads": threads, "skip_revcomp": skip_revcomp, "params": HF_DEFAULTS}
    done = work / "times.json"
    regions = fasta_bytes(codes)
    same = (reuse and done.exists() and fasta.exists() and fasta.read_bytes() == regions
            and json.loads(done.read_text())["cfg"] == cfg)
    if same:
        times, seconds = json.loads(done.read_text())["times"], None
    else:
        fasta.write_bytes(regions)
        start = time.perf_counter()
        proc = subprocess.run([hashfrag_python, "-c", DRIVER, json.dumps(cfg)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"hashFrag failed:\n{proc.stderr[-2000:]}")
        times = json.loads(proc.stdout.strip().splitlines()[-1])
        times["wall"] = seconds
        done.write_text(json.dumps({"cfg": cfg, "times": times}))
    seconds = times.pop("wall")
    n = len(codes)
    labels = {}
    for th in thresholds:
        df = pd.read_csv(work / f"groups_{th:g}.tsv", sep="\t", header=None,
                         names=["id", "group"])
        idx = df["id"].str.replace("_Reversed", "").str[1:].astype(int).to_numpy()
        lab = np.arange(n, dtype=np.int64) + int(df["group"].max()) + 1  # absent: alone
        lab[idx] = df["group"].to_numpy()
        labels[th] = np.unique(lab, return_inverse=True)[1]
    hits = pd.read_csv(work / "hashFrag.blastn.out", sep="\t", header=None,
                       names=BLAST_COLUMNS)
    p = HF_DEFAULTS
    hits["score"] = (p["reward"] * hits["positive"] + p["penalty"] * hits["mismatch"]
                     - p["gapopen"] * hits["gapopen"]
                     - p["gapextend"] * (hits["gaps"] - hits["gapopen"]))
    processed = pd.read_csv(work / "hashFrag.blastn.processed.tsv", sep="\t", header=None)
    if not np.array_equal(processed[2].to_numpy(), hits["score"].to_numpy()):
        raise RuntimeError("hashFrag's processed scores differ from the formula used here")
    hits["rc"] = hits["sseqid"].str.endswith("_Reversed")
    hits["i"] = hits["qseqid"].str[1:].astype(int)
    hits["j"] = hits["sseqid"].str.replace("_Reversed", "").str[1:].astype(int)
    return {"times": times, "seconds": seconds, "labels": labels,
            "hits": hits[hits["i"] != hits["j"]].reset_index(drop=True)}


def run_ours(codes: np.ndarray, repeat: int = 3) -> tuple:
    """Our families of ``codes`` (sequence rules only) and the best of ``repeat`` times."""
    from promoter_model.families import group_families

    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fams = group_families(codes)
        best = min(best, time.perf_counter() - start)
    return fams, best


# ---------------------------------------------------------------- comparing

def group_stats(label: np.ndarray) -> dict:
    """Groups, largest group, rows in groups of two or more, co-grouped row pairs."""
    sizes = np.bincount(label)
    return {"groups": int((sizes > 0).sum()), "largest": int(sizes.max()),
            "shared_rows": int(sizes[sizes > 1].sum()),
            "pairs": int((sizes * (sizes - 1) // 2).sum())}


def pair_agreement(a: np.ndarray, b: np.ndarray) -> dict:
    """Co-grouped pairs in both labelings, only in ``a``, only in ``b``."""
    def pairs(x):
        s = np.bincount(x)
        return int((s * (s - 1) // 2).sum())

    joint = np.unique(a.astype(np.int64) * (int(b.max()) + 1) + b, return_inverse=True)[1]
    both = pairs(joint)
    return {"both": both, "only_a": pairs(a) - both, "only_b": pairs(b) - both}


def pair_table(hits: pd.DataFrame, n: int) -> pd.DataFrame:
    """Best hashFrag score of each unordered row pair, forward and reverse complement."""
    key = np.minimum(hits["i"], hits["j"]) * n + np.maximum(hits["i"], hits["j"])
    h = hits.assign(key=key.to_numpy())
    best = h.sort_values("score", ascending=False).drop_duplicates(["key", "rc"])
    fwd = best[~best["rc"]].set_index("key")
    rev = best[best["rc"]].set_index("key")
    out = pd.DataFrame(index=np.union1d(fwd.index, rev.index))
    out["fwd"] = fwd["score"].reindex(out.index).fillna(-1).to_numpy()
    out["rev"] = rev["score"].reindex(out.index).fillna(-1).to_numpy()
    out["gaps"] = fwd["gaps"].reindex(out.index).fillna(0).to_numpy()
    out["mismatch"] = fwd["mismatch"].reindex(out.index).fillna(0).to_numpy()
    out["length"] = fwd["length"].reindex(out.index).fillna(0).to_numpy()
    return out


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


# ---------------------------------------------------------------- examples, report

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


def background(hashfrag_python: str, work: Path, threads: int, thresholds,
               reuse: bool = False) -> dict:
    """Both methods on real random promoters (``train_demo.txt`` and the test file's
    "random" rows): seconds, rows ours groups, and hashFrag's pairs reaching each threshold
    and its top score, the chance background a threshold has to sit above.
    """
    from promoter_model import dream
    from promoter_model.families.dream import all_subsets
    from promoter_model.families.group import variable_regions
    from promoter_model.sequence import iter_dream_chunks

    train = np.concatenate([variable_regions(s) for s, _, _ in iter_dream_chunks(
        ROOT / "promoter_model" / "data" / "train_demo.txt", 100_000)])
    table = dream.load_test_table()
    rand = all_subsets(table)["random"]
    codes = np.concatenate([train, variable_regions(
        table["sequence"].to_numpy()[rand].tolist())])
    hf = run_hashfrag(hashfrag_python, codes, list(thresholds), work / "background", threads,
                      reuse=reuse)
    fams, ours = run_ours(codes, repeat=1)
    pairs = pair_table(hf["hits"], len(codes))
    best = np.maximum(pairs["fwd"], pairs["rev"])
    return {"rows": len(codes), "ours": ours,
            "ours_shared": fams.summary()["rows_in_shared_families"],
            "hashfrag": hf["seconds"], "hits": len(hf["hits"]), "top": float(best.max()),
            "above": {th: int((best >= th).sum()) for th in thresholds},
            "groups": {th: group_stats(hf["labels"][th])["shared_rows"] for th in thresholds}}


def scan_cost(hashfrag_python: str, work: Path, threads: int, db_rows: int, queries: int,
              seed: int = 0) -> dict:
    """Time hashFrag's BLAST step for ``queries`` regions against a database of ``db_rows``
    uniformly random 80 bp regions (and their reverse complements, as in its default), and
    our grouping of those ``db_rows`` rows: seconds of each.

    All-against-all BLAST over ``n`` rows costs about ``n / queries`` such runs against an
    ``n``-row database, each ``n / db_rows`` times this one: the extrapolation the report
    makes to the training file.
    """
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(db_rows, 80), dtype=np.uint8)
    d = work / f"scan{db_rows}"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    (d / "db.fa").write_bytes(fasta_bytes(codes))
    (d / "queries.fa").write_bytes(fasta_bytes(codes[:queries]))
    cfg = {"fasta": str(d / "queries.fa"), "db": str(d / "db.fa"), "dir": str(d),
           "threads": threads, "skip_revcomp": False, "params": HF_DEFAULTS}
    proc = subprocess.run([hashfrag_python, "-c", DRIVER, json.dumps(cfg)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"hashFrag failed:\n{proc.stderr[-2000:]}")
    times = json.loads(proc.stdout.strip().splitlines()[-1])
    with open(d / "queries.blastn.out") as f:
        hits = sum(1 for _ in f)
    _, ours = run_ours(codes, repeat=1)
    shutil.rmtree(d)
    return {"db_rows": db_rows, "queries": queries, "hits": hits, "ours": ours, **times}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hashfrag-python", default="/tmp/hfvenv/bin/python",
                        help="a Python with hashFrag installed (never installed here)")
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[60, 40, 30],
                        help="hashFrag score thresholds (its -t is required; its documentation's "
                        "examples use 60, on 200 bp sequences)")
    parser.add_argument("--threads", type=int, default=1, help="blastn threads")
    parser.add_argument("--examples", type=int, default=2, help="examples per reason")
    parser.add_argument("--no-scaling", action="store_true",
                        help="skip the random-promoter background and the cost at 6.7M rows")
    parser.add_argument("--scan-rows", type=int, default=1_000_000,
                        help="random rows in the BLAST database of the cost estimate")
    parser.add_argument("--scan-queries", type=int, default=10_000)
    parser.add_argument("--work", default=None, help="keep hashFrag's files here")
    parser.add_argument("--reuse", action="store_true",
                        help="read hashFrag's results from an earlier run in --work")
    args = parser.parse_args(argv)

    why = missing_tools(args.hashfrag_python)
    if why:
        print(f"skipped: {why}")
        return 0

    from promoter_model import dream
    from promoter_model.families import group_families
    from promoter_model.families.dream import all_subsets
    from promoter_model.families.group import near_copy_pairs, shared_kmer_pairs, variable_regions

    load_start = load_text()
    ver = versions(args.hashfrag_python)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="hashfrag-"))
    table = dream.load_test_table()
    subsets = all_subsets(table)
    all_codes = variable_regions(table["sequence"].tolist())
    full = group_families(all_codes)
    rows, parts = choose_sample(table, full.label, subsets, args.rows, args.seed)
    codes = all_codes[rows]
    pos = table["pos"].to_numpy()[rows]
    tags = row_tags(table, subsets, rows)
    print(f"sample: {len(rows)} rows; {parts}", flush=True)

    ours, ours_s = run_ours(codes)
    hf = run_hashfrag(args.hashfrag_python, codes, args.thresholds, work / "sample",
                      args.threads, reuse=args.reuse)
    print(f"ours {ours_s:.2f} s; hashFrag {hf['seconds']:.1f} s {hf['times']}", flush=True)
    n = len(codes)
    near, kmer = near_copy_pairs(codes), shared_kmer_pairs(codes)
    ours_key = np.union1d(near[:, 0] * n + near[:, 1], kmer[:, 0] * n + kmer[:, 1])
    pairs = pair_table(hf["hits"], n)
    best = np.maximum(pairs["fwd"], pairs["rev"])
    lo, hi = min(args.thresholds), max(args.thresholds)
    needed = np.union1d(np.setdiff1d(pairs.index[best >= lo], ours_key),
                        np.setdiff1d(ours_key, pairs.index[best >= hi]))
    ev = evidence(codes, needed)
    per_query = hf["hits"].groupby("i").size()
    capped = int((per_query >= HF_DEFAULTS["max_target_seqs"] - 1).sum())

    text = [HEADING, "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, "
            f"{cpu_model()}; load average (1, 5, 15 min) {load_start} at the start and "
            f"{load_text()} at the end (other jobs shared the machine). blastn "
            f"{ver['blastn']}, hashFrag {ver['hashfrag']} (its pipeline modules with the "
            "pipeline defaults: word size 11, reward 1, penalty -1, gaps 2/1, DUST off, "
            "500 targets and 1 HSP per query, reverse complements in the database), "
            f"{args.threads} blastn thread(s); ours: `group_families` (near copies within "
            "3 of 80 bases, shared non-repeat 30-mers; no alt/ref pairs, so both see the "
            "sequences only).", "",
            f"Sample: {n:,} rows of the DREAM test file (seed {args.seed}), their 80 bp "
            "variable regions (the constant 17 + 13 bp flanks left out: they would make "
            "every pair a BLAST candidate):", "", "| part | families of ours | rows |",
            "| --- | ---: | ---: |"]
    text += [f"| {k} | {f:,} | {r:,} |" for k, (f, r) in parts.items()]
    text += ["", "| method | seconds | groups | largest | rows in shared groups | "
             "co-grouped pairs | of them also by ours | only ours | only hashFrag | "
             "groups joining several of ours (ours in them) | ours split | only hashFrag, "
             "against ours on the whole file |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
             "---: |"]
    whole = np.unique(full.label[rows], return_inverse=True)[1]
    st = group_stats(ours.label)
    text.append(f"| ours | {ours_s:.2f} | {st['groups']:,} | {st['largest']:,} | "
                f"{st['shared_rows']:,} | {st['pairs']:,} | | | | | | |")
    st = group_stats(whole)
    text.append(f"| ours on the whole test file, the sample's rows | | {st['groups']:,} | "
                f"{st['largest']:,} | {st['shared_rows']:,} | {st['pairs']:,} | | | | | | |")
    blast_s = hf["times"]["blastn_module"] + hf["times"]["process_blast_results_module"]
    for th in args.thresholds:
        lab = hf["labels"][th]
        st, agree = group_stats(lab), pair_agreement(ours.label, lab)
        joined, involved, split, _ = merges(ours.label, lab)
        secs = blast_s + hf["times"][f"identify_homologous_groups_module t={th:g}"]
        text.append(f"| hashFrag, score >= {th:g} | {secs:.1f} | {st['groups']:,} | "
                    f"{st['largest']:,} | {st['shared_rows']:,} | {st['pairs']:,} | "
                    f"{agree['both']:,} | {agree['only_a']:,} | {agree['only_b']:,} | "
                    f"{joined:,} ({involved:,}) | {split:,} | "
                    f"{pair_agreement(whole, lab)['only_b']:,} |")
    times = ", ".join(f"{k} {v:.1f}" for k, v in hf["times"].items())
    counts = ", ".join(f"{int((best >= th).sum()):,} at >= {th:g} "
                       f"({int(((pairs['rev'] >= th) & (pairs['fwd'] < th)).sum()):,} only "
                       "through a reverse complement)" for th in args.thresholds)
    text += ["", f"hashFrag's seconds: {times} (wall {hf['seconds']:.1f} s; "
             f"{len(hf['hits']):,} BLAST hits between distinct rows; {capped:,} queries "
             f"reached the {HF_DEFAULTS['max_target_seqs']}-target cap). Direct links: ours "
             f"{len(near):,} near-copy and {len(kmer):,} shared-30-mer pairs "
             f"({len(ours_key):,} distinct); hashFrag's pairs {counts}.", ""]

    shown = set()
    for th in args.thresholds:
        links = classify_links(ev, ours_key, pairs, th,
                               {"ours": ours.label, "ours_whole": whole,
                                "hf": hf["labels"][th]})
        text += [f"### Direct links one method makes and the other does not (hashFrag "
                 f"score >= {th:g})", "", "| links | reason | pairs | grouped by the other "
                 "method anyway | by ours on the whole test file |",
                 "| --- | --- | ---: | ---: | ---: |"]
        for name, label in (("hf_only", "hashFrag only"), ("ours_only", "ours only")):
            for reason, g in links[name].groupby("reason"):
                w = f"{int(g['joined_whole'].sum()):,}" if name == "hf_only" else ""
                text.append(f"| {label} | {reason} | {len(g):,} | {int(g['joined'].sum()):,}"
                            f" | {w} |")
        text.append("")
        for name, label in (("hf_only", "hashFrag only"), ("ours_only", "ours only")):
            for reason, g in links[name].groupby("reason"):
                if (name, reason) in shown or not args.examples:
                    continue
                shown.add((name, reason))
                # pairs the other method leaves apart first (for ours: on the whole
                # file too): they change the groups
                keys = ["joined_whole", "joined"] if name == "hf_only" else ["joined"]
                g = g.sort_values(keys, kind="stable")
                text += [f"{label} at >= {th:g}, {reason}:", ""]
                for _, row in g.head(args.examples).iterrows():
                    text += show_pair(codes, pos, tags, row)

    rc_label, rc_s = reverse_complement_families(all_codes)
    joined, involved, _, rc_rows = merges(full.label, rc_label)
    bridges = repeat_bridges(all_codes, full.label)
    text += ["### Our grouping on the whole test file", "",
             f"With reverse complements (each region and its reverse complement one node, "
             f"as hashFrag does): {rc_label.max() + 1:,} families instead of "
             f"{full.n_families:,}; {joined:,} families join {involved:,} of ours, "
             f"{rc_rows:,} rows ({rc_s:.1f} s for the doubled rows).", "",
             f"Our largest family ({bridges['rows']:,} rows) is held by "
             f"{bridges['near']:,} near-copy and {bridges['kmer']:,} shared-30-mer links; "
             f"{bridges['repeat_kmer']:,} of the latter share a run with fewer than "
             f"{bridges['min_unique']} bases outside tandem repeats (a repeat array and a "
             f"few bases beside it). Without those it falls into "
             f"{len(bridges['parts']):,} parts: "
             f"{', '.join(f'{x:,}' for x in bridges['parts'][:12])}"
             f"{', ...' if len(bridges['parts']) > 12 else ''}.", ""]

    if not args.no_scaling:
        bg = background(args.hashfrag_python, work, args.threads, args.thresholds,
                        args.reuse)
        ths = ", ".join(f"{bg['above'][th]:,} pairs at >= {th:g}" for th in args.thresholds)
        text += ["### Random promoters and the cost at 6.7M rows", "",
                 f"Real random promoters ({bg['rows']:,} rows: `train_demo.txt` and the test "
                 f"file's \"random\" rows): ours {bg['ours']:.2f} s, {bg['ours_shared']:,} "
                 f"rows in families; hashFrag {bg['hashfrag']:.1f} s, {bg['hits']:,} BLAST "
                 f"hits between distinct rows, top score {bg['top']:g}, {ths}: "
                 + ("every threshold sits above the chance background."
                    if bg["top"] < min(args.thresholds) else
                    "random rows reach the lowest threshold by chance."), ""]
        sc = scan_cost(args.hashfrag_python, work, args.threads, args.scan_rows,
                       args.scan_queries)
        n = TRAIN_ROWS
        blast = sc["blastn"] * (n / sc["queries"]) * (n / sc["db_rows"])
        mkdb = sc["makeblastdb"] * n / sc["db_rows"]
        ours_n = sc["ours"] * n / sc["db_rows"]
        text += [f"Uniformly random 80 bp regions, {sc['db_rows']:,} rows: ours groups them "
                 f"in {sc['ours']:.1f} s; hashFrag's `blastn_module` builds the database "
                 f"(with reverse complements) in {sc['makeblastdb']:.1f} s and searches "
                 f"{sc['queries']:,} of them against it in {sc['blastn']:.1f} s "
                 f"({sc['hits']:,} hits). All-against-all on the {n:,}-row training file is "
                 f"{n / sc['queries']:,.0f} such searches against a database "
                 f"{n / sc['db_rows']:.1f} times larger: about {blast / 3600:,.0f} h of "
                 f"one core for BLAST plus {mkdb / 60:,.0f} min for the database (hashFrag "
                 "splits the queries into cluster jobs, `blastn_array_module`, for this; "
                 "its union-find is pure Python over every hit line), against about "
                 f"{ours_n / 60:,.0f} min for ours if it stays linear in the rows "
                 "(1M random rows grouped in 27 s in `bench/bench_families.py`).", ""]
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
