"""``promoter-model tile`` and ``variants`` as a user runs them: one subprocess test for each
command, the other checks in-process through the CLI's ``main`` (same parser and errors).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, run_main
from toy_models import linear_ensemble, toy_pair_calibration

from promoter_model.sequence import FLANK_3, FLANK_5

rng = np.random.default_rng(11)
WT = "".join(rng.choice(list("ACGT"), 80))
LONG = "".join(rng.choice(list("ACGT"), 230))


@pytest.fixture(scope="module")
def ens(tmp_path_factory):
    from promoter_model.predictor import load_predictor

    root, _ = linear_ensemble(tmp_path_factory.mktemp("cli_var") / "ens",
                              calibration=toy_pair_calibration())
    load_predictor(root).save_metrics(
        {"dream_public_leaderboard": {"pearson_r2_yeast": 0.4321, "n_yeast": 208}})
    return root


def _one_line_error(r, needle):
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and needle in lines[-1], r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_tile_writes_the_windows_and_says_what_they_mean(ens, tmp_path):
    fa = tmp_path / "long.fa"
    fa.write_text(f">upstream\n{LONG[:115]}\n{LONG[115:]}\n")
    out = tmp_path / "tiles.csv"
    r = run_cli("tile", ens, fa, "--step", 40, "--output", out, timeout=180)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out)
    assert list(t.columns) == ["id", "start", "end", "prediction", "sd", "lower", "upper"]
    assert t["start"].tolist() == [0, 40, 80, 120, 150] and (t["id"] == "upstream").all()
    assert "outside its training distribution" in r.stderr and "0.432" in r.stderr
    best = t.loc[t["prediction"].idxmax()]
    assert f"strongest window of upstream: {best.start}-{best.end}" in r.stderr


@pytest.mark.slow
def test_variants_against_a_wild_type_in_tss_coordinates(ens, tmp_path):
    from promoter_model.interpret.variant_lists import wt_effects
    from promoter_model.predictor import load_predictor

    # the WT numbered -80..-1: offset -81; base -71 is WT[9]
    alt = "A" if WT[9] != "A" else "C"
    edits = f"snv,{WT[9]}-71{alt}\ntwo\t-71{WT[9]}>{alt};del-5--3\nins-40:GG\n"
    out = tmp_path / "effects.csv"
    r = run_cli("variants", ens, "--wt", WT, "-", "--offset", -81, "--output", out,
                input=edits, timeout=180)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out)
    assert list(t.columns) == ["id", "edits", "prediction", "effect", "effect_lower",
                               "effect_upper", "p_up"]
    assert t["id"].tolist() == ["snv", "two", "v3"]
    assert t["edits"].tolist() == [f"{WT[9]}-71{alt}", f"-71{WT[9]}>{alt};del-5--3",
                                   "ins-40:GG"]
    pred = load_predictor(ens)
    seq = WT[:9] + alt + WT[10:]
    want = wt_effects(pred, WT, [seq]).table.iloc[0]
    assert t["effect"].iloc[0] == pytest.approx(want["effect"], abs=1e-5)
    assert t["effect_lower"].iloc[0] == pytest.approx(want["effect_lower"], abs=1e-5)
    assert t["p_up"].iloc[0] == pytest.approx(want["p_up"], abs=1e-6)
    assert "wild type (80 bp): prediction" in r.stderr and "calibrated on measured pairs" \
        in r.stderr


def test_variants_reads_a_pairs_table(ens, tmp_path, capsys):
    ref = FLANK_5 + WT + FLANK_3
    alt = ref[:60] + ("A" if ref[60] != "A" else "C") + ref[61:]
    path = tmp_path / "pairs.csv"
    path.write_text(f"id,ref,alt,note\nmine,{ref},{alt},x\n,{alt},{ref},y\n")
    r = run_main(capsys, "variants", ens, path)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(io.StringIO(r.stdout))
    assert list(t.columns) == ["id", "ref_prediction", "alt_prediction", "effect",
                               "effect_sd", "effect_lower", "effect_upper", "p_up"]
    assert t["id"].tolist() == ["mine", "pair2"]
    assert t["p_up"].between(0, 1).all()
    assert t["p_up"].iloc[0] == pytest.approx(1 - t["p_up"].iloc[1], abs=1e-3)
    assert t["effect"].iloc[0] == pytest.approx(-t["effect"].iloc[1], abs=1e-5)


@pytest.mark.parametrize("args, stdin, needle", [
    (["--wt", WT, "-"], "T1G\n" if WT[0] != "T" else "A1G\n", "the wild type has"),
    (["--wt", WT, "-"], "A81G\n", "position 81 is outside the wild type (1..80"),
    (["--wt", WT, "-", "--offset", "5000000000"], "A1G\n", "beyond the limit"),
    (["-"], "x,y\nACGT,ACGA\n", "'ref' and 'alt' columns"),
    (["-", "--offset", "3"], "ref,alt\nACGT,ACGA\n", "--offset numbers the edits"),
    (["-"], "ref,alt\nACGT,ACZA\n", "line 2"),
])
def test_variants_bad_input_is_one_line_exit_2(ens, args, stdin, needle, capsys):
    _one_line_error(run_main(capsys, "variants", ens, *args, input=stdin), needle)


@pytest.mark.parametrize("args, needle", [
    (["--step", "0"], "--step 0 is outside 1..20,000"),
    (["--step", "5", "--max-length", "10"], "--max-length 10 is outside 80.."),
])
def test_tile_bad_numbers_name_their_bound(ens, args, needle, capsys):
    _one_line_error(run_main(capsys, "tile", ens, LONG, *args), needle)


def test_tile_refuses_a_short_sequence(ens, capsys):
    _one_line_error(run_main(capsys, "tile", ens, LONG[:50], "--step", "5"),
                    "shorter than one 80 bp window")
