"""One object for "a model": a single run folder or an ensemble folder of runs.

A :class:`Predictor` is what the CLI, ``interpret/`` and the app call. ``predict(X)`` returns
the mean over members and the across-member standard deviation (``None`` for one run), with
optional reverse-complement averaging and a ``func`` hook to score something other than the
raw output.

Run and ensemble folders (their formats, checks and checksums) are :mod:`promoter_model.runs`;
this module loads them as one model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .model.config import RunConfig
from .model.predict import input_length
from .model.predict import predict as predict_model
from .runs.ensemble import is_ensemble, read_ensemble_spec, save_metrics
from .runs.run import (
    Run,
    RunError,
    load_run,
    read_metrics,
    read_model_card,
    resolve_under,
)
from .sequence import codes_to_one_hot, encode_codes, reverse_complement_one_hot

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
    novelty : NoveltyIndex or None
        The sequences the members trained on (an ensemble's ``novelty.npy``); None: the
        distance to training is unknown.
    """

    path: Path
    members: list
    unit: str = DEFAULT_UNIT
    metrics: dict | None = None
    model_card: str | None = None
    rc_average: bool = False
    calibration: object | None = None
    novelty: object | None = None

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

    def nearest_training(self, sequences):
        """Each sequence's distance to the nearest sequence any member trained on (bases
        that differ in the 80 bp variable region) and that sequence's variable region;
        ``(None, None)`` when the model has no novelty index.
        """
        if self.novelty is None:
            return None, None
        distance, row = self.novelty.nearest(encode_codes(list(sequences)))
        return distance, [self.novelty.sequence(int(r)) for r in row]

    def interval(self, X, level: float = 0.9, batch_size: int = 1024):
        """Mean, members' sd and calibrated interval (``uncertainty.predict_interval``)."""
        from .uncertainty.intervals import predict_interval

        return predict_interval(self, X, level=level, batch_size=batch_size)

    def save_metrics(self, metrics: dict) -> None:
        """Write ``metrics.json`` into the run or ensemble folder and renew its checksums."""
        save_metrics(self.path, metrics)
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
    return Predictor(path=path, members=runs, unit=unit, metrics=read_metrics(path),
                     model_card=read_model_card(path),
                     rc_average=bool(spec.get("rc_average", False)),
                     calibration=read_calibration(path), novelty=_read_novelty(path))


def read_calibration(path: Path):
    """The ensemble's checked ``calibration.json``, or None when it has none."""
    from .runs.gate import read_json
    from .uncertainty.calibration import CALIBRATION_FILE, Calibration

    if not os.path.lexists(path / CALIBRATION_FILE):
        return None
    try:
        return Calibration.from_dict(read_json(path, CALIBRATION_FILE))
    except ValueError as exc:  # RunSafetyError included
        raise RunError(f"{path}: {CALIBRATION_FILE}: {exc}") from None


def _read_novelty(path: Path):
    """The ensemble's novelty index, or None when it has none."""
    from .families.novelty import NoveltyIndex
    from .runs.ensemble import read_novelty_index

    packed = read_novelty_index(path)
    return None if packed is None else NoveltyIndex(packed)


def load_predictor(path, *, verify: bool = True) -> Predictor:
    """Load a run folder or an ensemble folder as one :class:`Predictor`."""
    if is_ensemble(path):
        return load_ensemble(path, verify=verify)
    return from_run(load_run(path, verify=verify))
