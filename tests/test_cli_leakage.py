"""``promoter-model leakage TRAIN TEST`` as a user runs it (the first test as a subprocess,
the others in-process through the CLI's ``main``).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from conftest import run_cli, run_main

FLANK_5, FLANK_3 = "TGCATTTTTTTCACATC", "GGTTACGGCTGTT"


def _random(rng, n=80):
    return "".join(rng.choice(list("ACGT"), size=n))


def _mutate(rng, seq, k):
    s = list(seq)
    for pos in rng.choice(80, size=k, replace=False):
        s[pos] = "ACGT"[("ACGT".index(s[pos]) + 1) % 4]
    return "".join(s)


def _files(tmp_path):
    rng = np.random.default_rng(0)
    train = [_random(rng) for _ in range(200)]
    # test rows 1, 2, 3 and 5 bases from a training row, and 4 new ones
    test = [_mutate(rng, train[i], k) for i, k in enumerate([1, 1, 2, 3, 5])]
    test += [_random(rng) for _ in range(4)]
    (tmp_path / "train.txt").write_text("".join(f"{FLANK_5}{s}{FLANK_3}\t{i % 7}\n"
                                                for i, s in enumerate(train)))
    (tmp_path / "test.csv").write_text("id,sequence,expression\n" + "".join(
        f"t{i},{s},{i * 0.5}\n" for i, s in enumerate(test)))
    return tmp_path / "train.txt", tmp_path / "test.csv"


@pytest.mark.slow
def test_leakage_counts_near_copies_and_writes_each_rows_distance(tmp_path):
    train, test = _files(tmp_path)
    p = run_cli("leakage", train, test, "--output", tmp_path / "out.csv")
    assert p.returncode == 0, p.stderr
    shares = json.loads(p.stdout)["shares"]
    assert shares["n"] == 9
    assert shares["within_1"] == 2 / 9 and shares["within_2"] == 3 / 9
    assert shares["within_3"] == 4 / 9
    assert "22.2% have a training row within 1 base" in p.stderr
    assert "--run" in p.stderr  # says how to get scores by distance
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert [r["id"] for r in rows][:2] == ["t0", "t1"]
    got = [int(r["nearest_train_mismatches"]) for r in rows]
    assert got[:5] == [1, 1, 2, 3, 5] and min(got[5:]) > 10
    assert set(rows[0]) == {"id", "nearest_train_mismatches", "measured"}


def test_a_prepared_folder_is_a_training_set(tmp_path, capsys):
    train, test = _files(tmp_path)
    p = run_main(capsys, "prepare", train, "--out", tmp_path / "data", "--val-fraction", 0.2,
                 "--test-fraction", 0, "--quiet")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["split"]["method"] == "family"
    p = run_main(capsys, "leakage", tmp_path / "data", test)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["shares"]["within_3"] == 4 / 9


def test_bad_input_is_one_line(tmp_path, capsys):
    train, _ = _files(tmp_path)
    p = run_main(capsys, "leakage", train, tmp_path / "missing.csv")
    assert p.returncode == 2 and "missing.csv" in p.stderr and "Traceback" not in p.stderr
