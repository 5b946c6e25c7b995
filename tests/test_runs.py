"""Run directories: safe loading, tamper detection, listing only valid runs under a root."""

import json
import shutil

import numpy as np
import pytest

from promoter_model.runs import RunError, check_run, list_runs, load_run, resolve_under, scan_runs
from promoter_model.sequence import one_hot


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    dst = root / "good"
    shutil.copytree(tiny_run, dst)
    return dst


def test_load_run_returns_everything(tiny_run, promoters):
    run = load_run(tiny_run)
    assert run.config.preset == "tiny"
    assert list(run.history["val_r2"]) == [0.1, 0.2]
    assert run.metrics["test"]["n"] == 10
    pred = run.predict(one_hot(promoters[:4]))
    assert pred.shape == (4,) and np.isfinite(pred).all()


@pytest.mark.parametrize("damage, needle", [
    (lambda p: (p / "model.keras").unlink(), "model.keras is missing"),
    (lambda p: (p / "model.keras").write_bytes(b""), "model.keras is empty"),
    (lambda p: (p / "model.keras").write_bytes((p / "model.keras").read_bytes()[:500]),
     "model.keras does not match its checksum"),
    (lambda p: (p / "history.csv").write_text("epoch\n1\n"), "history.csv does not match"),
    (lambda p: (p / "checksums.json").unlink(), "did not finish"),
    (lambda p: (p / "checksums.json").write_text("{"), "not valid JSON"),
    (lambda p: (p / "checksums.json").write_text(json.dumps({"../x": "0"})),
     "unexpected file"),
])
def test_damaged_runs_are_refused_with_the_file_named(run_copy, damage, needle):
    damage(run_copy)
    with pytest.raises(RunError, match=needle):
        load_run(run_copy)
    assert run_copy not in list_runs(run_copy.parent)


def test_truncated_model_refused_even_without_verification(run_copy):
    (run_copy / "model.keras").write_bytes((run_copy / "model.keras").read_bytes()[:500])
    with pytest.raises(RunError,
                       match="could not be loaded in safe mode|not a Keras model archive"):
        load_run(run_copy, verify=False)


def test_list_runs_only_valid_and_reasons(run_copy):
    root = run_copy.parent
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("x")
    assert list_runs(root) == [run_copy]
    reasons = dict(scan_runs(root))
    assert "config.json is missing" in reasons[root / "empty"]


def test_resolve_under_blocks_traversal(tmp_path):
    (tmp_path / "a").mkdir()
    assert resolve_under(tmp_path, "a") == (tmp_path / "a").resolve()
    for bad in ("../etc", "/etc", "a/../../x"):
        with pytest.raises(RunError, match="outside the runs folder"):
            resolve_under(tmp_path, bad)


def test_symlink_out_of_root_is_not_listed(tmp_path, tiny_run):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tiny_run, target_is_directory=True)
    assert list_runs(root) == []


def test_check_run_on_missing_folder(tmp_path):
    with pytest.raises(RunError, match="no such folder"):
        check_run(tmp_path / "nope")
