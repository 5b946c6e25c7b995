"""One object for "a model": a single run folder or an ensemble folder of runs.

A :class:`Predictor` is what the CLI, ``interpret/`` and the app call. ``predict(X)`` returns
the mean over members and the across-member standard deviation (``None`` for one run), with
optional reverse-complement averaging and a ``func`` hook to score something other than the
raw output.

An ensemble folder::

    ENSEMBLE_DIR/
      ensemble.json    {"format": "promoter-ensemble", "version": 1,
                        "members": ["members/fold-0", ...],   # run folders, inside this one
                        "unit": "...", "rc_average": false, "notes": "..."}
      metrics.json     optional: scores of the ensemble, each with its data
      MODEL_CARD.md    optional
      calibration.json optional: conformal interval quantiles (``calibration.py``)
      oof.tsv.gz       optional: the out-of-fold predictions the calibration was fitted on
      checksums.json   sha256 of the files above
      members/fold-0/  complete run folders, each with its own checksums

Members must share the input length and the output unit; each is loaded exactly like a run
(safe mode, checksums, refusals) and may not lie outside the ensemble folder.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic
from .model.config import RunConfig
from .model.predict import input_length
from .model.predict import predict as predict_model
from .runs import Run, RunError, load_run, read_metrics, resolve_under, sha256_file, write_checksums
from .sequence import codes_to_one_hot, encode_codes, reverse_complement_one_hot

ENSEMBLE_FILE = "ensemble.json"
ENSEMBLE_FORMAT = "promoter-ensemble"
PUBLIC_FILE = "public.tsv.gz"  # the public-leaderboard rows' predictions, stored at build
PUBLIC_COLUMNS = ["pos", "measured", "prediction", "sd"]
PUBLIC_MAX_BYTES = 20_000_000  # decompressed; the DREAM public rows need under 0.5 MB
ENSEMBLE_CHECKSUMMED = (ENSEMBLE_FILE, "metrics.json", "MODEL_CARD.md", "calibration.json",
                        "oof.tsv.gz", PUBLIC_FILE)
DEFAULT_UNIT = "model output (training units)"


@dataclass
class Predictor:
    """A run or an ensemble of runs, called as one model.

    Attributes
    ----------
    path : Path
        The run or ensemble folder.
    members : list of Run
        One run, or the ensemble's member runs.
    unit : str
        What the output measures (from ``config.json``/``ensemble.json``).
    metrics : dict
        The run's or the ensemble's ``metrics.json``.
    model_card : str or None
    rc_average : bool
        Predict both strands and average them.
    calibration : Calibration or None
        Conformal interval quantiles (an ensemble's ``calibration.json``); None: no
        interval is available.
    """

    path: Path
    members: list
    unit: str = DEFAULT_UNIT
    metrics: dict | None = None
    model_card: str | None = None
    rc_average: bool = False
    calibration: object | None = None

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.path.name

    @property
    def is_ensemble(self) -> bool:
        """True for more than one member."""
        return len(self.members) > 1

    @property
    def models(self) -> list:
        """The members' Keras models."""
        return [run.model for run in self.members]

    @property
    def config(self):
        """The (first) member's :class:`~promoter_model.model.config.RunConfig`."""
        return self.members[0].config

    @property
    def input_length(self) -> int:
        """Sequence length the models take (110 for the DREAM plasmid layout)."""
        return int(input_length(self.members[0].model))

    def predict_members(self, X, batch_size: int = 1024, func=None) -> np.ndarray:
        """Each member's prediction of one-hot sequences.

        Parameters
        ----------
        X : np.ndarray, shape (n, L, 4) or (L, 4)
        batch_size : int
        func : callable, optional
            Applied to each member's predictions, shape (n,) -> (n,), before anything is
            averaged (e.g. a transformation to another scale).

        Returns
        -------
        np.ndarray, shape (n_members, n), float64
        """
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 2:
            X = X[None]
        rc = reverse_complement_one_hot(X) if self.rc_average else None
        out = []
        for model in self.models:
            y = predict_model(model, X, batch_size=batch_size).astype(np.float64)
            if rc is not None:
                y = (y + predict_model(model, rc, batch_size=batch_size)) / 2.0
            out.append(np.asarray(func(y), dtype=np.float64) if func is not None else y)
        return np.stack(out)

    def predict(self, X, batch_size: int = 1024, func=None):
        """Mean prediction and the spread across members.

        Parameters
        ----------
        X : np.ndarray, shape (n, L, 4) or (L, 4)
        batch_size : int
        func : callable, optional
            See :meth:`predict_members`.

        Returns
        -------
        mean : np.ndarray, shape (n,)
        sd : np.ndarray, shape (n,), or None
            Population standard deviation over members (``ddof=0``); None for one run.
        """
        per_member = self.predict_members(X, batch_size=batch_size, func=func)
        mean = per_member.mean(axis=0)
        return mean, (per_member.std(axis=0) if self.is_ensemble else None)

    def predict_codes(self, codes, batch_size: int = 1024, chunk: int = 65_536):
        """:meth:`predict` of base-coded sequences (0-4), one-hot encoding a chunk at a time.

        Memory stays at one byte per base plus the one-hot of ``chunk`` sequences, as in
        :func:`promoter_model.model.predict.predict_codes`.

        Returns
        -------
        mean : np.ndarray, shape (n,)
        sd : np.ndarray, shape (n,), or None
        """
        codes = np.asarray(codes)
        if codes.ndim == 1:
            codes = codes[None]
        parts = [self.predict(codes_to_one_hot(codes[i:i + chunk]), batch_size=batch_size)
                 for i in range(0, len(codes), chunk)]
        if not parts:
            return np.zeros(0), (np.zeros(0) if self.is_ensemble else None)
        mean = np.concatenate([m for m, _ in parts])
        sd = np.concatenate([s for _, s in parts]) if self.is_ensemble else None
        return mean, sd

    def predict_sequences(self, sequences, batch_size: int = 1024):
        """:meth:`predict` of DNA strings, fitted to :attr:`input_length`."""
        return self.predict_codes(encode_codes(list(sequences), length=self.input_length),
                                  batch_size=batch_size)

    def interval(self, X, level: float = 0.9, batch_size: int = 1024):
        """Mean, members' sd and calibrated interval: :func:`uncertainty.predict_interval`."""
        from .uncertainty import predict_interval

        return predict_interval(self, X, level=level, batch_size=batch_size)

    def save_metrics(self, metrics: dict) -> None:
        """Write ``metrics.json`` into the run or ensemble folder and renew its checksums."""
        atomic.write_json(self.path / "metrics.json", metrics)
        if self.is_ensemble or is_ensemble(self.path):
            sums_file = self.path / "checksums.json"
            sums = json.loads(sums_file.read_text())
            sums.update({name: sha256_file(self.path / name) for name in ENSEMBLE_CHECKSUMMED
                         if (self.path / name).is_file()})
            atomic.write_json(sums_file, sums)
        else:
            write_checksums(self.path)
        self.metrics = metrics


# --------------------------------------------------------------------------- loading
def run_unit(run: Run) -> str:
    """The output unit the run records: ``config.json`` (written by ``train --unit``), else
    a ``unit`` in ``metrics.json`` (runs built before the config had one), else the default.
    Never guessed from free-text notes.
    """
    metrics = run.metrics if isinstance(run.metrics, dict) else {}
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else {}
    for value in (getattr(run.config, "unit", ""), metrics.get("unit"), test.get("unit")):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return DEFAULT_UNIT


def from_run(run: Run, rc_average: bool = False) -> Predictor:
    """A one-member predictor over a loaded run."""
    return Predictor(path=run.path, members=[run], unit=run_unit(run), metrics=run.metrics,
                     model_card=run.model_card, rc_average=rc_average)


def as_predictor(model) -> Predictor:
    """A :class:`Predictor` from a predictor, a loaded run, or a bare Keras model.

    Interpretation functions call this so they take any of the three; a bare model becomes a
    one-member predictor with a default config (no folder, no metrics).
    """
    if isinstance(model, Predictor):
        return model
    if isinstance(model, Run):
        return from_run(model)
    if not hasattr(model, "input_shape"):
        raise TypeError(f"expected a Predictor, a Run or a Keras model, got "
                        f"{type(model).__name__}")
    run = Run(path=Path(getattr(model, "name", "model")), model=model,
              config=RunConfig(preset="custom"), history=pd.DataFrame())
    return from_run(run)


def is_ensemble(path) -> bool:
    """Whether ``path`` is an ensemble folder (holds ``ensemble.json``)."""
    return (Path(path) / ENSEMBLE_FILE).is_file()


def read_ensemble_spec(path) -> dict:
    """Check an ensemble folder's checksums and read ``ensemble.json``.

    Raises
    ------
    RunError
        Naming the file that is missing, tampered with or malformed.
    """
    path = Path(path)
    sums_file = path / "checksums.json"
    if not sums_file.is_file():
        raise RunError(f"{path}: checksums.json is missing; the ensemble is not complete")
    try:
        sums = json.loads(sums_file.read_text())
        spec = json.loads((path / ENSEMBLE_FILE).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: ensemble.json or checksums.json is not valid JSON "
                       f"({exc})") from None
    if not isinstance(sums, dict):
        raise RunError(f"{path}: checksums.json is not a mapping of file names to digests")
    for name in ENSEMBLE_CHECKSUMMED:
        f = path / name
        if not f.exists():
            continue
        if name not in sums:
            raise RunError(f"{path}: checksums.json does not cover {name}")
        if not f.is_file() or f.is_symlink() or sha256_file(f) != sums[name]:
            raise RunError(f"{path}: {name} does not match its checksum")
    members = spec.get("members") if isinstance(spec, dict) else None
    if (spec.get("format") != ENSEMBLE_FORMAT or not isinstance(members, list) or not members
            or not all(isinstance(m, str) and m for m in members)):
        raise RunError(f"{path}: ensemble.json must have format {ENSEMBLE_FORMAT!r} and a "
                       "non-empty list of member folders")
    return spec


def stored_public_predictions(path) -> pd.DataFrame | None:
    """The public-leaderboard predictions an ensemble folder stores, or None.

    ``public.tsv.gz`` (columns :data:`PUBLIC_COLUMNS`: the test table's ``pos``, the
    measured value, the ensemble's mean prediction and the members' sd) is written by
    :func:`promoter_model.ensemble_build.finalize_ensemble` from the same predictions its
    ``metrics.json`` scores. None for a single run or an ensemble without the file.

    Raises
    ------
    RunError
        The folder's checksums do not match, or the file lacks its columns.
    """
    path = Path(path)
    if not is_ensemble(path) or not (path / PUBLIC_FILE).is_file():
        return None
    read_ensemble_spec(path)  # checks every checksummed file, this one included
    try:
        with gzip.open(path / PUBLIC_FILE) as fh:  # read no more than the cap (a gzip bomb)
            text = fh.read(PUBLIC_MAX_BYTES + 1)
        if len(text) > PUBLIC_MAX_BYTES:
            raise ValueError(f"over {PUBLIC_MAX_BYTES:,} bytes decompressed")
        table = pd.read_csv(io.BytesIO(text), sep="\t")
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        raise RunError(f"{path}: {PUBLIC_FILE} cannot be read ({exc})") from None
    if list(table.columns) != PUBLIC_COLUMNS:
        raise RunError(f"{path}: {PUBLIC_FILE} must have the columns "
                       f"{', '.join(PUBLIC_COLUMNS)}, not {', '.join(map(str, table.columns))}")
    return table


def load_ensemble(path, *, verify: bool = True) -> Predictor:
    """Load an ensemble folder: every member as a run, checked against one another.

    Raises
    ------
    RunError
        A member is missing, outside the folder, or unloadable; or members differ in
        input length or unit.
    """
    path = Path(path)
    spec = read_ensemble_spec(path)
    runs = [load_run(resolve_under(path, member), verify=verify) for member in spec["members"]]
    unit = str(spec.get("unit") or "").strip() or run_unit(runs[0])
    lengths = {int(input_length(r.model)) for r in runs}
    if len(lengths) > 1:
        raise RunError(f"{path}: members take different input lengths "
                       f"({', '.join(map(str, sorted(lengths)))} bp)")
    units = {run_unit(r) for r in runs if run_unit(r) != DEFAULT_UNIT} - {unit}
    if units:
        raise RunError(f"{path}: members predict in different units ({unit!r} and "
                       f"{', '.join(map(repr, sorted(units)))})")
    card = path / "MODEL_CARD.md"
    return Predictor(path=path, members=runs, unit=unit, metrics=read_metrics(path),
                     model_card=card.read_text() if card.is_file() else None,
                     rc_average=bool(spec.get("rc_average", False)),
                     calibration=_read_calibration(path))


def _read_calibration(path: Path):
    """The ensemble's checked ``calibration.json``, or None when it has none."""
    from .calibration import CALIBRATION_FILE, load_calibration

    if not (path / CALIBRATION_FILE).is_file():
        return None
    try:
        return load_calibration(path / CALIBRATION_FILE)
    except ValueError as exc:
        raise RunError(str(exc)) from None


def load_predictor(path, *, verify: bool = True) -> Predictor:
    """Load a run folder or an ensemble folder as one :class:`Predictor`."""
    if is_ensemble(path):
        return load_ensemble(path, verify=verify)
    return from_run(load_run(path, verify=verify))


def write_ensemble(path, members, *, unit: str = "", rc_average: bool = False,
                   notes: str = "", metrics: dict | None = None,
                   model_card: str | None = None, calibration=None) -> Path:
    """Write ``ensemble.json`` (and optional metrics, card, calibration) with checksums.

    ``members`` are run folders inside ``path`` (absolute, or relative to it).
    ``calibration`` is a :class:`~promoter_model.calibration.Calibration`; every file of
    ``ENSEMBLE_CHECKSUMMED`` present in the folder (``oof.tsv.gz`` and ``public.tsv.gz``
    too) is checksummed.
    Each file is written atomically, checksums last.
    """
    path = Path(path)
    names = []
    for member in members:
        member = Path(member)
        rel = member.relative_to(path) if member.is_absolute() else member
        resolve_under(path, rel)
        names.append(rel.as_posix())
    spec = {"format": ENSEMBLE_FORMAT, "version": 1, "members": names, "unit": unit,
            "rc_average": rc_average, "notes": notes}
    path.mkdir(parents=True, exist_ok=True)
    atomic.write_json(path / ENSEMBLE_FILE, spec)
    if metrics is not None:
        atomic.write_json(path / "metrics.json", metrics)
    if model_card is not None:
        atomic.write_text(path / "MODEL_CARD.md", model_card)
    if calibration is not None:
        calibration.save(path / "calibration.json")
    sums = {name: sha256_file(path / name) for name in ENSEMBLE_CHECKSUMMED
            if (path / name).is_file()}
    atomic.write_json(path / "checksums.json", sums)
    return path
