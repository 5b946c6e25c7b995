"""Shared pieces of a prepared data folder: constants, errors, file helpers, the manifest.

The file helpers go through ``tf.io.gfile`` so that local paths and ``gs://`` work alike.
TensorFlow is imported on first use (in :func:`_gfile`), not at module import: hashing
and ``promoter-model --help`` then start without loading it (about 3 s). Without
TensorFlow (a Keras-on-JAX install) local paths go through :mod:`.localfs`.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re

from promoter_model import sequence as seqmod

FORMAT_NAME = "promoter-records"
FORMAT_VERSION = 1
BLOCK_SIZE = 1024
SPLITS = ("train", "val", "test")
MANIFEST = "manifest.json"
FIT_CONVENTION = seqmod.FIT_CONVENTION  # recorded in the manifest; a change re-prepares
SPLIT_HASH = "murmur3-fmix64 chain over little-endian uint64 words of the fitted codes"

_SHARD_RE = re.compile(r"^(train|val|test)-\d{5}\.tfrecord(\.tmp)?$")
_HASH_BLOCK = 8 << 20


class DataError(ValueError):
    """A prepared data folder or input file that cannot be used; the message names it."""


# --------------------------------------------------------------------------- file helpers
def has_tensorflow() -> bool:
    """True when TensorFlow can be imported (it is then used for files and pipelines)."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _gfile():
    if not has_tensorflow():
        from promoter_model.records import localfs

        return localfs
    import tensorflow as tf

    return tf.io.gfile


def _join(folder, name) -> str:
    folder = str(folder)
    if "://" in folder:
        return posixpath.join(folder, name)
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
    try:
        return "://" not in str(a) and os.path.samefile(str(a), str(b))
    except OSError:
        return False




def _source_info(path, fmt) -> dict:
    digest, size = _sha256_file(path)
    path = str(path)
    if "://" not in path:
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
