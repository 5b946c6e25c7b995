"""Reliability of the file readers (``read_sequences``, ``iter_dream_chunks``): any bytes in
any file give a table or a located error; a 2 GB file refused from its size before any
byte is read, a 2 GB binary file under a raised cap refused after its first block, binary
files renamed ``.fa`` refused with the reason; the streaming DREAM reader agrees with
``parse_text``, names the line of any bad byte and streams in bounded memory
(``docs/reliability.md``). Messy text is in ``test_reliability_input.py`` (whose oracle
and strategies these properties use), the ``predict`` command in
``test_cli_messy_input.py``.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from test_reliability_input import BOM, CLEAN_SEQ, EOL, FAST, check_error, outcome

from promoter_model.sequence import SequenceError, iter_dream_chunks, parse_text, read_sequences


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


def test_2gb_file_refused_by_max_bytes_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "genome.fa"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: no disk space, no write time
    assert big.stat().st_size == 2 * 1024**3

    def no_read(*a, **k):
        raise AssertionError("the file was read")

    rss0 = _rss_mb()
    monkeypatch.setattr(Path, "read_bytes", no_read)
    monkeypatch.setattr("builtins.open", no_read)
    t0 = time.perf_counter()
    with pytest.raises(SequenceError, match=r"2048\.0 MB, over the limit of 19\.0735 MB") as info:
        read_sequences(big, max_bytes=20_000_000)
    elapsed = time.perf_counter() - t0
    monkeypatch.undo()
    assert elapsed < 1.0
    assert _rss_mb() - rss0 < 20
    assert str(big) in str(info.value)


def test_2gb_binary_refused_without_reading_it_whole(tmp_path, monkeypatch):
    big = tmp_path / "reads.fa"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)

    def no_read(*a, **k):
        raise AssertionError("the whole 2 GB file was read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    with pytest.raises(SequenceError, match="over the limit"):  # the default cap (256 MB)
        read_sequences(big)
    with pytest.raises(SequenceError, match="binary file"):  # under a raised cap: 64 KB read
        read_sequences(big, max_bytes=4 * 1024**3)


@pytest.mark.parametrize("name, data, needle", [
    ("photo.fa", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
    ("report.fa", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "binary file"),
    ("latin1.fa", ">caf\xe9\nACGT\n".encode("latin-1"), "byte 0xE9 is not UTF-8 text"),
    ("empty.fa", b"", "input is empty"),
    ("trunc.fa.gz", gzip.compress(b">a\nACGT\n" * 50, mtime=0)[:-12], "damaged gzip file"),
])
def test_wrong_files_renamed_fa(tmp_path, name, data, needle):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(SequenceError, match=needle) as info:
        read_sequences(p)
    assert str(p) in str(info.value)


@FAST
@given(content=st.binary(max_size=600), suffix=st.sampled_from([".fa", ".txt", ".csv",
                                                                ".fa.gz", ".tsv"]),
       gz=st.booleans())
@example(content=b"\x1f\x8b\x08\x00" + bytes(range(1, 200)), suffix=".fa", gz=False)
def test_read_sequences_any_bytes(tmp_path_factory, content, suffix, gz):
    path = tmp_path_factory.mktemp("bytes") / f"upload{suffix}"
    path.write_bytes(gzip.compress(content) if gz else content)
    kind, result = outcome(read_sequences, path, strict=False)
    if kind == "ok":
        for err in result.errors:
            check_error(err)
        assert all(s and set(s) <= set("ACGTN") for s in result.sequences)
    else:
        check_error(result)
        assert str(path) in str(result)


def _write_dream(path: Path, n: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    codes = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(n, 110))]
    tab = np.full((n, 1), ord("\t"), np.uint8)
    vals = np.char.encode(np.char.mod("%.3f", rng.normal(size=n)))
    with open(path, "wb") as fh:
        for i in range(0, n, 50_000):
            block = np.concatenate([codes[i:i + 50_000], tab[i:i + 50_000]], axis=1)
            fh.write(b"".join(r.tobytes() + v + b"\n"
                              for r, v in zip(block, vals[i:i + 50_000])))
    return path


def _stream_peak(path, chunk_rows):
    tracemalloc.start()
    try:
        n = 0
        for seqs, expr, _ in iter_dream_chunks(path, chunk_rows=chunk_rows):
            n += len(seqs)
            del seqs, expr
        return n, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_iter_dream_chunks_streams_in_bounded_memory(tmp_path):
    """Peak Python memory while streaming 200k rows is set by the 8 MB block and the chunk
    size, not by the file: 4x the rows costs (almost) no more memory.
    """
    small = _write_dream(tmp_path / "small.txt", 50_000)
    large = _write_dream(tmp_path / "large.txt", 200_000, seed=1)
    size_mb = large.stat().st_size / 1e6
    n_small, peak_small = _stream_peak(small, 10_000)
    n_large, peak_large = _stream_peak(large, 10_000)
    assert (n_small, n_large) == (50_000, 200_000)
    print(f"file {size_mb:.1f} MB; tracemalloc peak {peak_small:.1f} MB (50k rows), "
          f"{peak_large:.1f} MB (200k rows)")
    # 4x the file costs at most 1.5x the memory (the 8 MB read block and one chunk dominate)
    assert peak_large < 1.5 * peak_small


# ----------------------------------------------------------------------------- iter_dream_chunks
@FAST
@given(rows=st.lists(st.tuples(CLEAN_SEQ, st.floats(-10, 10, allow_nan=False, width=32)),
                     min_size=1, max_size=30),
       eol=EOL, bom=BOM, chunk_rows=st.integers(1, 7), blank=st.booleans())
def test_iter_dream_chunks_agrees_with_parse_text(tmp_path_factory, rows, eol, bom,
                                                  chunk_rows, blank):
    lines = [f"{s}\t{v!r}" for s, v in rows]
    if blank:
        lines.insert(len(lines) // 2, "")
    text = bom + eol.join(lines) + eol
    path = tmp_path_factory.mktemp("dream") / "train.txt"
    path.write_bytes(text.encode("utf-8"))
    chunks = list(iter_dream_chunks(path, chunk_rows=chunk_rows))
    seqs = [s for c in chunks for s in c[0]]
    expr = np.concatenate([c[1] for c in chunks])
    table = parse_text(text, "dream")
    assert seqs == table.sequences
    np.testing.assert_array_equal(expr, table.expression)


@FAST
@given(content=st.binary(max_size=400), chunk_rows=st.integers(1, 5))
def test_iter_dream_chunks_any_bytes_parse_or_name_the_line(tmp_path_factory, content,
                                                            chunk_rows):
    path = tmp_path_factory.mktemp("bytes") / "train.txt"
    path.write_bytes(content)
    try:
        for seqs, expr, first_line in iter_dream_chunks(path, chunk_rows=chunk_rows):
            assert first_line >= 1 and len(seqs) == len(expr)
            assert all(s and set(s) <= set("ACGTN") for s in seqs)
            assert np.isfinite(expr).all()
    except SequenceError as err:
        assert err.line is not None and f"line {err.line}" in str(err), str(err)
        assert str(path) in str(err)
        if err.position is not None:
            assert f"position {err.position}" in str(err)


def test_iter_dream_chunks_space_before_tab_does_not_depend_on_blank_lines(tmp_path):
    with_blank = tmp_path / "a.txt"
    with_blank.write_text("ACGT \t1\n\nTTTT\t2\n")
    without = tmp_path / "b.txt"
    without.write_text("ACGT \t1\nTTTT\t2\n")
    assert [s for c in iter_dream_chunks(with_blank) for s in c[0]] == ["ACGT", "TTTT"]
    assert [s for c in iter_dream_chunks(without) for s in c[0]] == ["ACGT", "TTTT"]
