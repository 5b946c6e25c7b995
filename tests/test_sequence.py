"""Encoding, fitting to 110 bp, and the readers' accepted and rejected inputs."""

import numpy as np
import pytest

from promoter_model import sequence as S
from promoter_model.sequence import SequenceError


def test_one_hot_channels_and_n():
    X = S.one_hot(["ACGTN" + "A" * 105])
    assert X.shape == (1, 110, 4) and X.dtype == np.float32
    np.testing.assert_array_equal(X[0, :5], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
                                             [0, 0, 0, 1], [0, 0, 0, 0]])
    assert X[0, 5:].sum() == 105


def test_lower_case_and_rna_u_accepted():
    np.testing.assert_array_equal(S.one_hot(["acgu" * 10], length=40),
                                  S.one_hot(["ACGT" * 10], length=40))


def test_fit_keeps_3prime_end_and_pads_5prime():
    long_seq = "G" * 5 + "A" * 110
    short = "C" * 100  # 81-109 bp: not the bare variable region, so N-padded
    fitted, change = S.fit_to_length([long_seq, short, "T" * 110])
    assert fitted[0] == "A" * 110
    assert fitted[1] == "N" * 10 + "C" * 100
    assert fitted[2] == "T" * 110
    np.testing.assert_array_equal(change, [5, -10, 0])
    assert "trimmed 5 bp" in S.describe_fit(5)
    assert "padded with 10 N" in S.describe_fit(-10)
    assert S.describe_fit(0) is None


def test_bare_variable_region_placed_between_the_flanks(promoters):
    core = promoters[0][S.VARIABLE_START:S.VARIABLE_END]
    assert len(core) == 80
    short = core[30:]  # 50 bp: 3'-anchored against the 3' flank, N before it
    fitted, change = S.fit_to_length([core, short, promoters[0], "A" * 81])
    assert fitted[0] == promoters[0] == S.FLANK_5 + core + S.FLANK_3
    assert fitted[1] == S.FLANK_5 + "N" * 30 + short + S.FLANK_3
    assert fitted[2] == promoters[0]  # with the flanks: unchanged
    assert fitted[3] == "N" * 29 + "A" * 81  # 81 bp: today's 3'-anchored rule
    np.testing.assert_array_equal(change, [-30, -60, 0, -29])
    # the bare core encodes exactly like the core typed with its flanks
    np.testing.assert_array_equal(S.one_hot([core]), S.one_hot([promoters[0]]))
    np.testing.assert_array_equal(S.encode_fitted([core])[0], S.encode_codes([promoters[0]]))
    assert list(S.placed_in_flanks([0, 1, 80, 81, 110])) == [True, True, True, False, False]
    note = S.describe_fit(-30)
    assert "placed between the 5' flank TGCATTTTTTTCACATC and the 3' flank GGTTACGGCTGTT" \
        in note and "positions 18-97" in note
    assert "positions 48-97; the 30 bp before it are N" in S.describe_fit(-60)
    assert "padded with 29 N" in S.describe_fit(-29)
    assert [S.describe_fit(c, short=True) for c in (-30, -60, -29, 5, 0)] == [
        "flanks added", "flanks added, 30 N before it", "29 N added on the 5' side",
        "5' end trimmed (5 bp)", None]
    summary = S.fit_summary([core, short, promoters[0], "A" * 81])
    assert summary.startswith("3 of 4 sequences were fitted to 110 bp")
    assert "2 of at most 80 bp placed between the plasmid flanks" in summary
    assert "1 padded with N on the 5' side" in summary
    assert S.fit_summary([promoters[0]]) is None


def test_flank_rule_only_for_the_110bp_layout():
    fitted, _ = S.fit_to_length(["ACGT" * 5], length=40)
    assert fitted == ["N" * 20 + "ACGT" * 5]
    assert not S.placed_in_flanks(20, length=40)
    assert "padded with 20 N" in S.describe_fit(-20, length=40)


def test_fit_convention_recorded_for_new_runs_old_text_still_loads():
    from promoter_model import records
    from promoter_model.model.config import RunConfig, TrainConfig

    assert TrainConfig().fit_convention == S.FIT_CONVENTION == records.FIT_CONVENTION
    assert "plasmid flanks" in S.FIT_CONVENTION
    old = RunConfig().to_dict()
    old["train"]["fit_convention"] = S.LEGACY_FIT_CONVENTIONS[0]
    assert RunConfig.from_dict(old).train.fit_convention == S.LEGACY_FIT_CONVENTIONS[0]


