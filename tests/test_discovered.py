"""Reading discovered.json (schema v1), its CSV rows, motif resolution and MEME export."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from promoter_model import motifs as dio
from promoter_model.motifs.jaspar import find_motif
from tests.discovered_fixture import NEG_BEST, NEG_BEST_Q, REB1_Q, discovered_doc, write_discovered


@pytest.fixture
def run_dir(tiny_run, tmp_path):
    import shutil

    d = tmp_path / "run"
    shutil.copytree(tiny_run, d)
    return d


def test_absent_file_is_none_and_no_motifs(run_dir):
    assert dio.read_discovered(run_dir) is None
    assert dio.discovered_motifs(run_dir) == []


def test_read_checks_and_converts(run_dir):
    write_discovered(run_dir)
    doc = dio.read_discovered(run_dir)
    pos, neg = doc["patterns"]
    assert pos["pfm"].shape == pos["cwm"].shape and pos["pfm"].shape[1] == 4
    np.testing.assert_allclose(pos["pfm"].sum(axis=1), 1, atol=1e-5)
    assert doc["model_checksum"] == dio.model_checksum(run_dir)
    assert dio.best_significant_match(pos)["name"] == "REB1"
    assert dio.best_significant_match(neg) is None  # q = 0.31: not significant
    assert dio.pattern_label(pos) == "REB1" and dio.pattern_label(neg) == "pattern neg_0"
    motifs = dio.discovered_motifs(run_dir)
    assert [(m.id, m.name) for m in motifs] == [("pos_0", "REB1"), ("neg_0", "pattern neg_0")]
    # the sharpened REB1 PFM keeps REB1's consensus in its core
    assert find_motif("REB1").consensus in motifs[0].consensus


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d.update(format="other"), "format is 'other'"),
    (lambda d: d.update(version=2), "version 2 is not supported"),
    (lambda d: d["patterns"][0].pop("pfm"), "pattern 0 lacks pfm"),
    (lambda d: d["patterns"][0].update(pfm=[[1, 0, 0]]), "pfm must have shape (width, 4)"),
    (lambda d: d["patterns"][0].update(pfm=[[0.5, 0.5, 0.5, 0.5]] * 10),
     "rows must be non-negative and sum to 1"),
    (lambda d: d["patterns"][1].update(sign="x"), "pattern neg_0 sign"),
    (lambda d: d["patterns"][1].update(seqlet_strands=["+"]), "lists of one length"),
    (lambda d: d["patterns"][1].update(seqlet_starts=[500] * 45), "within the 110 bp"),
    (lambda d: d["patterns"][0]["matches"][0].update(q_value=2), "q_value must lie in [0, 1]"),
    (lambda d: d["patterns"][0].update(effect=float("nan")), "effect must be a finite"),
    (lambda d: d["patterns"][1].update(name="pos_0"), "names are not unique"),
])
def test_malformed_files_give_one_clear_line(run_dir, edit, needle):
    doc = discovered_doc()
    edit(doc)
    write_discovered(run_dir, doc)
    with pytest.raises(ValueError) as exc:
        dio.read_discovered(run_dir)
    msg = str(exc.value)
    assert needle in msg and "discovered.json" in msg and "\n" not in msg


def test_not_json_and_symlink_refused(run_dir, tmp_path):
    path = dio.discovered_path(run_dir)
    path.parent.mkdir(exist_ok=True)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        dio.read_discovered(run_dir)
    path.unlink()
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(discovered_doc()))
    path.symlink_to(outside)
    with pytest.raises(ValueError, match="symbolic link"):
        dio.read_discovered(run_dir)


def test_table_has_the_csv_columns_one_row_per_match(run_dir):
    doc = copy.deepcopy(discovered_doc())
    doc["patterns"].append({**doc["patterns"][1], "name": "neg_1", "matches": []})
    write_discovered(run_dir, doc)
    df = dio.discovered_table(dio.read_discovered(run_dir))
    assert list(df.columns) == dio.CSV_COLUMNS + ["significant"]
    assert df["pattern"].tolist() == ["pos_0", "pos_0", "neg_0", "neg_1"]
    assert df["significant"].tolist() == [True, False, False, False]
    assert df.loc[0, "q_value"] == REB1_Q
    assert df.loc[2, "match_name"] == NEG_BEST and df.loc[2, "q_value"] == NEG_BEST_Q
    assert pd.isna(df.loc[3, "match_id"]) and pd.isna(df.loc[3, "match_rank"])


def test_resolve_motif_prefers_run_patterns_then_jaspar(run_dir):
    write_discovered(run_dir)
    assert dio.resolve_motif("pos_0", run_dir).name == "REB1"
    assert dio.resolve_motif("NEG_0", run_dir).id == "neg_0"
    assert dio.resolve_motif("MA0363.3", run_dir).name == "REB1"
    with pytest.raises(ValueError, match="nor a discovered pattern of this run"):
        dio.resolve_motif("pos_9", run_dir)


def test_meme_round_trip_and_format(run_dir):
    write_discovered(run_dir)
    motifs = dio.discovered_motifs(run_dir)
    text = dio.to_meme([(m.id, m.name if not m.name.startswith("pattern") else "", m.pfm)
                        for m in motifs], nsites=[120, 45])
    lines = text.splitlines()
    assert lines[0] == "MEME version 4" and "ALPHABET= ACGT" in lines
    assert "strands: + -" in lines
    assert "A 0.250000 C 0.250000 G 0.250000 T 0.250000" in lines
    assert "MOTIF pos_0 REB1" in lines and "MOTIF neg_0" in lines
    w = len(motifs[0].pfm)
    assert f"letter-probability matrix: alength= 4 w= {w} nsites= 120 E= 0" in lines
    back = dio.read_meme(text)
    assert [m.id for m in back] == ["pos_0", "neg_0"]
    for a, b in zip(back, motifs):
        np.testing.assert_allclose(a.pfm, b.pfm, atol=1e-6)
    # counts are normalised to probabilities; bad ids and shapes are refused
    counts = dio.read_meme(dio.to_meme([("m1", "x y", np.array([[2, 2, 0, 0]] * 4))]))
    np.testing.assert_allclose(counts[0].pfm[0], [0.5, 0.5, 0, 0])
    assert counts[0].name == "x_y"
    with pytest.raises(ValueError, match="without spaces"):
        dio.to_meme([("bad id", "", np.full((4, 4), 0.25))])
    with pytest.raises(ValueError, match="shape"):
        dio.to_meme([("m", "", np.ones((4, 3)))])


def test_null_effects_and_q_values_are_read_as_unknown(run_dir):
    doc = discovered_doc()
    doc["patterns"][1].update(effect=None, effect_sd=None)  # the engine's non-finite
    doc["patterns"][0]["matches"][0]["q_value"] = None
    write_discovered(run_dir, doc)
    pos, neg = dio.read_discovered(run_dir)["patterns"]
    assert np.isnan(neg["effect"]) and np.isnan(neg["effect_sd"])
    assert dio.best_significant_match(pos) is None  # an unknown q is never significant
    assert not dio.discovered_table(dio.read_discovered(run_dir))["significant"].any()


def test_model_checksum_of_a_run_and_of_an_ensemble_folder(run_dir, tmp_path):
    from promoter_model.runs import sha256_file

    assert dio.model_checksum(run_dir) == sha256_file(run_dir / "model.keras")
    ens = tmp_path / "ens"
    ens.mkdir()
    (ens / "ensemble.json").write_text('{"format": "promoter-ensemble", "version": 1}')
    assert dio.model_checksum(ens) == sha256_file(ens / "ensemble.json")
    assert dio.model_checksum(tmp_path / "empty") is None
