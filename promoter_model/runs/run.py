"""A run directory: the only place a model is loaded from.

Layout::

    RUN_DIR/
      config.json      RunConfig: preset, model and training settings, data, strategy
      model.keras      the best model by validation R² (Keras v3 format, no Lambda, no pickle)
      history.csv      one row per epoch: epoch, loss, val_loss, val_r2, val_pearson, lr, seconds,
                       val_mode_r, val_mode_r2 (older runs lack these two)
      metrics.json     held-out metrics, each with the data it was computed on
      checksums.json   sha256 of the files above, written last when a run is complete
      MODEL_CARD.md    optional, shown in the dashboard
      motifs/          optional caches written by ``promoter-model motifs``
      checkpoint/      only while training: what ``train`` resumes from

Loading is always ``keras.saving.load_model(..., safe_mode=True)``; a run whose files are
missing, truncated or do not match ``checksums.json`` raises :class:`RunError` naming the file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic
from ..model.config import RunConfig
from ..records.fs import sha256_file
from . import gate
from . import safety as run_safety

REQUIRED = ("config.json", "model.keras")
CHECKSUMMED = ("config.json", "model.keras", "history.csv", "metrics.json")
CARD = "MODEL_CARD.md"
MAX_MODEL_CONFIG_BYTES = run_safety.MAX_MODEL_CONFIG_BYTES


class RunError(ValueError):
    """A run directory that cannot be used, with the file and the reason."""


@dataclass
class Run:
    """A loaded run.

    Attributes
    ----------
    path : Path
    model : keras.Model
    config : RunConfig
    history : pd.DataFrame
        One row per epoch (empty if the run has no history).
    metrics : dict
    model_card : str or None
    """

    path: Path
    model: object
    config: RunConfig
    history: pd.DataFrame
    metrics: dict = field(default_factory=dict)
    model_card: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def predict(self, X, batch_size: int = 1024) -> np.ndarray:
        """Predicted expression, ``X: (n, 110, 4) -> (n,)``."""
        from ..model.predict import predict

        return predict(self.model, X, batch_size=batch_size)


def write_checksums(run_dir) -> dict:
    """Record the sha256 of the run's files in ``checksums.json`` (atomically).

    ``MODEL_CARD.md`` is covered too when present as a plain file (a link is never vouched
    for): the dashboard shows a card only if it matches its checksum.
    """
    run_dir = Path(run_dir)
    sums = {name: sha256_file(run_dir / name) for name in CHECKSUMMED + (CARD,)
            if (run_dir / name).exists()
            and not (name == CARD and (run_dir / name).is_symlink())}
    atomic.remove_stale_tmp(run_dir / "checksums.json")
    gate.write_json(run_dir, "checksums.json", sums)
    return sums


def _safe(path, call, *args):
    """``call(*args)`` with a refused or unreadable run file as a :class:`RunError`."""
    try:
        return call(*args)
    except run_safety.RunSafetyError as exc:
        raise RunError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise RunError(f"{path}: {args[-1]} is missing") from None
    except OSError as exc:
        raise RunError(f"{path}: {args[-1]} cannot be read ({exc.strerror or exc})") from None


def check_run(path) -> None:
    """Check a run directory without loading the model.

    Every run file must be a plain file inside the folder (no links), within its size cap
    and matching ``checksums.json``; ``model.keras`` must pass
    :func:`run_safety.check_model_bounds` (archive members, unpacked sizes, parameters).

    Raises
    ------
    RunError
        Naming the missing, empty, unreadable, oversized or tampered file.
    """
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"{path}: not a run directory (no such folder)")
    for name in REQUIRED:
        try:
            st = run_safety.lstat_regular(path, name)
        except FileNotFoundError:
            raise RunError(f"{path}: {name} is missing; this is not a complete run") from None
        except run_safety.RunSafetyError as exc:
            raise RunError(f"{path}: {exc}") from None
        if st.st_size == 0:
            raise RunError(f"{path}: {name} is empty")
    if not (path / "checksums.json").exists() and not (path / "checksums.json").is_symlink():
        raise RunError(f"{path}: checksums.json is missing; the run did not finish "
                       "(resume it with the same train command)")
    sums = _safe(path, gate.read_json, path, "checksums.json")
    if not all(isinstance(v, str) for v in sums.values()):
        raise RunError(f"{path}: checksums.json is not a mapping of file names to sha256 "
                       "digests")
    for name in sums:
        if "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
            raise RunError(f"{path}: checksums.json names an unexpected file {name!r}")
    unlisted = [n for n in CHECKSUMMED if n not in sums and (path / n).exists()]
    if unlisted:
        raise RunError(f"{path}: checksums.json does not cover {', '.join(unlisted)} "
                       "(modified after training)")
    for name in sums:  # links and sizes first (directory entries): nothing is hashed
        _safe(path, run_safety.check_size, path, name)
    for name, expected in sums.items():
        if _safe(path, run_safety.sha256_run_file, path, name) != expected:
            raise RunError(f"{path}: {name} does not match its checksum (truncated or "
                           "modified after training)")
    try:
        RunConfig.from_dict(_safe(path, gate.read_json, path, "config.json"))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RunError(f"{path}: config.json is not a valid run config ({exc})") from None
    code = code_in_model(path / "model.keras")
    if code:
        raise RunError(f"{path}: {_refusal(code)}")
    _safe(path, run_safety.check_model_bounds, path / "model.keras")


_CODE_MESSAGE = ("model.keras contains Python code ({what}) and is refused: runs are only "
                 "loaded in safe mode. Rebuild the model from standard Keras and "
                 "promoter_model layers.")


def _refusal(what: str) -> str:
    return _CODE_MESSAGE.format(what=what)


def code_in_model(model_file) -> str | None:
    """What in a ``.keras`` archive would run Python code when loaded, read without Keras.

    Reads the archive's directory and ``config.json`` only (no TensorFlow import, no
    deserialisation; see :func:`run_safety.check_archive`), so run pickers can leave such
    runs out; :func:`load_run` refuses them anyway (safe mode).

    Returns
    -------
    str or None
        E.g. ``"a Lambda layer 'lambda'"``; None if nothing was found.

    Raises
    ------
    RunError
        If the file is not a Keras archive, or an archive refused by its bounds.
    """
    model_file = Path(model_file)
    where = f"{model_file.parent}: {model_file.name}"
    try:
        config = run_safety.check_archive(model_file)
    except run_safety.RunSafetyError as exc:
        raise RunError(f"{model_file.parent}: {exc}") from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RecursionError) as exc:
        raise RunError(f"{where} is not a Keras model archive ({exc})") from None
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("class_name")
            if kind == "Lambda":
                cfg = node.get("config")
                name = cfg.get("name") if isinstance(cfg, dict) else None
                return f"a Lambda layer {name!r}" if isinstance(name, str) else "a Lambda layer"
            if kind == "__lambda__":
                return "a serialised Python function"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _run_text(path, name: str) -> str | None:
    """A small run file as text (no link, size-capped), or None if it does not exist."""
    f = Path(path) / name
    if not f.exists() and not f.is_symlink():
        return None
    data = _safe(path, run_safety.read_run_file, path, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RunError(f"{path}: {name} is not UTF-8 text") from None


def read_history(path) -> pd.DataFrame:
    """A run's ``history.csv`` (an empty frame with the columns if it has none)."""
    text = _run_text(path, "history.csv")
    if text is None:
        return pd.DataFrame(columns=["epoch", "loss", "val_loss", "val_r2", "val_pearson",
                                     "lr", "seconds", "val_mode_r", "val_mode_r2"])
    try:
        return pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RunError(f"{path}: history.csv is not a valid CSV ({exc})") from None


