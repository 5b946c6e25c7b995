"""A toy family-split ensemble for the dashboard tests: linear members finalised by
:func:`promoter_model.crossval.finalize_ensemble`, so it has what a family-split ensemble
has (``metrics.json`` with ``test_families`` and ``interval.by_distance``, ``test.tsv.gz``,
``novelty.npy``, ``calibration.json``), built in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

K = 3
N_FAMILIES, PER_FAMILY = 60, 10


def toy_sequences(seed: int = 0) -> list:
    """Families of a parent and 9 single-base variants, plus random singletons."""
    from tests.conftest import random_promoters

    rng = np.random.default_rng(seed)
    seqs = []
    for parent in random_promoters(N_FAMILIES, seed=11):
        seqs.append(parent)
        for pos in rng.choice(np.arange(17, 97), size=PER_FAMILY - 1, replace=False):
            base = "ACGT"[("ACGT".index(parent[pos]) + 1) % 4]
            seqs.append(parent[:pos] + base + parent[pos + 1:])
    return seqs + random_promoters(60, seed=12)


def build_family_ensemble(root: Path, name: str = "family_toy") -> Path:
    """Write a finalised family-split ensemble of ``K`` linear members under ``root/name``."""
    from promoter_model.crossval.finalize import finalize_ensemble
    from promoter_model.families.group import group_families
    from promoter_model.families.split import family_folds, hold_out_families
    from promoter_model.model.config import RunConfig
    from promoter_model.runs import save_run
    from promoter_model.sequence import one_hot
    from tests.toy_models import linear_model

    root = Path(root)
    rng = np.random.default_rng(0)
    seqs = toy_sequences()
    _, W_true, _ = linear_model(seed=0)
    W_true = W_true * 0.1
    y = np.einsum("nlb,lb->n", one_hot(seqs), W_true) + 0.5 + rng.normal(size=len(seqs)) * 0.05
    table = pd.DataFrame({"pos": np.arange(len(seqs)), "sequence": seqs, "expression": y,
                          "public_leaderboard": 0})
    table.to_csv(root / f"{name}_test.tsv", sep="\t", index=False)
    label = group_families(seqs).label
    test = hold_out_families(label, {"all": np.ones(len(seqs), bool)}, 0.25, seed=0,
                             max_family_share=0.05)
    folds = family_folds(label, K, seed=0, exclude=test)
    out = root / name
    out.mkdir(parents=True)
    pd.DataFrame({"pos": table["pos"], "family": label,
                  "fold": np.where(test, "test", folds.astype(str))}).to_csv(
        out / "split.tsv.gz", sep="\t", index=False)
    rows = np.arange(len(seqs))
    parents = np.arange(0, N_FAMILIES * PER_FAMILY, PER_FAMILY)
    snv = np.stack([parents.repeat(PER_FAMILY - 1),
                    (parents[:, None] + np.arange(1, PER_FAMILY)).ravel()], axis=1)[:, ::-1]
    subsets = {"all": rows, "random": rows[0::5], "yeast": rows[1::5], "high": rows[2::5],
               "low": rows[3::5], "challenging": rows[4::5], "SNVs": snv,
               "motif_perturbation": snv[0::2], "motif_tiling": snv[1::2]}
    for i in range(K):
        model, _, _ = linear_model(seed=0)
        W = W_true + rng.normal(size=W_true.shape).astype(np.float32) * 0.01
        model.get_layer("expression").set_weights([W.reshape(-1, 1),
                                                   np.array([0.5], np.float32)])
        save_run(out / "members" / f"fold-{i}", model, RunConfig(preset="custom", unit="toy"),
                 metrics={"build": {"training_seconds": 100.0 * (i + 1), "epochs": 3}})
    finalize_ensemble(out, K, root / f"{name}_test.tsv", n_bins=3, min_per_bin=100,
                      cache=root / f"{name}_cache", unit="toy", subsets=subsets, min_pairs=50)
    return out