def test_reverse_complement_string_and_one_hot_agree(promoters):
    rc = [S.reverse_complement(s) for s in promoters[:5]]
    np.testing.assert_array_equal(S.reverse_complement_one_hot(S.one_hot(promoters[:5])),
                                  S.one_hot(rc))
    assert S.reverse_complement("AACGTN") == "NACGTT"


def test_decode_round_trip(promoters):
    assert S.decode(S.one_hot(promoters)) == promoters


def test_encode_codes_rejects_bad_character_with_position():
    with pytest.raises(SequenceError) as err:
        S.encode_codes(["A" * 110, "A" * 50 + "X" + "A" * 59])
    assert err.value.position == 51 and err.value.character == "X"
    assert "sequence 2" == err.value.record


def test_find_invalid_is_vectorised_and_exact():
    seqs = ["ACGT", "ACXT", "", "RRRR", "ACGTÄ"]
    np.testing.assert_array_equal(S.find_invalid(seqs), [0, 3, 0, 1, 5])


def test_parse_fasta_multiline_duplicates_and_whitespace():
    text = ">a desc\nACGT\nACGT\n>a\nac gt\r\n>b\nUUUU\n"
    t = S.parse_text(text)
    assert t.ids == ["a", "a_2", "b"]
    assert t.sequences == ["ACGTACGT", "ACGT", "TTTT"]


def test_parse_dream_format(tmp_path):
    f = tmp_path / "train.txt"
    f.write_text("ACGT\t1.5\nTTTT\t17\n")
    t = S.read_sequences(f)
    assert t.sequences == ["ACGT", "TTTT"]
    np.testing.assert_allclose(t.expression, [1.5, 17.0])


