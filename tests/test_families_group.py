"""Families of a synthetic library with planted series, tilings and shifted windows."""

from __future__ import annotations

import numpy as np
import pytest

from promoter_model.families.group import (
    group_families,
    near_copy_pairs,
    shared_kmer_pairs,
    variable_regions,
)

FLANK_5, FLANK_3 = "TGCATTTTTTTCACATC", "GGTTACGGCTGTT"


def _random(rng, n):
    return "".join(rng.choice(list("ACGT"), size=n))


def planted_library(seed: int = 0):
    """Sequences and their true family: random singletons, single-base series of a parent,
    a motif tiled along one background, 80 bp windows of one long native sequence.
    """
    rng = np.random.default_rng(seed)
    seqs, fam = [], []
    for f in range(40):  # unrelated random promoters: a family each
        seqs.append(_random(rng, 80))
        fam.append(f"random{f}")
    for f in range(5):  # single-base series: parent, all its mutants at 6 positions
        parent = _random(rng, 80)
        seqs.append(parent)
        fam.append(f"series{f}")
        for pos in rng.choice(80, size=6, replace=False):
            for base in "ACGT":
                if base != parent[pos]:
                    seqs.append(parent[:pos] + base + parent[pos + 1:])
                    fam.append(f"series{f}")
    for f in range(3):  # a 12 bp motif tiled every 4 bp along one background
        background, motif = _random(rng, 80), _random(rng, 12)
        for start in range(0, 69, 4):
            seqs.append(background[:start] + motif + background[start + 12:])
            fam.append(f"tiling{f}")
    for f in range(3):  # overlapping native fragments: windows 15 bp apart
        native = _random(rng, 200)
        for start in range(0, 121, 15):
            seqs.append(native[start:start + 80])
            fam.append(f"native{f}")
    order = rng.permutation(len(seqs))
    return [seqs[i] for i in order], np.array(fam)[order]


def _same_partition(label, truth):
    """Whether two labelings group the rows identically."""
    pairs = {(a, b) for a, b in zip(label, truth)}
    return len(pairs) == len(set(label)) == len(set(truth))


def test_planted_families_are_recovered_exactly():
    seqs, truth = planted_library()
    fams = group_families(seqs)
    assert _same_partition(fams.label, truth)
    assert fams.n_families == 40 + 5 + 3 + 3
    # labels are numbered by first occurrence
    first = [int(np.flatnonzero(fams.label == f)[0]) for f in range(fams.n_families)]
    assert first == sorted(first)


def test_full_constructs_and_cores_give_the_same_families():
    seqs, truth = planted_library(1)
    full = [FLANK_5 + s + FLANK_3 for s in seqs]
    assert np.array_equal(group_families(full).label, group_families(seqs).label)


def test_each_rule_alone():
    rng = np.random.default_rng(3)
    a = _random(rng, 80)
    b = a[:10] + ("A" if a[10] != "A" else "C") + a[11:]  # 1 mismatch
    shifted = a[25:] + _random(rng, 25)  # shares a 55-mer, shifted
    far = _random(rng, 80)
    codes = variable_regions([a, b, shifted, far])
    assert near_copy_pairs(codes).tolist() == [[0, 1]]
    kmer = shared_kmer_pairs(codes).tolist()
    assert [0, 2] in kmer and [1, 2] in kmer and not any(3 in p for p in kmer)
    only_near = group_families([a, b, shifted, far], shared_kmer=None)
    assert only_near.n_families == 3
    paired = group_families([a, b, shifted, far], shared_kmer=None, pairs=[[2, 3]])
    assert paired.label.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("mismatches", [0, 1, 2, 3, 4, 5])
def test_near_copy_threshold_is_exact(mismatches):
    rng = np.random.default_rng(mismatches)
    a = _random(rng, 80)
    b = list(a)
    for pos in rng.choice(80, size=mismatches, replace=False):
        b[pos] = "ACGT"[("ACGT".index(a[pos]) + 1) % 4]
    b = "".join(b)
    found = len(near_copy_pairs(variable_regions([a, b]), max_mismatches=3))
    assert found == (mismatches <= 3)


def test_tandem_repeats_and_short_runs_link_nothing():
    rng = np.random.default_rng(5)
    repeat = "ATGGAACA" * 5  # a 40 bp tandem array inserted into unrelated backgrounds
    x = _random(rng, 20) + repeat + _random(rng, 20)
    y = _random(rng, 30) + repeat[:40] + _random(rng, 10)
    run29 = _random(rng, 29)
    u = run29 + _random(rng, 51)
    v = _random(rng, 51) + run29
    assert group_families([x, y, u, v], max_mismatches=-1).n_families == 4


def test_random_sequences_form_no_families():
    rng = np.random.default_rng(7)
    seqs = ["".join(r) for r in rng.choice(list("ACGT"), size=(5000, 80))]
    summary = group_families(seqs).summary()
    assert summary["families"] == 5000 and summary["largest_family"] == 1


def test_pairs_outside_the_rows_are_refused():
    with pytest.raises(ValueError, match="outside"):
        group_families(["A" * 80, "C" * 80], pairs=[[0, 2]])


def test_a_repeat_array_with_a_base_or_two_beside_it_links_nothing_but_a_long_one_does():
    rng = np.random.default_rng(8)
    array = "ATGGAACA" * 4  # 32 bp, period 8
    # the same array with the same two bases before it, in two unrelated backgrounds: the
    # shared run is 34 bp but only 2 of its bases lie outside the repeat
    x = _random(rng, 20) + "CT" + array + _random(rng, 26)
    y = _random(rng, 30) + "CT" + array + _random(rng, 16)
    assert group_families([x, y], max_mismatches=-1).n_families == 2
    # a shared element with 25 non-repeat bases beside a short array links
    element = _random(rng, 25) + array[:10]
    u = _random(rng, 10) + element + _random(rng, 35)
    v = _random(rng, 40) + element + _random(rng, 5)
    assert group_families([u, v], max_mismatches=-1).n_families == 1
    # two rows that are nearly all one array (a 64 bp run) are one family
    long = "ATGGAACA" * 8
    p = _random(rng, 8) + long + _random(rng, 8)
    q = _random(rng, 2) + long + _random(rng, 14)
    assert group_families([p, q], max_mismatches=-1).n_families == 1