def read_metrics(path) -> dict:
    """A run's ``metrics.json`` (empty if it has none)."""
    if _run_text(path, "metrics.json") is None:
        return {}
    return _safe(path, gate.read_json, path, "metrics.json")


def read_model_card(path) -> str | None:
    """``MODEL_CARD.md`` if it is a plain file covered by ``checksums.json`` and matching it.

    A card that is a link, oversized, not listed or not matching is not shown (None): what
    the dashboard displays from a run is always a file the run's checksums vouch for.
    """
    try:
        sums = gate.parse_json((_run_text(path, "checksums.json") or "{}").encode(),
                               "checksums.json")
        text = _run_text(path, CARD)
        if text is None or not isinstance(sums, dict) or CARD not in sums:
            return None
        if run_safety.sha256_run_file(path, CARD) != sums[CARD]:
            return None
    except (RunError, OSError, ValueError):
        return None
    return text


def load_run(path, *, verify: bool = True) -> Run:
    """Load a run directory safely.

    Parameters
    ----------
    path : str or Path
    verify : bool
        Check files against ``checksums.json`` first.

    Returns
    -------
    Run

    Raises
    ------
    RunError
        Naming the file that is missing, truncated, tampered with, refused by a bound of
        :mod:`run_safety` or unloadable.
    """
    import keras

    from ..model import layers  # noqa: F401  (registers the custom layers)

    path = Path(path)
    if verify:
        check_run(path)
    else:  # the bounds hold even without checksums: nothing unbounded is ever unpacked
        code = code_in_model(path / "model.keras")
        if code:
            raise RunError(f"{path}: {_refusal(code)}")
        _safe(path, run_safety.check_model_bounds, path / "model.keras")
    text = _run_text(path, "config.json")
    if text is None:
        raise RunError(f"{path}: config.json is missing; this is not a complete run")
    config = RunConfig.from_json(text)
    try:
        model = keras.saving.load_model(path / "model.keras", safe_mode=True, compile=False)
    except Exception as exc:  # keras raises many types for a bad archive
        raise RunError(_load_failure(path, exc)) from None
    return Run(path=path, model=model, config=config, history=read_history(path),
               metrics=read_metrics(path), model_card=read_model_card(path))


