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
    entries = [("**ensemble (mean)**", metrics["test_families"])]
    entries += [(name, m["test_families"])
                for name, m in sorted(metrics.get("members", {}).items())]
    for name, d in entries:
        rows.append(f"| {name} | {_f(d.get('pearson_score'))} | {_f(d.get('spearman_score'))} "
                    f"| {_f(d.get('pearson_r2_all'))} | {_f(d.get('pearson_r2_SNVs'))} "
                    f"| {_f(d.get('pearson_r2_yeast'))} |")
    return rows


def _subset_r2_rows(scores: dict) -> list:
    rows = ["| subset | n | r² | Spearman |", "|---|---|---|---|"]
    for name in SINGLE_SUBSETS + PAIR_SUBSETS:
        if f"n_{name}" in scores:
            label = f"{name} (alt − ref)" if name in PAIR_SUBSETS else name
            rows.append(f"| {label} | {scores[f'n_{name}']:,} | "
                        f"{_f(scores[f'pearson_r2_{name}'])} | {_f(scores[f'spearman_{name}'])} |")
    return rows


def _distance_rows(interval: dict) -> list:
    rows = ["| nearest training row | n | r² | coverage | mean width |", "|---|---|---|---|---|"]
    for r in interval.get("by_distance", []):
        rows.append(f"| {r['rows']} | {r['n']:,} | {_f(r.get('r2'))} | "
                    f"{_f(r.get('coverage'))} | {_f(r.get('mean_width'))} |")
    return rows


