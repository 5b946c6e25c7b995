"""Running the two family methods of ``bench_hashfrag.py``: hashFrag's pipeline modules
(in a separate Python that has hashFrag; BLAST from Debian ``ncbi-blast+``) and our
``group_families``, on the same 80 bp regions; their raw outputs as arrays and tables.

Also the chance background on real random promoters and the BLAST cost the report
extrapolates to the 6.7M-row training file. Nothing here installs or downloads anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
from benchdoc import ROOT

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


def group_stats(label: np.ndarray) -> dict:
    """Groups, largest group, rows in groups of two or more, co-grouped row pairs."""
    sizes = np.bincount(label)
    return {"groups": int((sizes > 0).sum()), "largest": int(sizes.max()),
            "shared_rows": int(sizes[sizes > 1].sum()),
            "pairs": int((sizes * (sizes - 1) // 2).sum())}


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
