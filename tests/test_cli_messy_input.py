"""``promoter-model predict`` on messy input files (``docs/reliability.md``): exit 0 with
one CSV row per record, or exit 2 with exactly one ``error:`` line equal to the reader's
message, never a traceback. In-process on the hypothesis strategies of
``test_reliability_input.py``, and as a user runs it (a subprocess).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reliability_input import fasta_text, lines_text, outcome, table_text

from promoter_model import cli
from promoter_model.sequence import read_sequences


def _cli(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(fasta_text(), lines_text(), table_text()),
       suffix=st.sampled_from([".fa", ".txt", ".csv"]))
def test_cli_predict_property(tiny_run, tmp_path_factory, capsys, data, suffix):
    """``predict`` on messy files: exit 0 with one CSV row per record, or exit 2 with one
    ``error:`` line naming file and record/line (never a traceback).
    """
    text, _ = data
    f = tmp_path_factory.mktemp("cli") / f"input{suffix}"
    f.write_bytes(text.encode("utf-8"))
    code, out, err = _cli(capsys, "predict", tiny_run, f)
    expected = outcome(read_sequences, f)
    if code == 0:
        assert expected[0] == "ok", str(expected[1])
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["id"] for r in rows] == expected[1].ids
        assert [r["sequence"] for r in rows] == expected[1].sequences
        assert all(np.isfinite(float(r["prediction"])) for r in rows)
    else:
        assert code == 2, err
        lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1, err
        assert expected[0] == "error" and lines[0] == f"error: {expected[1]}"
        assert str(f) in lines[0] and "Traceback" not in err


def test_cli_predict_in_process_cases(tiny_run, tmp_path, capsys):
    f = tmp_path / "iupac.fa"
    f.write_text(">ok\nACGT\n>bad\nACGTNNRT\n")
    code, out, err = _cli(capsys, "predict", tiny_run, f)
    assert code == 2 and out == ""
    assert err.strip() == (f"error: {f}, line 3: record 'bad': IUPAC ambiguity code 'R' at "
                           "position 7 is not a DNA base (only A, C, G, T, N are accepted)")
    f = tmp_path / "dup.fa"
    f.write_bytes(b"\xef\xbb\xbf>p\r\nacgu\xc2\xa0acgt\r\n>p\r\nTTTT\r\n")
    code, out, err = _cli(capsys, "predict", tiny_run, f)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["sequence"]) for r in rows] == [("p", "ACGTACGT"), ("p_2", "TTTT")]


CLI = [sys.executable, "-m", "promoter_model.cli"]


@pytest.mark.slow
def test_cli_predict_subprocess_wrong_files(tiny_run, tmp_path):
    """As a user runs it: exit status 2, one ``error:`` line, no traceback."""
    cases = {  # (Word text with smart quotes is checked in-process above)
        "photo.fa": (b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)), "binary file"),
    }
    for name, (data, needle) in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        p = subprocess.run(CLI + ["predict", str(tiny_run), str(f)], capture_output=True,
                           text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING":
                                                        "utf-8"})
        assert p.returncode == 2, p.stderr
        errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1 and needle in errors[0] and str(f) in errors[0], p.stderr
        assert "Traceback" not in p.stderr
    ok = tmp_path / "ok.fa"
    ok.write_bytes(b"\xef\xbb\xbf>a\r\nacgu\r\n>a\r\nTTTT\r\n")
    p = subprocess.run(CLI + ["predict", str(tiny_run), str(ok)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [(r["id"], r["sequence"]) for r in rows] == [("a", "ACGT"), ("a_2", "TTTT")]
    assert re.search(r"2 of 2 sequences were fitted to 110 bp", p.stderr)
