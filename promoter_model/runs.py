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

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic
from .config import RunConfig

REQUIRED = ("config.json", "model.keras")
CHECKSUMMED = ("config.json", "model.keras", "history.csv", "metrics.json")
MAX_MODEL_CONFIG_BYTES = 64 << 20


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
        from .predict import predict

        return predict(self.model, X, batch_size=batch_size)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_checksums(run_dir) -> dict:
    """Record the sha256 of the run's files in ``checksums.json`` (atomically)."""
    run_dir = Path(run_dir)
    sums = {name: sha256_file(run_dir / name) for name in CHECKSUMMED
            if (run_dir / name).exists()}
    atomic.write_json(run_dir / "checksums.json", sums)
    return sums


def check_run(path) -> None:
    """Check a run directory without loading the model.

    Raises
    ------
    RunError
        Naming the missing, empty, unreadable or tampered file.
    """
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"{path}: not a run directory (no such folder)")
    for name in REQUIRED:
        f = path / name
        if not f.is_file():
            raise RunError(f"{path}: {name} is missing; this is not a complete run")
        if f.stat().st_size == 0:
            raise RunError(f"{path}: {name} is empty")
    sums_file = path / "checksums.json"
    if not sums_file.is_file():
        raise RunError(f"{path}: checksums.json is missing; the run did not finish "
                       "(resume it with the same train command)")
    try:
        sums = json.loads(sums_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: checksums.json is not valid JSON ({exc})") from None
    if not isinstance(sums, dict) or not all(isinstance(v, str) for v in sums.values()):
        raise RunError(f"{path}: checksums.json is not a mapping of file names to sha256 "
                       "digests")
    for name, expected in sums.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise RunError(f"{path}: checksums.json names an unexpected file {name!r}")
        f = path / name
        if not f.is_file():
            raise RunError(f"{path}: {name} is missing")
        if sha256_file(f) != expected:
            raise RunError(f"{path}: {name} does not match its checksum (truncated or "
                           "modified after training)")
    unlisted = [n for n in CHECKSUMMED if n not in sums and (path / n).exists()]
    if unlisted:
        raise RunError(f"{path}: checksums.json does not cover {', '.join(unlisted)} "
                       "(modified after training)")
    try:
        RunConfig.from_json((path / "config.json").read_text())
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RunError(f"{path}: config.json is not a valid run config ({exc})") from None
    code = code_in_model(path / "model.keras")
    if code:
        raise RunError(f"{path}: {_refusal(code)}")


_CODE_MESSAGE = ("model.keras contains Python code ({what}) and is refused: runs are only "
                 "loaded in safe mode. Rebuild the model from standard Keras and "
                 "promoter_model layers.")


def _refusal(what: str) -> str:
    return _CODE_MESSAGE.format(what=what)


def code_in_model(model_file) -> str | None:
    """What in a ``.keras`` archive would run Python code when loaded, read without Keras.

    Reads the archive's ``config.json`` only (no TensorFlow import, no deserialisation), so
    run pickers can leave such runs out; :func:`load_run` refuses them anyway (safe mode).

    Returns
    -------
    str or None
        E.g. ``"a Lambda layer 'lambda'"``; None if nothing was found.

    Raises
    ------
    RunError
        If the file is not a Keras archive.
    """
    model_file = Path(model_file)
    where = f"{model_file.parent}: {model_file.name}"
    try:
        with zipfile.ZipFile(model_file) as z:
            size = z.getinfo("config.json").file_size
            if size <= MAX_MODEL_CONFIG_BYTES:  # a model's architecture is kilobytes
                config = json.loads(z.read("config.json"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RecursionError) as exc:
        raise RunError(f"{where} is not a Keras model archive ({exc})") from None
    if size > MAX_MODEL_CONFIG_BYTES:
        raise RunError(f"{where}: its config.json would unpack to {size:,} bytes; refused")
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


def read_history(path) -> pd.DataFrame:
    f = Path(path) / "history.csv"
    if not f.is_file():
        return pd.DataFrame(columns=["epoch", "loss", "val_loss", "val_r2", "val_pearson",
                                     "lr", "seconds", "val_mode_r", "val_mode_r2"])
    try:
        return pd.read_csv(f)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: history.csv is not a valid CSV ({exc})") from None


def read_metrics(path) -> dict:
    f = Path(path) / "metrics.json"
    if not f.is_file():
        return {}
    try:
        return json.loads(f.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: metrics.json is not valid JSON ({exc})") from None


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
        Naming the file that is missing, truncated, tampered with or unloadable.
    """
    import keras

    from . import layers  # noqa: F401  (registers the custom layers)

    path = Path(path)
    if verify:
        check_run(path)
    config = RunConfig.from_json((path / "config.json").read_text())
    try:
        model = keras.saving.load_model(path / "model.keras", safe_mode=True, compile=False)
    except Exception as exc:  # keras raises many types for a bad archive
        raise RunError(_load_failure(path, exc)) from None
    card = path / "MODEL_CARD.md"
    return Run(path=path, model=model, config=config, history=read_history(path),
               metrics=read_metrics(path),
               model_card=card.read_text() if card.is_file() else None)


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


def scan_runs(root) -> list:
    """Every folder under ``root`` with the reason it is not a usable run (or None).

    Returns
    -------
    list of (Path, str or None)
    """
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
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
