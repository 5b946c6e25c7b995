"""Finalising a cross-validated ensemble on a toy DREAM table with linear members of known
predictions: OOF rows come from the right member, the public rows are never calibrated on,
the reverse-complement decision follows the OOF data, every file is checksummed, the card's
numbers are the metrics' numbers, and a second run gives the same files.
"""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from conftest import random_promoters
from toy_models import linear_model

from promoter_model.crossval.finalize import (
    finalize_ensemble,
    pool_folds,
    store_public_predictions,
)
from promoter_model.metrics import dream_scores
from promoter_model.model.config import RunConfig
from promoter_model.predictor import load_predictor
from promoter_model.runs import RunError, save_run
from promoter_model.runs.ensemble import PUBLIC_FILE, stored_public_predictions
from promoter_model.sequence import encode_fitted, one_hot
from promoter_model.uncertainty.calibration import load_calibration

K = 3
N_POOL, N_PUBLIC = 600, 90


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A DREAM-format table (pool + public rows), its subsets, and K linear members."""
    root = tmp_path_factory.mktemp("build")
    rng = np.random.default_rng(0)
    seqs = random_promoters(N_POOL + N_PUBLIC, seed=11)
    seqs[0] = seqs[N_POOL]  # a pool row that is also a public sequence
    _, W_true, _ = linear_model(seed=0)
    W_true = W_true * 0.1
    X = one_hot(seqs)
    y = np.einsum("nlb,lb->n", X, W_true) + 0.5 + rng.normal(size=len(seqs)) * 0.3
    table = pd.DataFrame({"pos": np.arange(len(seqs)), "sequence": seqs, "expression": y,
                          "public_leaderboard": np.r_[np.zeros(N_POOL, int),
                                                     np.ones(N_PUBLIC, int)]})
    table.to_csv(root / "test.tsv", sep="\t", index=False)
    pub = np.arange(N_POOL, N_POOL + N_PUBLIC)
    pairs = np.stack([pub[:30], pub[30:60]], axis=1).tolist()
    subsets = {"all": pub.tolist(), "random": pub[:40].tolist(), "yeast": pub[40:].tolist(),
               "high": pub[:20].tolist(), "low": pub[20:40].tolist(),
               "challenging": pub[60:].tolist(), "SNVs": pairs, "motif_perturbation": pairs,
               "motif_tiling": pairs[:20]}
    (root / "subsets.json").write_text(json.dumps({"subsets": subsets}))
    out = root / "ens"
    weights = []
    for i in range(K):
        model, _, _ = linear_model(seed=0)
        W = W_true + rng.normal(size=W_true.shape).astype(np.float32) * 0.01
        model.get_layer("expression").set_weights([W.reshape(-1, 1),
                                                   np.array([0.5], np.float32)])
        save_run(out / "members" / f"fold-{i}", model, RunConfig(preset="custom", unit="toy"),
                 metrics={"build": {"training_seconds": 100.0 * (i + 1), "epochs": 3}})
        weights.append(W)
    metrics = finalize_ensemble(out, K, root / "test.tsv", root / "subsets.json",
                                n_bins=3, min_per_bin=100, cache=root / "cache", unit="toy")
    return {"root": root, "out": out, "table": table, "subsets": subsets, "W": weights,
            "X": X, "metrics": metrics}


def test_oof_predictions_come_from_the_member_that_held_the_fold_out(toy):
    oof = pd.read_csv(toy["out"] / "oof.tsv.gz", sep="\t")
    assert list(oof.columns) == ["pos", "sequence_hash", "fold", "measured", "prediction",
                                 "calibrated"]
    assert len(oof) == N_POOL and set(oof["fold"]) == set(range(K))
    codes = encode_fitted(toy["table"]["sequence"].tolist()[:N_POOL])[0]
    np.testing.assert_array_equal(oof["fold"], pool_folds(codes, K))
    assert not toy["metrics"]["rc_average"]["used"]  # forward-strand linear truth
    for i in range(K):
        rows = oof["fold"].to_numpy() == i
        exact = np.einsum("nlb,lb->n", toy["X"][:N_POOL][rows], toy["W"][i]) + 0.5
        np.testing.assert_allclose(oof["prediction"][rows], exact, atol=1e-4)
    # the pool row that repeats a public sequence is never calibrated on
    assert oof["calibrated"].tolist() == [0] + [1] * (N_POOL - 1)
    assert toy["metrics"]["build"]["n_excluded"] == 1
    assert toy["metrics"]["oof"]["n"] == N_POOL - 1
    cal = load_calibration(toy["out"] / "calibration.json")
    assert cal.info["n"] == N_POOL - 1 and cal.n_bins == 3


def test_public_scores_and_interval_coverage_are_recomputable(toy):
    pred = load_predictor(toy["out"])
    assert pred.is_ensemble and pred.calibration is not None and not pred.rc_average
    t = toy["table"]
    public = t["public_leaderboard"].to_numpy() == 1
    iv = pred.interval(toy["X"][public], level=0.9)
    full = np.full(len(t), np.nan)
    full[public] = iv.mean
    expect = dream_scores(t["expression"].to_numpy(), full, toy["subsets"])
    m = toy["metrics"]
    assert m["dream_public_leaderboard"]["pearson_score"] == pytest.approx(
        expect["pearson_score"], abs=1e-5)
    y = t["expression"].to_numpy()[public]
    cov = np.mean((y >= iv.lower) & (y <= iv.upper))
    assert m["interval"]["all"]["coverage"] == pytest.approx(cov)
    assert m["interval"]["all"]["coverage"] > 0.75  # 90% nominal on 90 rows
    assert set(m["members"]) == {f"fold-{i}" for i in range(K)}
    for name, mm in m["members"].items():
        assert "pearson_r2_SNVs" in mm["dream_public_leaderboard"]
        assert mm["build"]["epochs"] == 3
    assert 0 <= m["interval"]["SNVs"]["coverage"] <= 1
    assert "spread_coverage" in m["interval"]["SNVs"]


def test_the_public_predictions_are_stored_with_their_spread(toy):
    """``public.tsv.gz`` holds what the public scores were computed from."""
    pred = load_predictor(toy["out"])
    t = toy["table"]
    public = t["public_leaderboard"].to_numpy() == 1
    stored = stored_public_predictions(toy["out"])
    assert list(stored["pos"]) == list(t["pos"][public])
    np.testing.assert_allclose(stored["measured"], t["expression"][public], atol=1e-6)
    mean, sd = pred.predict(toy["X"][public])
    np.testing.assert_allclose(stored["prediction"], mean, atol=1e-5)
    np.testing.assert_allclose(stored["sd"], sd, atol=1e-5)
    assert stored["sd"].min() > 0  # the members differ
    full = np.full(len(t), np.nan)
    full[public] = stored["prediction"]
    assert dream_scores(t["expression"].to_numpy(), full, toy["subsets"])["pearson_score"] \
        == pytest.approx(toy["metrics"]["dream_public_leaderboard"]["pearson_score"], abs=1e-5)
    assert stored_public_predictions(toy["out"] / "members" / "fold-0") is None  # one run


def test_an_older_ensemble_gains_the_stored_predictions(toy, tmp_path, monkeypatch):
    import shutil

    def without_public(folder):
        (folder / PUBLIC_FILE).unlink()
        sums = json.loads((folder / "checksums.json").read_text())
        del sums[PUBLIC_FILE]
        (folder / "checksums.json").write_text(json.dumps(sums))

    old = tmp_path / "old"
    shutil.copytree(toy["out"], old)
    without_public(old)
    assert stored_public_predictions(old) is None
    said = []
    store_public_predictions(old, toy["root"] / "test.tsv", progress=said.append)
    assert (old / PUBLIC_FILE).read_bytes() == (toy["out"] / PUBLIC_FILE).read_bytes()
    assert json.loads((old / "checksums.json").read_text()) == json.loads(
        (toy["out"] / "checksums.json").read_text())
    assert "90 public rows through 3 members" in said[0]
    (old / PUBLIC_FILE).write_bytes(gzip.compress(b"pos\tmeasured\tprediction\tsd\n1\t0\t0\t0\n"))
    with pytest.raises(RunError, match="public.tsv.gz does not match its checksum"):
        stored_public_predictions(old)
    # a file that matches its checksum but decompresses past the cap is refused, unread
    from promoter_model.runs import ensemble as predictor

    monkeypatch.setattr(predictor, "PUBLIC_MAX_BYTES", 1000)
    without_public(old)
    store_public_predictions(old, toy["root"] / "test.tsv")
    with pytest.raises(RunError, match="cannot be read.*over 1,000 bytes decompressed"):
        stored_public_predictions(old)


def test_card_reports_the_computed_numbers(toy):
    card = (toy["out"] / "MODEL_CARD.md").read_text()
    m = toy["metrics"]
    assert f"{m['interval']['all']['coverage']:.3f}" in card
    assert f"{m['dream_public_leaderboard']['pearson_score']:.3f}" in card
    assert "is not used" in card and "Bonferroni" in card
    assert "Native promoters" in card and "Far from the training distribution" in card
    assert "0.1 h (300 s)" in card  # member 2's training time, from its metrics.json


def test_files_are_checksummed_and_a_rerun_is_identical(toy):
    out = toy["out"]
    sums = json.loads((out / "checksums.json").read_text())
    assert {"calibration.json", "oof.tsv.gz", "metrics.json", "MODEL_CARD.md",
            "ensemble.json", PUBLIC_FILE} <= set(sums)
    finalize_ensemble(out, K, toy["root"] / "test.tsv", toy["root"] / "subsets.json",
                      n_bins=3, min_per_bin=100, cache=toy["root"] / "cache", unit="toy")
    assert json.loads((out / "checksums.json").read_text()) == sums
    data = gzip.decompress((out / "oof.tsv.gz").read_bytes())
    (out / "oof.tsv.gz").write_bytes(gzip.compress(data.replace(b"\t1\n", b"\t0\n", 1)))
    try:
        with pytest.raises(RunError, match="oof.tsv.gz does not match"):
            load_predictor(out)
    finally:
        finalize_ensemble(out, K, toy["root"] / "test.tsv", toy["root"] / "subsets.json",
                          n_bins=3, min_per_bin=100, cache=toy["root"] / "cache", unit="toy")
    load_predictor(out)


def test_missing_member_is_named(toy, tmp_path):
    with pytest.raises(ValueError, match="incomplete members: fold-0"):
        finalize_ensemble(tmp_path, 2, toy["root"] / "test.tsv", toy["root"] / "subsets.json")


def test_script_finalises_only_when_every_member_is_there(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_ensemble.py"
    p = subprocess.run([sys.executable, str(script), "--finalize-only", "--out",
                        str(tmp_path / "ens"), "--work", str(tmp_path / "work")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "not finalised: member(s) 0, 1, 2, 3, 4 of 5 still to train" in p.stdout
    assert not (tmp_path / "ens" / "ensemble.json").exists()


@pytest.mark.slow
def test_script_prepares_the_folds_only(tmp_path):
    """``--prepare-only``: the k folds' data (to copy to a machine without TensorFlow)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_ensemble.py"
    p = subprocess.run([sys.executable, str(script), "--prepare-only", "--k", "2", "--out",
                        str(tmp_path / "ens"), "--work", str(tmp_path / "work")],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "prepared 2 folds" in p.stdout
    manifests = [json.loads((tmp_path / "work" / f"data-fold{i}" / "manifest.json")
                            .read_text()) for i in range(2)]
    assert [m["settings"]["fold"] for m in manifests] == [[0, 2], [1, 2]]
    val = [m["splits"]["val"]["count"] for m in manifests]
    train = [m["splits"]["train"]["count"] for m in manifests]
    assert val[0] + val[1] == train[0] + val[0] == 62_058  # the folds partition the pool
    assert all(m["splits"]["test"]["count"] == 9_045 for m in manifests)
    assert not (tmp_path / "ens" / "members").exists()  # nothing trained
