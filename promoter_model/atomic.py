"""Atomic file writes: write to a temporary file beside the target, then rename.

A reader never sees a half-written file, and a process killed mid-write leaves the previous
version intact. An interrupted write (Ctrl-C, SIGTERM in the CLI) removes its temporary file;
one left by ``kill -9`` is removed by the next write of the same file once it is a minute old
(younger ones may belong to a writer still at work).

Writing over an existing file keeps its permission bits (a ``0600`` file stays ``0600``); a
link is followed and its target replaced. A character device or a FIFO (``/dev/null``,
``/dev/stdout``, a pipe) is written directly, since it cannot be replaced; a folder, a socket
or a block device is refused.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


STALE_TMP_SECONDS = 60


def remove_stale_tmp(path, min_age: float = STALE_TMP_SECONDS) -> list:
    """Remove temporary files of ``path`` left by a killed writer (older than ``min_age`` s).

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    removed = []
    now = time.time()
    try:
        siblings = list(path.parent.glob(f".{_glob_escape(path.name)}.*.tmp*"))
    except OSError:
        return removed
    for f in siblings:
        try:
            st = f.lstat()
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime >= min_age:
                f.unlink()
                removed.append(f)
        except OSError:
            continue
    return removed


def _glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _tmp_path(path: Path, suffix: str = "", mode: int | None = None) -> Path:
    remove_stale_tmp(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}",
                                dir=path.parent)
    os.close(fd)
    # mkstemp makes 0600; a run folder is meant to be shared, and a file written over
    # keeps its own permission bits
    os.chmod(name, mode if mode is not None else 0o666 & ~_umask())
    return Path(name)


def _target(path: Path):
    """``(real path, its permission bits or None, special)`` for a write to ``path``.

    ``special`` is True for a character device or a FIFO (written directly).

    Raises
    ------
    IsADirectoryError
    OSError
        For a socket or a block device (``EINVAL``).
    """
    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real, None, False
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{path}: is a folder, not a file")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return real, None, True
    if not stat.S_ISREG(st.st_mode):
        raise OSError(22, "not a regular file, a character device or a FIFO; refused",
                      str(path))
    return real, stat.S_IMODE(st.st_mode), False


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (fsync, then rename).

    A character device or FIFO is written directly; an existing file keeps its mode.
    """
    path, mode, special = _target(Path(path))
    try:
        if special:
            with open(path, "wb") as fh:
                fh.write(data)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _tmp_path(path, mode=mode)
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
    except OSError as exc:
        if exc.filename is None:  # a failed write() names no file: name the target
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=True) + "\n")


def save_model(model, path) -> None:
    """Save a Keras model to ``path`` (``.keras``) atomically."""
    path, mode, _ = _target(Path(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path, suffix=".keras", mode=mode)
    try:
        model.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
