"""The one gate every file of a run or an ensemble goes through, in and out.

Reading (:func:`read_bytes`, :func:`read_json`, :func:`read_table`, :func:`read_npy`,
:func:`digest`): the file must be a plain file, opened with ``O_NOFOLLOW`` (no link, no
device, no FIFO), in a folder that is not itself a link; its size cap (:data:`CAPS`) is
checked from the directory entry before a byte is read; JSON is refused when nested deeper
than :data:`MAX_JSON_DEPTH` (measured on the bytes, before ``json.loads`` recurses) or not
of the expected type; compressed tables are read no further than their cap; arrays without
pickles. :func:`finite` checks the numbers a schema needs finite.

Writing (:func:`check_write`, :func:`check_folder_for_writing`, :func:`write_bytes`): never
the input (also through links or hard links), never through a link, never into a folder of
a run that is a link, only into a folder that exists; then atomically
(:mod:`promoter_model.atomic`).

Every refusal is a :class:`~promoter_model.runs.safety.RunSafetyError` (a ``ValueError``)
naming the file and the bound.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import stat
import zlib
from pathlib import Path

import numpy as np

from .safety import RunSafetyError, max_model_bytes, read_run_file, sha256_run_file

MAX_JSON_DEPTH = 64
#: size caps on disk, by file name (a gzip table's cap is also its decompressed cap)
CAPS = {"checksums.json": 1 << 16, "ensemble.json": 1 << 20, "config.json": 1 << 20,
        "metrics.json": 16 << 20, "MODEL_CARD.md": 1 << 20, "history.csv": 16 << 20,
        "calibration.json": 4 << 20, "discovered.json": 64 << 20, "meta.json": 1 << 20,
        "influence.json": 16 << 20, "matches.json": 16 << 20, "oof.tsv.gz": 256 << 20,
        "public.tsv.gz": 20_000_000, "split.tsv.gz": 256 << 20, "test.tsv.gz": 64 << 20,
        "novelty.npy": 200_000_000 + 1024, "filters.npz": 64 << 20}
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def cap_of(name: str) -> int:
    """The size cap of a run or ensemble file (the model cap for ``model.keras``)."""
    return CAPS.get(Path(name).name) or max_model_bytes()


def _no_link_folder(folder) -> None:
    if os.path.islink(folder):
        raise RunSafetyError(f"{Path(folder).name} is a symbolic link; run folders are "
                             "read and written only through plain folders")


def read_bytes(folder, name: str, cap: int | None = None) -> bytes:
    """The bytes of ``folder / name``: a plain file (no link), no larger than its cap."""
    _no_link_folder(folder)
    return read_run_file(folder, name, cap or cap_of(name))


def digest(folder, name: str) -> str:
    """sha256 of a plain file under its cap, cached by inode (a rescan hashes nothing)."""
    _no_link_folder(folder)
    st = os.lstat(Path(folder) / name)
    if stat.S_ISLNK(st.st_mode):
        raise RunSafetyError(f"{name} is a symbolic link; run files must be plain files "
                             "inside the run folder")
    if st.st_size > cap_of(name):
        raise RunSafetyError(f"{name} is {st.st_size:,} bytes, over the limit of "
                             f"{cap_of(name):,} bytes; refused without reading it")
    return sha256_run_file(folder, name)


def json_depth(raw: bytes) -> int:
    """Deepest nesting of ``[`` and ``{`` in JSON text (strings ignored), without parsing."""
    body = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    if body.size == 0:
        return 0
    step = (np.isin(body, (ord("["), ord("{"))).astype(np.int64)
            - np.isin(body, (ord("]"), ord("}"))))
    return int(np.cumsum(step).max(initial=0))


#: files whose non-finite numbers (``NaN``, a metric of a diverged fit) are read as null
NAN_AS_NULL = ("metrics.json",)
#: files whose own schema check names a non-finite number where it stands
NAN_TO_SCHEMA = ("discovered.json",)


def _no_constant(name: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not a finite number")
    return refuse


def parse_json(raw: bytes, name: str, kind: type | None = dict):
    """JSON bytes parsed after the depth check, of type ``kind`` (None: any).

    ``NaN`` and ``Infinity`` are refused, except in :data:`NAN_AS_NULL` files, where they
    are read as None (shown as unknown, never as ``nan``), and in :data:`NAN_TO_SCHEMA`
    files, whose schema check refuses them naming the field.
    """
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise RunSafetyError(f"{name} is nested {depth:,} levels deep, over the limit of "
                             f"{MAX_JSON_DEPTH}")
    base = Path(name).name
    constant = (lambda c: None) if base in NAN_AS_NULL else (
        float if base in NAN_TO_SCHEMA else _no_constant(name))
    try:
        value = json.loads(raw, parse_constant=constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise RunSafetyError(f"{name} is not valid JSON ({str(exc)[:120]})") from None
    if kind is not None and not isinstance(value, kind):
        raise RunSafetyError(f"{name} must hold a JSON {kind.__name__}, not "
                             f"{type(value).__name__}")
    return value


def read_json(folder, name: str, kind: type | None = dict):
    """:func:`read_bytes` then :func:`parse_json`."""
    return parse_json(read_bytes(folder, name), name, kind)


def read_table(folder, name: str, columns: list, dtype=None, finite_columns=()):
    """A ``.tsv.gz`` table: a plain file under its cap, decompressed no further than the
    cap, with exactly ``columns`` (None: any) and finite values in ``finite_columns``.
    """
    import pandas as pd

    cap = cap_of(name)
    raw = read_bytes(folder, name)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            text = fh.read(cap + 1)
        if len(text) > cap:
            raise ValueError(f"over {cap:,} bytes decompressed")
        table = pd.read_csv(io.BytesIO(text), sep="\t", dtype=dtype)
    except (OSError, EOFError, zlib.error, ValueError, pd.errors.ParserError) as exc:
        raise RunSafetyError(f"{name} cannot be read ({str(exc)[:120]})") from None
    if columns is not None and list(table.columns) != list(columns):
        raise RunSafetyError(f"{name} must have the columns {', '.join(columns)}, not "
                             f"{', '.join(map(str, table.columns))[:200]}")
    for col in finite_columns:
        finite(table[col].to_numpy(), f"{name}: column {col}")
    return table


def read_npy(folder, name: str) -> np.ndarray:
    """A ``.npy`` array (no pickles) from a plain file under its cap."""
    raw = read_bytes(folder, name)
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise RunSafetyError(f"{name} cannot be read ({str(exc)[:120]})") from None


def finite(values, what: str) -> np.ndarray:
    """``values`` as a float64 array, refused unless every value is a finite number."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise RunSafetyError(f"{what} must hold numbers only") from None
    if not np.all(np.isfinite(arr)):
        raise RunSafetyError(f"{what} holds a value that is not a finite number")
    return arr


# ------------------------------------------------------------------------- writing
def check_write(output, inputs=(), flag: str = "--output") -> None:
    """Refuse an output that cannot or must not be written, before any work is done.

    Refused: the input itself (the same file, also through links or hard links), a link,
    a folder, a path whose folder does not exist (it is not created), a folder the user
    cannot write to, a socket or a block device. A character device (``/dev/null``) or a
    FIFO is written directly.

    Raises
    ------
    ValueError
        Naming the flag, the output and the problem.
    """
    if not output or output == "-":
        return
    out = Path(output)
    for arg in inputs:
        if arg and arg != "-" and os.path.exists(arg) and os.path.exists(out):
            try:
                same = os.path.samefile(arg, out)
            except OSError:
                same = False
            if same:
                raise ValueError(f"{flag} {output} is the input file {arg}; refusing to "
                                 "overwrite the input (choose another output file)")
    if out.is_symlink():
        target = Path(os.path.realpath(out))
        if not (target.exists() and (stat.S_ISCHR(target.stat().st_mode)
                                     or stat.S_ISFIFO(target.stat().st_mode))):
            raise ValueError(f"{flag} {output} is a symbolic link; outputs are never written "
                             "through a link (give the file itself)")
    real = Path(os.path.realpath(out))
    if real.exists():
        mode = real.stat().st_mode
        if stat.S_ISDIR(mode):
            raise ValueError(f"{flag} {output} is a folder; give a file name")
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            if real == Path("/dev/full"):
                raise ValueError(f"{flag} {output}: No space left on device (refused "
                                 "before any work)")
            return
        if not stat.S_ISREG(mode):
            raise ValueError(f"{flag} {output} is not a regular file, a character device "
                             "or a FIFO; refused")
    folder = real.parent
    if not folder.is_dir():
        raise ValueError(f"{flag} {output}: the folder {folder} does not exist (it is not "
                         "created for you; create it first)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {output}: the folder {folder} is not writable "
                         "(read-only file system or no permission)")


def check_folder_for_writing(folder, root=None) -> Path:
    """A folder a command writes its files into (``RUN/motifs``): never a link, nor below
    a link up to ``root`` (the run); it may be created only inside an existing folder.

    Raises
    ------
    RunSafetyError
    """
    folder = Path(folder)
    stop = Path(root) if root is not None else folder
    here = folder
    while True:
        if os.path.islink(here):
            raise RunSafetyError(f"{here} is a symbolic link; files are never written "
                                 "through a link inside a run")
        if here == stop or here.parent == here:
            break
        here = here.parent
    if not folder.exists() and not folder.parent.is_dir():
        raise RunSafetyError(f"{folder.parent} does not exist; it is not created for you")
    if folder.exists() and not folder.is_dir():
        raise RunSafetyError(f"{folder} is not a folder")
    return folder


def check_file_for_writing(folder, name: str, root=None) -> Path:
    """``folder / name`` checked for :func:`write_bytes`: the folder as by
    :func:`check_folder_for_writing`, and the file absent or a plain file (a link or a
    device is refused, never followed).

    Raises
    ------
    RunSafetyError
    """
    folder = check_folder_for_writing(folder, root)
    target = folder / name
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise RunSafetyError(f"{target} cannot be written ({exc.strerror})") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a plain file"
        raise RunSafetyError(f"{target} is {kind}; refused (never written through)")
    return target


def write_bytes(folder, name: str, data: bytes, root=None) -> Path:
    """Write ``folder / name`` atomically after :func:`check_file_for_writing` (the folder
    is created when its parent exists).
    """
    from .. import atomic

    target = check_file_for_writing(folder, name, root)
    target.parent.mkdir(exist_ok=True)
    atomic.write_bytes(target, data)
    return target


def write_text(folder, name: str, text: str, root=None) -> Path:
    """:func:`write_bytes` of UTF-8 text."""
    return write_bytes(folder, name, text.encode("utf-8"), root)


def write_json(folder, name: str, obj, root=None) -> Path:
    """:func:`write_bytes` of indented JSON."""
    return write_text(folder, name, json.dumps(obj, indent=2, sort_keys=True) + "\n", root)


__all__ = ["CAPS", "MAX_JSON_DEPTH", "RunSafetyError", "cap_of", "check_file_for_writing",
           "check_folder_for_writing",
           "check_write", "digest", "finite", "json_depth", "parse_json", "read_bytes",
           "read_json", "read_npy", "read_table", "write_bytes", "write_json", "write_text"]