def _load_failure(path, exc) -> str:
    """One clear line for a model.keras that Keras refused or could not read."""
    text = " ".join(str(exc).split())  # one line: the CLI prints 'error: ...' on one line
    if "safe_mode" in text or "unsafe_deserialization" in text:
        return f"{path}: {_refusal('a Lambda layer or a pickled function')}"
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{path}: model.keras could not be loaded in safe mode ({type(exc).__name__}: {text})"


def resolve_under(root, name) -> Path:
    """``root / name`` if it stays inside ``root`` (no ``..``, no absolute names, no links out).

    Raises
    ------
    RunError
    """
    if "\x00" in str(name):
        raise RunError(f"{name!r} is not a valid run name")
    root = Path(root).resolve()
    candidate = (root / name).resolve()
    if candidate != root and root not in candidate.parents:
        raise RunError(f"{name!r} is outside the runs folder {root}")
    return candidate


def list_runs(root) -> list:
    """Valid run directories directly under ``root`` (sorted by name).

    Folders that fail :func:`check_run` are skipped; see :func:`scan_runs` for the reasons.
    """
    return [p for p, problem in scan_runs(root) if problem is None]


def folders_under(root) -> list:
    """The folders directly under ``root`` (hidden ones and plain files left out), sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [c for c in sorted(root.iterdir()) if c.is_dir() and not c.name.startswith(".")]


def scan_runs(root) -> list:
    """Every folder under ``root`` with the reason it is not a usable run (or None).

    Returns
    -------
    list of (Path, str or None)
    """
    out = []
    for child in folders_under(root):
        try:
            path = resolve_under(root, child.name)
            check_run(path)
            out.append((path, None))
        except RunError as exc:
            out.append((child, str(exc)))
    return out


def save_run(run_dir, model, config: RunConfig, *, history: pd.DataFrame | None = None,
             metrics: dict | None = None, model_card: str | None = None) -> Path:
    """Write a complete run directory (atomically, file by file, checksums last).

    Used by training at the end of a run, and by tests and scripts that build a model
    another way.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_text(run_dir / "config.json", config.to_json() + "\n")
    atomic.save_model(model, run_dir / "model.keras")
    if history is not None:
        atomic.write_text(run_dir / "history.csv", history.to_csv(index=False))
    if metrics is not None:
        atomic.write_json(run_dir / "metrics.json", metrics)
    if model_card is not None:
        atomic.write_text(run_dir / "MODEL_CARD.md", model_card)
    write_checksums(run_dir)
    return run_dir
