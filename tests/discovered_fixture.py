"""A realistic ``motifs/discovered.json`` for tests (the discovery engine's schema, v1).

Two patterns: ``pos_0``, REB1-like (its PFM is JASPAR's REB1 MA0363.3, sharpened; seqlets
mostly in the 3' half of the variable region) with a significant REB1 match, and ``neg_0``,
an AT-rich repressor whose nearest JASPAR motifs all have q >= 0.05.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

REB1_Q = 2.1e-4
NEG_BEST = "AZF1"
NEG_BEST_Q = 0.31


def discovered_doc(model_checksum: str = "0" * 64, seed: int = 0) -> dict:
    """The document (plain JSON types) with two patterns."""
    from promoter_model.motifs.jaspar import find_motif

    rng = np.random.default_rng(seed)
    reb1 = find_motif("REB1").pfm
    sharp = reb1 ** 2 / (reb1 ** 2).sum(axis=1, keepdims=True)
    pos_pfm = np.vstack([np.full((2, 4), 0.25), sharp, np.full((2, 4), 0.25)])
    neg_pfm = np.array([[0.45, 0.05, 0.05, 0.45]] * 6 + [[0.7, 0.1, 0.1, 0.1]] * 2)
    patterns = []
    for name, sign, pfm, n, centre, effect in (("pos_0", "+", pos_pfm, 120, 70, 0.42),
                                                 ("neg_0", "-", neg_pfm, 45, 40, -0.18)):
        onehot_weight = pfm.max(axis=1, keepdims=True) * (pfm == pfm.max(axis=1,
                                                                           keepdims=True))
        cwm = (1 if sign == "+" else -1) * 0.05 * onehot_weight * (1 + np.arange(len(pfm))
                                                                   [:, None] % 3)
        starts = np.clip(rng.normal(centre, 12, n).round().astype(int), 17, 96 - len(pfm))
        strands = rng.choice(["+", "-"], n, p=[0.7, 0.3])
        patterns.append({
            "name": name, "sign": sign, "n_seqlets": n,
            "cwm": cwm.round(5).tolist(), "pfm": pfm.round(6).tolist(),
            "seqlet_starts": starts.tolist(), "seqlet_strands": strands.tolist(),
            "effect": effect, "effect_sd": abs(effect) / 3, "effect_method": "scramble",
            "matches": []})
    patterns[0]["matches"] = [
        {"rank": 1, "id": "MA0363.3", "name": "REB1", "p_value": 3e-7, "q_value": REB1_Q,
         "offset": 2, "orientation": "+"},
        {"rank": 2, "id": "MA0314.3", "name": "HAP3", "p_value": 0.02, "q_value": 0.4,
         "offset": 0, "orientation": "-"}]
    patterns[1]["matches"] = [
        {"rank": 1, "id": "MA0277.2", "name": NEG_BEST, "p_value": 0.004,
         "q_value": NEG_BEST_Q, "offset": 0, "orientation": "+"}]
    return {"format": "promoter-discovered-motifs", "version": 1,
            "model_checksum": model_checksum,
            "reference": {"name": "test fixture", "n": 200, "seed": seed, "sha256": "f" * 64},
            "method": "ism", "settings": {"window": 20, "flank": 5},
            "jaspar_release": "JASPAR2024", "seconds": 1.5, "patterns": patterns}


def write_discovered(run_dir, doc: dict | None = None) -> Path:
    """Write ``run_dir/motifs/discovered.json`` (current for the run's model) and return it."""
    from promoter_model.motifs.store import discovered_path, model_checksum

    doc = doc or discovered_doc(model_checksum(run_dir))
    path = discovered_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path
