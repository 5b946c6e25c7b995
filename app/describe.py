"""A run and its numbers in words a biologist reads (no Streamlit calls here).

What the run says about itself (its unit, its test data, its metrics), its scores as the
sidebar sentence and the Training page's headline numbers, and an interval as a caption.
Run-provided text is made safe for Markdown (:func:`app.deployment.safe_markdown`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.deployment import safe_markdown
from promoter_model.predictor import run_unit
from promoter_model.uncertainty.intervals import UNAVAILABLE

MEASURED_UNIT = "MAUDE-normalised expression"
UNAVAILABLE_SENTENCE = UNAVAILABLE[0].upper() + UNAVAILABLE[1:] + "."  # as a caption


def unit_of(model) -> str:
    """What the model predicts, as the run or ensemble records it (``Predictor.unit``, or
    :func:`promoter_model.predictor.run_unit` of a run); never guessed from free text.
    """
    unit = model.unit if hasattr(model, "unit") else run_unit(model)
    return safe_markdown(" ".join(str(unit).split())[:80])


#: where a run's or ensemble's held-out scores live in ``metrics.json``, first found wins:
#: a run's test split, a family-split ensemble's test families, an older ensemble's
#: public-leaderboard rows
HELD_OUT_SECTIONS = ("test", "test_families", "dream_public_leaderboard")


def held_out(metrics: dict) -> dict:
    """The held-out scores of ``metrics.json`` (:data:`HELD_OUT_SECTIONS`), or ``{}``."""
    for key in HELD_OUT_SECTIONS:
        section = (metrics or {}).get(key)
        if isinstance(section, dict) and isinstance(section.get("pearson_r"), (int, float)):
            return section
    return {}


def family_split(metrics: dict) -> bool:
    """Whether ``metrics.json`` is a family-split ensemble's (scored on whole test families)."""
    return isinstance((metrics or {}).get("test_families"), dict)


NOT_BY_FAMILY = (
    "**This model was split by sequence hash, not by family.** The test rows its scores "
    "come from{rows} {verb} single-base variants, tiles and perturbations of sequences it "
    "trained on, so the scores partly "
    "measure recall of near copies, and its intervals were calibrated on errors that near "
    "copies made small. For sequences new to a model, read the family-split ensemble's scores "
    "(whole families held out) and docs/benchmarks.md, *Families and leakage*, which measures "
    "the difference.")


def not_by_family(metrics: dict) -> str | None:
    """A warning for a model whose held-out scores come from rows that share families with
    its training rows (split by hash: the older bundled models, a run whose ``split`` says
    ``hash``), or None for a family split or a run that does not say.
    """
    metrics = metrics or {}
    if family_split(metrics):
        return None
    split = metrics.get("split")
    method = split.get("method") if isinstance(split, dict) else None
    if method == "family" or (method is None and "dream_public_leaderboard" not in metrics):
        return None
    dream = "dream_public_leaderboard" in metrics  # measured: benchmarks.md
    return NOT_BY_FAMILY.format(rows=" (the DREAM public-leaderboard rows)" if dream else "",
                                verb="include" if dream else "may include")


def headline_data(metrics: dict) -> str | None:
    """What the headline test metrics were computed on (the ``data`` note of ``test``)."""
    test = held_out(metrics)
    if isinstance(test, dict) and isinstance(test.get("data"), str):
        return safe_markdown(test["data"])
    return None


