"""Tests of promoter_model.records: splits, shards, manifest, tf.data pipelines."""

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

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "dream2022"
DEMO = SHARED / "train_demo.txt"
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


# --------------------------------------------------------------------------- splitting
def test_split_is_deterministic_and_order_independent():
    seqs, _ = random_rows(2000, seed=4)
    a = R.split_of(seqs, 7, 0.1, 0.1)
    assert a.dtype == np.int8 and set(np.unique(a)) == {0, 1, 2}
    np.testing.assert_array_equal(a, R.split_of(seqs, 7, 0.1, 0.1))
    perm = np.random.default_rng(0).permutation(len(seqs))
    np.testing.assert_array_equal(a[perm], R.split_of([seqs[i] for i in perm], 7, 0.1, 0.1))
    chunked = np.concatenate([R.split_of(seqs[i:i + 333], 7, 0.1, 0.1)
                              for i in range(0, len(seqs), 333)])
    np.testing.assert_array_equal(a, chunked)
    # codes and strings give the same answer; another seed gives another split
    np.testing.assert_array_equal(a, R.split_of(S.encode_codes(seqs), 7, 0.1, 0.1))
    assert (a != R.split_of(seqs, 8, 0.1, 0.1)).mean() > 0.1


def test_split_fractions_and_val_stable_when_test_dropped():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, (40_000, 110)).astype(np.uint8)
    which = R.split_of(codes, 0, 0.025, 0.025)
    # binomial sd for 1000 expected is ~31: +-150 is a ~5 sd band
    assert abs(int((which == 1).sum()) - 1000) < 150
    assert abs(int((which == 2).sum()) - 1000) < 150
    no_test = R.split_of(codes, 0, 0.025, 0.0)
    np.testing.assert_array_equal(no_test == 1, which == 1)
    assert not (no_test == 2).any()


def test_split_uses_fitted_content():
    core = "ACGT" * 27 + "AC"  # 110 bp
    same = [core, "GGGG" + core, core.lower(), core.replace("T", "U")]
    assert len(set(R.split_of(same * 50, 3, 0.3, 0.3).tolist())) == 1
    hashes = R.hash_codes(S.encode_codes(same), 3)
    assert len(set(hashes.tolist())) == 1


def test_k_folds_partition_every_sequence_once_and_keep_duplicates_together():
    seqs, _ = random_rows(3000, seed=6)
    seqs = seqs + seqs[:200]  # duplicates must share a fold
    folds = np.stack([R.split_of(seqs, 0, 0.0, 0.0, fold=(i, 5)) for i in range(5)])
    assert set(np.unique(folds)) == {0, 1}
    np.testing.assert_array_equal(folds.sum(axis=0), 1)  # validated exactly once
    sizes = folds.sum(axis=1)
    assert sizes.min() > 0.8 * len(seqs) / 5 and sizes.max() < 1.2 * len(seqs) / 5
    np.testing.assert_array_equal(folds[:, :200], folds[:, 3000:])
    with pytest.raises(ValueError, match="fold must be"):
        R.split_of(seqs, 0, 0.0, 0.0, fold=(5, 5))
    with pytest.raises(ValueError, match="test_fraction must be 0"):
        R.split_of(seqs, 0, 0.0, 0.1, fold=(0, 5))


def test_prepare_with_a_fold_validates_on_that_fold(tmp_path):
    seqs, y = random_rows(1200, seed=7)
    src = tmp_path / "in.txt"
    src.write_text("".join(f"{s}\t{v}\n" for s, v in zip(seqs, y)))
    m = R.prepare(src, tmp_path / "f2", fold=(2, 4), test_fraction=0.0)
    expected = R.split_of(seqs, 0, 0.0, 0.0, fold=(2, 4))
    assert m["splits"]["val"]["count"] == int((expected == 1).sum())
    assert m["splits"]["train"]["count"] == int((expected == 0).sum())
    assert m["settings"]["fold"] == [2, 4]
    codes, _ = R.load_split(tmp_path / "f2", "val")
    np.testing.assert_array_equal(np.sort(R.hash_codes(codes)),
                                  np.sort(R.hash_codes(S.encode_codes(
                                      [s for s, f in zip(seqs, expected) if f == 1]))))


def test_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="below 1"):
        R.split_of(["A" * 110], 0, 0.6, 0.4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        R.split_of(["A" * 110], 0, -0.1, 0.1)


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


# --------------------------------------------------------------------------- other inputs
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
