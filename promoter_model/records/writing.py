"""Writing a prepared folder: `prepare` validates an input, splits it, writes shards + manifest."""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import time

import numpy as np

from promoter_model import sequence as seqmod
from promoter_model.records.fs import (
    DataError,
    gfile,
    join,
    same_path,
    write_atomic,
)
from promoter_model.records.hashing import check_fold, check_fractions, hash_codes, split_of
from promoter_model.records.inputs import family_assignment_of_inputs, input_format, iter_input
from promoter_model.records.manifest import (
    BLOCK_SIZE,
    FIT_CONVENTION,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    SPLIT_HASH,
    SPLITS,
    clean,
    read_manifest,
    same_job,
    shards_present,
    source_info,
)
from promoter_model.records.tfrecord import example_bytes, record_bytes
from promoter_model.sequence import SEQ_LEN


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
    return example_bytes({
        "codes": np.ascontiguousarray(codes, dtype=np.uint8).tobytes(),
        "labels": np.ascontiguousarray(labels, dtype="<f4").tobytes()})


def write_shard(path: str, codes: np.ndarray, labels: np.ndarray,
                block_size: int = BLOCK_SIZE) -> dict:
    """Write one shard atomically (temp name, then rename) and describe it.

    The TFRecord bytes are built with numpy (:mod:`.tfrecord`, identical to TensorFlow's
    writer), so TensorFlow is needed only for ``gs://`` paths.

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
    data = record_bytes([_example_bytes(codes[start:start + block_size],
                                        labels[start:start + block_size])
                         for start in range(0, len(codes), block_size)])
    write_atomic(path, data)
    return {"file": posixpath.basename(path.replace("\\", "/")), "count": int(len(codes)),
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


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
        self.shards.append(write_shard(join(self.out_dir, name), codes[:n], labels[:n]))
        self.stats = _combine_stats(self.stats, _stats_of(labels[:n]))
        rest = len(codes) - n
        self.codes = [codes[n:]] if rest else []
        self.labels = [labels[n:]] if rest else []
        self.buffered = rest




def _split_record(families, n_excluded: int, val_given: bool, test_given: bool) -> dict:
    """How the rows were split, for the manifest and every run's metrics."""
    if families is not None:
        return {"method": "family", "excluded_test_family": n_excluded, **families}
    if val_given and test_given:  # no row was placed by its hash
        return {"method": "files", "note": "the validation and test rows came from their "
                "own files; how those were chosen (by family or not) is the caller's"}
    record = {"method": "hash"}
    if val_given or test_given:
        record["from_files"] = ["validation"] if val_given else ["test"]
    return record


