"""Finalising a family-split cross-validated ensemble on a toy table with linear members of
known predictions: OOF rows come from the member selected on their fold, the test families
are never calibrated on, pair differences are calibrated on OOF near pairs, every file is
checksummed, the card's numbers are the metrics' numbers, and a rerun gives the same files.
"""

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from conftest import random_promoters
from toy_models import linear_model

from promoter_model.crossval.finalize import finalize_ensemble
from promoter_model.families.group import group_families
from promoter_model.families.split import family_folds, hold_out_families
from promoter_model.metrics import dream_scores
from promoter_model.model.config import RunConfig
from promoter_model.predictor import load_predictor
from promoter_model.runs import RunError, save_run
from promoter_model.runs.ensemble import (
    read_novelty_index,
    read_split,
    stored_test_predictions,
)
from promoter_model.sequence import one_hot
from promoter_model.uncertainty.calibration import load_calibration

K = 3
N_FAMILIES, PER_FAMILY = 60, 10


def _toy_table(seed=0):
    """Families of a parent and 9 single-base variants, plus random singletons."""
    rng = np.random.default_rng(seed)
    parents = random_promoters(N_FAMILIES, seed=11)
    seqs = []
    for parent in parents:
        seqs.append(parent)
        for pos in rng.choice(np.arange(17, 97), size=PER_FAMILY - 1, replace=False):
            base = "ACGT"[("ACGT".index(parent[pos]) + 1) % 4]
            seqs.append(parent[:pos] + base + parent[pos + 1:])
    seqs += random_promoters(60, seed=12)
    return seqs


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A toy test table, its family split and subsets, and K linear members."""
    root = tmp_path_factory.mktemp("build")
    rng = np.random.default_rng(0)
    seqs = _toy_table()
    _, W_true, _ = linear_model(seed=0)
    W_true = W_true * 0.1
    X = one_hot(seqs)
    y = np.einsum("nlb,lb->n", X, W_true) + 0.5 + rng.normal(size=len(seqs)) * 0.05
    table = pd.DataFrame({"pos": np.arange(len(seqs)), "sequence": seqs, "expression": y,
                          "public_leaderboard": 0})
    table.to_csv(root / "test.tsv", sep="\t", index=False)
    label = group_families(seqs).label
    test = hold_out_families(label, {"all": np.ones(len(seqs), bool)}, 0.25, seed=0,
                             max_family_share=0.05)
    folds = family_folds(label, K, seed=0, exclude=test)
    split = pd.DataFrame({"pos": table["pos"], "family": label,
                          "fold": np.where(test, "test", folds.astype(str))})
    out = root / "ens"
    out.mkdir()
    split.to_csv(out / "split.tsv.gz", sep="\t", index=False)
    singles = np.arange(len(seqs))
    parents = np.arange(0, N_FAMILIES * PER_FAMILY, PER_FAMILY)
    snv = np.stack([parents.repeat(PER_FAMILY - 1),
                    (parents[:, None] + np.arange(1, PER_FAMILY)).ravel()], axis=1)[:, ::-1]
    subsets = {"all": singles, "random": singles[0::5], "yeast": singles[1::5],
               "high": singles[2::5], "low": singles[3::5], "challenging": singles[4::5],
               "SNVs": snv, "motif_perturbation": snv[0::2], "motif_tiling": snv[1::2]}
    weights = []
    for i in range(K):
        model, _, _ = linear_model(seed=0)
        W = W_true + rng.normal(size=W_true.shape).astype(np.float32) * 0.01
        model.get_layer("expression").set_weights([W.reshape(-1, 1),
                                                   np.array([0.5], np.float32)])
        save_run(out / "members" / f"fold-{i}", model, RunConfig(preset="custom", unit="toy"),
                 metrics={"build": {"training_seconds": 100.0 * (i + 1), "epochs": 3}})
        weights.append(W)
    kwargs = dict(n_bins=3, min_per_bin=100, cache=root / "cache", unit="toy",
                  subsets=subsets, min_pairs=50)
    metrics = finalize_ensemble(out, K, root / "test.tsv", **kwargs)
    return {"root": root, "out": out, "table": table, "subsets": subsets, "W": weights,
            "X": X, "metrics": metrics, "split": split, "kwargs": kwargs}


def test_oof_predictions_come_from_the_member_selected_on_the_fold(toy):
    oof = pd.read_csv(toy["out"] / "oof.tsv.gz", sep="\t", dtype={"fold": str})
    assert list(oof.columns) == ["pos", "family", "fold", "measured", "prediction"]
    pool = toy["split"]["fold"].to_numpy() != "test"
    assert len(oof) == pool.sum() and set(oof["fold"]) == {str(i) for i in range(K)}
    assert not toy["metrics"]["rc_average"]["used"]  # forward-strand linear truth
    for i in range(K):
        rows = oof["fold"].to_numpy() == str(i)
        X = toy["X"][oof["pos"].to_numpy()[rows]]
        exact = np.einsum("nlb,lb->n", X, toy["W"][i]) + 0.5
        np.testing.assert_allclose(oof["prediction"][rows], exact, atol=1e-4)
    cal = load_calibration(toy["out"] / "calibration.json")
    assert cal.info["n"] == pool.sum() and cal.info["split"] == "family"
    # pairs 1 and 2 bases apart, both rows in one fold, calibrate the differences
    assert cal.differences.mismatches.tolist() == [1, 2]
    assert read_split(toy["out"]).equals(toy["split"].astype({"fold": str}))


def test_test_family_scores_and_coverage_are_recomputable(toy):
    pred = load_predictor(toy["out"])
    assert pred.is_ensemble and pred.calibration is not None and not pred.rc_average
    stored = stored_test_predictions(toy["out"])
    test = toy["split"]["fold"].to_numpy() == "test"
    assert list(stored["pos"]) == list(np.flatnonzero(test))
    mean, sd = pred.predict(toy["X"][test])
    np.testing.assert_allclose(stored["prediction"], mean, atol=1e-5)
    np.testing.assert_allclose(stored["sd"], sd, atol=1e-5)
    y = toy["table"]["expression"].to_numpy()
    full = np.full(len(y), np.nan)
    full[test] = stored["prediction"]
    from promoter_model.families.dream import split_subsets

    expect = dream_scores(y, full, split_subsets(toy["subsets"], test))
    m = toy["metrics"]
    assert m["test_families"]["pearson_score"] == pytest.approx(expect["pearson_score"],
                                                                abs=1e-5)
    cov = np.mean((y[test] >= stored["lower"]) & (y[test] <= stored["upper"]))
    assert m["interval"]["all"]["coverage"] == pytest.approx(cov)
    snv = m["interval"]["SNVs"]
    assert snv["pair_calibrated"] == snv["n"] > 0
    assert snv["mean_width"] < snv["bonferroni_mean_width"]
    assert set(m["members"]) == {f"fold-{i}" for i in range(K)}
    for mm in m["members"].values():
        assert "pearson_r2_SNVs" in mm["test_families"] and mm["build"]["epochs"] == 3
    # the test families are far from every pool row (random parents)
    assert stored["nearest_train_mismatches"].min() > 10
    assert m["interval"]["novel"]["n"] == test.sum()
    assert m["split"]["method"] == "family"
    # each member's own metrics name the family fold it was selected on (its data came
    # from files, so prepare could not say), and its checksums still hold
    from promoter_model.runs import check_run
    from promoter_model.runs.run import read_metrics

    fold = toy["split"]["fold"].to_numpy()
    for i in range(K):
        member = toy["out"] / "members" / f"fold-{i}"
        rec = read_metrics(member)["split"]
        assert rec["method"] == "family" and rec["fold"] == i and rec["k"] == K
        assert rec["rows"]["validation"] == (fold == str(i)).sum()
        assert rec["rows"]["test"] == (fold == "test").sum()
        check_run(member)
    designed = np.isin(np.flatnonzero(test), np.r_[toy["subsets"]["high"],
                                                  toy["subsets"]["low"],
                                                  toy["subsets"]["challenging"]])
    assert m["interval"]["designed"]["n"] == designed.sum()


def test_the_novelty_index_holds_the_pool(toy):
    packed = read_novelty_index(toy["out"])
    pool = toy["split"]["fold"].to_numpy() != "test"
    assert packed.shape == (pool.sum(), 20)
    from promoter_model.families.novelty import NoveltyIndex

    dist, row = NoveltyIndex(packed).nearest(toy["table"]["sequence"][pool].tolist()[:5])
    assert dist.tolist() == [0] * 5 and row.tolist() == list(range(5))


def test_a_split_with_a_family_on_two_sides_is_refused(toy, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(toy["out"], bad)
    split = toy["split"].copy()
    fam0 = split.index[split["family"] == split["family"].iloc[0]]
    split.loc[fam0[0], "fold"] = "test" if split.loc[fam0[1], "fold"] != "test" else "0"
    split.to_csv(bad / "split.tsv.gz", sep="\t", index=False)
    with pytest.raises(ValueError, match="more than one side"):
        finalize_ensemble(bad, K, toy["root"] / "test.tsv", **toy["kwargs"])


def test_card_reports_the_computed_numbers(toy):
    card = (toy["out"] / "MODEL_CARD.md").read_text()
    m = toy["metrics"]
    assert f"{m['interval']['all']['coverage']:.3f}" in card
    assert f"{m['test_families']['pearson_score']:.3f}" in card
    assert "is not used" in card and "Bonferroni" in card and "In plain words" in card
    assert "not leaderboard numbers" in card
    assert "Native promoters" in card and "Far from the training distribution" in card
    assert "0.1 h (300 s)" in card  # member 2's training time, from its metrics.json


def test_files_are_checksummed_and_a_rerun_is_identical(toy):
    out = toy["out"]
    sums = json.loads((out / "checksums.json").read_text())
    assert {"calibration.json", "oof.tsv.gz", "metrics.json", "MODEL_CARD.md",
            "ensemble.json", "split.tsv.gz", "test.tsv.gz", "novelty.npy"} <= set(sums)
    finalize_ensemble(out, K, toy["root"] / "test.tsv", **toy["kwargs"])
    assert json.loads((out / "checksums.json").read_text()) == sums
    data = gzip.decompress((out / "oof.tsv.gz").read_bytes())
    (out / "oof.tsv.gz").write_bytes(gzip.compress(data.replace(b"\t0\t", b"\t1\t", 1)))
    try:
        with pytest.raises(RunError, match="oof.tsv.gz does not match"):
            load_predictor(out)
    finally:
        finalize_ensemble(out, K, toy["root"] / "test.tsv", **toy["kwargs"])
    load_predictor(out)


def test_missing_member_is_named(toy, tmp_path):
    with pytest.raises(ValueError, match="incomplete members: fold-0"):
        finalize_ensemble(tmp_path, 2, toy["root"] / "test.tsv")


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
    assert all(m["settings"]["val_from_input"] for m in manifests)
    val = [m["splits"]["val"]["count"] for m in manifests]
    train = [m["splits"]["train"]["count"] for m in manifests]
    split = pd.read_csv(tmp_path / "ens" / "split.tsv.gz", sep="\t", dtype={"fold": str})
    n_test = int((split["fold"] == "test").sum())
    assert val[0] + val[1] == train[0] + val[0] == len(split) - n_test  # folds partition
    assert all(m["splits"]["test"]["count"] == n_test for m in manifests)
    assert not (tmp_path / "ens" / "members").exists()  # nothing trained


def test_the_loaded_ensemble_knows_how_far_a_sequence_is_from_training(toy):
    pred = load_predictor(toy["out"])
    seqs = toy["table"]["sequence"].tolist()
    pool = np.flatnonzero(toy["split"]["fold"].to_numpy() != "test")
    test = np.flatnonzero(toy["split"]["fold"].to_numpy() == "test")
    member = seqs[pool[0]]
    mutant = member[:50] + ("A" if member[50] != "A" else "C") + member[51:]
    dist, nearest = pred.nearest_training([member, mutant, seqs[test[0]]])
    assert dist[:2].tolist() == [0, 1] and dist[2] > 10
    assert nearest[0] == member[17:97] == nearest[1]
    run = load_predictor(toy["out"] / "members" / "fold-0")
    assert run.nearest_training([member]) == (None, None)


def test_predict_writes_each_sequences_distance_to_training(toy, tmp_path, capsys):
    import csv
    import io

    from conftest import run_main

    seqs = toy["table"]["sequence"].tolist()
    pool = np.flatnonzero(toy["split"]["fold"].to_numpy() != "test")
    fasta = tmp_path / "in.fa"
    fasta.write_text(f">seen\n{seqs[pool[0]]}\n>new\n{random_promoters(1, seed=99)[0]}\n")
    p = run_main(capsys, "predict", toy["out"], fasta)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [int(r["nearest_train_mismatches"]) for r in rows][0] == 0
    assert int(rows[1]["nearest_train_mismatches"]) > 10
    assert "1 of 2 sequences are new to the model" in p.stderr


def test_a_member_is_trained_by_one_process_at_a_time(tmp_path):
    """``make_demo_ensemble.claim_member``: a member another process holds is skipped; the
    lock goes with its holder (closed, or the process ended), and members are independent.
    """
    import importlib.util
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_ensemble.py"
    spec = importlib.util.spec_from_file_location("make_demo_ensemble_under_test", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    held = script.claim_member(tmp_path, 0)
    assert held is not None and script.claim_member(tmp_path, 0) is None
    other = script.claim_member(tmp_path, 1)
    assert other is not None
    held.close()
    again = script.claim_member(tmp_path, 0)
    assert again is not None
    again.close()
    other.close()
    # a process that holds the lock and is killed releases it
    child = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(tmp_path / "members" / "fold-2.lock")], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    assert script.claim_member(tmp_path, 2) is None
    child.kill()
    child.wait()
    assert script.claim_member(tmp_path, 2) is not None
