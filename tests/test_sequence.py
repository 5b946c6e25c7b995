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
    short = "C" * 100
    fitted, change = S.fit_to_length([long_seq, short, "T" * 110])
    assert fitted[0] == "A" * 110
    assert fitted[1] == "N" * 10 + "C" * 100
    assert fitted[2] == "T" * 110
    np.testing.assert_array_equal(change, [5, -10, 0])
    assert "trimmed 5 bp" in S.describe_fit(5)
    assert "padded with 10 N" in S.describe_fit(-10)
    assert S.describe_fit(0) is None


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
