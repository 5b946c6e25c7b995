"""TFRecord shards of encoded promoters, their manifest, and tf.data input pipelines.

Layout of a prepared data folder (local path or ``gs://``)::

    manifest.json              written last, atomically: counts, checksums, settings
    train-00000.tfrecord ...   shards of ``shard_size`` sequences (the last one may be short)
    val-00000.tfrecord ...
    test-00000.tfrecord ...

Each TFRecord record is one ``tf.train.Example`` holding a *block* of up to
:data:`BLOCK_SIZE` sequences, so writing and reading cost one protobuf per block, not per
sequence:

* ``codes``: bytes, ``n * seq_len`` base codes, one byte per base (0-3 = A, C, G, T; 4 = N),
  row-major;
* ``labels``: bytes, ``n`` little-endian float32 expression values.

The reader decodes the bytes and builds the one-hot tensor in the graph
(``tf.io.decode_raw`` + ``tf.one_hot(depth=4)``, so code 4 = N becomes all zeros).

Splits are assigned by a seeded hash of the *fitted* sequence (the 110 bp the model sees),
so identical sequences always land in the same split whatever the row order or chunking.
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
import time

import numpy as np

from . import sequence as seqmod
from . import seqio
from .sequence import SEQ_LEN

FORMAT_NAME = "promoter-records"
FORMAT_VERSION = 1
BLOCK_SIZE = 1024
SPLITS = ("train", "val", "test")
MANIFEST = "manifest.json"
FIT_CONVENTION = seqmod.FIT_CONVENTION  # recorded in the manifest; a change re-prepares
SPLIT_HASH = "murmur3-fmix64 chain over little-endian uint64 words of the fitted codes"

_SHARD_RE = re.compile(r"^(train|val|test)-\d{5}\.tfrecord(\.tmp)?$")
_HASH_BLOCK = 8 << 20

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S33 = np.uint64(33)
_S11 = np.uint64(11)


class DataError(ValueError):
    """A prepared data folder or input file that cannot be used; the message names it."""


# --------------------------------------------------------------------------- encoding
# --------------------------------------------------------------------------- splitting
def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 64-bit finaliser, elementwise on uint64 (wraps modulo 2**64)."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def hash_codes(codes: np.ndarray, seed: int = 0) -> np.ndarray:
    """Seeded 64-bit hash of each row of base codes.

    Rows are zero-padded to a multiple of 8 bytes, read as little-endian uint64 words and
    chained through the MurmurHash3 finaliser, so the cost is ``ceil(L / 8)`` vector
    operations over the rows.

    Parameters
    ----------
    codes : np.ndarray, shape (n, L), uint8
    seed : int

    Returns
    -------
    np.ndarray, shape (n,), uint64
    """
    codes = np.asarray(codes, dtype=np.uint8)
    n, length = codes.shape
    width = -(-length // 8) * 8
    padded = np.zeros((n, width), dtype=np.uint8)
    padded[:, :length] = codes
    words = padded.view("<u8")
    start = _fmix64(np.array([(int(seed) * 0x9E3779B97F4A7C15 + length) % 2**64],
                             dtype=np.uint64))[0]
    h = np.full(n, start, dtype=np.uint64)
    for k in range(words.shape[1]):
        h = _fmix64((h ^ words[:, k]) + _GOLDEN)
    return h


def split_of(sequences, seed: int = 0, val_fraction: float = 0.025,
             test_fraction: float = 0.025, fold: tuple | None = None) -> np.ndarray:
    """Deterministic split of each sequence by a seeded hash of its fitted content.

    The hash is mapped to ``u`` in [0, 1): ``u < val_fraction`` is validation,
    ``val_fraction <= u < val_fraction + test_fraction`` is test, the rest is training. So
    identical sequences always share a split, and the validation set does not change when
    ``test_fraction`` is set to 0 (as :func:`prepare` does with ``test_input``).

    Parameters
    ----------
    sequences : list of str, or np.ndarray of shape (n, L), uint8
        Strings are fitted to 110 bp and encoded first; a code array is used as is.
    seed : int
    val_fraction, test_fraction : float
        Each in [0, 1], with a sum below 1.
    fold : (i, k), optional
        k-fold cross-validation: validation is fold ``i`` of ``k`` equal hash ranges
        (``i / k <= u < (i + 1) / k``), replacing ``val_fraction``; ``test_fraction`` must
        be 0. Members ``i = 0 .. k-1`` together validate on every sequence exactly once.

    Returns
    -------
    np.ndarray, shape (n,), int8
        0 = train, 1 = val, 2 = test.
    """
    _check_fractions(val_fraction, test_fraction)
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        codes = sequences
    else:
        codes = seqmod.encode_codes(list(sequences), SEQ_LEN)
    u = (hash_codes(codes, seed) >> _S11).astype(np.float64) * 2.0**-53
    out = np.zeros(len(u), dtype=np.int8)
    if fold is not None:
        i, k = _check_fold(fold, test_fraction)
        out[np.floor(u * k) == i] = 1
        return out
    out[u < val_fraction] = 1
    out[(u >= val_fraction) & (u < val_fraction + test_fraction)] = 2
    return out


def _check_fold(fold, test_fraction) -> tuple[int, int]:
    i, k = (int(v) for v in fold)
    if k < 2 or not 0 <= i < k:
        raise ValueError(f"fold must be (i, k) with k >= 2 and 0 <= i < k, got {tuple(fold)}")
    if float(test_fraction) != 0.0:
        raise ValueError("with fold, test_fraction must be 0 (give the test set as "
                         "test_input)")
    return i, k


def _check_fractions(val_fraction, test_fraction):
    for name, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {v}")
    if float(val_fraction) + float(test_fraction) >= 1.0:
        raise ValueError("val_fraction + test_fraction must be below 1 (nothing left to "
                         "train on)")


# --------------------------------------------------------------------------- file helpers
def _gfile():
    import tensorflow as tf

    return tf.io.gfile


def _join(folder, name) -> str:
    folder = str(folder)
    if "://" in folder:
        return posixpath.join(folder, name)
    import os

    return os.path.join(folder, name)


def _sha256_file(path) -> tuple[str, int]:
    """(sha256 hex digest, size in bytes) of a local or ``gs://`` file, streamed."""
    h = hashlib.sha256()
    size = 0
    with _gfile().GFile(str(path), "rb") as fh:
        while True:
            block = fh.read(_HASH_BLOCK)
            if not block:
                break
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def _write_atomic(path: str, data: bytes) -> None:
    gfile = _gfile()
    tmp = path + ".tmp"
    with gfile.GFile(tmp, "wb") as fh:
        fh.write(data)
    gfile.rename(tmp, path, overwrite=True)