def prepare(input_path, out_dir, *, val_fraction=0.025, test_fraction=0.025, seed=0,
            shard_size=100_000, test_input=None, chunk_rows=200_000,
            max_length=1000, length=SEQ_LEN, progress=None, fold=None,
            val_input=None, split="hash") -> dict:
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
    val_input : str or Path, optional
        A file, in either format, used as the whole validation split (a family-aware
        split made beforehand, :mod:`promoter_model.families`); ``input_path`` then goes
        to training (and to test, unless ``test_input`` is given) and ``val_fraction`` and
        ``fold`` are ignored.
    split : {"hash", "family"}
        ``hash``: each row by a hash of its sequence (identical sequences share a split).
        ``family``: near copies, shared 30-mers and their relatives are grouped into
        families first (:mod:`promoter_model.families`) and each family is placed whole by
        a hash of it; with ``test_input``, rows related to a test row are left out of train
        and val (``excluded_test_family``). The manifest records the method, the family
        count and the largest family.
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
    files = gfile()
    out_dir = str(out_dir)
    if int(shard_size) < 1 or int(chunk_rows) < 1:
        raise ValueError("shard_size and chunk_rows must be positive")
    if test_input is not None:
        test_fraction = 0.0
    if val_input is not None:
        val_fraction, fold = 0.0, None
    check_fractions(val_fraction, test_fraction)
    if fold is not None:
        fold = check_fold(fold, test_fraction)
    report = progress or (lambda message: None)

    fmt = input_format(input_path)
    if files.exists(out_dir) and not files.isdir(out_dir):
        raise DataError(f"{out_dir}: --out must be a folder; this is an existing file"
                        + (" (the input itself)" if same_path(out_dir, input_path) else ""))
    test_fmt = input_format(test_input) if test_input is not None else None
    val_fmt = input_format(val_input) if val_input is not None else None
    sources = {"train": source_info(input_path, fmt),
               "test": source_info(test_input, test_fmt) if test_input is not None else None}
    if val_input is not None:
        sources["val"] = source_info(val_input, val_fmt)
    settings = {"seed": int(seed), "val_fraction": float(val_fraction),
                "test_fraction": float(test_fraction), "shard_size": int(shard_size),
                "seq_len": int(length), "max_length": int(max_length),
                "block_size": BLOCK_SIZE, "test_from_input": test_input is not None}
    if val_input is not None:
        settings["val_from_input"] = True
    if split not in ("hash", "family"):
        raise ValueError(f"split must be 'hash' or 'family', not {split!r}")
    if split == "family":
        settings["split"] = "family"
    if fold is not None:
        settings["fold"] = list(fold)

    manifest_path = join(out_dir, MANIFEST)
    if files.exists(manifest_path):
        try:
            old = read_manifest(out_dir)
        except DataError:
            old = None
        if old is not None and same_job(old, sources, settings) and shards_present(out_dir,
                                                                                     old):
            report(f"{out_dir}: already prepared from the same input and settings "
                   f"({old['n_rows']:,} rows)")
            return old
        files.remove(manifest_path)  # the folder is about to change: no stale manifest
    files.makedirs(out_dir)
    clean(out_dir, keep=set())

    assignment, families = None, None
    if split == "family" and val_input is None:
        report("grouping the rows into families")
        assignment, families = family_assignment_of_inputs(
            input_path, fmt, test_input=test_input, test_fmt=test_fmt,
            chunk_rows=int(chunk_rows), max_length=int(max_length), length=int(length),
            seed=int(seed), val_fraction=val_fraction, test_fraction=test_fraction, fold=fold)
    writers = {s: _SplitWriter(s, out_dir, int(shard_size), int(length)) for s in SPLITS}
    n_rows = n_trimmed = n_padded = n_flanked = n_excluded = 0
    min_len, max_len = None, None
    test_hashes = None

    def consume(chunks, fixed_split=None):
        nonlocal n_rows, n_trimmed, n_padded, n_flanked, n_excluded, min_len, max_len
        nonlocal test_hashes
        start = 0  # rows of this input so far (the family assignment is per input row)
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
                if fixed_split == "test":
                    h = hash_codes(codes, seed)
                    test_hashes = h if test_hashes is None else np.concatenate([test_hashes,
                                                                                h])
            else:
                if assignment is not None:  # by family, decided before this pass
                    which = assignment[start:start + len(seqs)]
                    n_excluded += int((which < 0).sum())
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
            start += len(seqs)
            report(f"{n_rows:,} rows encoded")

    if test_input is not None:
        consume(iter_input(test_input, test_fmt, int(chunk_rows), int(max_length)),
                fixed_split="test")
        test_hashes = np.unique(test_hashes) if test_hashes is not None else None
    if val_input is not None:
        consume(iter_input(val_input, val_fmt, int(chunk_rows), int(max_length)),
                fixed_split="val")
    consume(iter_input(input_path, fmt, int(chunk_rows), int(max_length)))

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
        "excluded_test_overlap": n_excluded if families is None else 0,
        "split": _split_record(families, n_excluded, val_input is not None,
                               test_input is not None),
        "splits": {s: {"count": r["count"], "shards": r["shards"]}
                   for s, r in results.items()},
        "label_stats": {s: r["label_stats"] for s, r in results.items()},
    }
    keep = {sh["file"] for r in results.values() for sh in r["shards"]}
    clean(out_dir, keep)
    write_atomic(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n")
                  .encode("utf-8"))
    report(f"done: {n_rows:,} rows -> " + ", ".join(
        f"{s} {manifest['splits'][s]['count']:,}" for s in SPLITS))
    return manifest
