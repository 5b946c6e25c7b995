"""Position profiles: agreement with the measured tiling, and disagreement said in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promoter_model.grammar.tiling import (
    COLUMNS,
    PROFILE_COLUMNS,
    compare_profiles,
    scan_profiles,
    tiling_profiles,
)


def tiled(seed: int = 0):
    """Two motifs tiled over 30 starts on both strands of two backgrounds."""
    rng = np.random.default_rng(seed)
    rows, expression, pos = [], [0.0, 0.0], 2
    for b, background in enumerate(["rand1", "rand2"]):
        for motif in ("Abc1", "Xyz2"):
            for strand in ("", ".RC"):
                for p in range(30):
                    rows.append({"alt_tag": f"{background}_{motif}{strand}_{p}",
                                 "ref_tag": background, "alt_pos": pos, "ref_pos": b})
                    expression.append(np.sin(p / 5.0) + 0.05 * rng.normal())
                    pos += 1
    rows.append({"alt_tag": "rand1_Reb1.s_0A_20", "ref_tag": "rand1", "alt_pos": pos,
                 "ref_pos": 0})  # a perturbation: not part of any profile
    rows.append({"alt_tag": "rand1_Hsf1mono.16", "ref_tag": "rand1", "alt_pos": pos + 1,
                 "ref_pos": 0})  # a single HSF1 site: a one-position profile of Hsf1mono
    expression += [1.0, 1.0]
    measured = pd.DataFrame({"pos": np.arange(len(expression)), "expression": expression})
    return pd.DataFrame(rows), measured


def test_profiles_follow_or_disagree_and_say_so():
    pairs, measured = tiled()
    y = measured["expression"].to_numpy().copy()
    tags = pd.Series(pairs["alt_tag"].to_numpy(), index=pairs["alt_pos"])
    flip = tags.str.contains("Xyz2").reindex(np.arange(len(y)), fill_value=False).to_numpy()
    y[flip] = -y[flip]  # the model gets Xyz2's profile upside down
    profiles = tiling_profiles(pairs, y, measured)
    assert list(profiles.columns) == PROFILE_COLUMNS
    assert len(profiles) == 2 * 2 * 2 * 30 + 1
    assert profiles["motif"].iloc[-1] == "Xyz2" and "Hsf1mono" in set(profiles["motif"])
    out = compare_profiles(profiles)
    assert list(out.columns) == COLUMNS and len(out) == 9
    good, bad = out[out["motif"] == "Abc1"], out[out["motif"] == "Xyz2"]
    assert good["agrees"].all() and (good["r"] > 0.99).all()
    assert not bad["agrees"].any() and (bad["r"] < -0.99).all()
    assert all("disagrees with the measured tiling" in n for n in bad["note"])
    assert all("follows" in n for n in good["note"])
    assert (good["measured_peak"] == good["predicted_peak"]).all()


def test_pooled_backgrounds_and_a_scan_as_the_model_profile():
    pairs, measured = tiled()
    profiles = tiling_profiles(pairs, measured["expression"].to_numpy(), measured)
    pooled = compare_profiles(profiles, by=("motif", "strand"))
    assert len(pooled) == 5 and set(pooled["background"]) == {"all"}  # 4 + Hsf1mono
    assert "pooled over backgrounds" in pooled["note"].iloc[0]
    scan = pd.DataFrame({"position": np.tile(np.arange(30), 2),
                         "strand": np.repeat(["+", "-"], 30),
                         "effect": np.tile(np.sin(np.arange(30) / 5.0), 2)})
    against = scan_profiles(profiles, scan, "Abc1")
    assert list(against.columns) == PROFILE_COLUMNS and len(against) == 2 * 2 * 30
    verdict = compare_profiles(against)
    assert len(verdict) == 4 and verdict["agrees"].all() and (verdict["r"] > 0.95).all()
    few = compare_profiles(profiles[profiles["position"] < 2])
    assert not few["agrees"].any() and "too few" in few["note"].iloc[0]
