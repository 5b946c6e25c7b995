"""Prepared folders read with numpy alone (a Keras-on-JAX machine without TensorFlow):
the shards parse to exactly what the tf.data reader gives, and the batches feed ``fit``.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_records import random_rows, write_dream

from promoter_model import records as R
from promoter_model import sequence as S
from promoter_model.records.arrays import ArrayBatches, read_shard, read_split


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("arrays")
    seqs, labels = random_rows(700, seed=4, n_dup=10)
    src = write_dream(root / "train.txt", seqs, labels)
    R.prepare(src, root / "prepared", val_fraction=0.2, test_fraction=0.1, shard_size=150)
    return root / "prepared"


@pytest.mark.parametrize("split", R.SPLITS)
def test_numpy_reader_equals_the_tensorflow_reader(prepared, split):
    codes, y = read_split(prepared, split)
    tf_codes, tf_y = R.load_split(prepared, split)
    assert len(y) == R.read_manifest(prepared)["splits"][split]["count"] > 0
    np.testing.assert_array_equal(codes, tf_codes)
    np.testing.assert_array_equal(y, tf_y)


def test_a_truncated_shard_is_named(prepared, tmp_path):
    shard = sorted(prepared.glob("train-*.tfrecord"))[0]
    cut = tmp_path / shard.name
    cut.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(R.DataError, match="truncated"):
        read_shard(cut, 110)


def test_batches_are_the_one_hot_of_the_rows(prepared):
    codes, y = read_split(prepared, "train")
    batches = ArrayBatches(codes, y, batch_size=64)
    assert len(batches) == -(-len(y) // 64)
    x = np.concatenate([b[0] for b in batches])
    np.testing.assert_array_equal(x, S.codes_to_one_hot(codes))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    assert (x.sum(axis=2) <= 1).all()  # N is all zeros
    with pytest.raises(IndexError):
        batches[len(batches)]


def test_shuffle_is_seeded_per_epoch_and_covers_each_row_once(prepared):
    codes, y = read_split(prepared, "train")
    ids = np.arange(len(y), dtype=np.float32)  # labels that name their row

    def epoch_order(b):
        return np.concatenate([b[i][1] for i in range(len(b))])

    a, b = ArrayBatches(codes, ids, batch_size=50, shuffle=True, seed=7), \
        ArrayBatches(codes, ids, batch_size=50, shuffle=True, seed=7)
    first = epoch_order(a)
    np.testing.assert_array_equal(first, epoch_order(b))  # same seed, same order
    assert sorted(first.tolist()) == ids.tolist()  # a permutation
    assert not np.array_equal(first, ids)
    a.on_epoch_end()
    second = epoch_order(a)
    assert sorted(second.tolist()) == ids.tolist() and not np.array_equal(first, second)


def test_drop_remainder_and_repeat(prepared):
    codes, y = read_split(prepared, "train")
    dropped = ArrayBatches(codes, y, batch_size=64, drop_remainder=True)
    assert len(dropped) == len(y) // 64 and all(len(b[1]) == 64 for b in dropped)
    looping = ArrayBatches(codes, y, batch_size=64, repeat=True)
    assert looping.num_batches is None
    np.testing.assert_array_equal(looping[len(looping)][1], looping[0][1])


def test_rc_augment_flips_about_half_into_exact_reverse_complements(prepared):
    codes, y = read_split(prepared, "train")
    plain = S.codes_to_one_hot(codes)
    aug = np.concatenate([b[0] for b in ArrayBatches(codes, y, batch_size=100,
                                                     rc_augment=True, seed=3)])
    rc = S.reverse_complement_one_hot(plain)
    same, flipped = (aug == plain).all(axis=(1, 2)), (aug == rc).all(axis=(1, 2))
    assert (same | flipped).all()
    assert 0.3 < flipped.mean() < 0.7
    i = int(np.flatnonzero(flipped & ~same)[0])
    assert S.decode(aug[i])[0] == S.reverse_complement(S.decode(plain[i])[0])
