"""Edits in the user's own coordinates (issue 30): notation, offsets, checks, application."""

from __future__ import annotations

import numpy as np
import pytest

from promoter_model.sequence import (
    SequenceError,
    apply_edits,
    parse_variant_text,
    read_variant_list,
    substitution_labels,
)

WT = "ACGTACGTAC"  # 1-based: A1 C2 G3 T4 A5 C6 G7 T8 A9 C10


@pytest.mark.parametrize("text, expected", [
    ("A1G", "GCGTACGTAC"),
    ("1A>G", "GCGTACGTAC"),
    ("2CG>TT", "ATTTACGTAC"),
    ("2CG>-", "ATACGTAC"),
    ("del2-3", "ATACGTAC"),
    ("del2_3", "ATACGTAC"),
    ("del2..3:CG", "ATACGTAC"),
    ("del10", "ACGTACGTA"),
    ("ins1:TT", "TTACGTACGTAC"),       # before base 1
    ("ins11:GG", "ACGTACGTACGG"),      # after the last base
    ("ins5ACGT", "ACGTACGTACGTAC"),
    ("a1g ; c10t", "GCGTACGTAT"),      # case and spaces, two edits
    ("del2-3;T8A", "ATACGAAC"),        # positions refer to the wild type
])
def test_notation(text, expected):
    assert apply_edits(WT, [parse_variant_text(text, WT)]) == [expected]


def test_offset_numbers_like_the_user():
    # a 10 bp region numbered -10..-1 from the TSS: offset -11
    assert apply_edits(WT, [parse_variant_text("A-10G;del-2--1", WT, offset=-11)]) == \
        ["GCGTACGT"]
    with pytest.raises(SequenceError, match=r"position 1 is outside the wild type "
                                            r"\(-10..-1 with offset -11\)"):
        parse_variant_text("A1G", WT, offset=-11)


@pytest.mark.parametrize("text, needle", [
    ("C1G", "the wild type has A at 1, not C"),
    ("1AG>G", "has AC at 1, not AG"),
    ("del2-3:AA", "has CG at 2..3, not AA"),
    ("A11G", "position 11 is outside the wild type (1..10"),
    ("ins12:A", "position 12 is outside"),
    ("del3-2", "runs backwards"),
    ("A1A", "changes nothing"),
    ("A1G;1A>C", "overlap"),
    ("ins3:A;ins3:C", "overlap"),
    ("X1G", "cannot read the edit"),
    ("", "empty variant"),
])
def test_problems_are_named(text, needle):
    with pytest.raises(SequenceError) as err:
        parse_variant_text(text, WT)
    assert needle in str(err.value)


def test_vectorised_substitutions_equal_string_edits():
    rng = np.random.default_rng(0)
    wt = "".join(rng.choice(list("ACGT"), 300))
    variants, expected = [], []
    for _ in range(200):
        pos = np.sort(rng.choice(300, size=rng.integers(1, 5), replace=False))
        alts = ["ACGT"[(("ACGT".index(wt[p])) + int(rng.integers(1, 4))) % 4] for p in pos]
        text = ";".join(f"{wt[p]}{p + 1}{a}" for p, a in zip(pos, alts))
        variants.append(parse_variant_text(text, wt))
        s = list(wt)
        for p, a in zip(pos, alts):
            s[p] = a
        expected.append("".join(s))
    variants.append(parse_variant_text("del5-9;ins100:AAA", wt))  # one indel among them
    expected.append(wt[:4] + wt[9:99] + "AAA" + wt[99:])
    assert apply_edits(wt, variants) == expected


def test_variant_list_ids_comments_sequences_and_labels():
    text = ("id,edits\n"               # a header line is skipped
            "x,A1G\n"
            "y\tdel2-3  # a comment\n"
            "ins11:GG;C2A\n"
            "GCGTACGTAT\n"             # a whole sequence
            "\n")
    v = read_variant_list(text, WT)
    assert v.ids == ["x", "y", "v3", "v4"]
    assert v.labels == ["A1G", "del2-3", "ins11:GG;C2A", "A1G;C10T"]
    assert v.sequences == ["GCGTACGTAC", "ATACGTAC", "AAGTACGTACGG", "GCGTACGTAT"]
    assert v.edits[3] is None
    assert substitution_labels(WT, ["ACGTACGTAG", "ACG"], offset=-11) == ["C-1G",
                                                                          "sequence (3 bp)"]


def test_variant_list_fasta_and_errors_name_the_line():
    v = read_variant_list(">m1\nGCGTACGTAC\n>m2\nACGTACGTAC\n", WT)
    assert v.ids == ["m1", "m2"] and v.labels == ["A1G", "none (the wild type)"]
    with pytest.raises(SequenceError, match=r"e.txt, line 2: variant v2: edit C5G: the wild "
                                            r"type has A at 5, not C"):
        read_variant_list("A1G\nC5G\n", WT, source="e.txt")
    with pytest.raises(SequenceError, match="join the edits of one variant with ';'"):
        read_variant_list("A1G,C2T\n", WT)
    with pytest.raises(SequenceError, match="more than 2 variants"):
        read_variant_list("A1G\nC2T\nG3A\n", WT, max_variants=2)
    with pytest.raises(SequenceError, match="longer than the limit of 12 bp"):
        read_variant_list("ins1:AAAAA\n", WT, max_length=12)
    with pytest.raises(SequenceError, match="cannot read 'hello'"):
        read_variant_list("hello\n", WT)
    with pytest.raises(ValueError, match="beyond the limit"):
        read_variant_list("A1G\n", WT, offset=10**12)
