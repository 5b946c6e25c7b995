"""Motif instances: a planted REB1 site is found where it was put, on its strand."""

from __future__ import annotations

import itertools

import numpy as np
from toy_models import REB1_CORE, REB1_ID, promoter_with_site

from promoter_model.grammar.instances import (
    COLUMNS,
    find_instances,
    log_odds,
    rounded,
    score_p_values,
)
from promoter_model.sequence import VARIABLE_START, reverse_complement


def test_planted_reb1_is_found_on_both_strands():
    seq = promoter_with_site(REB1_CORE, start=VARIABLE_START + 30, seed=2)
    df = find_instances(seq, motifs=[REB1_ID])
    assert list(df.columns) == COLUMNS
    hit = df.iloc[0]
    assert hit["start"] <= 30 and hit["end"] >= 37 and hit["strand"] == "+"
    assert REB1_CORE in hit["site"] and hit["score"] >= 0.8 and hit["p_value"] < 1e-4
    rc = promoter_with_site(reverse_complement(REB1_CORE), start=VARIABLE_START + 30, seed=2)
    assert find_instances(rc, motifs=["REB1"]).iloc[0]["strand"] == "-"


def test_hits_do_not_overlap_and_iupac_motifs_work():
    seq = "A" * 20 + "TTACCCG" + "A" * 20 + "TTACCCG" + "C" * 26
    df = find_instances(seq, motifs=["TTACCCG", "TACC"], max_p=1e-2, min_score=0.99)
    assert sorted(df["start"].tolist()) == [20, 47]  # the shorter motif inside is dropped
    assert set(df["motif"]) == {"TTACCCG"}
    assert find_instances("A" * 80, motifs=["TTACCCG"], max_p=1e-2).empty


def test_default_motifs_are_jaspar_fungi_and_the_planted_site_is_named_reb1():
    seq = promoter_with_site("ATTACCCGG", start=VARIABLE_START + 30, seed=2)  # consensus
    df = find_instances(seq)
    over = df[(df["start"] < 39) & (df["end"] > 30)]
    assert len(over) == 1 and over.iloc[0]["motif"].startswith("REB1")
    assert df["p_value"].is_monotonic_increasing


def test_p_values_are_exact_for_the_rounded_matrix():
    w = rounded(np.random.default_rng(0).normal(size=(5, 4)))
    every = np.array([w[np.arange(5), list(c)].sum()
                      for c in itertools.product(range(4), repeat=5)])
    for s in (-1.0, 0.0, 1.5, w.max(axis=1).sum(), w.min(axis=1).sum()):
        assert score_p_values(w, [s])[0] == np.mean(every >= s - 1e-9)
    assert score_p_values(w, [w.max(axis=1).sum() + 1])[0] == 0.0
    assert log_odds([[1, 0, 0, 0]]).shape == (1, 4)