def _same_path(a, b) -> bool:
    import os

    try:
        return "://" not in str(a) and os.path.samefile(str(a), str(b))
    except OSError:
        return False


def _input_format(path) -> str:
    """``dream`` (no header, ``sequence<TAB>expression``) or ``table`` (header row)."""
    gfile = _gfile()
    path = str(path)
    if not gfile.exists(path):
        raise DataError(f"{path}: input file not found")
    if gfile.isdir(path):
        raise DataError(f"{path}: is a folder, not an input file")
    if "://" not in path:
        import os
        import stat

        if not stat.S_ISREG(os.stat(path).st_mode):
            raise DataError(f"{path}: is not a regular file (a FIFO, a device or a socket); "
                            "prepare reads files only")
    with gfile.GFile(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"\x1f\x8b":
        return "table"  # only small header tables are accepted compressed
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip().lower()
    cells = [c.strip().strip(b'"') for c in re.split(rb"[\t,]", first)]
    if b"sequence" in cells or b"seq" in cells:
        return "table"
    return "dream"


def _read_table(path, max_length: int):
    """Sequences and expression of a small CSV/TSV with a header (optionally gzipped)."""
    path = str(path)
    with _gfile().GFile(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    with _gfile().GFile(path, "rb") as fh:
        data = seqio._read_capped(fh, seqio.max_input_bytes(), path)  # gzip unpacked, capped
    if gzipped:
        if b"\t" not in data.split(b"\n", 1)[0] and b"," not in data.split(b"\n", 1)[0]:
            raise DataError(f"{path}: a gzipped input must be a CSV/TSV table with a header")
    text = seqio._decode_text(data, path)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first else ","
    table = seqio.parse_text(text, "table", max_length=max_length, strict=True, source=path,
                              delimiter=delimiter)
    if table.expression is None:
        raise DataError(f"{path}: the table has no 'expression' column")
    return table.sequences, np.asarray(table.expression, dtype=np.float32)


def _iter_input(path, fmt, chunk_rows, max_length):
    """Yield (sequences, expression) chunks of an input file; validated."""
    if fmt == "table":
        seqs, expr = _read_table(path, max_length)
        for start in range(0, len(seqs), chunk_rows):
            yield seqs[start:start + chunk_rows], expr[start:start + chunk_rows]
        return
    for seqs, expr, _first_line in seqio.iter_dream_chunks(path, chunk_rows, max_length):
        yield seqs, expr


# --------------------------------------------------------------------------- writing
def _stats_of(y: np.ndarray) -> dict:
    y = y.astype(np.float64)
    mean = float(y.mean())
    return {"count": int(y.size), "min": float(y.min()), "max": float(y.max()),
            "mean": mean, "m2": float(((y - mean) ** 2).sum())}


def _combine_stats(a: dict | None, b: dict) -> dict:
    """Chan et al. pairwise combination of (count, mean, M2, min, max)."""
    if a is None:
        return dict(b)
    n = a["count"] + b["count"]
    delta = b["mean"] - a["mean"]
    return {"count": n, "min": min(a["min"], b["min"]), "max": max(a["max"], b["max"]),
            "mean": a["mean"] + delta * b["count"] / n,
            "m2": a["m2"] + b["m2"] + delta * delta * a["count"] * b["count"] / n}


def _public_stats(s: dict | None) -> dict | None:
    if s is None:
        return None
    return {"count": s["count"], "min": s["min"], "max": s["max"], "mean": s["mean"],
            "std": math.sqrt(s["m2"] / s["count"])}


def _example_bytes(codes: np.ndarray, labels: np.ndarray) -> bytes:
    """One serialised tf.train.Example holding a block of sequences and labels."""
    import tensorflow as tf

    feature = {
        "codes": tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[np.ascontiguousarray(codes, dtype=np.uint8).tobytes()])),
        "labels": tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[np.ascontiguousarray(labels, dtype="<f4").tobytes()])),
    }
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    return example.SerializeToString(deterministic=True)


