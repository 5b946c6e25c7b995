"""Reliability of the file readers against big and binary files: a 2 GB file refused from
its size before any byte is read, a 2 GB binary file under a raised cap refused after its
first block, binary files renamed ``.fa`` refused with the reason, and DREAM-format files
streamed in bounded memory (``docs/reliability.md``). Messy text and the ``predict``
command are in ``test_reliability_input.py``.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from promoter_model.sequence import SequenceError, iter_dream_chunks, read_sequences


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
