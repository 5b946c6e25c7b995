"""Tests of promoter_model.records: prepare's shards and manifest, tf.data pipelines (and
``sequence.encode_fitted``, which prepare encodes with). The splits are in
``test_records_hashing.py``, other inputs in ``test_records_inputs.py``, damaged input in
``test_records_integrity.py``; the helpers here serve them and ``test_records_arrays.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoter_model import records as R
from promoter_model import sequence as S

FLANK_5 = "TGCATTTTTTTCACATC"
FLANK_3 = "GGTTACGGCTGTT"


# --------------------------------------------------------------------------- fixtures
def random_rows(n, seed=0, n_dup=0):
    """DREAM-like rows: variable length 87-135, a few N and lower case, planted duplicates."""
    rng = np.random.default_rng(seed)
    lengths = np.where(rng.random(n) < 0.8, 110, rng.integers(87, 136, n))
    seqs = []
    for L in lengths:
        core = "".join(rng.choice(list("ACGT"), L - 30))
        seqs.append(FLANK_5 + core + FLANK_3)
    seqs[1] = seqs[1][:40] + "N" + seqs[1][41:]
    seqs[2] = seqs[2].lower()
    labels = np.round(rng.uniform(0, 17, n), 3).astype(np.float32)
    labels[::3] = np.round(labels[::3])
    for k in range(n_dup):  # exact copies at random places, with other labels
        i, j = rng.integers(0, n, 2)
        seqs[j] = seqs[i]
    return seqs, labels


def write_dream(path, seqs, labels):
    text = "".join(f"{s}\t{float(v):g}\n" for s, v in zip(seqs, labels))
    Path(path).write_text(text)
    return path


def shard_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).glob("*.tfrecord"))}


def without_created(manifest):
    return {k: v for k, v in manifest.items() if k != "created"}


def all_rows(folder):
    """(codes, labels, split index) of every row of every split, in split/file order."""
    codes, ys, which = [], [], []
    for k, split in enumerate(R.SPLITS):
        c, y = R.load_split(folder, split)
        codes.append(c)
        ys.append(y)
        which.append(np.full(len(y), k))
    return np.concatenate(codes), np.concatenate(ys), np.concatenate(which)


def small_prepared(root):
    """A 600-row DREAM file (with 40 planted duplicates) prepared into 128-row shards."""
    seqs, labels = random_rows(600, seed=1, n_dup=40)
    src = write_dream(root / "train.txt", seqs, labels)
    out = root / "prepared"
    manifest = R.prepare(src, out, val_fraction=0.2, test_fraction=0.2, shard_size=128,
                         chunk_rows=77)
    return {"root": root, "src": src, "out": out, "seqs": seqs, "labels": labels,
            "manifest": manifest}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """:func:`small_prepared`, once per test file."""
    return small_prepared(tmp_path_factory.mktemp("records"))


def expected_by_split(seqs, labels, seed=0, val=0.2, test=0.2):
    which = R.split_of(seqs, seed, val, test)
    return {s: ([q for q, w in zip(seqs, which) if w == k], labels[which == k])
            for k, s in enumerate(R.SPLITS)}


# --------------------------------------------------------------------------- encoding
def test_encode_fitted_matches_sequence_helpers():
    seqs, _ = random_rows(300, seed=3)
    seqs += ["acgun", "A" * 200, ""]
    codes, change = S.encode_fitted(seqs)
    np.testing.assert_array_equal(codes, S.encode_codes(seqs, fit=True))
    np.testing.assert_array_equal(change, S.fit_to_length(seqs)[1])
    # up to 80 bp: the variable region, placed between the plasmid flanks (N before it)
    flanks = S.encode_codes([S.FLANK_5 + "N" * 80 + S.FLANK_3], fit=False)[0]
    assert codes[-1].tolist() == flanks.tolist()  # empty -> flanks around 80 N
    assert codes[-3, 92:97].tolist() == [0, 1, 2, 3, 4]
    assert (codes[-3, :92] == flanks[:92]).all() and (codes[-3, 97:] == flanks[97:]).all()


def test_encode_fitted_names_bad_character():
    with pytest.raises(S.SequenceError, match="position 3"):
        S.encode_fitted(["A" * 110, "ACX" + "A" * 107])


# --------------------------------------------------------------------------- prepare
def test_counts_add_up_and_shards_are_full(small):
    m = small["manifest"]
    assert m["n_rows"] == 600
    counts = {s: m["splits"][s]["count"] for s in R.SPLITS}
    assert sum(counts.values()) == 600
    exp = expected_by_split(small["seqs"], small["labels"])
    assert counts == {s: len(exp[s][0]) for s in R.SPLITS}
    for s in R.SPLITS:
        shards = m["splits"][s]["shards"]
        sizes = [sh["count"] for sh in shards]
        assert sum(sizes) == counts[s]
        assert all(n == 128 for n in sizes[:-1]) and 0 < sizes[-1] <= 128
        assert [sh["file"] for sh in shards] == [f"{s}-{i:05d}.tfrecord"
                                                 for i in range(len(shards))]
    on_disk = sorted(p.name for p in small["out"].iterdir())
    listed = sorted(sh["file"] for s in R.SPLITS for sh in m["splits"][s]["shards"])
    assert on_disk == sorted(listed + ["manifest.json"])


def test_no_sequence_in_two_splits(small):
    codes, _, which = all_rows(small["out"])
    h = R.hash_codes(codes, 0)
    owners = {}
    for value, k in zip(h.tolist(), which.tolist()):
        owners.setdefault(value, set()).add(k)
    assert all(len(v) == 1 for v in owners.values())
    n_unique = len(owners)
    assert n_unique < 600  # the planted duplicates really are there, and were all kept
    assert len(h) == 600


def test_load_split_preserves_rows_in_order(small):
    exp = expected_by_split(small["seqs"], small["labels"])
    for split in R.SPLITS:
        codes, y = R.load_split(small["out"], split)
        assert codes.dtype == np.uint8 and codes.shape == (len(exp[split][0]), 110)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, exp[split][1])
        np.testing.assert_array_equal(codes, S.encode_codes(exp[split][0], fit=True))


def test_dataset_one_hot_equals_sequence_one_hot(small):
    exp = expected_by_split(small["seqs"], small["labels"])
    ds = R.make_dataset(small["out"], "train", batch_size=50)
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    assert xs[0].shape == (50, 110, 4) and xs[0].dtype == np.float32
    X, Y = np.concatenate(xs), np.concatenate(ys)
    np.testing.assert_array_equal(X, S.one_hot(exp["train"][0]))
    np.testing.assert_array_equal(Y, exp["train"][1])
    assert int(ds.cardinality()) == -(-len(Y) // 50)
    # the N planted in row 1 and the 5' padding decode to all-zero columns
    assert (X.sum(-1) == 0).any()


def test_dataset_shuffled_covers_each_row_once(small):
    exp = expected_by_split(small["seqs"], small["labels"])
    ds = R.make_dataset(small["out"], "train", batch_size=32, shuffle=True, seed=1,
                        shuffle_buffer=300)
    ys = np.concatenate([y.numpy() for _, y in ds])
    np.testing.assert_array_equal(np.sort(ys), np.sort(exp["train"][1]))
    assert not np.array_equal(ys, exp["train"][1])


def test_dataset_drop_remainder_and_repeat(small):
    n = small["manifest"]["splits"]["train"]["count"]
    ds = R.make_dataset(small["out"], "train", batch_size=64, drop_remainder=True)
    assert ds.element_spec[0].shape.as_list() == [64, 110, 4]
    assert sum(1 for _ in ds) == n // 64 == int(ds.cardinality())
    rep = R.make_dataset(small["out"], "val", batch_size=64, repeat=True, shuffle=True)
    assert sum(int(y.shape[0]) for _, y in rep.take(10)) > small["manifest"]["splits"][
        "val"]["count"]


def test_rc_augment_gives_reverse_complements(small):
    plain = np.concatenate([x.numpy() for x, _ in R.make_dataset(small["out"], "train",
                                                                 batch_size=100)])
    aug_ds = R.make_dataset(small["out"], "train", batch_size=100, rc_augment=True, seed=3)
    aug, ys = zip(*[(x.numpy(), y.numpy()) for x, y in aug_ds])
    aug = np.concatenate(aug)
    rc = S.reverse_complement_one_hot(plain)
    same = (aug == plain).all(axis=(1, 2))
    flipped = (aug == rc).all(axis=(1, 2))
    assert (same | flipped).all()
    assert 0.3 < flipped.mean() < 0.7
    # a flipped row really is the reverse complement string
    i = int(np.flatnonzero(flipped & ~same)[0])
    assert S.decode(aug[i])[0] == S.reverse_complement(S.decode(plain[i])[0])
    np.testing.assert_array_equal(np.concatenate(ys), R.load_split(small["out"], "train")[1])


def check_every_row_in_exactly_one_shard(tmp_path, shard_size, chunk_rows):
    seqs, labels = random_rows(150, seed=2, n_dup=10)
    src = write_dream(tmp_path / "in.txt", seqs, labels)
    out = tmp_path / f"out-{shard_size}-{chunk_rows}"
    m = R.prepare(src, out, val_fraction=0.3, test_fraction=0.2, shard_size=shard_size,
                  chunk_rows=chunk_rows)
    total = 0
    for s in R.SPLITS:
        sizes = [sh["count"] for sh in m["splits"][s]["shards"]]
        assert len(sizes) == -(-m["splits"][s]["count"] // shard_size)
        assert all(n == shard_size for n in sizes[:-1])
        total += sum(sizes)
    assert total == m["n_rows"] == 150
    codes, ys, _ = all_rows(out)
    # the multiset of (sequence, label) rows is exactly the input's
    got = sorted(zip(map(bytes, codes), ys.tolist()))
    want = sorted(zip(map(bytes, S.encode_codes(seqs)), labels.tolist()))
    assert got == want
    # shards do not depend on chunk_rows
    ref = tmp_path / f"ref-{shard_size}"
    ref_m = R.prepare(src, ref, val_fraction=0.3, test_fraction=0.2, shard_size=shard_size,
                      chunk_rows=1000)
    assert shard_bytes(out) == shard_bytes(ref)
    assert without_created(ref_m)["splits"] == without_created(m)["splits"]


@pytest.mark.parametrize("shard_size, chunk_rows", [(1, 1), (20, 150), (64, 7), (500, 33)])
def test_every_row_in_exactly_one_shard(tmp_path, shard_size, chunk_rows):
    check_every_row_in_exactly_one_shard(tmp_path, shard_size, chunk_rows)


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(shard_size=st.integers(1, 130), chunk_rows=st.integers(1, 160))
def test_every_row_in_exactly_one_shard_property(tmp_path, shard_size, chunk_rows):
    check_every_row_in_exactly_one_shard(tmp_path, shard_size, chunk_rows)


def test_manifest_contents(small):
    m = R.read_manifest(small["out"])
    assert m == json.loads((small["out"] / "manifest.json").read_text())
    assert m["format_version"] == R.FORMAT_VERSION
    src = m["sources"]["train"]
    assert src["bytes"] == os.path.getsize(small["src"])
    assert src["sha256"] == R.fs.sha256_file(small["src"])
    assert m["settings"]["seed"] == 0 and m["settings"]["seq_len"] == 110
    lengths = np.array([len(s) for s in small["seqs"]])
    assert m["fit"]["n_trimmed"] == int((lengths > 110).sum()) > 0
    assert m["fit"]["n_padded"] == int((lengths < 110).sum()) > 0
    _, y = R.load_split(small["out"], "train")
    stats = m["label_stats"]["train"]
    assert stats["count"] == len(y)
    assert stats["mean"] == pytest.approx(float(y.astype(np.float64).mean()), rel=1e-12)
    assert stats["std"] == pytest.approx(float(y.astype(np.float64).std()), rel=1e-9)
    assert (stats["min"], stats["max"]) == (float(y.min()), float(y.max()))
    for s in R.SPLITS:
        for sh in m["splits"][s]["shards"]:
            assert sh["bytes"] == (small["out"] / sh["file"]).stat().st_size