def write_shard(path: str, codes: np.ndarray, labels: np.ndarray,
                block_size: int = BLOCK_SIZE) -> dict:
    """Write one shard atomically (temp name, then rename) and describe it.

    Parameters
    ----------
    path : str
        Final shard path (local or ``gs://``).
    codes : np.ndarray, shape (n, L), uint8
    labels : np.ndarray, shape (n,), float32
    block_size : int
        Sequences per TFRecord record.

    Returns
    -------
    dict
        ``file`` (base name), ``count``, ``sha256``, ``bytes``.
    """
    import tensorflow as tf

    tmp = path + ".tmp"
    with tf.io.TFRecordWriter(tmp) as writer:
        for start in range(0, len(codes), block_size):
            writer.write(_example_bytes(codes[start:start + block_size],
                                        labels[start:start + block_size]))
    digest, size = _sha256_file(tmp)
    tf.io.gfile.rename(tmp, path, overwrite=True)
    return {"file": posixpath.basename(path.replace("\\", "/")), "count": int(len(codes)),
            "sha256": digest, "bytes": int(size)}


class _SplitWriter:
    """Buffer one split's rows and cut them into shards of exactly ``shard_size`` rows."""

    def __init__(self, split, out_dir, shard_size, length):
        self.split = split
        self.out_dir = out_dir
        self.shard_size = shard_size
        self.length = length
        self.codes: list = []
        self.labels: list = []
        self.buffered = 0
        self.shards: list = []
        self.stats = None

    def add(self, codes: np.ndarray, labels: np.ndarray) -> None:
        if len(codes) == 0:
            return
        self.codes.append(codes)
        self.labels.append(labels)
        self.buffered += len(codes)
        while self.buffered >= self.shard_size:
            self._flush(self.shard_size)

    def finish(self) -> dict:
        if self.buffered:
            self._flush(self.buffered)
        return {"count": int(sum(s["count"] for s in self.shards)), "shards": self.shards,
                "label_stats": _public_stats(self.stats)}

    def _flush(self, n: int) -> None:
        codes = np.concatenate(self.codes) if len(self.codes) > 1 else self.codes[0]
        labels = np.concatenate(self.labels) if len(self.labels) > 1 else self.labels[0]
        name = f"{self.split}-{len(self.shards):05d}.tfrecord"
        self.shards.append(write_shard(_join(self.out_dir, name), codes[:n], labels[:n]))
        self.stats = _combine_stats(self.stats, _stats_of(labels[:n]))
        rest = len(codes) - n
        self.codes = [codes[n:]] if rest else []
        self.labels = [labels[n:]] if rest else []
        self.buffered = rest