def _interval_rows(interval: dict) -> list:
    rows = ["| subset | n | coverage | mean width | Bonferroni coverage | Bonferroni width |",
            "|---|---|---|---|---|---|"]
    for name in SINGLE_SUBSETS + PAIR_SUBSETS:
        c = interval.get(name)
        if c:
            label = f"{name} (alt − ref)" if name in PAIR_SUBSETS else name
            rows.append(f"| {label} | {c['n']:,} | {_f(c['coverage'])} | "
                        f"{_f(c['mean_width'])} | {_f(c.get('bonferroni_coverage'))} | "
                        f"{_f(c.get('bonferroni_mean_width'))} |")
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
    test, sp = metrics["test_families"], metrics.get("split", {})
    b = metrics.get("build", {})
    k = b.get("k", len(metrics.get("members", {})))
    pct = f"{100 * level:g}%"
    short = [name for name in SINGLE_SUBSETS + PAIR_SUBSETS
             if iv.get(name) and iv[name]["coverage"] < level - SHORTFALL]
    over = [name for name in SINGLE_SUBSETS
            if iv.get(name) and iv[name]["coverage"] > level + SHORTFALL]
    snv, novel = iv.get("SNVs", {}), iv.get("novel", {})
    cov_all = iv["all"]["coverage"]
    fwd, both = rc["oof_forward"], rc["oof_both_strands"]
    spread = iv.get("spread_vs_error", {})
    diff = calibration.differences
    pair_groups = ("none" if diff is None else ", ".join(
        f"{m} base{'s' if m > 1 else ''}: {c:,} pairs in {e.size + 1} bins of the predicted "
        "change" for m, c, e in zip(diff.mismatches, diff.counts, diff.edges)))
    lines = [
        "# Model card: promoter-explorer demo ensemble",
        "",
        "**In plain words.** This model reads an 80-base promoter placed in the DREAM yeast "
        "plasmid and predicts how strongly it drives expression, on the measured scale "
        f"({metrics['unit']}). It was tested on {test['n']:,} measured promoters from "
        "whole families of sequences it never saw in training; on those, its predictions "
        f"agree with the measurements with r² = {_f(test.get('pearson_r2_all'))}. The "
        f"{pct} range printed with each prediction held the measured value for "
        f"{100 * cov_all:.0f}% of those promoters ({100 * (novel.get('coverage') or 0):.0f}% "
        "of the ones unlike anything in training). A predicted *change* between two "
        "promoters a few bases apart comes with its own range, checked on measured pairs. "
        "Sequences very different from random 80-mers in this plasmid (native promoters, "
        "long constructs, other assays) are outside what it was tested on.",
        "",
        f"{k} members of the `{b.get('preset', 'compact')}` preset (see `docs/model.md`), "
        "trained by `scripts/make_demo_ensemble.py` on the DREAM 2022 high-quality "
        "measurements (`assets/data/test_measured.tsv.gz`). The prediction is the mean of "
        "the members; `sd` is their spread (population sd).",
        "",
        "## Data: split by family",
        "",
        f"- The {b.get('n_pool', 0) + b.get('n_test', 0):,} measured rows come in families "
        "(single-base series, motif tilings and perturbations of one parent, overlapping "
        f"native fragments): {sp.get('families', 0):,} families, the largest "
        f"{sp.get('largest_family', 0):,} rows (`promoter_model.families`; "
        "`docs/uncertainty.md`). The split (`split.tsv.gz`) never puts one family on two "
        "sides.",
        f"- Test set: {sp.get('test_rows', 0):,} rows in {sp.get('test_families', 0):,} whole "
        "families, held out so that every challenge subset is represented; never trained, "
        "selected or calibrated on. Every score below is computed on them. The nearest "
        "training row of a test row is "
        f"{sp.get('test_distance_to_pool', {}).get('min', 'n/a')} or more bases away "
        f"(median {sp.get('test_distance_to_pool', {}).get('median', 'n/a')}).",
        f"- Training pool: the other {b.get('n_pool', 0):,} rows, dealt by family into {k} "
        "folds of equal size. Member *i* is trained on the other folds and its best epoch "
        "is selected on fold *i*; its predictions of fold *i* are family-out-of-fold (OOF): "
        f"{oof['n']:,} rows, on which the intervals are calibrated and nothing else.",
        "",
        "## Scores on the held-out test families (challenge metrics)",
        "",
        "These are **not leaderboard numbers**: the challenge trained on 6.7M noisy random "
        "sequences and scored the public and private test rows, while these models trained "
        "on part of those test rows themselves and are scored on the families they did not "
        "see. They measure how the model does on sequences it has never seen a relative of.",
        "",
        *_score_rows(metrics),
        "",
        "The ensemble by subset (pairs scored on measured vs predicted alt − ref):",
        "",
        *_subset_r2_rows(test),
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
        f"{calibration.n_bins} bins, see `docs/uncertainty.md`) calibrated on "
        "family-out-of-fold errors: for a sequence none of whose relatives was trained on, "
        f"the **measured** expression lies inside the {pct} interval with probability about "
        f"{level:g}. On the test families it covers {_f(cov_all)} of all rows and "
        f"{_f(novel.get('coverage'))} of the {novel.get('n', 0):,} rows with "
        f"{novel.get('rule', 'no near training row')}. It covers measurement noise, not "
        "only model error.",
        "",
        f"Coverage of the {pct} interval on the test families, by subset:",
        "",
        *_interval_rows(iv),
        "",
        "By distance to the nearest training row:",
        "",
        *_distance_rows(iv),
        "",
        "All test rows at other levels: " + ", ".join(
            f"{float(lv):.0%} → {_f(c['coverage'])} (width {_f(c['mean_width'])})"
            for lv, c in iv.get("all_levels", {}).items()) + ".",
        "",
        "Does the members' spread say where the error is large? Spearman ρ of sd and "
        f"|error| on the test families: {_f(spread.get('spearman_sd_abs_error'))}; mean "
        f"|error| {_f(spread.get('mean_abs_error_low_sd'))} in the lowest third of sd, "
        f"{_f(spread.get('mean_abs_error_high_sd'))} in the highest.",
        "",
        "## Variant effects (differences)",
        "",
        "A change between two sequences 1-3 bases apart (alt − ref in compare mode and "
        "variant tables, every ISM cell) gets an interval calibrated on measured OOF pairs "
        f"of that edit size ({pair_groups}); "
        "larger edits keep the Bonferroni bound Δ ± (w_alt + w_ref). On the test families' "
        f"single-base pairs the calibrated interval covers {_f(snv.get('coverage'))} with "
        f"mean width {_f(snv.get('mean_width'))}; the Bonferroni bound would cover "
        f"{_f(snv.get('bonferroni_coverage'))} with width {_f(snv.get('bonferroni_mean_width'))}.",
        "Members' sd of an effect and their sign disagreement say how sure the *model* "
        "is, not how large the measured effect will be.",
        "",
        "## Where the interval is not trustworthy",
        "",
        "- **Far from the training distribution.** The calibration saw predictions between "
        f"{_f(calibration.pred_range[0])} and {_f(calibration.pred_range[1])}; outside it "
        f"the interval extrapolates ({_rows(iv.get('extrapolating', 0))} of the test set). "
        "Designed, heavily edited or very different sequences are not exchangeable with the "
        "pool, and conformal coverage does not hold for them (`docs/design.md`): on the "
        f"test families' designed sequences (the challenge's evolved "
        f"{', '.join(iv.get('designed', {}).get('subsets', []))} rows, "
        f"n={iv.get('designed', {}).get('n', 0):,}) the {pct} interval covers "
        f"{_f(iv.get('designed', {}).get('coverage'))}.",
        "- **Native promoters.** Native yeast promoter fragments in the plasmid (subset "
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
    prev = metrics.get("previous")
    if prev:
        lines += ["---", "",
                  f"*Footnote, not a test score.* {prev.get('label', 'An earlier ensemble')} "
                  f"scored Pearson score {_f(prev.get('pearson_score'))} and r² "
                  f"{_f(prev.get('pearson_r2_all'))} on {prev.get('data', 'its test rows')}. "
                  "Those rows shared families with its training pool (85% had a training row "
                  "within two bases), so the numbers measured recall of near copies; they "
                  "are kept here only so that older notes can be read.", ""]
    return "\n".join(lines)
