"""prepare's inputs: formats recognised and streamed, a test file as the test split, tables
with a header, gzipped TSV, the real DREAM demo file; and `prepare(split="family")`: whole
families on one side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_families_group import planted_library
from test_records import all_rows, expected_by_split, random_rows, write_dream

from promoter_model import records as R
from promoter_model import sequence as S
from promoter_model.records import load_split, prepare
from promoter_model.records.inputs import input_format, iter_input

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "dream2022"
DEMO = SHARED / "train_demo.txt"
FLANK_5, FLANK_3 = "TGCATTTTTTTCACATC", "GGTTACGGCTGTT"


def _write(path, seqs, y):
    path.write_text("".join(f"{FLANK_5}{s}{FLANK_3}\t{v:.3f}\n" for s, v in zip(seqs, y)))
    return path


def _family_of(codes, seqs, truth):
    region = {s: t for s, t in zip(seqs, truth)}
    return ["".join("ACGT"[c] for c in row[17:97]) for row in codes], region


def test_inputs_are_recognised_and_streamed(tmp_path):
    seqs, _ = planted_library(0)
    path = _write(tmp_path / "x.txt", seqs, np.arange(len(seqs)))
    assert input_format(path) == "dream"
    chunks = list(iter_input(path, "dream", 50, 1000))
    assert sum(len(s) for s, _ in chunks) == len(seqs) and len(chunks[0][0]) == 50


def test_test_input_becomes_the_test_split(tmp_path):
    seqs, labels = random_rows(400, seed=7)
    test_seqs, test_labels = random_rows(50, seed=8)
    test_seqs[0] = seqs[10]  # an overlap that must not stay in train/val
    src = write_dream(tmp_path / "train.txt", seqs, labels)
    tsrc = write_dream(tmp_path / "test.txt", test_seqs, test_labels)
    m = R.prepare(src, tmp_path / "out", val_fraction=0.25, test_fraction=0.3,
                  test_input=tsrc, shard_size=64)
    assert m["settings"]["test_fraction"] == 0.0 and m["settings"]["test_from_input"]
    assert m["sources"]["test"]["sha256"] == R.fs.sha256_file(tsrc)
    codes, y = R.load_split(tmp_path / "out", "test")
    np.testing.assert_array_equal(y, test_labels)
    np.testing.assert_array_equal(codes, S.encode_codes(test_seqs))
    which = R.split_of(seqs, 0, 0.25, 0.0)
    leak = np.array([s == seqs[10] for s in seqs])
    assert m["excluded_test_overlap"] == int(leak.sum()) >= 1
    assert m["splits"]["val"]["count"] == int(((which == 1) & ~leak).sum())
    assert m["splits"]["train"]["count"] == int(((which == 0) & ~leak).sum())
    assert m["n_rows"] == 450
    assert sum(m["splits"][s]["count"] for s in R.SPLITS) + m["excluded_test_overlap"] == 450


def test_table_input_with_header(tmp_path):
    seqs, labels = random_rows(80, seed=9)
    csv = tmp_path / "table.csv"
    csv.write_text("id,sequence,expression\n" + "".join(
        f"r{i},{s},{v:g}\n" for i, (s, v) in enumerate(zip(seqs, labels))))
    m = R.prepare(csv, tmp_path / "out", val_fraction=0.2, test_fraction=0.2, chunk_rows=9)
    assert m["sources"]["train"]["format"] == "table"
    exp = expected_by_split(seqs, labels)
    for split in R.SPLITS:
        np.testing.assert_array_equal(R.load_split(tmp_path / "out", split)[1],
                                      exp[split][1])


def test_gzipped_tsv_test_input(tmp_path):
    import gzip

    seqs, labels = random_rows(60, seed=10)
    test_seqs, test_labels = random_rows(20, seed=11)
    src = write_dream(tmp_path / "train.txt", seqs, labels)
    tsv = tmp_path / "test.tsv.gz"
    tsv.write_bytes(gzip.compress(("pos\tsequence\texpression\n" + "".join(
        f"{i}\t{s}\t{v:g}\n" for i, (s, v) in enumerate(zip(test_seqs, test_labels))))
        .encode()))
    m = R.prepare(src, tmp_path / "out", test_input=tsv)
    assert m["splits"]["test"]["count"] == 20
    np.testing.assert_array_equal(R.load_split(tmp_path / "out", "test")[1], test_labels)


@pytest.mark.skipif(not DEMO.exists(), reason="shared DREAM demo file not present")
def test_real_demo_file(tmp_path):
    # the file has 6,370 rows: `wc -l` says 6,369 because the last line has no newline
    text = DEMO.read_text()
    n_lines = len([ln for ln in text.splitlines() if ln.strip()])
    assert n_lines == 6370
    m = R.prepare(DEMO, tmp_path / "demo", shard_size=2000)
    assert m["n_rows"] == 6370
    assert sum(m["splits"][s]["count"] for s in R.SPLITS) == 6370
    assert 5800 < m["splits"]["train"]["count"] < 6300
    lengths = np.array([len(ln.split("\t")[0]) for ln in text.splitlines()])
    assert m["fit"]["n_padded"] == int((lengths < 110).sum())
    assert m["fit"]["n_trimmed"] == int((lengths > 110).sum())
    assert (m["fit"]["input_length_min"], m["fit"]["input_length_max"]) == (
        int(lengths.min()), int(lengths.max()))
    R.verify_shards(tmp_path / "demo")
    # shards of 2 blocks each: the unshuffled dataset keeps file order across shards
    assert len(m["splits"]["train"]["shards"]) >= 3
    _, y_train = R.load_split(tmp_path / "demo", "train")
    ds = R.make_dataset(tmp_path / "demo", "train", batch_size=500)
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in ds]), y_train)
    _, y, _ = all_rows(tmp_path / "demo")
    labels = np.array([float(ln.split("\t")[1]) for ln in text.splitlines()], np.float32)
    np.testing.assert_array_equal(np.sort(y), np.sort(labels))


def test_family_split_keeps_every_family_on_one_side(tmp_path):
    seqs, truth = planted_library(2)
    path = _write(tmp_path / "train.txt", seqs, np.arange(len(seqs), dtype=float))
    manifest = prepare(path, tmp_path / "data", val_fraction=0.3, test_fraction=0.2,
                       split="family", shard_size=100)
    assert manifest["split"]["method"] == "family"
    assert manifest["split"]["families"] == len(set(truth))
    assert manifest["split"]["largest_family"] == max(np.unique(truth, return_counts=True)[1])
    side = {}
    for name in ("train", "val", "test"):
        codes, _ = load_split(str(tmp_path / "data"), name)
        regions, family = _family_of(codes, seqs, truth)
        for r in regions:
            side.setdefault(family[r], set()).add(name)
    assert all(len(v) == 1 for v in side.values())
    assert {n for v in side.values() for n in v} == {"train", "val", "test"}
    hashed = prepare(path, tmp_path / "hashed", val_fraction=0.3, test_fraction=0.2,
                     shard_size=100)
    assert hashed["split"] == {"method": "hash"}


def test_the_manifest_says_which_rows_came_from_files(tmp_path):
    seqs, _ = planted_library(4)
    y = np.arange(len(seqs), dtype=float)
    train = _write(tmp_path / "train.txt", seqs[:60], y[:60])
    val = _write(tmp_path / "val.txt", seqs[60:80], y[60:80])
    test = _write(tmp_path / "test.txt", seqs[80:], y[80:])
    both = prepare(train, tmp_path / "both", val_input=val, test_input=test,
                   test_fraction=0.0, shard_size=100)
    assert both["split"]["method"] == "files"  # no row was placed by its hash
    assert both["splits"]["val"]["count"] == 20
    one = prepare(train, tmp_path / "one", val_fraction=0.2, test_input=test, shard_size=100)
    assert one["split"] == {"method": "hash", "from_files": ["test"]}


def test_rows_related_to_a_test_file_are_left_out(tmp_path):
    seqs, truth = planted_library(3)
    series = [s for s, t in zip(seqs, truth) if t == "series1"]
    mutant = series[0][:40] + ("A" if series[0][40] != "A" else "C") + series[0][41:]
    path = _write(tmp_path / "train.txt", seqs, np.zeros(len(seqs)))
    test = _write(tmp_path / "test.txt", [mutant], [1.0])
    manifest = prepare(path, tmp_path / "data", val_fraction=0.2, test_input=test,
                       split="family", shard_size=100)
    assert manifest["split"]["excluded_test_family"] == len(series)
    kept = sum(manifest["splits"][s]["count"] for s in ("train", "val"))
    assert kept == len(seqs) - len(series) and manifest["splits"]["test"]["count"] == 1
