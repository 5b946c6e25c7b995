"""Files of a prepared folder, local or ``gs://``: the error, the file system, sha256.

The file helpers take ``tf.io.gfile``'s calls (:func:`gfile`), so that local paths and
``gs://`` work alike. A local path goes through the ``os`` module (:class:`LocalFiles`) and a
remote one through ``tf.io.gfile``: TensorFlow is imported only for a remote path, so
``prepare``, hashing and ``promoter-model --help`` start without loading it (7-10 s on a
laptop). A Keras-on-JAX install (a TPU VM, a GPU machine with JAX alone) has no TensorFlow,
yet it reads prepared folders to train: only local paths work there, and a ``gs://`` path
names what is missing.

:func:`sha256_file` is the one file digest of the package: prepared shards and inputs, run
files and ensemble folders are all checked with it.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass

HASH_BLOCK = 8 << 20


class DataError(ValueError):
    """A prepared data folder or input file that cannot be used; the message names it."""


def has_tensorflow() -> bool:
    """True when TensorFlow can be imported (it is then used for files and pipelines)."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _local(path) -> str:
    path = str(path)
    if "://" in path:
        raise DataError(f"{path}: remote paths need TensorFlow's file system support; "
                        "install tensorflow (or copy the folder to a local disk)")
    return path


@dataclass(frozen=True)
class _Stat:
    length: int


class LocalFiles:
    """Local files with ``tf.io.gfile``'s calls (the local half of :func:`gfile`)."""

    @staticmethod
    def GFile(path, mode="r"):  # noqa: N802 - the name tf.io.gfile uses
        """Open a local file (``tf.io.gfile.GFile``)."""
        return open(_local(path), mode)

    @staticmethod
    def exists(path) -> bool:
        """Whether the path exists."""
        return os.path.exists(_local(path))

    @staticmethod
    def isdir(path) -> bool:
        """Whether the path is a folder."""
        return os.path.isdir(_local(path))

    @staticmethod
    def stat(path) -> _Stat:
        """Size of a file, as ``.length``."""
        return _Stat(os.path.getsize(_local(path)))

    @staticmethod
    def listdir(path) -> list:
        """Names in a folder."""
        return os.listdir(_local(path))

    @staticmethod
    def makedirs(path) -> None:
        """Create a folder and its parents (no error if it exists)."""
        os.makedirs(_local(path), exist_ok=True)

    @staticmethod
    def remove(path) -> None:
        """Delete a file."""
        os.remove(_local(path))

    @staticmethod
    def rename(src, dst, overwrite=False) -> None:
        """Rename atomically; refuse to replace ``dst`` unless ``overwrite``."""
        if not overwrite and os.path.exists(_local(dst)):
            raise FileExistsError(dst)
        os.replace(_local(src), _local(dst))


def _files(*paths):
    """``tf.io.gfile`` if any path is remote (``gs://``), else :class:`LocalFiles` (where
    TensorFlow is not installed, LocalFiles names what is missing for a remote path).
    """
    if any("://" in str(p) for p in paths) and has_tensorflow():
        import tensorflow as tf

        return tf.io.gfile
    return LocalFiles


class Files:
    """``tf.io.gfile``'s calls for paths of either kind: a remote one through TensorFlow, a
    local one through :class:`LocalFiles` (TensorFlow is not imported).
    """

    @staticmethod
    def GFile(path, mode="r"):  # noqa: N802 - the name tf.io.gfile uses
        """Open a file (``tf.io.gfile.GFile``)."""
        return _files(path).GFile(str(path), mode)

    @staticmethod
    def exists(path) -> bool:
        """Whether the path exists."""
        return _files(path).exists(str(path))

    @staticmethod
    def isdir(path) -> bool:
        """Whether the path is a folder."""
        return _files(path).isdir(str(path))

    @staticmethod
    def stat(path):
        """Size of a file, as ``.length``."""
        return _files(path).stat(str(path))

    @staticmethod
    def listdir(path) -> list:
        """Names in a folder."""
        return _files(path).listdir(str(path))

    @staticmethod
    def makedirs(path) -> None:
        """Create a folder and its parents (no error if it exists)."""
        _files(path).makedirs(str(path))

    @staticmethod
    def remove(path) -> None:
        """Delete a file."""
        _files(path).remove(str(path))

    @staticmethod
    def rename(src, dst, overwrite=False) -> None:
        """Rename atomically; refuse to replace ``dst`` unless ``overwrite``."""
        _files(src, dst).rename(str(src), str(dst), overwrite=overwrite)


def gfile():
    """The file system for paths of either kind: :class:`Files`."""
    return Files


def join(folder, name) -> str:
    """``folder/name`` for a local folder or a ``gs://`` one."""
    folder = str(folder)
    if "://" in folder:
        return posixpath.join(folder, name)
    return os.path.join(folder, name)


def sha256_stream(fh, block: int = HASH_BLOCK) -> tuple[str, int]:
    """(sha256 hex digest, size in bytes) of an open binary file, read to its end."""
    h = hashlib.sha256()
    size = 0
    while True:
        data = fh.read(block)
        if not data:
            break
        h.update(data)
        size += len(data)
    return h.hexdigest(), size


def sha256_file(path) -> str:
    """Hex sha256 digest of a file, streamed: a local path directly (TensorFlow is not
    imported), a ``gs://`` one through :func:`gfile`.
    """
    with Files.GFile(path, "rb") as fh:
        return sha256_stream(fh)[0]


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.tmp`` file renamed over it."""
    files = gfile()
    tmp = path + ".tmp"
    with files.GFile(tmp, "wb") as fh:
        fh.write(data)
    files.rename(tmp, path, overwrite=True)


def same_path(a, b) -> bool:
    """Whether two local paths name the same file (never for ``gs://``)."""
    try:
        return "://" not in str(a) and os.path.samefile(str(a), str(b))
    except OSError:
        return False