def _source_info(path, fmt) -> dict:
    digest, size = _sha256_file(path)
    path = str(path)
    if "://" not in path:
        import os

        path = os.path.abspath(path)
    return {"path": path, "format": fmt, "bytes": size, "sha256": digest}


def _same_job(manifest: dict, sources: dict, settings: dict) -> bool:
    """True when a manifest was made from the same input bytes with the same settings."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return False
    if manifest.get("settings") != settings:
        return False
    if (manifest.get("fit") or {}).get("convention") != FIT_CONVENTION:
        return False  # prepared under an older fitting rule
    old = manifest.get("sources", {})
    for key, src in sources.items():
        o = old.get(key)
        if (src is None) != (o is None):
            return False
        if src is not None and (o.get("sha256"), o.get("bytes"), o.get("format")) != (
                src["sha256"], src["bytes"], src["format"]):
            return False
    return True


def _shards_present(data_dir, manifest) -> bool:
    gfile = _gfile()
    for info in manifest["splits"].values():
        for shard in info["shards"]:
            path = _join(data_dir, shard["file"])
            if not gfile.exists(path) or gfile.stat(path).length != shard["bytes"]:
                return False
    return True


def _clean(out_dir, keep: set) -> None:
    """Remove leftover temp files and shard files of ours that are not in ``keep``."""
    gfile = _gfile()
    for name in gfile.listdir(out_dir):
        name = name.rstrip("/")
        if (_SHARD_RE.match(name) or name == MANIFEST + ".tmp") and name not in keep:
            gfile.remove(_join(out_dir, name))


def prepare(input_path, out_dir, *, val_fraction=0.025, test_fraction=0.025, seed=0,
            shard_size=100_000, test_input=None, chunk_rows=200_000,
            max_length=1000, length=SEQ_LEN, progress=None, fold=None) -> dict:
    """Encode a training file into split TFRecord shards plus a manifest.

    The input is streamed in chunks of ``chunk_rows`` rows (the one-hot of the whole set is
    never in memory). Each sequence is fitted to ``length`` (``sequence.fit_to_length``),
    encoded as one byte per base and assigned to a split by :func:`split_of`; each split's rows
    are written in input order to shards of exactly ``shard_size`` rows (the last one shorter).
    Shards are written under a temp name and renamed; ``manifest.json`` is written last, so a
    folder with a manifest is complete. Re-running with the same input and settings returns the
    existing manifest; after an interruption it rewrites identical shards.

    Parameters
    ----------
    input_path : str or Path
        ``sequence<TAB>expression`` lines without header (streamed; local or ``gs://``), or
        a small CSV/TSV (optionally ``.gz``) with a header holding ``sequence`` and
        ``expression`` columns.
    out_dir : str or Path
        Output folder (created; local or ``gs://``).
    val_fraction, test_fraction : float
        Shares of validation and test sequences (by hash, see :func:`split_of`).
    fold : (i, k), optional
        Validation is hash fold ``i`` of ``k`` instead of ``val_fraction`` (cross-validated
        ensembles; see :func:`split_of`).
    seed : int
        Seed of the split hash.
    shard_size : int
        Sequences per shard.
    test_input : str or Path, optional
        A second file, in either format, used as the whole test split; ``input_path`` is
        then split into train and validation only (``test_fraction`` is ignored) and rows
        whose fitted sequence also occurs in the test file are left out of train and val
        (counted in the manifest as ``excluded_test_overlap``).
    chunk_rows : int
        Rows parsed per chunk; does not change the output.
    max_length : int
        Longest raw sequence accepted, in bp.
    length : int
        Model input length.
    progress : callable, optional
        Called as ``progress(message)`` with a one-line status after each chunk.

    Returns
    -------
    dict
        The manifest (see ``manifest.json``).

    Raises
    ------
    SequenceError
        For a malformed input row, naming the file and line.
    DataError
        For a missing input file or an unusable table.
    """
    gfile = _gfile()
    out_dir = str(out_dir)
    if int(shard_size) < 1 or int(chunk_rows) < 1:
        raise ValueError("shard_size and chunk_rows must be positive")
    if test_input is not None:
        test_fraction = 0.0
    _check_fractions(val_fraction, test_fraction)
    if fold is not None:
        fold = _check_fold(fold, test_fraction)
    report = progress or (lambda message: None)

    fmt = _input_format(input_path)
    if gfile.exists(out_dir) and not gfile.isdir(out_dir):
        raise DataError(f"{out_dir}: --out must be a folder; this is an existing file"
                        + (" (the input itself)" if _same_path(out_dir, input_path) else ""))
    test_fmt = _input_format(test_input) if test_input is not None else None
    sources = {"train": _source_info(input_path, fmt),
               "test": _source_info(test_input, test_fmt) if test_input is not None else None}
    settings = {"seed": int(seed), "val_fraction": float(val_fraction),
                "test_fraction": float(test_fraction), "shard_size": int(shard_size),
                "seq_len": int(length), "max_length": int(max_length),
                "block_size": BLOCK_SIZE, "test_from_input": test_input is not None}
    if fold is not None:
        settings["fold"] = list(fold)

    manifest_path = _join(out_dir, MANIFEST)
    if gfile.exists(manifest_path):
        try:
            old = read_manifest(out_dir)
        except DataError:
            old = None
        if old is not None and _same_job(old, sources, settings) and _shards_present(out_dir,
                                                                                     old):
            report(f"{out_dir}: already prepared from the same input and settings "
                   f"({old['n_rows']:,} rows)")
            return old
        gfile.remove(manifest_path)  # the folder is about to change: no stale manifest
    gfile.makedirs(out_dir)
    _clean(out_dir, keep=set())

    writers = {s: _SplitWriter(s, out_dir, int(shard_size), int(length)) for s in SPLITS}
    n_rows = n_trimmed = n_padded = n_flanked = n_excluded = 0
    min_len, max_len = None, None
    test_hashes = None

    def consume(chunks, fixed_split=None):
        nonlocal n_rows, n_trimmed, n_padded, n_flanked, n_excluded, min_len, max_len
        nonlocal test_hashes
        for seqs, expr in chunks:
            codes, change = seqmod.encode_fitted(seqs, length)
            n_rows += len(seqs)
            n_trimmed += int((change > 0).sum())
            n_padded += int((change < 0).sum())
            n_flanked += int(((change < 0) & seqmod.placed_in_flanks(change + length,
                                                                     length)).sum())
            if len(change):
                lo, hi = int(change.min()) + length, int(change.max()) + length
                min_len = lo if min_len is None else min(min_len, lo)
                max_len = hi if max_len is None else max(max_len, hi)
            if fixed_split is not None:
                writers[fixed_split].add(codes, expr)
                if test_input is not None:
                    h = hash_codes(codes, seed)
                    test_hashes = h if test_hashes is None else np.concatenate([test_hashes,
                                                                                h])
            else:
                which = split_of(codes, seed, val_fraction, test_fraction, fold)
                if test_hashes is not None:
                    overlap = np.isin(hash_codes(codes, seed), test_hashes)
                    n_excluded += int(overlap.sum())
                    which = np.where(overlap, -1, which)
                for k, split in enumerate(SPLITS):
                    rows = np.flatnonzero(which == k)
                    if rows.size == len(which):
                        writers[split].add(codes, expr)
                    elif rows.size:
                        writers[split].add(codes[rows], expr[rows])
            report(f"{n_rows:,} rows encoded")

    if test_input is not None:
        consume(_iter_input(test_input, test_fmt, int(chunk_rows), int(max_length)),
                fixed_split="test")
        test_hashes = np.unique(test_hashes) if test_hashes is not None else None
    consume(_iter_input(input_path, fmt, int(chunk_rows), int(max_length)))

    results = {s: w.finish() for s, w in writers.items()}
    n_written = sum(r["count"] for r in results.values())
    if n_written + n_excluded != n_rows:  # pragma: no cover - guarded by tests
        raise AssertionError(f"{n_rows} rows read but {n_written} written")
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sources": sources,
        "settings": settings,
        "split_hash": SPLIT_HASH,
        "encoding": {"codes": "uint8 per base: A=0 C=1 G=2 T=3 N=4, row-major (n, seq_len)",
                     "labels": "float32 little-endian", "record": "tf.train.Example per "
                     "block of up to block_size sequences: 'codes' bytes, 'labels' bytes"},
        "fit": {"convention": FIT_CONVENTION, "seq_len": int(length),
                "n_trimmed": n_trimmed, "n_padded": n_padded, "n_flanked": n_flanked,
                "input_length_min": min_len, "input_length_max": max_len},
        "n_rows": n_rows,
        "excluded_test_overlap": n_excluded,
        "splits": {s: {"count": r["count"], "shards": r["shards"]}
                   for s, r in results.items()},
        "label_stats": {s: r["label_stats"] for s, r in results.items()},
    }
    keep = {sh["file"] for r in results.values() for sh in r["shards"]}
    _clean(out_dir, keep)
    _write_atomic(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n")
                  .encode("utf-8"))
    report(f"done: {n_rows:,} rows -> " + ", ".join(
        f"{s} {manifest['splits'][s]['count']:,}" for s in SPLITS))
    return manifest


# --------------------------------------------------------------------------- reading
def read_manifest(data_dir) -> dict:
    """Load and check ``manifest.json`` of a prepared folder.

    Raises
    ------
    DataError
        When the manifest is missing (never prepared, or interrupted), unreadable or of
        another format version.
    """
    path = _join(str(data_dir), MANIFEST)
    gfile = _gfile()
    if not gfile.exists(path):
        raise DataError(f"{path}: no manifest; run prepare first (a folder without one is "
                        "incomplete, e.g. an interrupted prepare)")
    try:
        with gfile.GFile(path, "rb") as fh:
            manifest = json.loads(fh.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: manifest is not valid JSON ({exc})") from None
    if manifest.get("format") != FORMAT_NAME or "splits" not in manifest:
        raise DataError(f"{path}: not a {FORMAT_NAME} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise DataError(f"{path}: format version {manifest.get('format_version')} is not "
                        f"supported (expected {FORMAT_VERSION}); prepare the data again")
    return manifest


def verify_shards(data_dir) -> None:
    """Check every shard listed in the manifest: present, right size, right sha256.

    Raises
    ------
    DataError
        Naming the first shard that is missing, truncated/extended, or whose checksum does
        not match.
    """
    gfile = _gfile()
    manifest = read_manifest(data_dir)
    for split, info in manifest["splits"].items():
        for shard in info["shards"]:
            path = _join(str(data_dir), shard["file"])
            if not gfile.exists(path):
                raise DataError(f"{path}: shard {shard['file']} of split '{split}' is missing")
            size = gfile.stat(path).length
            if size != shard["bytes"]:
                raise DataError(f"{path}: shard {shard['file']} has {size} bytes, the "
                                f"manifest says {shard['bytes']} (truncated or changed)")
            digest, _ = _sha256_file(path)
            if digest != shard["sha256"]:
                raise DataError(f"{path}: shard {shard['file']} sha256 {digest[:12]}... does "
                                f"not match the manifest ({shard['sha256'][:12]}...): "
                                "corrupt; prepare the data again")


def _split_files(data_dir, manifest, split) -> list:
    if split not in manifest["splits"]:
        raise DataError(f"{data_dir}: unknown split {split!r}; the manifest has "
                        f"{', '.join(manifest['splits'])}")
    return [_join(str(data_dir), s["file"]) for s in manifest["splits"][split]["shards"]]


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
        Yields ``(x, y)``: x float32, shape (batch, seq_len, 4), channels A, C, G, T with N
        all zeros; y float32, shape (batch,).
    """
    import tensorflow as tf

    manifest = read_manifest(data_dir)
    length = int(manifest["settings"]["seq_len"])
    shard_size = int(manifest["settings"]["shard_size"])
    files = _split_files(data_dir, manifest, split)
    gfile = _gfile()
    missing = [f for f in files if not gfile.exists(f)]
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
    import tensorflow as tf

    manifest = read_manifest(data_dir)
    length = int(manifest["settings"]["seq_len"])
    files = _split_files(data_dir, manifest, split)
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
