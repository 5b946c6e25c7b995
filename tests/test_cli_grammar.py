"""``promoter-model grammar position|spacing|marginalize|epistasis|necessity`` on a toy ensemble.

Two linear members with a toy calibration (:func:`toy_models.linear_ensemble`), a few
backgrounds. Two tests run the real command in a subprocess (the happy path and a refused
input); the rest call ``promoter_model.cli.main`` in-process (same parser and error
handling, without paying the TensorFlow start-up for each command).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_cli
from toy_models import linear_ensemble, promoter_with_site, toy_calibration

from promoter_model.grammar import marginalize, position_scan


@pytest.fixture(scope="module")
def ens(tmp_path_factory):
    root, _ = linear_ensemble(tmp_path_factory.mktemp("grammar") / "ens",
                              calibration=toy_calibration())
    return root


def run_main(capsys, *args):
    from promoter_model.cli import main

    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.slow
def test_position_subprocess_writes_the_table_unchanged(ens, tmp_path):
    out = tmp_path / "position.csv"
    r = run_cli("grammar", "position", ens, "--motif", "REB1", "--backgrounds", 4,
                "--seed", 3, "--output", out)
    assert r.returncode == 0, r.stderr
    assert "REB1 (MA0363.3), over 4 backgrounds (shuffle, seed 3), 2 members" in r.stderr
    df = pd.read_csv(out)
    expected = position_scan(ens, "REB1", n_backgrounds=4, seed=3)
    assert list(df.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(df, expected.reset_index(drop=True), check_dtype=False,
                                  atol=1e-5)


@pytest.mark.slow
def test_bad_input_subprocess_is_one_line_exit_2(ens):
    r = run_cli("grammar", "position", ens, "--motif", "REB1", "--backgrounds", 5000)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "error: --backgrounds must be between 1 and 1000, got 5000")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_marginalize_matches_the_function(ens, capsys):
    status, out, err = run_main(capsys, "grammar", "marginalize", ens, "--motif", "REB1",
                                "--motif", "TATAAA", "--backgrounds", 3)
    assert status == 0, err
    df = pd.read_csv(pd.io.common.StringIO(out))
    expected = marginalize(ens, ["REB1", "TATAAA"], n_backgrounds=3)
    assert list(df["motif"]) == ["REB1 (MA0363.3)", "TATAAA"]
    assert df["effect"].to_numpy() == pytest.approx(expected["effect"].to_numpy(), abs=1e-5)
    assert "over 3 backgrounds" in err


def test_spacing_to_file(ens, tmp_path, capsys):
    out = tmp_path / "spacing.csv"
    status, _, err = run_main(capsys, "grammar", "spacing", ens, "--motif", "REB1",
                              "--motif", "TATAAA", "--backgrounds", 2, "--max-spacing", 3,
                              "-o", out)
    assert status == 0, err
    df = pd.read_csv(out)
    assert set(df["orientation"]) == {"++", "+-", "-+", "--"}
    assert sorted(set(df["spacing"])) == [0, 1, 2, 3]
    # a linear model has no interaction
    assert df["interaction"].abs().max() < 1e-4


def test_epistasis_window_and_mutations(ens, capsys):
    seq = promoter_with_site()
    status, out, err = run_main(capsys, "grammar", "epistasis", ens, seq,
                                "--window", 30, 34)
    assert status == 0, err
    df = pd.read_csv(pd.io.common.StringIO(out))
    assert len(df) == 6 and df["position_a"].min() == 30 and df["position_b"].max() == 33
    base = seq[39]
    alt = "A" if base != "A" else "C"
    alt2 = "A" if seq[40] != "A" else "C"
    status, out, err = run_main(capsys, "grammar", "epistasis", ens, seq,
                                "--mutation", f"40{base}>{alt}", "--mutation",
                                f"41{seq[40]}>{alt2}")
    assert status == 0, err
    assert len(pd.read_csv(pd.io.common.StringIO(out))) == 1


def test_necessity_one_row_per_instance(ens, capsys):
    status, out, err = run_main(capsys, "grammar", "necessity", ens, promoter_with_site(),
                                "--motif", "REB1", "--shuffles", 4)
    assert status == 0, err
    df = pd.read_csv(pd.io.common.StringIO(out))
    assert len(df) >= 1 and {"necessity", "sufficiency"} <= set(df.columns)
    assert "4 shuffles" in err


@pytest.mark.parametrize("args, message", [
    (["position", "--motif", "REB1", "--backgrounds", 0],
     "--backgrounds must be between 1 and 1000, got 0"),
    (["spacing", "--motif", "REB1", "--motif", "TATAAA", "--max-spacing", 31],
     "--max-spacing must be between 0 and 30, got 31"),
    (["spacing", "--motif", "REB1"], "spacing takes two motifs"),
    (["position", "--motif", "NOT-A-MOTIF"], "no JASPAR fungi motif"),
    (["necessity", "SEQ", "--shuffles", 1001], "--shuffles must be between 1 and 1000"),
    (["epistasis", "SEQ", "--window", 10, 81], "--window end must be between 11 and 80"),
    (["epistasis", "SEQ", "--window", -1, 5], "--window start must be between 0 and 79"),
    (["epistasis", "SEQ", "--mutation", "40Q>G", "--mutation", "41A>C"], "40Q>G"),
])
def test_bad_input_is_one_error_line(ens, capsys, args, message):
    seq = promoter_with_site()
    args = [seq if a == "SEQ" else a for a in args]
    status, out, err = run_main(capsys, "grammar", args[0], ens, *args[1:])
    assert status == 2, err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_output_checks_are_the_shared_ones(ens, tmp_path, capsys):
    status, _, err = run_main(capsys, "grammar", "position", ens, "--motif", "REB1",
                              "-o", tmp_path / "missing" / "x.csv")
    assert status == 2 and "does not exist" in err
    status, _, err = run_main(capsys, "grammar", "position", ens, "--motif", "REB1",
                              "-o", tmp_path)
    assert status == 2 and "is a folder" in err
