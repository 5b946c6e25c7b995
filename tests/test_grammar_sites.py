"""Motifs as sites: resolution by name, pattern, consensus or IUPAC; vectorised insertion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from toy_models import REB1_ID

from promoter_model.grammar.sites import Site, insert, resolve_site, site_from_text
from promoter_model.motifs.jaspar import find_motif
from promoter_model.sequence import decode, one_hot

DEMO_ENSEMBLE = Path(__file__).resolve().parents[1] / "assets" / "demo_ensemble"


def test_site_from_iupac_text_and_its_reverse_complement():
    s = site_from_text("nnTTACCCRnn")
    assert s.text == "TTACCCR" and len(s) == 7 and s.name == "TTACCCR"
    assert s.reverse_complement().text == "YGGGTAA"
    assert site_from_text("ACNNGT").keep.tolist() == [False, False, True, True, False, False]
    with pytest.raises(ValueError, match="IUPAC"):
        site_from_text("ACXT")
    with pytest.raises(ValueError, match="no base"):
        site_from_text("NNN")


def test_draw_samples_degenerate_columns_from_their_bases_only():
    s = site_from_text("ARNT")
    d = s.draw(400, rng=0)
    letters = np.array(list("ACGT"))
    second = letters[d[:, 1].argmax(axis=1)]
    assert set(second) == {"A", "G"} and 0.35 < np.mean(second == "A") < 0.65
    assert (d[:, 0, 0] == 1).all() and (d[:, 3, 3] == 1).all()
    assert (d[:, 2] == 0).all()  # N: the background's base stays
    assert np.array_equal(d, s.draw(400, rng=0))


def test_resolve_site_by_jaspar_name_id_pattern_and_text():
    reb1 = find_motif(REB1_ID)
    by_name = resolve_site("reb1")
    assert by_name.name == f"REB1 ({REB1_ID})" and "TTACCCG" in by_name.text
    assert np.array_equal(by_name.mask, resolve_site(REB1_ID).mask)
    assert np.array_equal(by_name.mask, resolve_site(reb1).mask)
    assert resolve_site("TTACCCG").name == "TTACCCG"
    assert resolve_site(np.eye(4)[[0, 1, 2, 3]]).text == "ACGT"
    if (DEMO_ENSEMBLE / "motifs" / "discovered.json").is_file():
        pattern = resolve_site("pos_0", run_dir=DEMO_ENSEMBLE)
        assert "pos_0" in pattern.name and pattern.pfm is not None
    with pytest.raises(ValueError, match="no JASPAR fungi motif"):
        resolve_site("NOT_A_MOTIF_9")


def test_insert_writes_every_start_into_every_background_keeping_n_columns():
    bgs = ["A" * 110, "C" * 110]
    X = one_hot(bgs)
    site = site_from_text("GNT")
    out = insert(X, site.draw(2), [17, 50, 107], site.keep)
    assert out.shape == (2, 3, 110, 4)
    got = [decode(out[b, p])[0] for b in range(2) for p in range(3)]
    for (b, p), seq in zip([(b, p) for b in range(2) for p in (17, 50, 107)], got):
        expect = list(bgs[b])
        expect[p], expect[p + 2] = "G", "T"
        assert seq == "".join(expect)
    with pytest.raises(ValueError, match="does not fit"):
        insert(X, site.draw(2), [108], site.keep)


def test_a_site_of_n_columns_keeps_every_background_base():
    s = Site("x", np.ones((2, 4), dtype=bool))
    assert s.text == "NN" and s.keep.all()
