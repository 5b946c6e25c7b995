"""TFRecord files written with numpy alone: the block records of a shard, byte for byte.

A TFRecord record is ``uint64 length, uint32 masked CRC-32C of the length, data, uint32
masked CRC-32C of the data`` (little-endian). The data here is one ``tf.train.Example``
with two bytes features, ``codes`` and ``labels``, serialised as TensorFlow does with
``deterministic=True`` (map entries sorted by key). ``tests/test_tfrecord.py`` checks the
bytes against TensorFlow's own writer, so shards and their sha256 do not depend on whether
TensorFlow is installed: ``prepare`` runs on a Keras-on-JAX machine too.

CRC-32C is computed for many equal-length rows at once: each row is cut into chunks of
:data:`CHUNK` bytes whose register values are found together, a byte per numpy step, and
the chunks are then joined pairwise, ``crc(A || B) = Z_|B|(crc(A)) xor crc(B)``, where
``Z_n`` (running ``n`` zero bytes through the register) is a linear map on 32 bits applied
through four 256-entry tables.
"""

from __future__ import annotations

import functools

import numpy as np

CHUNK = 64
_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected
_MASK_DELTA = 0xA282EAD8


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1)
    return table.astype(np.uint32)


_TABLE = _byte_table()


def _apply(op: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The linear map ``op`` (images of the 32 unit vectors) applied to each of ``r``."""
    out = np.zeros_like(r, dtype=np.uint32)
    for byte in range(4):
        v = np.arange(256, dtype=np.uint32)
        table = np.zeros(256, dtype=np.uint32)
        for bit in range(8):
            table ^= np.where((v >> bit) & 1, op[8 * byte + bit], np.uint32(0))
        out ^= table[(r >> np.uint32(8 * byte)) & np.uint32(0xFF)]
    return out


@functools.lru_cache(maxsize=256)
def _zeros_op(n: int) -> np.ndarray:
    """``Z_n``: the register after ``n`` zero bytes, as a function of the register before."""
    unit = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)
    one = (_TABLE[unit & np.uint32(0xFF)] ^ (unit >> np.uint32(8))).astype(np.uint32)
    result, power = unit.copy(), one
    while n:
        if n & 1:
            result = _apply(power, result)
        n >>= 1
        if n:
            power = _apply(power, power)
    return result


def crc32c(rows: np.ndarray) -> np.ndarray:
    """CRC-32C of each row of a ``(m, n)`` uint8 array, shape ``(m,)`` uint32.

    Examples
    --------
    >>> hex(int(crc32c(np.frombuffer(b"123456789", np.uint8)[None])[0]))
    '0xe3069283'
    """
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    m, n = rows.shape
    k = 1
    while k * CHUNK < n:
        k *= 2
    padded = np.zeros((m, k * CHUNK), dtype=np.uint8)  # leading zeros leave it unchanged
    padded[:, k * CHUNK - n:] = rows
    columns = padded.reshape(m * k, CHUNK).T.astype(np.uint32)  # (CHUNK, chunks), contiguous
    reg = np.zeros(m * k, dtype=np.uint32)
    for column in columns:  # register of every chunk from 0, one byte column at a time
        reg = _TABLE[(reg ^ column) & np.uint32(0xFF)] ^ (reg >> np.uint32(8))
    reg = reg.reshape(m, k)
    size = CHUNK
    while reg.shape[1] > 1:  # join neighbours: crc(A || B) = Z_|B|(crc(A)) ^ crc(B)
        reg = _apply(_zeros_op(size), reg[:, 0::2]) ^ reg[:, 1::2]
        size *= 2
    init = _apply(_zeros_op(n), np.array([0xFFFFFFFF], dtype=np.uint32))[0]
    return (reg[:, 0] ^ init ^ np.uint32(0xFFFFFFFF)).astype(np.uint32)


def masked_crc(rows: np.ndarray) -> np.ndarray:
    """TFRecord's masked CRC-32C of each row, shape ``(m,)`` uint32."""
    crc = crc32c(rows).astype(np.uint64)
    rotated = ((crc >> np.uint64(15)) | (crc << np.uint64(17))) & np.uint64(0xFFFFFFFF)
    return ((rotated + np.uint64(_MASK_DELTA)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def example_bytes(features: dict) -> bytes:
    """A ``tf.train.Example`` of bytes features (``name -> bytes``), serialised
    deterministically (sorted keys), as ``SerializeToString(deterministic=True)``.
    """
    entries = b"".join(
        _field(1, _field(1, name.encode("utf-8"))
               + _field(2, _field(1, _field(1, value))))  # Feature.bytes_list.value
        for name, value in sorted(features.items()))
    return _field(1, entries)


def record_bytes(payloads: list) -> bytes:
    """The TFRecord framing of ``payloads`` (bytes each), concatenated."""
    lengths = np.array([len(p) for p in payloads], dtype="<u8")
    heads = lengths.view(np.uint8).reshape(-1, 8)
    head_crc = masked_crc(heads).astype("<u4")
    data_crc = np.zeros(len(payloads), dtype="<u4")
    for size in np.unique(lengths):  # equal-length payloads together
        idx = np.flatnonzero(lengths == size)
        rows = np.frombuffer(b"".join(payloads[i] for i in idx), np.uint8).reshape(len(idx), -1)
        data_crc[idx] = masked_crc(rows)
    return b"".join(heads[i].tobytes() + head_crc[i].tobytes() + payloads[i]
                    + data_crc[i].tobytes() for i in range(len(payloads)))
