"""prepare's inputs, and `prepare(split="family")`: whole families on one side."""

from __future__ import annotations

import numpy as np
from test_families_group import planted_library

from promoter_model.records import load_split, prepare
from promoter_model.records.inputs import input_format, iter_input

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
