"""Reading prepared folders: tf.data pipelines and whole splits as arrays."""

from __future__ import annotations

import numpy as np

from promoter_model.records.fs import DataError, gfile, has_tensorflow
from promoter_model.records.manifest import BLOCK_SIZE, read_manifest, split_files


def _parse_block(record, length):
    """Graph op: one serialised block -> (codes uint8 (n, length), labels float32 (n,))."""
    import tensorflow as tf

    spec = {"codes": tf.io.FixedLenFeature([], tf.string),
            "labels": tf.io.FixedLenFeature([], tf.string)}
    f = tf.io.parse_single_example(record, spec)
    codes = tf.reshape(tf.io.decode_raw(f["codes"], tf.uint8), [-1, length])
    labels = tf.io.decode_raw(f["labels"], tf.float32, little_endian=True)
    return codes, labels


def _blocks(files, length, *, shuffle, repeat, seed, shard_size):
    """Dataset of decoded blocks from shard files (file order unless shuffled)."""
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE
    ds = tf.data.Dataset.from_tensor_slices(tf.constant(files, dtype=tf.string))
    if shuffle:
        ds = ds.shuffle(max(1, len(files)), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    # unshuffled: block_length covers a whole shard, so blocks come out in file order while
    # the next shards are already being read in parallel
    block_length = 1 if shuffle else max(1, -(-shard_size // BLOCK_SIZE))
    ds = ds.interleave(lambda f: tf.data.TFRecordDataset(f, buffer_size=8 << 20),
                       cycle_length=max(1, min(len(files), 4)), block_length=block_length,
                       num_parallel_calls=autotune, deterministic=not shuffle)
    return ds.map(lambda r: _parse_block(r, length), num_parallel_calls=autotune,
                  deterministic=not shuffle)


def make_dataset(data_dir, split, *, batch_size=256, shuffle=False, repeat=False, seed=0,
                 drop_remainder=False, rc_augment=False, shuffle_buffer=100_000):
    """A tf.data pipeline of one-hot batches from a prepared folder.

    Shards are read in parallel (``interleave``), blocks are parsed and decoded in the
    graph, and the one-hot tensor is built per batch. Without ``shuffle`` the order is the
    file order (same as :func:`load_split`). With ``shuffle``, shard order is shuffled,
    blocks are shuffled in a buffer of about ``shuffle_buffer`` sequences, then pools of
    16 blocks are permuted sequence by sequence before batching (cheaper than an
    element-wise shuffle buffer, and every batch mixes sequences from 16 blocks).

    Parameters
    ----------
    data_dir : str
        Folder written by :func:`prepare` (local or ``gs://``).
    split : {"train", "val", "test"}
    batch_size : int
    shuffle : bool
    repeat : bool
        Repeat forever (for ``steps_per_epoch`` training).
    seed : int
        Seed of the shuffles and of the reverse-complement draws.
    drop_remainder : bool
        Drop the last short batch (static batch shape, for TPUs).
    rc_augment : bool
        Replace each sequence by its reverse complement with probability 1/2 (reversing the
        length and channel axes of the one-hot is the reverse complement for ACGT order).
    shuffle_buffer : int
        Sequences held in the block shuffle buffer.

    Returns
    -------
    tf.data.Dataset
        (an :class:`~promoter_model.records.arrays.ArrayBatches` where TensorFlow is not
        installed: the whole split in memory, shuffled per epoch). Yields ``(x, y)``:
        x float32, shape (batch, seq_len, 4), channels A, C, G, T with N all zeros;
        y float32, shape (batch,).
    """
    if not has_tensorflow():  # Keras on JAX without TensorFlow: numpy batches
        from promoter_model.records.arrays import ArrayBatches, read_split

        codes, labels = read_split(data_dir, split)
        return ArrayBatches(codes, labels, batch_size=batch_size, shuffle=shuffle, seed=seed,
                            drop_remainder=drop_remainder, rc_augment=rc_augment,
                            repeat=repeat)
    import tensorflow as tf

    manifest = read_manifest(data_dir)
    length = int(manifest["settings"]["seq_len"])
    shard_size = int(manifest["settings"]["shard_size"])
    files = split_files(data_dir, manifest, split)
    files_io = gfile()
    missing = [f for f in files if not files_io.exists(f)]
    if missing:
        raise DataError(f"{missing[0]}: shard listed in the manifest is missing")
    count = int(manifest["splits"][split]["count"])
    autotune = tf.data.AUTOTUNE
    ds = _blocks(files, length, shuffle=shuffle, repeat=repeat, seed=seed,
                 shard_size=shard_size)
    if shuffle:
        ds = ds.shuffle(max(2, -(-int(shuffle_buffer) // BLOCK_SIZE)), seed=seed,
                        reshuffle_each_iteration=True)
        pool = 16 * BLOCK_SIZE
        ds = ds.rebatch(pool)

        def permute(codes, labels):
            idx = tf.random.shuffle(tf.range(tf.shape(labels)[0]), seed=seed)
            return tf.gather(codes, idx), tf.gather(labels, idx)

        ds = ds.map(permute, num_parallel_calls=autotune, deterministic=False)
    ds = ds.rebatch(int(batch_size), drop_remainder=bool(drop_remainder))
    if rc_augment:
        ds = ds.enumerate().map(lambda i, cy: _random_rc(cy[0], cy[1], seed, i),
                                num_parallel_calls=autotune, deterministic=not shuffle)

    static_batch = int(batch_size) if drop_remainder else None

    def to_one_hot(codes, labels):
        x = tf.one_hot(tf.cast(codes, tf.int32), 4, dtype=tf.float32)
        return (tf.ensure_shape(x, [static_batch, length, 4]),
                tf.ensure_shape(labels, [static_batch]))

    ds = ds.map(to_one_hot, num_parallel_calls=autotune, deterministic=not shuffle)
    if not repeat:
        n_batches = count // batch_size if drop_remainder else -(-count // batch_size)
        ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches))
    return ds.prefetch(autotune)


def _random_rc(codes, y, seed, step):
    """Reverse-complement each sequence of a batch of codes with probability 1/2.

    Done on the uint8 codes (reverse the length axis, map A<->T, C<->G, N->N), which is
    the same as reversing the length and channel axes of the one-hot, at a quarter of the
    memory traffic.
    """
    import tensorflow as tf

    flip = tf.random.stateless_uniform(
        tf.shape(codes)[:1], seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(step, tf.int64)])
    ) < 0.5
    rc = tf.gather(tf.constant([3, 2, 1, 0, 4], dtype=tf.uint8),
                   tf.cast(tf.reverse(codes, axis=[1]), tf.int32))
    return tf.where(flip[:, None], rc, codes), y


def load_split(data_dir, split) -> tuple[np.ndarray, np.ndarray]:
    """All codes and labels of one split, in file order (for evaluation).

    Parameters
    ----------
    data_dir : str
    split : {"train", "val", "test"}

    Returns
    -------
    codes : np.ndarray, shape (n, seq_len), uint8
        0-3 for A, C, G, T, 4 for N (``sequence.codes_to_one_hot`` makes the one-hot).
    y : np.ndarray, shape (n,), float32

    Raises
    ------
    DataError
        When a shard is missing or holds a different number of rows than the manifest.
    """
    if not has_tensorflow():
        from promoter_model.records.arrays import read_split

        return read_split(data_dir, split)
    import tensorflow as tf

    manifest = read_manifest(data_dir)
    length = int(manifest["settings"]["seq_len"])
    files = split_files(data_dir, manifest, split)
    shards = manifest["splits"][split]["shards"]
    for path in files:
        if not tf.io.gfile.exists(path):
            raise DataError(f"{path}: shard listed in the manifest is missing")
    if not files:
        return np.zeros((0, length), dtype=np.uint8), np.zeros(0, dtype=np.float32)

    def shard_blocks(path, index):
        return tf.data.TFRecordDataset(path).map(
            lambda r: (index,) + _parse_block(r, length))

    ds = tf.data.Dataset.from_tensor_slices((files, tf.range(len(files))))
    ds = ds.flat_map(shard_blocks).prefetch(tf.data.AUTOTUNE)
    owner, codes_parts, label_parts = [], [], []
    try:
        for index, c, y in ds.as_numpy_iterator():
            owner.append(np.full(len(y), index, dtype=np.int64))
            codes_parts.append(c)
            label_parts.append(y)
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as exc:
        first = int(owner[-1][0]) if owner else 0
        for path, shard in zip(files[first:], shards[first:]):  # find which one, slowly
            try:
                for _ in shard_blocks(path, 0):
                    pass
            except (tf.errors.DataLossError, tf.errors.InvalidArgumentError):
                raise DataError(f"{path}: shard {shard['file']} is corrupt or truncated "
                                f"({exc.message.splitlines()[0]})") from None
        raise DataError(f"{data_dir}: a shard of split '{split}' is corrupt "
                        f"({exc.message})") from None  # pragma: no cover
    counts = np.bincount(np.concatenate(owner), minlength=len(files))
    for path, shard, n in zip(files, shards, counts.tolist()):
        if n != shard["count"]:
            raise DataError(f"{path}: shard {shard['file']} holds {n} rows, the manifest "
                            f"says {shard['count']}")
    return np.concatenate(codes_parts), np.concatenate(label_parts)
