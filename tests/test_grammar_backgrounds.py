"""Backgrounds drawn like the training data: seeded, dinucleotide-preserving, recorded."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from promoter_model.grammar.backgrounds import (
    Backgrounds,
    as_backgrounds,
    default_pool,
    dinucleotide_shuffle,
    draw_backgrounds,
)
from promoter_model.sequence import FLANK_3, FLANK_5, VARIABLE_END, VARIABLE_START


def dinucleotides(s: str) -> Counter:
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


def test_dinucleotide_shuffle_keeps_every_dinucleotide_and_both_ends():
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGT"), size=80)) for _ in range(30)]
    seqs += ["AAAAACCCCCGGGGGTTTTT", "ACGTACGTACGTACGT", "AT", "GGGG"]
    out = dinucleotide_shuffle(seqs, seed=1)
    for s, t in zip(seqs, out):
        assert dinucleotides(s) == dinucleotides(t)
        assert (s[0], s[-1]) == (t[0], t[-1])
    assert sum(s != t for s, t in zip(seqs[:30], out[:30])) == 30  # the 80-mers do move


def test_dinucleotide_shuffle_is_seeded_and_refuses_n():
    s = "ACGTTGCAAGCTTAGCGATCGATCGGATCCAAGT"
    assert dinucleotide_shuffle(s, seed=5) == dinucleotide_shuffle(s, seed=5)
    assert len({dinucleotide_shuffle(s, seed=k)[0] for k in range(10)}) > 5
    with pytest.raises(ValueError, match="no N"):
        dinucleotide_shuffle("ACGNT")


def test_default_pool_is_flanked_110_bp_promoters():
    pool = default_pool()
    assert len(pool) > 5000
    assert all(len(s) == 110 and s.startswith(FLANK_5) and s.endswith(FLANK_3)
               for s in pool[:200])


def test_draw_backgrounds_shuffles_variable_regions_only_and_records_itself():
    bg = draw_backgrounds(20, seed=7)
    again = draw_backgrounds(20, seed=7)
    assert np.array_equal(bg.X, again.X)
    assert not np.array_equal(bg.X, draw_backgrounds(20, seed=8).X)
    assert bg.record() == {"n_backgrounds": 20, "seed": 7, "backgrounds": "shuffle",
                           "pool": "train_demo.txt (DREAM random library)"}
    raw = draw_backgrounds(20, seed=7, method="sample")
    pool = set(default_pool())
    assert all(s in pool for s in raw.sequences)
    for s, t in zip(raw.sequences, bg.sequences):  # same draw, then shuffled
        assert s[:VARIABLE_START] == t[:VARIABLE_START] and s[VARIABLE_END:] == t[VARIABLE_END:]
        assert dinucleotides(s[VARIABLE_START:VARIABLE_END]) == \
            dinucleotides(t[VARIABLE_START:VARIABLE_END])
    assert bg.X.shape == (20, 110, 4) and bg.X.dtype == np.float32


def test_draw_backgrounds_from_a_given_pool_with_replacement():
    pool = [FLANK_5 + "AC" * 40 + FLANK_3, FLANK_5 + "AG" * 40 + FLANK_3]
    bg = draw_backgrounds(5, seed=0, pool=pool, method="sample")
    assert len(bg) == 5 and set(bg.sequences) <= set(pool) and bg.source == "given pool"
    with pytest.raises(ValueError, match="method"):
        draw_backgrounds(5, method="uniform")


def test_as_backgrounds_passes_through_or_takes_given_sequences():
    bg = draw_backgrounds(3, seed=2)
    assert as_backgrounds(bg) is bg
    given = as_backgrounds(bg.sequences)
    assert isinstance(given, Backgrounds) and given.seed is None and given.method == "given"
    assert np.array_equal(given.X, bg.X)
    assert len(as_backgrounds(None, n=4, seed=1)) == 4
