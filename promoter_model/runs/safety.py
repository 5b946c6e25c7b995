"""Bounds checked on a run folder before anything in it is loaded or shown.

A run folder may come from anyone who can write to the runs folder of a shared server, so
everything the dashboard or the CLI reads from it is checked first, cheaply:

* **No links.** Run files are opened with ``O_NOFOLLOW`` and must be regular files: a
  ``MODEL_CARD.md -> /etc/passwd`` is refused, not shown.
* **Sizes from the directory entry.** Each file has a size cap checked with ``lstat`` before
  a byte is read, so a sparse 4 GB ``model.keras`` costs one ``stat`` call, not a checksum.
* **Checksums cached** by ``(device, inode, size, mtime)``: a picker that re-scans the same
  runs every few seconds hashes each file once.
* **The model archive's directory** (``zipfile`` reads only the central directory): the
  members must be Keras' own (``config.json``, ``metadata.json``, ``model.weights.h5``), with
  bounded uncompressed sizes and compression ratios, so a zip bomb or extra members are never
  unpacked.
* **The parameter count implied by the config**, computed by building the model inside a
  Keras ``StatelessScope`` whose variables are never initialised (no memory is allocated for
  weights), and the weights file may not be larger than those parameters can explain.

Limits (environment variables, read at each check)
--------------------------------------------------
PROMOTER_MAX_MODEL_MB   largest ``model.keras``, on disk and unpacked (1024)
PROMOTER_MAX_PARAMS     most parameters a run's model may have (50,000,000)
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import zipfile
from pathlib import Path

from ..records.fs import sha256_stream

MAX_MODEL_CONFIG_BYTES = 64 << 20
#: largest size of the small run files (config.json, history.csv, metrics.json, card ...)
MAX_TEXT_BYTES = {"config.json": 1 << 20, "checksums.json": 1 << 16, "history.csv": 16 << 20,
                  "metrics.json": 16 << 20, "MODEL_CARD.md": 1 << 20}
#: the members Keras writes into a ``.keras`` archive
ARCHIVE_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
MAX_METADATA_BYTES = 1 << 20
MAX_DEFLATE_RATIO = 100  # float weights compress ~1.1x; a zip bomb ~1000x
#: bytes per parameter a weights file may hold: float32 weights plus optimizer slots
BYTES_PER_PARAM = 32
WEIGHTS_SLACK_BYTES = 8 << 20  # HDF5 structure, names, small layers


class RunSafetyError(ValueError):
    """A run file refused by a bound; :mod:`promoter_model.runs` words it as a ``RunError``."""


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def max_model_bytes() -> int:
    """Largest ``model.keras`` (and unpacked archive) accepted, in bytes."""
    return _env_int("PROMOTER_MAX_MODEL_MB", 1024) << 20


def max_params() -> int:
    """Most parameters a run's model config may imply."""
    return _env_int("PROMOTER_MAX_PARAMS", 50_000_000)


def lstat_regular(path, name: str) -> os.stat_result:
    """``lstat`` of ``path / name``; refuse a link, a folder, a device or a FIFO.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    RunSafetyError
        If it is a symbolic link or not a regular file.
    """
    st = os.lstat(Path(path) / name)
    if stat.S_ISLNK(st.st_mode):
        raise RunSafetyError(f"{name} is a symbolic link; run files must be plain files "
                             "inside the run folder")
    if not stat.S_ISREG(st.st_mode):
        raise RunSafetyError(f"{name} is not a regular file")
    return st


def check_size(path, name: str) -> os.stat_result:
    """:func:`lstat_regular` plus the file's size cap, from the directory entry only.

    ``model.keras`` may be up to ``PROMOTER_MAX_MODEL_MB``, the small run files up to
    :data:`MAX_TEXT_BYTES`, anything else (listed in ``checksums.json``) up to the model cap.
    """
    st = lstat_regular(path, name)
    cap = MAX_TEXT_BYTES.get(name) or max_model_bytes()
    if st.st_size > cap:
        hint = " (PROMOTER_MAX_MODEL_MB)" if name not in MAX_TEXT_BYTES else ""
        raise RunSafetyError(f"{name} is {st.st_size:,} bytes, over the limit of {cap:,} "
                             f"bytes{hint}; refused without reading it")
    return st


