"""A prepared data folder's format and manifest: constants, reading and checking it, and
the bookkeeping :func:`~promoter_model.records.prepare` does around it (sources, the same
job, leftover files). Files are read through :mod:`.fs` (local or ``gs://``).
"""

from __future__ import annotations

import json
import os
import re

from promoter_model import sequence as seqmod
from promoter_model.records.fs import DataError, gfile, join, sha256_file, sha256_stream

FORMAT_NAME = "promoter-records"
FORMAT_VERSION = 1
BLOCK_SIZE = 1024
SPLITS = ("train", "val", "test")
MANIFEST = "manifest.json"
FIT_CONVENTION = seqmod.FIT_CONVENTION  # recorded in the manifest; a change re-prepares
SPLIT_HASH = "murmur3-fmix64 chain over little-endian uint64 words of the fitted codes"

_SHARD_RE = re.compile(r"^(train|val|test)-\d{5}\.tfrecord(\.tmp)?$")


# --------------------------------------------------------------------------- preparing
def source_info(path, fmt) -> dict:
    """What the manifest records of an input file: path, format, size and sha256."""
    with gfile().GFile(str(path), "rb") as fh:
        digest, size = sha256_stream(fh)
    path = str(path)
    if "://" not in path:
        path = os.path.abspath(path)
    return {"path": path, "format": fmt, "bytes": size, "sha256": digest}


def same_job(manifest: dict, sources: dict, settings: dict) -> bool:
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


def shards_present(data_dir, manifest) -> bool:
    """Whether every shard the manifest lists is there with its size (not hashed)."""
    files = gfile()
    for info in manifest["splits"].values():
        for shard in info["shards"]:
            path = join(data_dir, shard["file"])
            if not files.exists(path) or files.stat(path).length != shard["bytes"]:
                return False
    return True


def clean(out_dir, keep: set) -> None:
    """Remove leftover temp files and shard files of ours that are not in ``keep``."""
    files = gfile()
    for name in files.listdir(out_dir):
        name = name.rstrip("/")
        if (_SHARD_RE.match(name) or name == MANIFEST + ".tmp") and name not in keep:
            files.remove(join(out_dir, name))


# --------------------------------------------------------------------------- reading
def read_manifest(data_dir) -> dict:
    """Load and check ``manifest.json`` of a prepared folder.

    Raises
    ------
    DataError
        When the manifest is missing (never prepared, or interrupted), unreadable or of
        another format version.
    """
    path = join(str(data_dir), MANIFEST)
    files = gfile()
    if not files.exists(path):
        raise DataError(f"{path}: no manifest; run prepare first (a folder without one is "
                        "incomplete, e.g. an interrupted prepare)")
    try:
        with files.GFile(path, "rb") as fh:
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
    files = gfile()
    manifest = read_manifest(data_dir)
    for split, info in manifest["splits"].items():
        for shard in info["shards"]:
            path = join(str(data_dir), shard["file"])
            if not files.exists(path):
                raise DataError(f"{path}: shard {shard['file']} of split '{split}' is missing")
            size = files.stat(path).length
            if size != shard["bytes"]:
                raise DataError(f"{path}: shard {shard['file']} has {size} bytes, the "
                                f"manifest says {shard['bytes']} (truncated or changed)")
            digest = sha256_file(path)
            if digest != shard["sha256"]:
                raise DataError(f"{path}: shard {shard['file']} sha256 {digest[:12]}... does "
                                f"not match the manifest ({shard['sha256'][:12]}...): "
                                "corrupt; prepare the data again")


def split_files(data_dir, manifest, split) -> list:
    """The shard paths of one split, in order."""
    if split not in manifest["splits"]:
        raise DataError(f"{data_dir}: unknown split {split!r}; the manifest has "
                        f"{', '.join(manifest['splits'])}")
    return [join(str(data_dir), s["file"]) for s in manifest["splits"][split]["shards"]]
