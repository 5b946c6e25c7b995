"""Prepared folders read with numpy alone: shards as arrays and a Keras batch source.

TensorFlow's ``tf.data`` is the pipeline wherever TensorFlow is installed. A Keras-on-JAX
install (TPU VM, GPU machine) may have no TensorFlow; there :func:`read_shard` parses the
shards directly and :class:`ArrayBatches` (a ``keras.utils.PyDataset``) feeds ``fit``.

A shard is a TFRecord file: records framed as ``uint64 length, uint32 crc, data, uint32
crc``, each record one ``tf.train.Example`` with two bytes features, ``codes`` and
``labels`` (see :mod:`promoter_model.records`). The protobuf wire format of that message is
decoded here for exactly those fields; the file's sha256 in the manifest, not the record
CRCs, is what guards against corruption (``verify_shards`` runs before training).
"""

from __future__ import annotations

import keras
import numpy as np

from promoter_model.records.fs import DataError, gfile
from promoter_model.records.manifest import read_manifest, split_files

_RC_CODES = np.array([3, 2, 1, 0, 4], dtype=np.uint8)  # A<->T, C<->G, N->N
_ONE_HOT = np.eye(5, 4, dtype=np.float32)  # code 4 (N) is all zeros


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes):
    """(field number, payload) of each length-delimited field of a protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 2:
            size, pos = _varint(buf, pos)
            yield number, buf[pos:pos + size]
            pos += size
        elif wire == 0:
            _, pos = _varint(buf, pos)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _example_features(record: bytes) -> dict:
    """``{name: bytes}`` of an Example's bytes_list features (first value of each)."""
    out = {}
    for number, features in _fields(record):
        if number != 1:
            continue
        for entry_number, entry in _fields(features):
            if entry_number != 1:
                continue
            name, value = None, b""
            for field, payload in _fields(entry):
                if field == 1:
                    name = payload.decode("utf-8")
                elif field == 2:  # Feature -> bytes_list (1) -> value (1)
                    for kind, bytes_list in _fields(payload):
                        if kind == 1:
                            value = next((v for n, v in _fields(bytes_list) if n == 1), b"")
            out[name] = value
    return out


def read_shard(path, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``(n, length)`` uint8 and labels ``(n,)`` float32 of one shard, in file order.

    Raises
    ------
    DataError
        When the file ends inside a record or a record lacks ``codes``/``labels``.
    """
    with gfile().GFile(str(path), "rb") as fh:
        data = fh.read()
    codes, labels, pos = [], [], 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise DataError(f"{path}: truncated record header at byte {pos}")
        size = int.from_bytes(data[pos:pos + 8], "little")
        start, pos = pos + 12, pos + 12 + size + 4
        if pos > len(data):
            raise DataError(f"{path}: truncated record at byte {start - 12}")
        feats = _example_features(data[start:start + size])
        if "codes" not in feats or "labels" not in feats:
            raise DataError(f"{path}: a record lacks the codes or labels feature")
        y = np.frombuffer(feats["labels"], dtype="<f4").astype(np.float32)
        c = np.frombuffer(feats["codes"], dtype=np.uint8)
        if c.size != y.size * length:
            raise DataError(f"{path}: a record holds {c.size} bases for {y.size} labels "
                            f"of length {length}")
        codes.append(c.reshape(-1, length))
        labels.append(y)
    if not labels:
        return np.zeros((0, length), np.uint8), np.zeros(0, np.float32)
    return np.concatenate(codes), np.concatenate(labels)


def read_split(data_dir, split) -> tuple[np.ndarray, np.ndarray]:
    """All codes and labels of one split, in file order (numpy twin of ``load_split``)."""
    manifest = read_manifest(data_dir)
    length = int(manifest["settings"]["seq_len"])
    files = split_files(data_dir, manifest, split)
    parts = []
    for path, shard in zip(files, manifest["splits"][split]["shards"]):
        if not gfile().exists(path):
            raise DataError(f"{path}: shard listed in the manifest is missing")
        c, y = read_shard(path, length)
        if len(y) != shard["count"]:
            raise DataError(f"{path}: shard {shard['file']} holds {len(y)} rows, the "
                            f"manifest says {shard['count']}")
        parts.append((c, y))
    if not parts:
        return np.zeros((0, length), np.uint8), np.zeros(0, np.float32)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class ArrayBatches(keras.utils.PyDataset):
    """One-hot ``(x, y)`` batches of in-memory codes, for ``model.fit`` without ``tf.data``.

    Parameters mirror :func:`promoter_model.records.make_dataset`: x is float32
    ``(batch, length, 4)`` with N all zeros, y float32 ``(batch,)``. Shuffled batches follow
    a permutation drawn from ``seed`` and the epoch; with ``rc_augment`` each sequence is
    reverse-complemented with probability 1/2, drawn from the seed, epoch and batch.
    ``repeat`` wraps indices around (for ``steps_per_epoch`` training).
    """

    def __init__(self, codes, labels, *, batch_size=256, shuffle=False, seed=0,
                 drop_remainder=False, rc_augment=False, repeat=False):
        super().__init__(workers=1, use_multiprocessing=False)
        self.codes = np.asarray(codes, np.uint8)
        self.labels = np.asarray(labels, np.float32)
        self.batch_size, self.seed, self.epoch = int(batch_size), int(seed), 0
        self.shuffle, self.rc_augment, self.repeat = bool(shuffle), bool(rc_augment), repeat
        n = len(self.labels)
        self.n_batches = n // self.batch_size if drop_remainder else -(-n // self.batch_size)
        self._draw_order()

    def _draw_order(self):
        n = len(self.labels)
        self.order = (np.random.default_rng([self.seed, self.epoch]).permutation(n)
                      if self.shuffle else np.arange(n))

    def __len__(self):
        return self.n_batches

    @property
    def num_batches(self):
        return None if self.repeat else self.n_batches

    def __getitem__(self, index):
        if self.repeat:
            index %= max(1, self.n_batches)
        elif not 0 <= index < self.n_batches:
            raise IndexError(index)
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        # np.take, not fancy indexing: the one-hot of a batch of 2,048 in 1.7 ms instead of
        # 25 ms (docs/benchmarks.md, "Training at scale"), so one thread feeds a GPU
        c = np.take(self.codes, rows, axis=0)
        if self.rc_augment:
            flip = np.random.default_rng([self.seed, self.epoch, index]).random(len(rows)) < 0.5
            c[flip] = _RC_CODES[c[flip, ::-1]]
        return np.take(_ONE_HOT, c, axis=0), np.take(self.labels, rows)

    def __iter__(self):
        for i in range(self.n_batches):
            yield self[i]

    def on_epoch_end(self):
        self.epoch += 1
        self._draw_order()
