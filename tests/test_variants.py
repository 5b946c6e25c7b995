"""Variants: applying substitutions and indels, variant effects, motif tiling scans."""

from __future__ import annotations

import numpy as np
import pytest
from toy_models import REB1_CORE, linear_model, promoter_with_site, reb1_model

from promoter_model.interpret import filters
from promoter_model.interpret.variants import (
    apply_variants,
    motif_scan,
    parse_variant,
    variant_effect,
)
from promoter_model.model.predict import predict, predict_sequences
from promoter_model.motifs.jaspar import find_motif, jaspar_fungi_motifs
from promoter_model.sequence import VARIABLE_END, VARIABLE_START, SequenceError, one_hot


@pytest.fixture(scope="module")
def reb1():
    return reb1_model()


def test_substitution_insertion_deletion():
    s = "AACCGGTT"
    assert apply_variants(s, {"position": 3, "ref": "C", "alt": "G"}) == "AAGCGGTT"
    assert apply_variants(s, {"position": 3, "ref": "", "alt": "TT"}) == "AATTCCGGTT"
    assert apply_variants(s, {"position": 9, "ref": "", "alt": "A"}) == "AACCGGTTA"
    assert apply_variants(s, {"position": 3, "ref": "CCG", "alt": ""}) == "AAGTT"
    # VCF style with an anchor base
    assert apply_variants(s, {"position": 2, "ref": "A", "alt": "AGG"}) == "AAGGCCGGTT"
    assert apply_variants(s, {"position": 2, "ref": "ACC", "alt": "A"}) == "AAGGTT"
    # several at once, positions refer to the original sequence
    both = apply_variants(s, [{"position": 1, "ref": "A", "alt": "T"},
                              {"position": 5, "ref": "", "alt": "NNN"},
                              {"position": 8, "ref": "T", "alt": ""}])
    assert both == "TACCNNNGGT"
    assert apply_variants(s, ["3C>G", "7:T>A"]) == "AAGCGGAT"
    assert apply_variants(s, "3CCG>-") == "AAGTT"
    assert apply_variants("aaccggtt", "4->u") == "AACTCGGTT"


@pytest.mark.parametrize("variant, message", [
    ({"position": 3, "ref": "A", "alt": "G"}, "has 'C' at position 3, not 'A'"),
    ({"position": 0, "ref": "A", "alt": "G"}, "outside the sequence"),
    ({"position": 8, "ref": "TT", "alt": ""}, "has 'T' at position 8, not 'TT'"),
    ({"position": 2, "ref": "A", "alt": "X"}, "not a DNA base"),
    ("three C to G", "cannot read variant"),
    ({"position": 2, "ref": "", "alt": ""}, "changes nothing"),
])
def test_invalid_variants(variant, message):
    with pytest.raises(SequenceError, match=message):
        apply_variants("AACCGGTT", variant)


def test_overlapping_variants_rejected():
    with pytest.raises(SequenceError, match="overlap"):
        apply_variants("AACCGGTT", ["3CC>-", "4C>G"])


def test_parse_variant_forms():
    assert parse_variant((4, "c", "t")) == {"position": 4, "ref": "C", "alt": "T"}
    assert parse_variant("12 ACG>-") == {"position": 12, "ref": "ACG", "alt": ""}


def test_variant_effect_linear_exact(promoters):
    model, W, _ = linear_model(seed=2)
    ref = promoters[0]
    other = "ACGT"[("ACGT".index(ref[39]) + 1) % 4]
    alt = apply_variants(ref, {"position": 40, "ref": ref[39], "alt": other})
    df = variant_effect(model, ref, [alt, ref[5:]], ids=["snv", "short"])
    assert list(df.columns) == ["id", "ref_pred", "alt_pred", "delta", "fit_note"]
    b_ref, b_alt = "ACGT".index(ref[39]), "ACGT".index(alt[39])
    assert df["delta"][0] == pytest.approx(W[39, b_alt] - W[39, b_ref], abs=1e-4)
    assert df["fit_note"][0] == ""
    assert "padded with 5 N" in df["fit_note"][1]
    np.testing.assert_allclose(df["alt_pred"], predict_sequences(model, [alt, ref[5:]]), atol=1e-5)


def test_variant_effect_long_insertion_note(reb1, promoters):
    ref = promoters[1]
    alt = apply_variants(ref, {"position": 60, "ref": "", "alt": "AAAA"})
    df = variant_effect(reb1, ref, alt)
    assert df["id"][0] == "alt1"
    assert "trimmed 4 bp from the 5' end" in df["fit_note"][0]


