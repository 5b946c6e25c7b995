"""``promoter-model design`` as a user runs it.

A subprocess on a REB1 toy run (the design must create the site), FASTA output, the held-out
check on a toy ensemble, and one-line errors for bad input (in-process, same parser and error
handling).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pandas as pd
import pytest
from toy_models import REB1_CORE, linear_model, promoter_with_site, reb1_model

from promoter_model.model.config import RunConfig
from promoter_model.runs import save_run
from promoter_model.runs.ensemble import write_ensemble
from promoter_model.sequence import FLANK_3, FLANK_5, reverse_complement

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
COLUMNS = ["id", "sequence", "prediction", "sd", "lower", "upper", "n_mutations", "mutations",
           "score", "reached"]


@pytest.fixture(scope="module")
def reb1_run(tmp_path_factory):
    """Save the REB1 detector (no threshold) as a run folder."""
    root = tmp_path_factory.mktemp("cli_design") / "reb1"
    return save_run(root, reb1_model(threshold=0.0), RunConfig(preset="custom", unit="toy"))


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """Write two linear toy members as an ensemble folder."""
    root = tmp_path_factory.mktemp("cli_design_ens") / "ens"
    for k in range(2):
        save_run(root / "members" / f"m{k}", linear_model(seed=k)[0],
                 RunConfig(preset="custom", unit="toy"))
    return write_ensemble(root, ["members/m0", "members/m1"], unit="toy")


def run_main(capsys, *args):
    """Call the CLI in-process; return status, stdout and stderr."""
    from promoter_model.cli import main

    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.slow
def test_design_subprocess_creates_the_site(reb1_run, tmp_path):
    """The real command: the best design holds a REB1 site and keeps the flanks."""
    start = promoter_with_site("AAAAAAA", 50, seed=0)
    out = tmp_path / "designs.csv"
    traj = tmp_path / "traj.csv"
    r = subprocess.run([sys.executable, "-m", "promoter_model.cli", "design", str(reb1_run),
                        start[17:97], "--maximize", "--max-mutations", "7", "--n-designs", "2",
                        "--golden-gate", "--output", str(out), "--trajectories", str(traj)],
                       capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "placed between the plasmid flanks" in r.stderr  # the 80 bp start was fitted
    assert "sd, lower and upper are empty" in r.stderr
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns) == COLUMNS
    assert df["id"].tolist()[0] == "start" and df["sequence"].iloc[0] == start
    best = df.iloc[1]
    assert REB1_CORE in best["sequence"] or reverse_complement(REB1_CORE) in best["sequence"]
    assert best["prediction"] > float(df["prediction"].iloc[0])
    assert (df["sd"] == "").all() and (df["n_mutations"] <= 7).all()
    assert all(s.startswith(FLANK_5) and s.endswith(FLANK_3) for s in df["sequence"])
    for s in df["sequence"]:
        assert not any(site in s for site in ("GGTCTC", "GAGACC", "CGTCTC", "GAGACG"))
    t = pd.read_csv(traj)
    assert set(t["id"]) == set(df["id"][1:]) and (t["step"] == 0).sum() == len(df) - 1


def test_fasta_and_held_out(ensemble, tmp_path, capsys):
    """FASTA for ordering; the held-out table has one row per member and design."""
    start = promoter_with_site("AAAAAAA", 50, seed=1)
    held = tmp_path / "held.csv"
    status, out, err = run_main(capsys, "design", ensemble, start, "--target", "3",
                                "--max-mutations", "3", "--n-designs", "2", "--fasta",
                                "--held-out", held)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(">start prediction=") and lines[1] == start
    assert lines[2].startswith(">design-1 prediction=") and "mutations=" in lines[2]
    assert "held-out check: the left-out member agrees for" in err
    h = pd.read_csv(held)
    assert set(h["left_out"]) == {"m0", "m1"} and h["agrees"].dtype == bool
    status, out, err = run_main(capsys, "design", ensemble, start, "--maximize",
                                "--max-mutations", "2", "--n-designs", "1")
    df = pd.read_csv(io.StringIO(out))
    assert df["sd"].notna().all() and (df["lower"] < df["upper"]).all()


@pytest.mark.parametrize("args, message", [
    (["--maximize", "--max-mutations", "0"], "budget"),
    (["--maximize", "--max-mutations", "2", "--forbid", "GGXC"], "forbidden site"),
    (["--maximize", "--max-mutations", "2", "--keep", "a-b"], "--keep"),
    (["--maximize", "--max-mutations", "2", "--gc-min", "0.7", "--gc-max", "0.2"], "GC"),
])
def test_bad_input_is_one_line(reb1_run, capsys, args, message):
    """Bad options: exit 2 and one ``error:`` line naming the problem."""
    status, _out, err = run_main(capsys, "design", reb1_run, *args)
    assert status == 2 and err.startswith("error:") and message in err
    assert len(err.strip().splitlines()) == 1


def test_held_out_needs_an_ensemble(reb1_run, capsys, tmp_path):
    """A single run refuses --held-out with one line."""
    status, _out, err = run_main(capsys, "design", reb1_run, "--maximize", "--max-mutations",
                                 "1", "--n-designs", "1", "--held-out", tmp_path / "h.csv")
    assert status == 2 and "needs an ensemble" in err
