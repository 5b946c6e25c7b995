"""The run's scores in words a biologist reads: the sidebar sentence and the Training page's
headline numbers, from ``metrics.json`` (no Streamlit calls here).
"""

from __future__ import annotations

import numpy as np

from app import services


def plain_summary(metrics: dict) -> str | None:
    """The held-out scores in one or two plain sentences (sidebar), or None without them."""
    from promoter_model.dream import weak_spots

    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else {}
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
    data = services.headline_data(metrics)
    if data:
        text += f" Test data: {data}."
    return text


def dream_section(metrics: dict) -> dict | None:
    """The section of ``metrics.json`` holding the DREAM subset scores, if any."""
    for section in (metrics or {}).values():
        if isinstance(section, dict) and "pearson_r2_all" in section:
            return section
    return None


def score_summary(metrics: dict) -> list:
    """The headline scores as ``(label, formatted value, one-line help)``; absent ones left out.

    Held-out test first (r, R², Spearman, n), then the validation r.
    """
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else {}
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
    """An ensemble's and each member's public-leaderboard scores (``metrics.json``), or None.

    Returns
    -------
    DataFrame or None
        One row for the ensemble mean, then one per member (``members.<name>``), with the
        :data:`MEMBER_COLUMNS` present in any of them.
    """
    import pandas as pd

    members = (metrics or {}).get("members")
    if not isinstance(members, dict) or not members:
        return None
    entries = [("ensemble (mean)", metrics.get("dream_public_leaderboard") or {})]
    entries += [(name, (m or {}).get("dream_public_leaderboard") or {})
                for name, m in sorted(members.items())]
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
