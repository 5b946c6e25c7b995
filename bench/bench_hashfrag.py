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
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import ROOT, cpu_model  # noqa: E402
from hashfrag_links import (  # noqa: E402
    classify_links,
    evidence,
    merges,
    pair_agreement,
    repeat_bridges,
    reverse_complement_families,
    row_tags,
    show_pair,
)
from hashfrag_run import (  # noqa: E402
    HF_DEFAULTS,
    background,
    group_stats,
    missing_tools,
    pair_table,
    run_hashfrag,
    run_ours,
    scan_cost,
    versions,
)

HEADING = "## Families: ours against hashFrag"
TRAIN_ROWS = 6_739_258



def load_text() -> str:
    """``uptime``'s load averages (1, 5, 15 min) as text."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


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
