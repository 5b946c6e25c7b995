"""Local-file stand-in for ``tf.io.gfile`` when TensorFlow is not installed.

A Keras-on-JAX install (a TPU VM, a GPU machine with JAX alone) has no TensorFlow, yet it
reads prepared folders to train. Only local paths work here; a ``gs://`` path names what
is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from promoter_model.records.manifest import DataError


def _local(path) -> str:
    path = str(path)
    if "://" in path:
        raise DataError(f"{path}: remote paths need TensorFlow's file system support; "
                        "install tensorflow (or copy the folder to a local disk)")
    return path


@dataclass(frozen=True)
class _Stat:
    length: int


def GFile(path, mode="r"):  # noqa: N802 - the name tf.io.gfile uses
    """Open a local file (``tf.io.gfile.GFile``)."""
    return open(_local(path), mode)


def exists(path) -> bool:
    """Whether the path exists."""
    return os.path.exists(_local(path))


def isdir(path) -> bool:
    """Whether the path is a folder."""
    return os.path.isdir(_local(path))


def stat(path) -> _Stat:
    """Size of a file, as ``.length``."""
    return _Stat(os.path.getsize(_local(path)))


def listdir(path) -> list:
    """Names in a folder."""
    return os.listdir(_local(path))


def makedirs(path) -> None:
    """Create a folder and its parents (no error if it exists)."""
    os.makedirs(_local(path), exist_ok=True)


def remove(path) -> None:
    """Delete a file."""
    os.remove(_local(path))


def rename(src, dst, overwrite=False) -> None:
    """Rename atomically; refuse to replace ``dst`` unless ``overwrite``."""
    if not overwrite and os.path.exists(_local(dst)):
        raise FileExistsError(dst)
    os.replace(_local(src), _local(dst))
