"""Nearest training sequence: exact distances, the packed index, plain words."""

from __future__ import annotations

import numpy as np

from promoter_model.families.novelty import (
    NoveltyIndex,
    describe,
    distance_bin,
    nearest,
    pack_regions,
    unpack_regions,
)


def _mutate(rng, seq, k):
    s = list(seq)
    for pos in rng.choice(80, size=k, replace=False):
        s[pos] = "ACGT"[("ACGT".index(s[pos]) + 1 + rng.integers(3)) % 4]
    return "".join(s)


def test_distances_are_exact_by_scan_and_by_blocks():
    rng = np.random.default_rng(0)
    index = ["".join(r) for r in rng.choice(list("ACGT"), size=(300, 80))]
    wanted = rng.integers(0, 15, size=60)
    rows = rng.integers(0, 300, size=60)
    query = [_mutate(rng, index[r], k) for r, k in zip(rows, wanted)]
    dist, arg = nearest(query, index)
    assert np.array_equal(dist, wanted)  # random others are ~60 bases away
    assert np.array_equal(arg, rows)
    d3, a3 = nearest(query, index, max_exact=3)
    assert np.array_equal(d3, np.minimum(wanted, 4))
    assert np.array_equal(a3[wanted <= 3], rows[wanted <= 3])
    assert (a3[wanted > 3] == -1).all()


def test_n_matches_nothing():
    seq = "ACGT" * 20
    dist, _ = nearest(["N" + seq[1:]], [seq])
    assert dist.tolist() == [1]


def test_index_packs_two_bits_a_base_and_round_trips():
    rng = np.random.default_rng(1)
    seqs = ["".join(r) for r in rng.choice(list("ACGT"), size=(50, 80))]
    packed = pack_regions(np.array([["ACGT".index(c) for c in s] for s in seqs], np.uint8))
    assert packed.shape == (50, 20) and packed.dtype == np.uint8
    assert "".join("ACGT"[c] for c in unpack_regions(packed)[3]) == seqs[3]
    index = NoveltyIndex(packed)
    assert index.sequence(7) == seqs[7]
    flanked = "TGCATTTTTTTCACATC" + _mutate(rng, seqs[9], 2) + "GGTTACGGCTGTT"
    dist, row = index.nearest([flanked])
    assert dist.tolist() == [2] and row.tolist() == [9]


def test_words_and_bins():
    assert describe(0).startswith("identical")
    assert describe(1) == "trained on a sequence 1 base away"
    assert describe(4) == "trained on a sequence 4 bases away"
    assert describe(11).startswith("new to the model")
    assert distance_bin([0, 1, 2, 3, 10, 11, 80]).tolist() == [
        "identical", "1 base", "2 bases", "3-10 bases", "3-10 bases",
        "11 or more (novel)", "11 or more (novel)"]
