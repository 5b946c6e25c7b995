"""``promoter-model ism | motifs | scan`` on the tiny run.

One test runs the real ``promoter-model ism`` in a subprocess; the rest call
``promoter_model.cli.main`` in-process (same parser and error handling, without paying
the TensorFlow start-up again for each command).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from promoter_model.interpret.ism import ism
from promoter_model.runs import check_run, load_run

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}


def run_main(capsys, *args):
    from promoter_model.cli import main

    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "promoter_model.cli", *map(str, args)],
                          capture_output=True, text=True, input=stdin, env=ENV, timeout=300)


@pytest.mark.slow
def test_ism_file_to_csv(tiny_run, promoters, tmp_path):
    fasta = tmp_path / "in.fa"
    fasta.write_text(">first\n" + promoters[0] + "\n>second\n" + promoters[1][:90] + "\n")
    out = tmp_path / "ism.csv"
    r = cli("ism", tiny_run, fasta, "--output", out)
    assert r.returncode == 0, r.stderr
    assert "fitted to 110 bp" in r.stderr  # the 90 bp record was padded
    df = pd.read_csv(out)
    assert list(df.columns) == ["id", "position", "reference", "A", "C", "G", "T"]
    assert len(df) == 220 and list(df["id"].unique()) == ["first", "second"]
    first = df[df["id"] == "first"]
    assert "".join(first["reference"]) == promoters[0]
    ref_vals = first.apply(lambda row: row[row["reference"]], axis=1)
    assert (ref_vals == 0).all()
    expected = ism(load_run(tiny_run).model, promoters[0])[0][0]
    np.testing.assert_allclose(first[["A", "C", "G", "T"]].to_numpy(), expected, atol=1e-4)
    second = df[df["id"] == "second"]
    assert (second["reference"].iloc[:20] == "N").all()


def test_ism_literal_sequence_to_stdout(tiny_run, promoters, capsys):
    status, out, err = run_main(capsys, "ism", tiny_run, promoters[2].lower())
    assert status == 0, err
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 110 and set(df["id"]) == {"sequence"}
    assert df["position"].tolist() == list(range(1, 111))


def test_ism_errors_are_one_line(tiny_run, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("ACGTXACGT\n")
    status, _, err = run_main(capsys, "ism", tiny_run, bad)
    assert status == 2
    assert err.strip().splitlines()[-1].startswith("error:")
    assert "'X' at position 5" in err
    status, _, err = run_main(capsys, "ism", tmp_path / "no_run", "ACGT")
    assert status == 2 and err.startswith("error:") and "no_run" in err


@pytest.mark.slow
def test_motifs_and_scan(fresh_run, promoters, tmp_path, capsys):
    ref = tmp_path / "ref.txt"
    ref.write_text("".join(f"{s}\t{i / 10}\n" for i, s in enumerate(promoters[:40])))
    status, out, err = run_main(capsys, "motifs", fresh_run, "--reference", ref,
                                "--threshold", "0.7")
    assert status == 0, err
    summary = json.loads(out)
    assert summary["filters"] == 8 and summary["best_matches"]
    # every match printed carries its q-value and whether it is significant
    assert all(m["significant"] == (m["q_value"] < summary["significant_q"])
               for m in summary["best_matches"])
    assert summary["filters_matching"] == sum(m["significant"] for m in summary["best_matches"])
    from promoter_model.interpret.filters import load_motifs

    cached = load_motifs(fresh_run)
    assert cached["meta"]["threshold"] == 0.7 and cached["meta"]["n_reference"] == 40
    assert cached["meta"]["has_expression"]
    # the reference set the cache was made from is recorded with it
    assert cached["meta"]["reference"] == summary["reference"] and str(ref) in summary["reference"]
    check_run(fresh_run)
    out_csv = tmp_path / "scan.csv"
    status, _, err = run_main(capsys, "scan", fresh_run, promoters[3], "--motif", "REB1",
                              "--both-strands", "-o", out_csv)
    assert status == 0, err
    df = pd.read_csv(out_csv)
    assert len(df) == 2 * (80 - 9 + 1) and set(df["inserted"]) == {"ATTACCCGG", "CCGGGTAAT"}
    status, _, err = run_main(capsys, "scan", fresh_run, promoters[3], "--motif", "NOT_A_TF")
    assert status == 2 and "no JASPAR fungi motif" in err


def test_scan_with_a_discovered_pattern_of_the_run(tiny_run, promoters, tmp_path, capsys):
    import shutil

    from tests.discovered_fixture import write_discovered

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    status, _, err = run_main(capsys, "scan", run, promoters[3], "--motif", "pos_0")
    assert status == 2 and "no JASPAR fungi motif with ID or name 'pos_0'" in err
    write_discovered(run)
    out_csv = tmp_path / "scan.csv"
    status, _, err = run_main(capsys, "scan", run, promoters[3], "--motif", "pos_0",
                              "-o", out_csv)
    assert status == 0, err
    df = pd.read_csv(out_csv)
    assert set(df["inserted"]) == {"ATTACCCGG"} and len(df) == 80 - 9 + 1
    status, _, err = run_main(capsys, "scan", run, promoters[3], "--motif", "pos_7")
    assert status == 2 and "nor a discovered pattern of this run" in err
