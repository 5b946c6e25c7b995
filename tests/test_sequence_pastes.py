"""Real pastes (issue 30): GenBank and SnapGene text, wrapped sequences, Windows line ends.

Before ``sequence/pastes.py`` a GenBank paste was refused (``L`` of ``LOCUS`` is not a
base) and a sequence wrapped over lines became one prediction per line.
"""

from __future__ import annotations

import pytest
from conftest import run_main

from promoter_model.sequence import FLANK_3, FLANK_5, SequenceError, parse_text

CORE = ("ACGTTGCAAC" * 8)  # 80 bp
CONSTRUCT = FLANK_5 + CORE + FLANK_3  # 110 bp


def _genbank(seq: str, name: str = "pMY_PROM", eol: str = "\n") -> str:
    """GenBank text as SnapGene exports it: header, features, numbered ORIGIN, //."""
    rows = []
    for i in range(0, len(seq), 60):
        chunk = seq[i:i + 60].lower()
        blocks = " ".join(chunk[j:j + 10] for j in range(0, len(chunk), 10))
        rows.append(f"{i + 1:>9} {blocks}")
    head = [f"LOCUS       {name}        {len(seq)} bp    DNA     linear   SYN 06-DEC-2026",
            "DEFINITION  A promoter.", "FEATURES             Location/Qualifiers",
            f"     promoter        1..{len(seq)}", '                     /label="prom 1"',
            "ORIGIN"]
    return eol.join(head + rows + ["//", ""])


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_genbank_paste_is_one_sequence_with_a_note(eol):
    t = parse_text(_genbank(CONSTRUCT, eol=eol))
    assert t.ids == ["pMY_PROM"] and t.sequences == [CONSTRUCT]
    assert len(t.notes) == 1 and "GenBank" in t.notes[0] and "position numbers" in t.notes[0]


def test_two_genbank_records_and_numbered_lines_without_header():
    t = parse_text(_genbank(CONSTRUCT, "A") + _genbank(CORE, "B"))
    assert t.ids == ["A", "B"] and t.sequences == [CONSTRUCT, CORE]
    numbered = "\n".join(ln for ln in _genbank(CONSTRUCT).splitlines() if ln[:1] == " "
                         and ln.strip()[:1].isdigit())
    t = parse_text(numbered)
    assert t.ids == ["sequence"] and t.sequences == [CONSTRUCT]


def test_genbank_bad_base_names_its_position_and_empty_origin_is_refused():
    bad = CONSTRUCT[:30] + "R" + CONSTRUCT[31:]
    with pytest.raises(SequenceError, match="position 31"):
        parse_text(_genbank(bad))
    with pytest.raises(SequenceError, match="no sequence found"):
        parse_text("LOCUS x 10 bp DNA\nFEATURES Location/Qualifiers\n//\n")


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_wrapped_sequence_without_header_is_one_sequence(eol):
    seq = CONSTRUCT * 2  # 220 bp wrapped at 60: 60, 60, 60, 40
    text = eol.join(seq[i:i + 60] for i in range(0, len(seq), 60)) + eol
    t = parse_text(text)
    assert t.sequences == [seq] and t.ids == ["sequence"]
    assert "4 lines wrapped at 60 bp" in t.notes[0]


def test_a_list_of_constructs_stays_one_per_line():
    t = parse_text("\r\n".join([CONSTRUCT, CONSTRUCT[::-1], CONSTRUCT[:100]]))
    assert len(t) == 3 and t.notes == []  # 110 bp is not a wrap width
    t = parse_text("\n".join([CORE, CORE[::-1]]))  # 80 bp lines of equal length: a list
    assert len(t) == 2 and "FASTA header" in t.notes[0]


def test_windows_line_ends_in_every_format():
    assert parse_text(f">a\r\n{CORE[:40]}\r\n{CORE[40:]}\r\n").sequences == [CORE]
    assert parse_text(f"id,sequence\r\nx,{CORE}\r\n").sequences == [CORE]
    assert parse_text(f"{CORE}\t1.5\r\n").expression.tolist() == [1.5]


def test_cli_predicts_a_genbank_paste_once_and_says_what_was_stripped(tiny_run, tmp_path,
                                                                       capsys):
    path = tmp_path / "prom.gb"
    path.write_text(_genbank(CONSTRUCT, eol="\r\n"))
    r = run_main(capsys, "predict", tiny_run, path)
    assert r.returncode == 0, r.stderr
    rows = r.stdout.strip().splitlines()
    assert len(rows) == 2 and rows[1].startswith("pMY_PROM,")
    assert "note:" in r.stderr and "GenBank" in r.stderr
