"""Tests of promoter_model.records on damaged and bad input: corrupt, truncated and missing
shards named, a rerun after an interruption identical, a complete folder left alone,
changed settings rewriting it, malformed lines named (the splits and shards themselves are
in ``test_records.py``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_records import (
    random_rows,
    shard_bytes,
    small_prepared,
    without_created,
)

from promoter_model import records as R
from promoter_model import sequence as S


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """``test_records.small_prepared``, once for this file."""
    return small_prepared(tmp_path_factory.mktemp("records"))


# --------------------------------------------------------------------------- integrity
def _copy(folder, dest):
    dest.mkdir()
    for p in folder.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return dest


def test_verify_shards_names_corrupt_truncated_and_missing(small, tmp_path):
    R.verify_shards(small["out"])  # intact
    bad = _copy(small["out"], tmp_path / "flip")
    target = bad / "train-00001.tfrecord"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(R.DataError, match="train-00001.tfrecord.*sha256"):
        R.verify_shards(bad)
    cut = _copy(small["out"], tmp_path / "cut")
    (cut / "val-00000.tfrecord").write_bytes((cut / "val-00000.tfrecord").read_bytes()[:-7])
    with pytest.raises(R.DataError, match="val-00000.tfrecord.*truncated"):
        R.verify_shards(cut)
    with pytest.raises(R.DataError, match="val-00000.tfrecord"):
        R.load_split(cut, "val")
    gone = _copy(small["out"], tmp_path / "gone")
    (gone / "test-00000.tfrecord").unlink()
    with pytest.raises(R.DataError, match="test-00000.tfrecord.*missing"):
        R.verify_shards(gone)
    with pytest.raises(R.DataError, match="missing"):
        R.make_dataset(gone, "test")


def test_read_manifest_errors(tmp_path):
    with pytest.raises(R.DataError, match="no manifest"):
        R.read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(R.DataError, match="not valid JSON"):
        R.read_manifest(tmp_path)


def test_rerun_after_interruption_is_identical(small, tmp_path):
    out = _copy(small["out"], tmp_path / "again")
    before = shard_bytes(out)
    manifest = without_created(small["manifest"])
    # simulate a crash: manifest never written, one shard half written under its temp name,
    # one final shard missing, one truncated, a stale shard from an older run
    (out / "manifest.json").unlink()
    (out / "train-00002.tfrecord").rename(out / "train-00002.tfrecord.tmp")
    (out / "train-00002.tfrecord.tmp").write_bytes(b"partial")
    (out / "val-00000.tfrecord").write_bytes(b"")
    (out / "train-00077.tfrecord").write_bytes(b"stale")
    (out / "notes.txt").write_text("not ours")
    m = R.prepare(small["src"], out, val_fraction=0.2, test_fraction=0.2, shard_size=128,
                  chunk_rows=1000)
    assert without_created(m) == manifest
    assert shard_bytes(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(list(before) + ["manifest.json",
                                                                           "notes.txt"])
    assert without_created(json.loads((out / "manifest.json").read_text())) == manifest


def test_rerun_on_complete_folder_does_no_work(small, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("shards were rewritten")

    monkeypatch.setattr(R.writing, "write_shard", boom)
    m = R.prepare(small["src"], small["out"], val_fraction=0.2, test_fraction=0.2,
                  shard_size=128)
    assert m == small["manifest"]


def test_changed_settings_rewrite_and_remove_stale_shards(small, tmp_path):
    out = _copy(small["out"], tmp_path / "resharded")
    m = R.prepare(small["src"], out, val_fraction=0.2, test_fraction=0.2, shard_size=1000)
    assert all(len(m["splits"][s]["shards"]) == 1 for s in R.SPLITS)
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "test-00000.tfrecord", "train-00000.tfrecord", "val-00000.tfrecord"]
    np.testing.assert_array_equal(R.load_split(out, "train")[1],
                                  R.load_split(small["out"], "train")[1])
    m2 = R.prepare(small["src"], out, val_fraction=0.2, test_fraction=0.2, shard_size=1000,
                   seed=9)
    assert m2["settings"]["seed"] == 9
    assert m2["splits"]["val"]["count"] != m["splits"]["val"]["count"] or \
        not np.array_equal(R.load_split(out, "val")[1], R.load_split(small["out"], "val")[1])


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad_line, message", [
    ("ACGT" * 27 + "AC", "expected 'sequence<TAB>expression'"),
    ("ACGTX" + "A" * 105 + "\t3", "character 'X' at position 5"),
    ("A" * 1200 + "\t3", "1200 bp, longer than the limit of 1000"),
    ("A" * 110 + "\tnan", "not a finite number"),
    ("A" * 110 + "\thigh", "'high' is not a number"),
    ("\t4", "empty sequence"),
])
def test_malformed_line_names_the_line(tmp_path, bad_line, message):
    seqs, labels = random_rows(30, seed=6)
    lines = [f"{s}\t{v:g}" for s, v in zip(seqs, labels)]
    lines.insert(5, "")  # a blank line: line numbers must still be right
    lines.insert(17, bad_line)  # -> line 18
    src = tmp_path / "bad.txt"
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(S.SequenceError, match=message) as info:
        R.prepare(src, tmp_path / "out", chunk_rows=7)
    assert info.value.line == 18
    assert "line 18" in str(info.value) and "bad.txt" in str(info.value)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_progress_gets_one_line_messages(small, tmp_path):
    messages = []
    R.prepare(small["src"], tmp_path / "p", chunk_rows=250, progress=messages.append)
    assert messages[:3] == ["250 rows encoded", "500 rows encoded", "600 rows encoded"]
    assert messages[-1].startswith("done: 600 rows")
    R.prepare(small["src"], tmp_path / "p", chunk_rows=250, progress=messages.append)
    assert "already prepared" in messages[-1]


def test_missing_input_is_a_data_error(tmp_path):
    with pytest.raises(R.DataError, match="not found"):
        R.prepare(tmp_path / "nope.txt", tmp_path / "out")
