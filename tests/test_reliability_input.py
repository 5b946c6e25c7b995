"""Reliability of the text readers (``parse_text``, ``normalize``) against messy input.

Property tests (hypothesis) feed the readers arbitrary and "biologist-shaped" text: Word
paste (smart quotes, non-breaking and zero-width spaces, tabs), Windows line endings, BOMs,
lower case, RNA ``U``, IUPAC codes, empty records, duplicated FASTA headers. Every input
must get the behaviour documented in ``promoter_model/sequence.py``:

* accepted, and then every sequence is the normalised input (white space removed, upper
  case, ``U`` -> ``T``) made only of ``A C G T N``; or
* rejected with :class:`SequenceError` whose message names the record or line and, for a
  bad character, its 1-based position and the character;

and never any other exception. Explicit tests cover each listed case. The oracle and the
strategies here also serve ``test_reliability_files.py`` (any bytes in a file, the streaming
DREAM reader, big and binary files) and ``test_cli_messy_input.py`` (``promoter-model
predict`` on messy files).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from promoter_model.sequence import (
    SequenceError,
    SequenceTable,
    normalize,
    parse_text,
)

# ----------------------------------------------------------------------------- oracle
# what the module docstring promises, written independently of the implementation
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Word paste: no-break, em, narrow and zero-width spaces, tabs (accepted), smart quotes, en
# dash, soft hyphen (rejected).
WORD_NOISE = ["\u00a0", "\u2003", "\u202f", "\u200b", "\t", " ", "\u201c", "\u201d",
              "\u2018", "\u2019", "\u2013", "\u00ad"]
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
IUPAC = "RYSWKMBDHV"
WHOLE_INPUT = ("input is empty", "no sequences found", "binary", "not UTF-8", "not found",
               "over the limit", "is a folder", "damaged gzip")
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def expected_normalised(raw: str) -> str:
    """The documented normalisation: drop white space and zero-width marks, upper-case ASCII
    letters, RNA U -> T.
    """
    kept = "".join(c for c in raw if not c.isspace() and c not in ZERO_WIDTH)
    return "".join(c.upper() if c.isascii() else c for c in kept).replace("U", "T")


def check_error(err: SequenceError, sequences_by_record: dict | None = None) -> None:
    """A SequenceError names where the problem is (documented contract)."""
    msg = str(err)
    assert msg and "\n" not in msg.strip(), msg
    if err.line is not None:
        assert f"line {err.line}" in msg, msg
    if err.record is not None:
        assert err.record in msg, msg
    if err.line is None and err.record is None:
        assert any(w in msg for w in WHOLE_INPUT), f"error names no record or line: {msg}"
    if err.position is not None:
        assert err.record is not None and err.character is not None, msg
        assert f"position {err.position}" in msg, msg
        shown = repr(err.character) if err.character.isprintable() and \
            not err.character.isspace() else f"U+{ord(err.character):04X}"
        assert shown in msg, msg
        assert err.character not in "ACGTN", msg
        if sequences_by_record and err.record in sequences_by_record:
            seq = sequences_by_record[err.record]
            assert seq[err.position - 1] == err.character, (seq, err.position, msg)
            assert all(c in "ACGTN" for c in seq[: err.position - 1]), msg


def check_table(table: SequenceTable) -> None:
    assert isinstance(table, SequenceTable)
    assert len(table.ids) == len(table.sequences) > 0
    assert len(set(table.ids)) == len(table.ids), "ids must be unique"
    for s in table.sequences:
        assert s and set(s) <= set("ACGTN"), s
    if table.expression is not None:
        assert len(table.expression) == len(table.sequences)
        assert np.isfinite(table.expression).all()


def outcome(fn, *args, **kwargs):
    """('ok', table) or ('error', SequenceError); any other exception fails the test."""
    try:
        return "ok", fn(*args, **kwargs)
    except SequenceError as err:
        return "error", err


# ----------------------------------------------------------------------------- strategies
BASES = st.sampled_from(list("ACGTNacgtnUu"))
ANY_CHAR = st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cs"),
                         exclude_characters=LINE_BREAKS + ZERO_WIDTH + '>\t,"\x1f')
NOISE = st.one_of(st.sampled_from(WORD_NOISE), st.sampled_from(list(IUPAC + IUPAC.lower())),
                  ANY_CHAR)
MESSY_CHAR = st.one_of(BASES, BASES, BASES, BASES, NOISE)
MESSY_SEQ = st.lists(MESSY_CHAR, min_size=0, max_size=40).map("".join)
# one-per-line text: a tab there is the DREAM column separator, so none inside sequences
MESSY_LINE = MESSY_SEQ.map(lambda s: s.replace("\t", " "))
CLEAN_SEQ = st.text(alphabet="ACGTNacgtnUu", min_size=1, max_size=130)
EOL = st.sampled_from(["\n", "\r\n"])
BOM = st.sampled_from(["", "\ufeff"])
HEADER = st.sampled_from(["seq1", "seq1", "promoter A", "x", "\u03b1-gene", "", "id|1"])


@st.composite
def fasta_text(draw, seq=MESSY_SEQ):
    eol = draw(EOL)
    parts = []
    raw = []
    for _ in range(draw(st.integers(1, 5))):
        s = draw(seq)
        raw.append(s)
        cut = draw(st.integers(0, len(s)))  # wrap the record over two lines
        parts.append(f">{draw(HEADER)}{eol}{s[:cut]}{eol}{s[cut:]}{eol}")
    return draw(BOM) + "".join(parts), raw


@st.composite
def lines_text(draw, seq=MESSY_LINE):
    eol = draw(EOL)
    raw = draw(st.lists(seq, min_size=1, max_size=6))
    return draw(BOM) + eol.join(raw) + draw(st.sampled_from(["", eol])), raw


@st.composite
def table_text(draw, seq=MESSY_SEQ):
    eol = draw(EOL)
    sep = draw(st.sampled_from([",", "\t"]))
    raw = draw(st.lists(seq, min_size=1, max_size=6))
    vals = draw(st.lists(st.sampled_from(["1.5", "-2", "1e3", "x", "nan", "", "7"]),
                         min_size=len(raw), max_size=len(raw)))
    rows = [sep.join(["id", "sequence", "expression"])]
    for i, (s, v) in enumerate(zip(raw, vals)):
        cell = '"' + s.replace('"', '""') + '"' if (sep in s or '"' in s) else s
        rows.append(sep.join([f"r{i}", cell, v]))
    return draw(BOM) + eol.join(rows) + eol, raw


@st.composite
def dream_text(draw, seq=MESSY_SEQ):
    eol = draw(EOL)
    raw = draw(st.lists(seq, min_size=1, max_size=6))
    vals = draw(st.lists(st.sampled_from(["1.5", "-2", "0", "x", "inf", "3.25"]),
                         min_size=len(raw), max_size=len(raw)))
    return draw(BOM) + eol.join(f"{s}\t{v}" for s, v in zip(raw, vals)) + eol, raw


# ----------------------------------------------------------------------------- properties
@FAST
@given(text=st.text(max_size=300), fmt=st.sampled_from(["auto", "lines", "fasta", "dream"]),
       strict=st.booleans())
def test_any_unicode_text_is_parsed_or_rejected_with_a_location(text, fmt, strict):
    kind, result = outcome(parse_text, text, fmt, strict=strict)
    if kind == "ok":
        if len(result):
            check_table(result)
        for err in result.errors:
            check_error(err)
    else:
        check_error(result)


@FAST
@example(text="sequence\nAC\rGT\n", strict=True)  # bare CR (classic Mac line end)
@given(text=st.text(max_size=300), strict=st.booleans())
def test_any_table_text_is_parsed_or_rejected_with_a_location(text, strict):
    kind, result = outcome(parse_text, "sequence\n" + text, "table", strict=strict)
    if kind == "ok":
        for err in result.errors:
            check_error(err)
    else:
        check_error(result)


@FAST
@given(data=st.one_of(fasta_text(), lines_text(), table_text(), dream_text()))
def test_messy_records_normalised_or_named(data):
    """Strict mode: either every record is accepted as its documented normalisation, or the
    first bad record is named with position and character.
    """
    text, raw = data
    kind, result = outcome(parse_text, text, "auto")
    if kind == "ok":
        check_table(result)
        got = result.sequences
        want = [expected_normalised(s) for s in raw]
        if not text.lstrip("\ufeff").startswith((">", "id")):
            want = [w for w in want if w]  # one-per-line / DREAM: blank lines are skipped
        assert got == want
    else:
        check_error(result, None)


@FAST
@given(data=st.one_of(fasta_text(), lines_text()))
def test_lenient_mode_keeps_exactly_the_good_records(data):
    """Lenient mode (the app): good records kept, normalised, in order; each bad one
    reported once with a location; none lost silently.
    """
    text, raw = data
    is_fasta = text.lstrip("\ufeff").startswith(">")
    kind, result = outcome(parse_text, text, "auto", strict=False)
    records = raw if is_fasta else [r for r in raw if r.strip()]
    if kind == "error":  # only whole-input problems are raised in lenient mode
        assert not records
        check_error(result)
        return
    for err in result.errors:
        check_error(err)
    norm = [expected_normalised(r) for r in records]
    valid = [v for v in norm if v and set(v) <= set("ACGTN")]
    assert result.sequences == valid
    assert len(result.errors) == len(records) - len(valid)
    if is_fasta:
        assert len(set(result.ids)) == len(result.ids)


@FAST
@given(seq=CLEAN_SEQ, noise=st.lists(st.sampled_from(
    [c for c in map(chr, range(0x3001))
     if c.isspace() and c != "\t" and len(f"a{c}b".splitlines()) == 1]
    + list(ZERO_WIDTH)), min_size=1, max_size=4), where=st.randoms(use_true_random=False))
def test_any_unicode_white_space_inside_a_sequence_is_removed(seq, noise, where):
    chars = list(seq)
    for c in noise:
        chars.insert(where.randint(0, len(chars)), c)
    noisy = "".join(chars)
    want = seq.upper().replace("U", "T")
    assert normalize(noisy) == want
    for text in (noisy + "\n", f">r\n{noisy}\n"):
        kind, result = outcome(parse_text, text)
        assert kind == "ok", str(result)
        assert result.sequences == [want]


# ----------------------------------------------------------------------------- explicit cases
def test_word_formatted_paste_is_normalised():
    text = ("\ufeff>promoter\u00a01 from Word\r\n"
            "acgt\u00a0ACGT\u200bacgu\tNNNN \r\n"
            "  TTTT\u200b\r\n")
    table = parse_text(text)
    assert table.ids == ["promoter"]
    assert table.sequences == ["ACGTACGTACGTNNNNTTTT"]


def test_smart_quotes_are_named_with_position():
    with pytest.raises(SequenceError) as info:
        parse_text(">s\nACGT\u201cACGT\u201d\n")
    err = info.value
    assert (err.record, err.position, err.character) == ("s", 5, "\u201c")
    assert "record 's'" in str(err) and "position 5" in str(err) and "'\u201c'" in str(err)
    assert str(err).startswith("line 1:")


def test_crlf_and_bom_in_every_format():
    want = ["ACGT", "TTTT"]
    for fmt, text in [("lines", "acgt\r\nTTTT\r\n"), ("fasta", ">a\r\nACGT\r\n>b\r\nTTTT\r\n"),
                      ("table", "sequence,expression\r\nACGT,1\r\nTTTT,2\r\n"),
                      ("dream", "ACGT\t1\r\nTTTT\t2\r\n")]:
        for bom in ("", "\ufeff"):
            table = parse_text(bom + text)
            assert table.sequences == want, (fmt, bom)
            if fmt in ("table", "dream"):
                np.testing.assert_array_equal(table.expression, [1.0, 2.0])


def test_rna_and_lower_case_accepted():
    assert parse_text("acguACGU\n").sequences == ["ACGTACGT"]


@pytest.mark.parametrize("code", list(IUPAC + IUPAC.lower()))
def test_iupac_codes_rejected_with_the_code_named(code):
    with pytest.raises(SequenceError) as info:
        parse_text(f">r1\nACGT\n>r2\nAC{code}T\n")
    err = info.value
    assert (err.record, err.position, err.character) == ("r2", 3, code.upper())
    assert f"IUPAC ambiguity code '{code.upper()}' at position 3" in str(err)
    assert "line 3" in str(err)


def test_empty_records_named():
    with pytest.raises(SequenceError, match="record 'b' has an empty sequence") as info:
        parse_text(">a\nACGT\n>b\n>c\nTTTT\n")
    assert info.value.line == 3
    lenient = parse_text(">a\nACGT\n>b\n>c\nTTTT\n", strict=False)
    assert lenient.ids == ["a", "c"] and [e.record for e in lenient.errors] == ["b"]
    with pytest.raises(SequenceError, match="input is empty"):
        parse_text("\ufeff \r\n\t\n")


def test_duplicated_fasta_headers_kept_with_unique_ids():
    table = parse_text(">x\nAAAA\n>x\nCCCC\n>x extra words\nGGGG\n>\nTTTT\n>\nNNNN\n")
    assert table.sequences == ["AAAA", "CCCC", "GGGG", "TTTT", "NNNN"]
    assert len(set(table.ids)) == 5
    assert table.ids[:3] == ["x", "x_2", "x_3"]


def test_table_with_classic_mac_line_ends():
    table = parse_text("sequence,expression\rACGT,1\rTTTT,2\r", "table")
    assert table.sequences == ["ACGT", "TTTT"]


def test_table_with_a_huge_cell_is_a_sequence_error():
    with pytest.raises(SequenceError, match="line 3") as info:
        parse_text("sequence\nACGT\n" + "A" * 200_000 + "\n", "table")
    assert info.value.line == 3


def test_non_ascii_letters_are_named_as_typed():
    with pytest.raises(SequenceError) as info:
        parse_text("ACßGT\n")
    assert info.value.character == "ß" and info.value.position == 3