def _open_regular(path, name: str):
    """Open ``path / name`` for reading without following a link (``O_NOFOLLOW``)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(Path(path) / name, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RunSafetyError(f"{name} is a symbolic link; run files must be plain files "
                                 "inside the run folder") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise RunSafetyError(f"{name} is not a regular file")
    return os.fdopen(fd, "rb"), st


def read_run_file(path, name: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a small run file: a plain file (no link) no larger than its cap."""
    cap = max_bytes or MAX_TEXT_BYTES.get(name, 16 << 20)
    fh, st = _open_regular(path, name)
    with fh:
        if st.st_size > cap:
            raise RunSafetyError(f"{name} is {st.st_size:,} bytes, over the limit of "
                                 f"{cap:,} bytes for this file")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise RunSafetyError(f"{name} is over the limit of {cap:,} bytes for this file")
    return data


_DIGESTS: dict = {}


def sha256_run_file(path, name: str) -> str:
    """sha256 of a plain run file, cached by ``(path, device, inode, size, mtime_ns)``."""
    fh, st = _open_regular(path, name)
    key = (str(Path(path).resolve() / name), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with fh:
        if key in _DIGESTS:
            return _DIGESTS[key]
        digest = sha256_stream(fh)[0]
    if len(_DIGESTS) > 4096:
        _DIGESTS.clear()
    _DIGESTS[key] = digest
    return digest


def check_archive(model_file) -> dict:
    """Check a ``.keras`` archive's directory and return its parsed ``config.json``.

    Only the zip central directory and ``config.json`` are read: members other than Keras'
    own, members whose unpacked size is over the model cap, and deflated members with a
    compression ratio over 100 (a zip bomb) are refused without unpacking them.

    Raises
    ------
    RunSafetyError
        For a refused archive (the message names the member).
    zipfile.BadZipFile, KeyError, OSError, ValueError, RecursionError
        For a file that is not a readable archive (the caller words it).
    """
    model_file = Path(model_file)
    cap = max_model_bytes()
    st = lstat_regular(model_file.parent, model_file.name)
    if st.st_size > cap:
        raise RunSafetyError(f"model.keras is {st.st_size:,} bytes, over the limit of "
                             f"{cap:,} bytes (PROMOTER_MAX_MODEL_MB)")
    fh, _ = _open_regular(model_file.parent, model_file.name)
    with fh, zipfile.ZipFile(fh) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        extra = sorted(set(names) - set(ARCHIVE_MEMBERS))
        if extra:
            shown = ", ".join(repr(n) for n in extra[:3]) + (" ..." if len(extra) > 3 else "")
            raise RunSafetyError(f"model.keras holds files Keras does not write ({shown}); "
                                 "refused without unpacking")
        if len(names) != len(set(names)):
            raise RunSafetyError("model.keras holds the same member twice; refused")
        size = z.getinfo("config.json").file_size
        if size > MAX_MODEL_CONFIG_BYTES:
            raise RunSafetyError(f"model.keras: its config.json would unpack to {size:,} "
                                 "bytes; refused")
        total = 0
        for info in infos:
            total += info.file_size
            if info.compress_type != zipfile.ZIP_STORED and info.file_size > (
                    MAX_DEFLATE_RATIO * max(info.compress_size, 1) + (1 << 20)):
                raise RunSafetyError(
                    f"model.keras: {info.filename} would unpack {info.compress_size:,} bytes "
                    f"to {info.file_size:,} (a compression ratio over {MAX_DEFLATE_RATIO}); "
                    "refused as a zip bomb")
        if total > cap:
            raise RunSafetyError(f"model.keras would unpack to {total:,} bytes, over the "
                                 f"limit of {cap:,} bytes (PROMOTER_MAX_MODEL_MB)")
        if "metadata.json" in names and z.getinfo("metadata.json").file_size > (
                MAX_METADATA_BYTES):
            raise RunSafetyError("model.keras: metadata.json is over 1 MB; refused")
        config = json.loads(z.read("config.json"))
        weights = z.getinfo("model.weights.h5").file_size if (
            "model.weights.h5" in names) else 0
    if not isinstance(config, dict):
        raise RunSafetyError("model.keras: its config.json is not a JSON object")
    config["__weights_bytes__"] = weights
    return config


_PARAMS: dict = {}


def count_params(config: dict) -> int:
    """Parameters of the model described by a Keras config, without allocating them.

    The model is deserialised in safe mode inside a ``StatelessScope`` that does not
    initialise variables: shapes are known, no weight memory is allocated (a Dense
    30000×30000 costs milliseconds, not 3.6 GB). Cached by the config text.

    Raises
    ------
    RunSafetyError
        If the config cannot be built (the message says why).
    """
    cfg = {k: v for k, v in config.items() if k not in ("compile_config", "__weights_bytes__")}
    key = hashlib.blake2b(json.dumps(cfg, sort_keys=True).encode()).hexdigest()  # cache key
    if key in _PARAMS:
        return _PARAMS[key]
    import keras

    from ..model import layers  # noqa: F401  (registers the custom layers)

    try:  # Keras 3 internals; fail closed if a Keras release moves them
        from keras.src.backend.common import global_state
        from keras.src.backend.common.stateless_scope import StatelessScope
    except ImportError as exc:
        raise RunSafetyError("model.keras cannot be checked: this Keras version has no "
                             f"StatelessScope ({exc}); use Keras 3") from None

    before = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with StatelessScope(initialize_variables=False):
            model = keras.saving.deserialize_keras_object(cfg, safe_mode=True)
            n = sum(int(_prod(v.shape)) for v in model.weights)
    except Exception as exc:  # any deserialisation failure is a refusal, on one line
        text = " ".join(str(exc).split())[:200]
        raise RunSafetyError(f"model.keras could not be loaded in safe mode: its config "
                             f"cannot be built ({type(exc).__name__}: {text})") from None
    finally:  # never leave the uninitialised variables for a later scope to allocate
        global_state.set_global_attribute("uninitialized_variables", before)
    if len(_PARAMS) > 1024:
        _PARAMS.clear()
    _PARAMS[key] = n
    return n


def _prod(shape) -> int:
    out = 1
    for d in shape:
        out *= int(d or 0)
    return out


def check_model_bounds(model_file) -> int:
    """Refuse a model whose config or weights are too large; returns its parameter count.

    Raises
    ------
    RunSafetyError
    """
    config = check_archive(model_file)
    n = count_params(config)
    limit = max_params()
    if n > limit:
        raise RunSafetyError(f"model.keras: its config describes {n:,} parameters, over the "
                             f"limit of {limit:,} (PROMOTER_MAX_PARAMS); refused before "
                             "loading")
    weights = config["__weights_bytes__"]
    if weights > BYTES_PER_PARAM * n + WEIGHTS_SLACK_BYTES:
        raise RunSafetyError(f"model.keras: model.weights.h5 unpacks to {weights:,} bytes, "
                             f"far more than {n:,} parameters need; refused before loading")
    return n


_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])")
_LINK = re.compile(r"\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])")
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:.*$", re.MULTILINE)
_ANGLE_URL = re.compile(r"<((?:[a-zA-Z][a-zA-Z0-9+.-]*:|www\.)[^>\s]*)>")
_BARE_URL = re.compile(r"(?<![`\w])((?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)[^\s`<>]+)")


def plain_markdown(text):
    """Markdown from a run made safe to render: no remote image, no link to click.

    Images become their alt text, links their text; reference definitions are dropped;
    bare and ``<...>`` URLs are shown as inline code (neither fetched nor clickable).
    Anything else (headings, tables, emphasis) is kept. ``None`` stays ``None``.
    """
    if text is None:
        return None
    text = str(text)
    for _ in range(3):  # nested forms, e.g. a link around an image
        text = _IMAGE.sub(lambda m: m.group(1), text)
        text = _LINK.sub(lambda m: m.group(1), text)
    text = _REF_DEF.sub("", text)
    text = _ANGLE_URL.sub(lambda m: f"`{m.group(1)}`", text)
    return _BARE_URL.sub(lambda m: f"`{m.group(1)}`", text)
