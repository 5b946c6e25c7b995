"""A non-editable install runs ``evaluate`` and ``motifs`` from another folder (package data).

What is checked is that the installed copy finds its package data (the DREAM test table,
the leaderboard subsets, the training sample ``motifs`` reads by default), not the model: the
run is the session's ``tiny_run`` (seconds), not the bundled compact demo model (``motifs``
on it alone took about 5 CPU-minutes).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import setuptools

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_installed_copy_evaluates_and_scans_motifs_from_a_temp_dir(tiny_run, tmp_path):
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("building needs setuptools>=77 in this environment (no build isolation)")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(site), str(ROOT)],
                   check=True, cwd=tmp_path, timeout=600)
    data = site / "promoter_model" / "data"
    for name in ("test_measured.tsv.gz", "public_leaderboard.json", "train_demo.txt",
                 "test_subsets/yeast_seqs.csv"):
        assert (data / name).is_file(), name
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = work / "tiny"
    shutil.copytree(tiny_run, run)
    env = dict(os.environ, PYTHONPATH=str(site))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "promoter_model.cli", *map(str, args)],
                              cwd=work, env=env, capture_output=True, text=True, timeout=900)

    where = subprocess.run([sys.executable, "-c", "import promoter_model; "
                            "print(promoter_model.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)

    # the DREAM test table and the bundled leaderboard subsets come from the installed copy
    proc = cli("evaluate", run, data / "test_measured.tsv.gz")
    assert proc.returncode == 0, proc.stderr
    assert "yeast" in proc.stdout.lower() and "pearson" in proc.stdout.lower()

    # motifs with its default reference sequences (the bundled DREAM training sample)
    proc = cli("motifs", run)
    assert proc.returncode == 0, proc.stderr
    assert "motif" in (proc.stdout + proc.stderr).lower()