def metrics_table(metrics: dict) -> pd.DataFrame:
    """Flatten ``metrics.json`` into rows ``section, metric, value``."""
    rows = []

    def walk(prefix, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            section, _, metric = prefix.rpartition(".")
            rows.append({"section": section or "-", "metric": metric, "value": float(obj),
                         "note": ""})
        elif isinstance(obj, str):
            section, _, metric = prefix.rpartition(".")
            rows.append({"section": section or "-", "metric": metric, "value": np.nan,
                         "note": obj})

    walk("", metrics)
    return pd.DataFrame(rows, columns=["section", "metric", "value", "note"])


# --------------------------------------------------------------------------- scores
def plain_summary(metrics: dict) -> str | None:
    """The held-out scores in one or two plain sentences (sidebar), or None without them."""
    from promoter_model.dream import weak_spots

    test = held_out(metrics)
    r, r2, n = test.get("pearson_r"), test.get("r2"), test.get("n")
    if not isinstance(r, (int, float)):
        return None
    text = (f"On {n:,} held-out test promoters, " if isinstance(n, int) else
            "On held-out test promoters, ")
    text += f"predicted and measured expression correlate at r = {r:.2f}"
    if isinstance(r2, (int, float)):
        text += f"; the predictions explain {100 * max(r2, 0):.0f}% of the variation"
    text += "."
    dream = dream_section(metrics)
    weak = weak_spots(dream) if dream else None
    if weak:
        text += f" Weaker on: {weak} (see Training)."
    data = headline_data(metrics)
    if data:
        text += f" Test data: {data}."
    return text


#: a section of ``metrics.json`` that quotes another model's scores (a footnote), never this
#: model's own
QUOTED_SECTIONS = ("previous",)


def dream_section(metrics: dict) -> dict | None:
    """The section of ``metrics.json`` holding this model's DREAM subset scores, if any: a
    family-split ensemble's test families, else the public-leaderboard rows, else any other
    section with them (``evaluate --save``); never an older model's quoted scores.
    """
    metrics = metrics or {}
    ordered = [k for k in ("test_families", "dream_public_leaderboard") if k in metrics]
    ordered += [k for k in metrics if k not in ordered and k not in QUOTED_SECTIONS]
    for key in ordered:
        section = metrics[key]
        if isinstance(section, dict) and "pearson_r2_all" in section:
            return section
    return None


def score_summary(metrics: dict) -> list:
    """The headline scores as ``(label, formatted value, one-line help)``; absent ones left out.

    Held-out test first (r, R², Spearman, n), then the validation r.
    """
    test = held_out(metrics)
    val = metrics.get("validation") if isinstance(metrics.get("validation"), dict) else {}
    items = [
        (test, "pearson_r", "Test Pearson r", "{:.3f}",
         "Correlation of predicted with measured expression on the held-out test set"),
        (test, "r2", "Test R²", "{:.3f}",
         "Share of the variation in measured test expression the predictions explain"),
        (test, "spearman_r", "Test Spearman", "{:.3f}",
         "Correlation of the rankings (is the order right?)"),
        (test, "n", "Test sequences", "{:,.0f}", "Held-out sequences scored"),
        (val, "pearson_r", "Validation Pearson r", "{:.3f}",
         "The same on the validation slice used to pick the best epoch"),
    ]
    out = []
    for section, key, label, fmt, help_text in items:
        v = section.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
            out.append((label, fmt.format(v), help_text))
    return out


#: the columns of the per-member table: (metrics key, column name)
MEMBER_COLUMNS = (("pearson_score", "Pearson score"), ("spearman_score", "Spearman score"),
                  ("pearson_r2_all", "r² all"), ("pearson_r2_SNVs", "r² SNVs"),
                  ("pearson_r2_yeast", "r² yeast"), ("pearson_r", "Pearson r"))


def member_scores(metrics: dict):
    """An ensemble's and each member's held-out scores (``metrics.json``: the test families
    of a family-split ensemble, else the public-leaderboard rows), or None.

    Returns
    -------
    DataFrame or None
        One row for the ensemble mean, then one per member (``members.<name>``), with the
        :data:`MEMBER_COLUMNS` present in any of them.
    """
    members = (metrics or {}).get("members")
    if not isinstance(members, dict) or not members:
        return None
    key = "test_families" if family_split(metrics) else "dream_public_leaderboard"
    entries = [("ensemble (mean)", metrics.get(key) or {})]
    entries += [(name, (m or {}).get(key) or {}) for name, m in sorted(members.items())]
    rows = [{"model": name, **{label: d.get(key, np.nan) for key, label in MEMBER_COLUMNS}}
            for name, d in entries]
    df = pd.DataFrame(rows)
    return df.dropna(axis=1, how="all")


def coverage_levels(metrics: dict):
    """``(levels, observed coverage, mean width)`` of ``interval.all_levels``, or None."""
    levels = ((metrics or {}).get("interval") or {}).get("all_levels")
    if not isinstance(levels, dict) or not levels:
        return None
    items = sorted((float(k), v) for k, v in levels.items() if isinstance(v, dict))
    return (np.array([k for k, _ in items]),
            np.array([v.get("coverage", np.nan) for _, v in items], dtype=np.float64),
            np.array([v.get("mean_width", np.nan) for _, v in items], dtype=np.float64))


def interval_sentence(iv: dict, k: int = 0) -> str:
    """``"90% interval a to b; members' sd s"`` of row ``k`` of an interval dict
    (:func:`app.cache.predict.predict_interval`).
    """
    parts = []
    if iv["lower"] is not None:
        parts.append(f"{iv['level']:.0%} interval {iv['lower'][k]:.3f} to {iv['upper'][k]:.3f}")
    if iv["sd"] is not None:
        parts.append(f"members' sd {iv['sd'][k]:.3f}")
    return "; ".join(parts)


NO_NOVELTY = ("How new a sequence is to this model is unknown: it has no index of its "
              "training sequences (a family-split ensemble has one).")


def novelty_words(distance) -> list:
    """Plain words of each distance to the nearest training sequence
    (:func:`promoter_model.families.novelty.describe`).
    """
    from promoter_model.families.novelty import describe

    return [describe(int(d)) for d in distance]


#: "Pearson score" and "Pearson r" side by side, so no one quotes the wrong one
PEARSON_WORDS = ("**Pearson r**: how closely predictions follow the measured values over all "
                 "test rows (1 = perfectly, 0 = not at all). **Pearson score**: the DREAM "
                 "2022 challenge's weighted score, a weighted mean of Pearson r² over the "
                 "kinds of test sequence (random, native, high, low, designed, and the "
                 "differences of SNV and motif pairs): it is not a correlation, and it is "
                 "lower than r² because the pair differences are hard. Quote r for "
                 "\"how well does it predict\", the score only beside other challenge scores.")


def coverage_table(metrics: dict) -> pd.DataFrame | None:
    """Coverage of the intervals on each kind of held-out test sequence
    (``metrics["interval"]``'s subsets), or None: ``subset, n, coverage, mean_width``
    (pairs add the Bonferroni bound's coverage).
    """
    from promoter_model.dream import SUBSET_DESCRIPTIONS

    iv = (metrics or {}).get("interval")
    if not isinstance(iv, dict):
        return None
    rows = []
    for name, v in iv.items():
        if isinstance(v, dict) and "coverage" in v and name not in ("novel", "designed"):
            rows.append({"subset": name, "what": SUBSET_DESCRIPTIONS.get(name, ""), "n": v.get("n"),
                         "coverage": v["coverage"], "mean_width": v.get("mean_width"),
                         "bonferroni_coverage": v.get("bonferroni_coverage", np.nan)})
    for name, label in (("novel", "new to the model"), ("designed", "designed sequences")):
        v = iv.get(name)
        if isinstance(v, dict) and "coverage" in v:
            rows.append({"subset": label, "what": v.get("rule") or ", ".join(
                v.get("subsets", [])), "n": v.get("n"), "coverage": v["coverage"],
                "mean_width": v.get("mean_width"), "bonferroni_coverage": np.nan})
    if not rows:
        return None
    return pd.DataFrame(rows).dropna(axis=1, how="all")


def distance_table(metrics: dict) -> pd.DataFrame | None:
    """Score and coverage by distance to the nearest training row
    (``metrics["interval"]["by_distance"]``), or None.
    """
    rows = ((metrics or {}).get("interval") or {}).get("by_distance")
    if not isinstance(rows, list) or not rows:
        return None
    df = pd.DataFrame(rows)
    first = [c for c in ("rows", "n") if c in df]
    return df[first + [c for c in df.columns if c not in first]]


def designed_coverage(metrics: dict) -> dict | None:
    """``metrics["interval"]["designed"]`` of a family-split ensemble (computed coverage of
    the challenge's designed test rows), or None.
    """
    if not family_split(metrics):
        return None
    v = ((metrics or {}).get("interval") or {}).get("designed")
    return v if isinstance(v, dict) and "coverage" in v else None


def fewer_designs(asked: int, found: int, min_distance: int) -> str:
    """Why a design search returned ``found`` of the ``asked`` designs, in the page's words."""
    head = f"{asked} designs were asked for and {found} found: "
    if min_distance > 1:
        return (head + f"the designs must differ from one another at {min_distance} positions "
                "at least, and each must improve on the start within the mutation budget and "
                "the constraints; no further such design was found. Lower \"Designs differ "
                "from one another at\", raise the budget or loosen the constraints for more.")
    return (head + "the search returns only distinct designs that improve on the start within "
            "the mutation budget and the constraints. A larger budget, looser constraints or "
            "another search may find more.")


def design_interval_text(metrics: dict) -> str:
    """What a design's interval means: designs are new to the model by construction, and
    split-conformal intervals under-cover designed sequences (Fannjiang et al., PNAS 2022);
    a family-split ensemble's computed coverage on the challenge's designed test rows is
    quoted, never a typed-in number.
    """
    text = ("**What the interval means for a design.** A design is new to the model by "
            "construction: the search looks for sequences the model scores well, which "
            "favours the model's errors. Conformal intervals are calibrated on sequences like "
            "the training pool and cover designed sequences less often than their level "
            "says (Fannjiang et al., PNAS 2022). ")
    cov = designed_coverage(metrics)
    if cov is not None:
        text += (f"On the challenge's designed test sequences ({', '.join(cov.get('subsets', []))}"
                 f"; {cov.get('n', 0):,} rows of the held-out test families) this ensemble's "
                 f"{float(metrics['interval'].get('level', 0.9)):.0%} intervals covered the "
                 f"measured value {cov['coverage']:.0%} of the time. Sequences designed here "
                 "move further from the training data and may fare worse: measure them.")
    else:
        text += ("This model's coverage on designed sequences was not measured (a "
                 "family-split ensemble measures it): read the interval as optimistic and "
                 "measure the designs.")
    return text


def card_plain_words(metrics: dict) -> str | None:
    """A plain-language paragraph for a model card that has none ("In plain words"),
    from the card's own ``metrics.json``; None without held-out scores.
    """
    test = held_out(metrics)
    r2 = test.get("pearson_r2", test.get("pearson_r2_all"))
    if not isinstance(r2, (int, float)):
        return None
    text = ("**In plain words.** This model reads an 80-base promoter placed in the DREAM "
            "yeast plasmid and predicts how strongly it drives expression of a reporter. ")
    n = test.get("n")
    text += (f"On {n:,} measured promoters it never trained on, " if isinstance(n, int)
             else "On measured promoters it never trained on, ")
    text += f"its predictions agree with the measurements with r² = {r2:.2f}."
    cov = ((metrics.get("interval") or {}).get("all") or {}).get("coverage")
    level = (metrics.get("interval") or {}).get("level", 0.9)
    if isinstance(cov, (int, float)):
        text += (f" The {float(level):.0%} range printed with each prediction held the "
                 f"measured value for {100 * cov:.0f}% of them.")
    text += (" The technical terms below (\"mondrian split-conformal\": ranges calibrated "
             "separately for low and high predictions on predictions of sequences each member "
             "had not seen; \"Bonferroni\": a cautious, wide range for a difference between "
             "two sequences) say how those ranges were made. Native promoters and sequences "
             "unlike random 80-mers in this plasmid are outside what it was tested on.")
    return text
