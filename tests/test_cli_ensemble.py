"""The CLI on an ensemble folder.

Mean and sd columns are exact for two linear toys; a single run keeps today's columns. The
commands run in-process (``conftest.run_main``, the CLI's own ``main``); their subprocess
tests are in test_cli.py, test_cli_interpret.py and test_cli_hostile.py.
"""

import csv
import io
import json

import numpy as np
import pytest
from conftest import run_main
from toy_models import linear_ensemble

from promoter_model.sequence import one_hot


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    return linear_ensemble(tmp_path_factory.mktemp("cli_ens") / "two_linear")


def test_predict_and_ism_on_an_ensemble(ensemble, promoters, capsys):
    root, (W0, W1) = ensemble
    seqs = promoters[:3]
    p = run_main(capsys, "predict", root, seqs[0])
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0]) == ["id", "sequence", "prediction", "sd"]
    assert "no prediction interval is available" in p.stderr
    x = one_hot(seqs[:1])
    f0, f1 = (np.einsum("nlb,lb->n", x, W) + 0.5 for W in (W0, W1))
    assert float(rows[0]["prediction"]) == pytest.approx((f0 + f1)[0] / 2, abs=1e-3)
    assert float(rows[0]["sd"]) == pytest.approx(abs(f0 - f1)[0] / 2, abs=1e-3)

    p = run_main(capsys, "ism", root, seqs[0])
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0])[-8:] == ["A_sd", "C_sd", "G_sd", "T_sd", "A_disagree", "C_disagree",
                                  "G_disagree", "T_disagree"] and len(rows) == 110
    e0, e1 = (W - (W * x[0]).sum(axis=-1, keepdims=True) for W in (W0, W1))
    got_sd = np.array([[float(r[f"{b}_sd"]) for b in "ACGT"] for r in rows])
    got = np.array([[float(r[b]) for b in "ACGT"] for r in rows])
    np.testing.assert_allclose(got, (e0 + e1) / 2, atol=1e-3)
    np.testing.assert_allclose(got_sd, np.abs(e0 - e1) / 2, atol=1e-3)
    flags = np.array([[int(r[f"{b}_disagree"]) for b in "ACGT"] for r in rows], dtype=bool)
    # marked: members of opposite signs beyond the members' noise (the median sd over the
    # map, at least 0.01) where the mean effect is beyond it too (as on the Mutagenesis page)
    noise = max(np.median(np.abs(e0 - e1) / 2), 0.01)
    expected = ((((e0 > noise) & (e1 < -noise)) | ((e0 < -noise) & (e1 > noise)))
                & (np.abs(e0 + e1) / 2 > noise))
    np.testing.assert_array_equal(flags, expected)
    p = run_main(capsys, "ism", root, seqs[0], "--sign-tol", "0.01")  # a tolerance of one's own
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    flags = np.array([[int(r[f"{b}_disagree"]) for b in "ACGT"] for r in rows], dtype=bool)
    loose = ((((e0 > 0.01) & (e1 < -0.01)) | ((e0 < -0.01) & (e1 > 0.01)))
             & (np.abs(e0 + e1) / 2 > 0.01))
    np.testing.assert_array_equal(flags, loose)
    assert loose.any() and loose.sum() >= expected.sum()


def test_evaluate_save_on_an_ensemble_keeps_it_loadable(ensemble, promoters, tmp_path,
                                                        capsys):
    from promoter_model.predictor import load_predictor

    root, _ = ensemble
    table = tmp_path / "measured.csv"
    table.write_text("sequence,expression\n"
                     + "".join(f"{s},{i % 7}.0\n" for i, s in enumerate(promoters[:20])))
    p = run_main(capsys, "evaluate", root, table, "--save")
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    assert result["data"].startswith(str(table))
    pred = load_predictor(root)  # checksums renewed: still loads
    assert "file:measured.csv" in pred.metrics and pred.metrics["note"] == "none"


def test_motifs_refuses_an_ensemble(ensemble, capsys):
    root, _ = ensemble
    p = run_main(capsys, "motifs", root, "--max-sequences", "10")
    assert p.returncode == 2 and "member run" in p.stderr and "Traceback" not in p.stderr


def test_ism_on_a_calibrated_ensemble_writes_each_changes_interval(tmp_path, promoters,
                                                                   capsys):
    from toy_models import toy_pair_calibration

    from promoter_model.predictor import load_predictor

    root, _ = linear_ensemble(tmp_path / "cal", calibration=toy_pair_calibration())
    p = run_main(capsys, "ism", root, promoters[0])
    assert p.returncode == 0, p.stderr
    assert "calibrated on measured single-base pairs" in p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0])[-12:-4] == [f"{b}_{s}" for s in ("lower", "upper") for b in "ACGT"]
    pred = load_predictor(root)
    ref = pred.predict(one_hot(promoters[:1]))[0][0]
    for r in rows[20:25]:
        for b in "ACGT":
            if b == r["reference"]:
                assert r[f"{b}_lower"] == ""  # no change at the reference base
                continue
            lo, hi = pred.calibration.difference_interval(ref + float(r[b]), ref, 0.9,
                                                          mismatches=1)
            assert float(r[f"{b}_lower"]) == pytest.approx(float(lo), abs=1e-3)
            assert float(r[f"{b}_upper"]) == pytest.approx(float(hi), abs=1e-3)
