"""``MODEL_CARD.md`` of a cross-validated ensemble, written from its computed numbers.

:func:`render` takes the ``metrics.json`` written by
:func:`promoter_model.crossval.finalize.finalize_ensemble` and its calibration; every number in
the card is read from them, and the sentences that judge (under-covered subsets, whether
reverse-complement averaging is used) are decided by the numbers.
"""

from __future__ import annotations

from ..metrics import PAIR_SUBSETS, SINGLE_SUBSETS

#: Coverage this far below the nominal level is called under-coverage in the card.
SHORTFALL = 0.02


def _f(x, nd: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _score_rows(metrics: dict) -> list:
    rows = ["| model | Pearson score | Spearman score | r² all | r² SNVs | r² yeast |",
            "|---|---|---|---|---|---|"]
    entries = [("**ensemble (mean)**", metrics["dream_public_leaderboard"])]
    entries += [(name, m["dream_public_leaderboard"])
                for name, m in sorted(metrics.get("members", {}).items())]
    for name, d in entries:
        rows.append(f"| {name} | {_f(d.get('pearson_score'))} | {_f(d.get('spearman_score'))} "
                    f"| {_f(d.get('pearson_r2_all'))} | {_f(d.get('pearson_r2_SNVs'))} "
                    f"| {_f(d.get('pearson_r2_yeast'))} |")
    return rows


def _interval_rows(interval: dict) -> list:
    rows = ["| subset | n | coverage | mean width |", "|---|---|---|---|"]
    for name in SINGLE_SUBSETS + PAIR_SUBSETS:
        c = interval.get(name)
        if c:
            label = f"{name} (alt − ref)" if name in PAIR_SUBSETS else name
            rows.append(f"| {label} | {c['n']:,} | {_f(c['coverage'])} | "
                        f"{_f(c['mean_width'])} |")
    return rows


def _timing_rows(metrics: dict) -> list:
    rows = ["| member | epochs | training wall time | machine |", "|---|---|---|---|"]
    for name, m in sorted(metrics.get("members", {}).items()):
        b = m.get("build", {})
        secs = b.get("training_seconds")
        t = "n/a" if secs is None else f"{secs / 3600:.1f} h ({secs:,.0f} s)"
        rows.append(f"| {name} | {b.get('epochs', 'n/a')} | {t} | {b.get('machine', 'n/a')} |")
    return rows


def render(metrics: dict, calibration, level: float = 0.9) -> str:
    """The ensemble's model card (Markdown).

    Parameters
    ----------
    metrics : dict
        The ensemble's ``metrics.json`` (from ``finalize_ensemble``).
    calibration : Calibration
    level : float
        The level whose per-subset coverage is in ``metrics["interval"]``.
    """
    iv, oof, rc = metrics["interval"], metrics["oof"], metrics["rc_average"]
    b = metrics.get("build", {})
    k = b.get("k", len(metrics.get("members", {})))
    pct = f"{100 * level:g}%"
    short = [name for name in SINGLE_SUBSETS + PAIR_SUBSETS
             if iv.get(name) and iv[name]["coverage"] < level - SHORTFALL]
    over = [name for name in SINGLE_SUBSETS
            if iv.get(name) and iv[name]["coverage"] > level + SHORTFALL]
    snv = iv.get("SNVs", {})
    cov_all = iv["all"]["coverage"]
    fwd, both = rc["oof_forward"], rc["oof_both_strands"]
    lines = [
        "# Model card: promoter-explorer demo ensemble",
        "",
        f"{k} members of the `{b.get('preset', 'n/a')}` preset (see `docs/model.md`), "
        "trained by "
        "`scripts/make_demo_ensemble.py` on the DREAM 2022 high-quality measurements "
        f"(`assets/data/test_measured.tsv.gz`), predicting **{metrics['unit']}** of a 110 bp "
        "yeast promoter construct. The prediction is the mean of the members; `sd` is their "
        "spread (population sd).",
        "",
        "## Data and cross-validation",
        "",
        f"- Training pool: the {b.get('n_pool', 0):,} rows with `public_leaderboard == 0`, "
        f"split into {k} folds by a hash of the sequence (seed {b.get('fold_seed', 0)}; "
        f"identical sequences share a fold). Member *i* is trained on the other folds and "
        "its best epoch is selected on fold *i*.",
        f"- Out-of-fold (OOF) predictions — each pool row predicted by the member that did "
        f"not train on it — cover the pool: {oof['n']:,} rows "
        f"({_rows(b.get('n_excluded', 0))} of the pool whose sequence is also a "
        "public-leaderboard sequence left out). The interval is calibrated on them and "
        "nothing else.",
        f"- Test set: the {b.get('n_public', 0):,} public-leaderboard rows, never trained, "
        "selected or calibrated on; every score below is computed on them.",
        "",
        "## Public-leaderboard scores (challenge metrics)",
        "",
        *_score_rows(metrics),
        "",
        f"OOF Pearson r {_f(oof['pearson_r'])}, r² {_f(oof['r2'])}, MSE {_f(oof['mse'])} "
        f"(n={oof['n']:,}).",
        "",
        "## Reverse-complement averaging",
        "",
        f"Decided on OOF data only: forward strand Pearson r {_f(fwd['pearson_r'], 4)} "
        f"(MSE {_f(fwd['mse'], 4)}); mean of both strands {_f(both['pearson_r'], 4)} "
        f"(MSE {_f(both['mse'], 4)}). Averaging **is {'' if rc['used'] else 'not '}used** "
        f"({rc['rule']}).",
        "",
        "## What the interval means",
        "",
        f"`lower`–`upper` is a conformal interval ({calibration.info.get('method')}; "
        f"{calibration.n_bins} bins, see `docs/uncertainty.md`). For a sequence drawn like "
        f"the training pool (the non-public rows of the DREAM 2022 test set, in the same "
        f"plasmid, measured the same way), the **measured** expression lies inside the "
        f"{pct} interval with probability at least {level:g}. It is calibrated on single "
        "members' OOF errors while the served prediction is the ensemble mean, which is "
        "expected to be more accurate, so it should err on the wide side; "
        + (f"on the public rows it does: {_f(cov_all)} are covered at nominal {level:g}."
           if cov_all >= level else
           f"on the public rows, however, it covers only {_f(cov_all)} at nominal "
           f"{level:g}, so take it as optimistic.")
        + " It covers measurement noise, not only model error: it does not shrink to zero "
        "for a perfect model.",
        "",
        f"Coverage of the {pct} interval on the public rows:",
        "",
        *_interval_rows(iv),
        "",
        "All public rows at other levels: " + ", ".join(
            f"{float(lv):.0%} → {_f(c['coverage'])} (width {_f(c['mean_width'])})"
            for lv, c in iv.get("all_levels", {}).items()) + ".",
        "",
        "## Variant effects (differences)",
        "",
        "No pair of related sequences is measured in the training pool, so an interval for "
        "a difference (alt − ref, ISM effects) cannot be calibrated. The served rule is the "
        f"Bonferroni bound: Δ ± (w_alt + w_ref), each half-width at level "
        f"{1 - (1 - level) / 2:g}; valid under the same assumptions whatever the two errors' "
        f"correlation, and wide. On the public SNV pairs it covers "
        f"{_f(snv.get('coverage'))} of measured differences with mean width "
        f"{_f(snv.get('mean_width'))}"
        + (f"; the uncalibrated members' spread (Δ ± z·sd) would cover only "
           f"{_f(snv.get('spread_coverage'))}, which is why it is shown as a spread and "
           "never as an interval." if snv.get("spread_coverage") is not None else "."),
        "Members' sd of an effect and their sign disagreement say how sure the *model* "
        "is, not how large the measured effect will be.",
        "",
        "## Where the interval is not trustworthy",
        "",
        "- **Far from the training distribution.** The calibration saw predictions between "
        f"{_f(calibration.pred_range[0])} and {_f(calibration.pred_range[1])}; outside it "
        f"the interval extrapolates ({_rows(iv.get('extrapolating', 0))} of the public "
        "set). Designed, "
        "heavily edited or very different sequences are not exchangeable with the pool, and "
        "conformal coverage does not hold for them.",
        "- **Native promoters.** Native yeast promoter sequences in the plasmid (subset "
        f"`yeast`, n={iv.get('yeast', {}).get('n', 0):,}) are covered at "
        f"{_f(iv.get('yeast', {}).get('coverage'))}; a native promoter in its genomic "
        "context, or longer than the 80 bp variable region, is outside what was measured.",
        "- **Other conditions.** The measurements come from one strain, plasmid, medium and "
        "assay; the interval says nothing about other conditions or genomic contexts.",
    ]
    if short:
        lines.append("- **Under-covered subsets** (coverage more than "
                     f"{SHORTFALL:g} below {level:g}): " + ", ".join(short) + ".")
    if over:
        lines.append("- **Over-covered subsets** (intervals wider than needed there): "
                     + ", ".join(over) + ".")
    lines += ["", "## Build", "", *_timing_rows(metrics), "",
              "Training wall time is the sum of the member's recorded epoch times (the "
              "per-epoch validation included) on the machine named; `docs/training.md` "
              "gives what a member costs elsewhere (a 2-core CPU, one GPU) and how it was "
              "measured.", ""]
    return "\n".join(lines)
