"""Position profiles: the model's against the measured ``motif_tiling`` profile.

A tiling profile is a motif's effect (``alt - ref``) against its start in the variable
region, per motif, strand and background. :func:`tiling_profiles` gives the measured and
predicted profiles of the DREAM tiling experiment; :func:`scan_profiles` puts a
:func:`promoter_model.grammar.position.position_scan` (the model's profile over many
backgrounds) in place of the predictions; :func:`compare_profiles` says, per profile,
whether the shapes agree and, where they do not, says so in a sentence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .measured import agreement, pair_effects

#: The columns of :func:`compare_profiles`.
COLUMNS = ["motif", "strand", "background", "n", "r", "spearman", "measured_peak",
           "predicted_peak", "agrees", "note"]
PROFILE_COLUMNS = ["motif", "strand", "background", "position", "measured", "predicted"]


def tiling_profiles(pairs_table, predictions, measured=None) -> pd.DataFrame:
    """Measured and predicted profile of every tiled motif, strand and background.

    Parameters
    ----------
    pairs_table, predictions, measured
        As for :func:`promoter_model.grammar.measured.pair_effects`; only pairs with a
        position and no edited bases or site count are kept: the tiling design, and the
        single HSF1 sites of the perturbation experiment (as motifs ``Hsf1mono`` and
        ``Hsf1tri``: the motif's name joined to its variant).

    Returns
    -------
    pd.DataFrame
        :data:`PROFILE_COLUMNS` (plus ``sd``, ``lower``, ``upper`` when given), sorted;
        ``position`` 0-based in the variable region.
    """
    p = pair_effects(pairs_table, predictions, measured)
    p = p.drop_duplicates(subset=["alt_pos", "ref_pos"])
    tiled = p["position"].notna() & (p["edit"] == "") & p["sites"].isna()
    extra = [c for c in ("sd", "lower", "upper") if c in p]
    out = p.loc[tiled].assign(motif=lambda d: d["motif"] + d["variant"])
    out = out[PROFILE_COLUMNS + extra].copy()
    out["position"] = out["position"].astype(int)
    return out.sort_values(["motif", "strand", "background", "position"]).reset_index(drop=True)


def scan_profiles(profiles, scan, motif: str) -> pd.DataFrame:
    """Measured profiles of one motif with the model's scan as ``predicted``.

    Parameters
    ----------
    profiles : pd.DataFrame
        :func:`tiling_profiles` output (its ``predicted`` column is replaced).
    scan : pd.DataFrame
        :func:`promoter_model.grammar.position.position_scan` of the same site
        (``position``, ``strand``, ``effect``).
    motif : str
        The tag's motif name (``Mga1``).

    Returns
    -------
    pd.DataFrame
        :data:`PROFILE_COLUMNS`, the same scan profile against each background's
        measurement.
    """
    own = profiles[profiles["motif"] == motif].drop(
        columns=[c for c in ("predicted", "sd", "lower", "upper") if c in profiles])
    model = scan[["position", "strand", "effect"]].rename(columns={"effect": "predicted"})
    return own.merge(model, on=["position", "strand"], how="left")[PROFILE_COLUMNS]


def _note(key, a, peaks, min_r) -> str:
    motif, strand, background = key
    where = f"{motif} ({strand}) " + ("pooled over backgrounds" if background == "all"
                                      else f"in {background}")
    if a["n"] < 3 or not np.isfinite(a["r"]):
        return f"{where}: too few positions with both values to compare"
    say = (f"the model's position profile of {where} disagrees with the measured tiling"
           if a["r"] < min_r else f"the model's position profile of {where} follows the "
           "measured tiling")
    return (f"{say} (r = {a['r']:.2f} over {a['n']} positions; measured peak at "
            f"{peaks[0]}, predicted at {peaks[1]})")


def compare_profiles(profiles, min_r: float = 0.5, by=("motif", "strand", "background")
                     ) -> pd.DataFrame:
    """Whether the predicted position profile follows the measured one, profile by profile.

    Parameters
    ----------
    profiles : pd.DataFrame
        :data:`PROFILE_COLUMNS` (from :func:`tiling_profiles` or :func:`scan_profiles`).
    min_r : float
        Pearson r below which a profile is said to disagree.
    by : sequence of str
        What makes one profile (drop ``background`` to pool backgrounds: the profiles are
        then averaged per position first).

    Returns
    -------
    pd.DataFrame
        :data:`COLUMNS`: ``n`` positions, ``r``, ``spearman``, ``measured_peak`` and
        ``predicted_peak`` (start of the strongest effect, either sign), ``agrees``
        (``r >= min_r``) and a ``note`` in words.
    """
    by = list(by)
    pooled = [c for c in ("motif", "strand", "background") if c not in by]
    if pooled:  # one profile per group: the mean over what is pooled, per position
        profiles = profiles.groupby(by + ["position"], as_index=False)[
            ["measured", "predicted"]].mean()
        for c in pooled:
            profiles[c] = "all"
    rows = []
    for values, g in profiles.groupby(by, sort=True):
        key = dict(zip(by, values if isinstance(values, tuple) else (values,)))
        full = (key.get("motif", "all"), key.get("strand", "all"), key.get("background", "all"))
        a = agreement(g["measured"], g["predicted"])
        ok = g[np.isfinite(g["measured"]) & np.isfinite(g["predicted"])]
        peaks = tuple(int(ok["position"].to_numpy()[np.abs(ok[c].to_numpy()).argmax()])
                      if len(ok) else -1 for c in ("measured", "predicted"))
        rows.append({"motif": full[0], "strand": full[1], "background": full[2],
                     "n": a["n"], "r": a["r"], "spearman": a["spearman"],
                     "measured_peak": peaks[0], "predicted_peak": peaks[1],
                     "agrees": bool(np.isfinite(a["r"]) and a["r"] >= min_r),
                     "note": _note(full, a, peaks, min_r)})
    return pd.DataFrame(rows, columns=COLUMNS)