def test_table_with_id_and_expression(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("id,sequence,expression\ns1,ACGT,0.5\ns2,GGGG,-1\n")
    t = S.read_sequences(f)
    assert t.ids == ["s1", "s2"] and list(t.expression) == [0.5, -1.0]


@pytest.mark.parametrize("text, fmt, needle", [
    ("", "auto", "empty"),
    ("id,expression\n1,2\n", "table", "no 'sequence' column"),
    ("ACGT\tabc\n", "dream", "'abc' is not a number"),
    (">x\nACGRT\n", "auto", "IUPAC ambiguity code 'R' at position 4"),
    (">x\n\n>y\nAC\n", "auto", "record 'x' has an empty sequence"),
])
def test_clear_errors(text, fmt, needle):
    with pytest.raises(SequenceError) as err:
        S.parse_text(text, fmt, source="in.txt")
    assert needle in str(err.value)


def test_error_names_line_in_file(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("ACGT\t1\n\nACGT\t2\nAC!T\t3\n")
    with pytest.raises(SequenceError) as err:
        S.read_sequences(f)
    assert err.value.line == 4 and err.value.position == 3 and "bad.txt" in str(err.value)


def test_too_long_sequence_rejected():
    with pytest.raises(SequenceError, match="longer than the limit of 200 bp"):
        S.parse_text("A" * 201, "lines", max_length=200)


def test_lenient_mode_keeps_valid_records():
    t = S.parse_text(">ok\nACGT\n>bad\nACZT\n>ok2\nTTTT\n", strict=False)
    assert t.ids == ["ok", "ok2"]
    assert len(t.errors) == 1 and t.errors[0].record == "bad" and t.errors[0].position == 3


def test_binary_file_rejected(tmp_path):
    f = tmp_path / "x.fa"
    f.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(SequenceError, match="binary"):
        S.read_sequences(f)


def test_gzip_table(tmp_path):
    import gzip

    f = tmp_path / "t.tsv.gz"
    f.write_bytes(gzip.compress(b"sequence\texpression\nACGT\t1\n"))
    assert S.read_sequences(f).sequences == ["ACGT"]


def test_iter_dream_chunks_streams_with_line_numbers(tmp_path, train_demo_path):
    chunks = list(S.iter_dream_chunks(train_demo_path, chunk_rows=1000))
    assert sum(len(c[0]) for c in chunks) == 6370
    assert [c[2] for c in chunks[:3]] == [1, 1001, 2001]
    bad = tmp_path / "bad.txt"
    bad.write_text("ACGT\t1\nACGT\t2\nACGT\tx\n")
    with pytest.raises(SequenceError) as err:
        list(S.iter_dream_chunks(bad, chunk_rows=2))
    assert err.value.line == 3


def test_real_train_demo_lengths(train_demo_path):
    t = S.read_sequences(train_demo_path)
    lengths = np.array([len(s) for s in t.sequences])
    assert len(t) == 6370 and lengths.min() >= 87 and lengths.max() <= 135
    X = S.one_hot(t.sequences)
    assert X.shape == (6370, 110, 4)
    # every fitted sequence ends with the constant 3' flank
    assert all(s.endswith(S.FLANK_3) for s in S.fit_to_length(t.sequences)[0][:100])


@pytest.mark.parametrize("content, line, needle", [
    (b"ACGT\t1\nACGT\t1\tACGT\n5\n", 2, "expected 'sequence<TAB>expression'"),
    (b"ACGT\t1\nACGT\tnan\n", 2, "not a finite number"),
    (b"ACGT\t1\n\t4\n", 2, "empty sequence"),
    (b"ACGT\t1\n" + b"A" * 50 + b"\t1\n", 2, "longer than the limit of 40 bp"),
    (b"ACGT\t1\n\nACRT\t2\n", 3, "IUPAC ambiguity code 'R' at position 3"),
    (b"\xef\xbb\xbfACGT\t1\r\nACGT\t2\r\nAC T\t3\r\n", 3, "position 3"),
])
def test_dream_chunks_reject_bad_lines(tmp_path, content, line, needle):
    f = tmp_path / "t.txt"
    f.write_bytes(content)
    with pytest.raises(SequenceError) as err:
        list(S.iter_dream_chunks(f, chunk_rows=2, max_length=40))
    assert err.value.line == line and needle in str(err.value)


def test_dream_chunks_fast_and_row_paths_agree(tmp_path, promoters):
    rows = [f"{s.lower()}\t{i / 3:.5f}" for i, s in enumerate(promoters)]
    clean = tmp_path / "clean.txt"
    clean.write_text("\n".join(rows))
    messy = tmp_path / "messy.txt"
    messy.write_text("\r\n".join(rows[:10] + [""] + rows[10:]) + "\r\n\r\n")
    a = [(s, list(e)) for s, e, _ in S.iter_dream_chunks(clean, chunk_rows=1000)]
    b = [(s, list(e)) for s, e, _ in S.iter_dream_chunks(messy, chunk_rows=1000)]
    assert a[0][0] == promoters and a[0][0] == b[0][0]
    np.testing.assert_allclose(a[0][1], b[0][1])


def test_as_batch_strings_and_one_hot_agree():
    seqs = ["ACGT" * 20, "TTGCA"]
    X = S.as_batch(seqs)
    assert X.shape == (2, S.SEQ_LEN, 4) and X.dtype == np.float32
    np.testing.assert_array_equal(X, S.one_hot(seqs))
    np.testing.assert_array_equal(S.as_batch(seqs[0]), X[:1])
    np.testing.assert_array_equal(S.as_batch(X[0]), X[:1])
    np.testing.assert_array_equal(S.as_batch(X.astype(np.float64)), X)
    assert S.as_batch("ACGT", length=8).shape == (1, 8, 4)
    with pytest.raises(ValueError, match=r"\(n, 110, 4\)"):
        S.as_batch(np.zeros((2, 50, 4)))
    with pytest.raises(SequenceError, match="character .Z."):
        S.as_batch(["ACZT"])


def test_reader_names_still_importable_from_sequence():
    from promoter_model.sequence import files as seqio
    from promoter_model.sequence import parse as seqparse

    assert S.read_sequences is seqio.read_sequences
    assert S.parse_text is seqparse.parse_text is seqio.parse_text
    assert S.SequenceTable is seqio.SequenceTable
    assert S.SequenceError is seqio.SequenceError
    with pytest.raises(AttributeError):
        S.no_such_name  # noqa: B018
