"""Listing runs and ensembles under a runs folder, checked without loading models."""

import shutil

import pytest
from toy_models import linear_ensemble, linear_model

from promoter_model.model.config import RunConfig
from promoter_model.runs import RunError, save_run
from promoter_model.runs.catalog import check_folder, scan


@pytest.fixture()
def root(tmp_path):
    """A runs folder with a run, a two-member ensemble, a broken ensemble and a stray folder."""
    linear_ensemble(tmp_path / "ens")
    model, _w, _b = linear_model(seed=3)
    save_run(tmp_path / "single", model, RunConfig(preset="custom", unit="toy units"))
    shutil.copytree(tmp_path / "ens", tmp_path / "ens_broken")
    (tmp_path / "ens_broken" / "members" / "fold-1" / "model.keras").write_bytes(b"tampered")
    (tmp_path / "notes").mkdir()
    (tmp_path / ".hidden").mkdir()
    return tmp_path


def test_scan_lists_runs_and_ensembles_with_reasons(root):
    entries = {e.path.name: e for e in scan(root)}
    assert set(entries) == {"ens", "ens_broken", "notes", "single"}  # hidden folder left out
    assert (entries["ens"].kind, entries["ens"].n_members) == ("ensemble", 2)
    assert entries["ens"].label == "ens (ensemble of 2)"
    assert entries["ens"].problem is None
    assert (entries["single"].kind, entries["single"].label) == ("run", "single")
    broken = entries["ens_broken"]
    assert broken.kind == "" and "member members/fold-1" in broken.problem
    assert "model.keras" in broken.problem
    assert entries["notes"].problem and "config.json is missing" in entries["notes"].problem


def test_check_folder_refuses_a_member_outside_the_ensemble(root):
    spec = (root / "ens" / "ensemble.json").read_text()
    (root / "ens" / "ensemble.json").write_text(spec.replace("members/fold-1", "../single"))
    with pytest.raises(RunError, match="checksum"):
        check_folder(root / "ens")  # ensemble.json no longer matches its checksum


def test_scan_of_a_missing_root_is_empty(tmp_path):
    assert scan(tmp_path / "nowhere") == []
