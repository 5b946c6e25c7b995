"""The command line as users run it: subprocesses, exit codes, one-line errors.

``prepare``, ``train``, ``predict`` and ``evaluate`` each run as a real subprocess here
(``run_cli``); the other checks call the CLI's ``main`` in-process (``run_main``: the same
parser and error handling, without a TensorFlow start-up per call).
"""

import csv
import io
import json

import pytest
from conftest import run_cli, run_main


def assert_one_line_error(proc, needle):
    assert proc.returncode == 2, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and needle in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_prepare_train_predict_evaluate_on_real_training_file(tmp_path, train_demo_path,
                                                              capsys):
    data, run = tmp_path / "data", tmp_path / "run"
    p = run_cli("prepare", train_demo_path, "--out", data, "--quiet")
    assert p.returncode == 0, p.stderr
    counts = json.loads(p.stdout)["counts"]
    assert sum(counts.values()) == 6370
    p = run_cli("train", "--data", data, "--out", run, "--preset", "tiny", "--epochs", 1)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["test"]["n"] == counts["test"]
    fasta = tmp_path / "in.fa"
    fasta.write_text(">short\nACGTACGT\n>full\n" + "A" * 110 + "\n")
    p = run_cli("predict", run, fasta)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["id"] for r in rows] == ["short", "full"]
    assert set(rows[0]) == {"id", "sequence", "prediction"}
    float(rows[0]["prediction"])
    assert "1 of 2 sequences were fitted to 110 bp" in p.stderr
    out = tmp_path / "pred.csv"
    p = run_main(capsys, "predict", run, "-", "--output", out, input="A" * 110 + "\n")
    assert p.returncode == 0 and out.read_text().startswith("id,sequence,prediction")
    p = run_main(capsys, "evaluate", run, data)  # the test split
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    assert result["n"] == counts["test"] and {"r2", "pearson_r", "spearman_r"} <= set(result)
    p = run_cli("evaluate", run, train_demo_path, "--save")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["n"] == 6370
    assert "file:train_demo.txt" in json.loads((run / "metrics.json").read_text())
    # the run still verifies after --save rewrote metrics.json
    p = run_main(capsys, "predict", run, "A" * 110)
    assert p.returncode == 0, p.stderr


def test_predict_bare_variable_region_same_as_with_flanks(tiny_run, tmp_path, capsys):
    from promoter_model.sequence import FLANK_3, FLANK_5

    core = "ACGTTGCAAC" * 8
    f = tmp_path / "in.fa"
    f.write_text(f">bare\n{core}\n>flanked\n{FLANK_5}{core}{FLANK_3}\n")
    p = run_main(capsys, "predict", tiny_run, f)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert float(rows[0]["prediction"]) == pytest.approx(float(rows[1]["prediction"]), abs=1e-6)
    assert "1 of 2 sequences were fitted to 110 bp" in p.stderr
    assert "placed between the plasmid flanks TGCATTTTTTTCACATC…GGTTACGGCTGTT" in p.stderr


def test_predict_bad_character_names_line_and_position(tiny_run, tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_text("ACGT\nACGTXA\n")
    p = run_main(capsys, "predict", tiny_run, f)
    assert_one_line_error(p, "line 2")
    assert "position 5" in p.stderr and "'X'" in p.stderr


@pytest.mark.parametrize("args, needle", [
    (["predict", "{run}", "{tmp}/missing.fa"], "file not found"),
    (["predict", "{tmp}/norun", "ACGT"], "no such folder"),
    (["evaluate", "{run}", "{tmp}/noexpr.txt"], "no expression values"),
    (["train", "--data", "{tmp}/nodata", "--out", "{tmp}/r", "--preset", "tiny"], "manifest"),
    (["prepare", "{tmp}/missing.txt", "--out", "{tmp}/d"], "missing.txt"),
])
def test_clear_errors_exit_2(tiny_run, tmp_path, capsys, args, needle):
    (tmp_path / "noexpr.txt").write_text("ACGT\n")
    args = [a.format(run=tiny_run, tmp=tmp_path) for a in args]
    assert_one_line_error(run_main(capsys, *args), needle)


@pytest.mark.slow
def test_clear_error_exit_2_from_the_real_process(tmp_path):
    """As users see it: the process's exit status and its one ``error:`` line."""
    assert_one_line_error(run_cli("predict", tmp_path / "norun", "ACGT"), "no such folder")


# Runs in a fresh interpreter: each command refuses its bad input, then says whether
# TensorFlow (or Keras) was imported on the way.
BEFORE_TF = """
import sys
from promoter_model.cli import main

for args in sys.argv[1:]:
    assert main(args.split("|")) == 2, args
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""


def test_bad_input_is_refused_before_tensorflow_loads(tmp_path, tiny_run):
    """A refusal takes a second, not TensorFlow's start-up (7-10 s on a laptop): the
    output, the input, the bounds and the run folder are checked first; ``prepare`` never
    imports it.
    """
    import subprocess
    import sys

    fasta = tmp_path / "in.fa"
    fasta.write_text(">a\nACGTACGT\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("ACGT\tnot-a-number\n")
    missing = tmp_path / "no" / "out.csv"
    cases = [f"prepare|{bad}|--out|{tmp_path / 'data'}",
             f"predict|{tmp_path / 'norun'}|{fasta}",
             f"predict|{tiny_run}|{fasta}|-o|{missing}",
             f"ism|{tiny_run}|{fasta}|-o|{missing}",
             f"ism|{tmp_path / 'norun'}|{fasta}",
             f"scan|{tmp_path / 'norun'}|{fasta}|--motif|TTACCCG",
             f"evaluate|{tmp_path / 'norun'}|{fasta}",
             f"motifs|{tmp_path / 'norun'}",
             f"grammar|position|{tiny_run}|--motif|REB1|--backgrounds|5000",
             f"grammar|position|{tmp_path / 'norun'}|--motif|REB1"]
    proc = subprocess.run([sys.executable, "-c", BEFORE_TF, *cases], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == len(cases), proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_lists_commands():
    p = run_cli("--help")
    assert p.returncode == 0
    for cmd in ("prepare", "train", "predict", "evaluate"):
        assert cmd in p.stdout


@pytest.mark.slow
def test_train_first_activation_exp_is_recorded_and_the_run_predicts(tmp_path, train_demo_path,
                                                                     capsys):
    small = tmp_path / "small.txt"
    small.write_text("".join(train_demo_path.read_text().splitlines(keepends=True)[:400]))
    data, run = tmp_path / "data", tmp_path / "run"
    assert run_main(capsys, "prepare", small, "--out", data, "--quiet").returncode == 0
    p = run_main(capsys, "train", "--data", data, "--out", run, "--preset", "tiny", "--epochs", 1,
                "--steps-per-epoch", 2, "--batch-size", 32, "--first-activation", "exp")
    assert p.returncode == 0, p.stderr
    assert json.loads((run / "config.json").read_text())["model"]["first_activation"] == "exp"
    p = run_main(capsys, "predict", run, "A" * 110)  # loads with checksums and safe_mode
    assert p.returncode == 0, p.stderr
    value = float(list(csv.DictReader(io.StringIO(p.stdout)))[0]["prediction"])
    assert value == value and abs(value) < 1e6  # finite
    with pytest.raises(SystemExit) as refused:  # argparse's own refusal: status 2
        run_main(capsys, "train", "--data", data, "--out", tmp_path / "r2", "--preset", "tiny",
                 "--first-activation", "relu")
    assert refused.value.code == 2 and "invalid choice" in capsys.readouterr().err
