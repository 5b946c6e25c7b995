"""Prediction intervals through the CLI: a calibrated toy ensemble writes ``sd, lower,
upper`` at the requested level (the first ``predict`` as a subprocess, as a user runs it; the
rest in-process through the CLI's ``main``), a single run says no interval is available, a
bad ``--interval`` is one line with exit status 2, and ``evaluate`` reports coverage per
DREAM subset and for alt - ref differences.
"""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from conftest import random_promoters, run_cli, run_main
from toy_models import linear_ensemble, toy_calibration

from promoter_model.sequence import one_hot
from promoter_model.uncertainty.calibration import load_calibration


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    return linear_ensemble(tmp_path_factory.mktemp("cal_ens") / "ens",
                           calibration=toy_calibration())


def rows_of(p):
    assert p.returncode == 0, p.stderr
    return list(csv.DictReader(io.StringIO(p.stdout)))


@pytest.mark.slow
def test_predict_writes_the_interval_at_the_requested_level(calibrated, promoters, capsys):
    root, (W0, W1) = calibrated
    cal = load_calibration(root / "calibration.json")
    p = run_cli("predict", root, promoters[0])
    rows = rows_of(p)
    assert list(rows[0]) == ["id", "sequence", "prediction", "sd", "lower", "upper"]
    assert "90% conformal interval" in p.stderr
    x = one_hot(promoters[:1])
    f0, f1 = (np.einsum("nlb,lb->n", x, W) + 0.5 for W in (W0, W1))
    mean = float((f0 + f1)[0] / 2)
    r = rows[0]
    assert float(r["prediction"]) == pytest.approx(mean, abs=1e-3)
    assert float(r["sd"]) == pytest.approx(abs(f0 - f1)[0] / 2, abs=1e-3)
    w90 = float(cal.half_width([mean], 0.9)[0])
    assert w90 == pytest.approx(1.645 * 0.5, rel=0.15)
    assert float(r["lower"]) == pytest.approx(mean - w90, abs=1e-3)
    assert float(r["upper"]) == pytest.approx(mean + w90, abs=1e-3)
    narrow = rows_of(run_main(capsys, "predict", root, promoters[0], "--interval", "0.5"))[0]
    assert float(narrow["upper"]) - float(narrow["lower"]) < 2 * w90 * 0.6


@pytest.mark.parametrize("level", ["1.5", "0", "1", "abc", "nan"])
def test_bad_interval_level_is_one_line_exit_2(calibrated, level, capsys):
    root, _ = calibrated
    p = run_main(capsys, "predict", root, "ACGT", "--interval", level)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    line = p.stderr.strip()
    assert "\n" not in line and line.startswith("error: --interval:")
    assert "between 0 and 1" in line or "not a number" in line


def test_single_run_has_no_interval(calibrated, promoters, capsys):
    root, _ = calibrated
    p = run_main(capsys, "predict", root / "members" / "fold-0", promoters[0])
    rows = rows_of(p)
    assert list(rows[0]) == ["id", "sequence", "prediction"]
    assert "no prediction interval is available" in p.stderr


def test_evaluate_reports_coverage_per_subset_and_for_differences(calibrated, tmp_path,
                                                                  capsys):
    root, (W0, W1) = calibrated
    seqs = random_promoters(80, seed=5)
    X = one_hot(seqs)
    mean = (np.einsum("nlb,lb->n", X, W0) + np.einsum("nlb,lb->n", X, W1)) / 2 + 0.5
    rng = np.random.default_rng(0)
    y = mean + rng.normal(size=len(seqs)) * 0.5
    public = np.arange(80) >= 20
    pd.DataFrame({"pos": np.arange(80), "sequence": seqs, "expression": y,
                  "public_leaderboard": public.astype(int)}).to_csv(
        tmp_path / "test.tsv", sep="\t", index=False)
    pub = np.flatnonzero(public)
    pairs = np.stack([pub[:30], pub[30:]], axis=1).tolist()
    subsets = {"all": pub.tolist(), "yeast": pub[:30].tolist(), "SNVs": pairs}
    (tmp_path / "subsets.json").write_text(json.dumps({"subsets": subsets}))
    p = run_main(capsys, "evaluate", root, tmp_path / "test.tsv", "--subsets",
                 tmp_path / "subsets.json")
    assert p.returncode == 0, p.stderr
    iv = json.loads(p.stdout)["interval"]
    cal = load_calibration(root / "calibration.json")
    lo, hi = cal.interval(mean[pub], 0.9)
    assert iv["level"] == 0.9 and iv["all"]["n"] == 60
    assert iv["all"]["coverage"] == pytest.approx(np.mean((y[pub] >= lo) & (y[pub] <= hi)),
                                                  abs=1e-9)
    assert iv["all"]["mean_width"] == pytest.approx(np.mean(hi - lo), abs=1e-3)
    a, r = np.array(pairs).T
    dlo, dhi = cal.difference_interval(mean[a], mean[r], 0.9)
    d = y[a] - y[r]
    assert iv["SNVs"]["n"] == 30
    assert iv["SNVs"]["coverage"] == pytest.approx(np.mean((d >= dlo) & (d <= dhi)))
    assert "spread_coverage" in iv["SNVs"] and "yeast" in iv
    # a plain table with expression: one coverage over its rows, at the level asked
    table = tmp_path / "measured.csv"
    pd.DataFrame({"sequence": seqs, "expression": y}).to_csv(table, index=False)
    p = run_main(capsys, "evaluate", root, table, "--interval", "0.5")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)["interval"]
    assert res["level"] == 0.5 and res["n"] == 80 and 0.2 < res["coverage"] < 0.8
    # a single run: no coverage, and it says so
    p = run_main(capsys, "evaluate", root / "members" / "fold-0", table)
    assert p.returncode == 0 and "interval" not in json.loads(p.stdout)
    assert "no prediction interval is available" in p.stderr


def test_a_family_split_ensemble_is_evaluated_on_its_test_families(tmp_path, capsys):
    """On the DREAM table, a family-split ensemble is scored on its held-out test families
    only (its other rows, public ones included, share families with its training rows):
    the numbers its finalisation stored in ``test.tsv.gz``, and ``--save`` keeps them under
    ``test_families``.
    """
    from family_fixture import build_family_ensemble

    from promoter_model.metrics import regression_metrics
    from promoter_model.runs import stored_test_predictions

    ens = build_family_ensemble(tmp_path)
    table = tmp_path / "family_toy_test.tsv"
    df = pd.read_csv(table, sep="\t")
    df["public_leaderboard"] = 1  # every row "public": still only the test families count
    df.to_csv(table, sep="\t", index=False)
    stored = stored_test_predictions(ens)
    p = run_main(capsys, "evaluate", ens, table, "--save")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    want = regression_metrics(stored["measured"], stored["prediction"])
    assert out["n"] == len(stored) < len(df)
    assert out["pearson_r"] == pytest.approx(want["pearson_r"], abs=1e-5)
    assert out["data"].startswith("held-out test families of family_toy_test.tsv")
    iv = out["interval"]
    assert iv["all"]["n"] == len(stored)
    assert iv["all"]["coverage"] == pytest.approx(np.mean(
        (stored["measured"] >= stored["lower"]) & (stored["measured"] <= stored["upper"])),
        abs=1e-9)
    saved = json.loads((ens / "metrics.json").read_text())["test_families"]
    assert saved["n"] == len(stored) and "dream_public_leaderboard" not in json.loads(
        (ens / "metrics.json").read_text())