def test_variant_destroying_reb1_site(reb1):
    seq = promoter_with_site(start=50, seed=11)
    broken = apply_variants(seq, {"position": 54, "ref": "C", "alt": "A"})  # TTA[C]CCG
    df = variant_effect(reb1, seq, broken)
    assert df["ref_pred"][0] > 1
    assert df["delta"][0] < -0.5 * df["ref_pred"][0]


def test_motif_scan_peaks_where_the_filter_fires(reb1):
    seq = promoter_with_site("AAAAAAA", start=50, seed=12)  # no REB1 site anywhere
    base = predict(reb1, one_hot(seq))[0]
    reb1_motif = find_motif("MA0363.3", jaspar_fungi_motifs())
    df = motif_scan(reb1, seq, reb1_motif, both_strands=True)
    starts = np.arange(VARIABLE_START, VARIABLE_END - 9 + 1)
    assert len(df) == 2 * len(starts)
    assert list(df.columns) == ["position", "strand", "inserted", "prediction", "delta"]
    assert set(df["inserted"]) == {"ATTACCCGG", "CCGGGTAAT"}
    # the consensus scores the filter's maximum wherever it goes: every forward insertion
    # raises the prediction by the same amount (full-site score minus threshold); the toy's
    # Conv1D reads only the forward strand, so reverse-complement insertions do nothing
    fwd, rev = df[df["strand"] == "+"], df[df["strand"] == "-"]
    assert base == 0
    np.testing.assert_allclose(fwd["delta"], fwd["delta"].max(), rtol=1e-5)
    assert fwd["delta"].min() > 5
    assert (rev["delta"] == 0).mean() > 0.9
    # exactly: the change is the filter's best thresholded activation in the edited sequence
    edited = [seq[:p - 1] + site + seq[p - 1 + len(site):]
              for p, site in zip(df["position"], df["inserted"])]
    act = filters.filter_activations(reb1, one_hot(edited))[..., 0]
    np.testing.assert_allclose(df["delta"], np.maximum(act, 0).max(1) - base, atol=1e-4)
    # a scan with a weaker core finds the single start where it completes a site
    seq2 = promoter_with_site("TTACCCA", start=50, seed=12)  # last base broken
    df2 = motif_scan(reb1, seq2, "G", region=(50, 60))
    best = df2.loc[df2["delta"].idxmax()]
    assert best["position"] == 57  # 1-based start of the repaired G
    assert predict(reb1, one_hot(seq2))[0] + best["delta"] == pytest.approx(
        predict(reb1, one_hot(seq2[:56] + "G" + seq2[57:]))[0], rel=1e-4)


def test_motif_scan_one_predict_call(reb1, monkeypatch):
    import promoter_model.predictor as mod

    calls = []
    monkeypatch.setattr(mod, "predict_model", lambda m, X, batch_size=1024: (calls.append(len(X)),
                                                                      predict(m, X))[1])
    motif_scan(reb1, "A" * 110, REB1_CORE, both_strands=True)
    assert calls == [1 + 2 * (80 - 7 + 1)]


def test_motif_scan_bad_input(reb1):
    with pytest.raises(SequenceError):
        motif_scan(reb1, "A" * 110, "TTXCC")
    with pytest.raises(ValueError, match="cannot hold"):
        motif_scan(reb1, "A" * 110, "ACGT", region=(10, 12))


def test_motif_scan_with_a_discovered_pattern(reb1, tiny_run, tmp_path):
    """A discovered pattern (PFM with uniform flanks) scans as its informative core."""
    import shutil

    from discovered_fixture import write_discovered

    from promoter_model.motifs.lookup import resolve_motif

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    write_discovered(run)
    pattern = resolve_motif("pos_0", run)
    assert pattern.consensus.startswith("NN") and pattern.consensus.endswith("NN")
    seq = promoter_with_site("AAAAAAA", start=50, seed=12)
    df = motif_scan(reb1, seq, pattern)
    assert set(df["inserted"]) == {"ATTACCCGG"}  # REB1's consensus, N flanks not written
    jaspar = motif_scan(reb1, seq, find_motif("MA0363.3", jaspar_fungi_motifs()))
    np.testing.assert_allclose(df["delta"], jaspar["delta"])
    with pytest.raises(ValueError, match="no informative position"):
        motif_scan(reb1, seq, np.full((6, 4), 0.25))
