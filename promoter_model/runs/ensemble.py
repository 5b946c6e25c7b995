"""The ensemble folder: its format, checking it before anything is loaded, and writing it.

An ensemble folder::

    ENSEMBLE_DIR/
      ensemble.json    {"format": "promoter-ensemble", "version": 1,
                        "members": ["members/fold-0", ...],   # run folders, inside this one
                        "unit": "...", "rc_average": false, "notes": "..."}
      metrics.json     optional: scores of the ensemble, each with its data
      MODEL_CARD.md    optional
      calibration.json optional: conformal interval quantiles (``uncertainty.calibration``)
      oof.tsv.gz       optional: the out-of-fold predictions the calibration was fitted on
      public.tsv.gz    optional: the public-leaderboard predictions its metrics score
                       (ensembles split by hash, before families)
      split.tsv.gz     optional: ``pos, family, fold`` of the family split (fold: the member
                       selected on it, or ``test``)
      test.tsv.gz      optional: the held-out test families' predictions its metrics score
      novelty.npy      optional: the sequences its members trained on, two bits a base
                       (``families.novelty``), for each prediction's distance to training
      checksums.json   sha256 of the files above
      members/fold-0/  complete run folders, each with its own checksums

Members must share the input length and the output unit; each is loaded exactly like a run
(safe mode, checksums, refusals) and may not lie outside the ensemble folder. Loading one
as a model is :func:`promoter_model.predictor.load_ensemble`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import atomic, bounds
from . import gate
from .run import RunError, resolve_under, sha256_file, write_checksums
from .safety import RunSafetyError

ENSEMBLE_FILE = "ensemble.json"
ENSEMBLE_FORMAT = "promoter-ensemble"
PUBLIC_FILE = "public.tsv.gz"  # the public-leaderboard rows' predictions, stored at build
PUBLIC_COLUMNS = ["pos", "measured", "prediction", "sd"]
PUBLIC_MAX_BYTES = 20_000_000  # decompressed; the DREAM public rows need under 0.5 MB
SPLIT_FILE = "split.tsv.gz"
SPLIT_COLUMNS = ["pos", "family", "fold"]
TEST_FILE = "test.tsv.gz"  # the held-out test families' predictions, stored at build
TEST_COLUMNS = ["pos", "measured", "prediction", "sd", "lower", "upper",
                "nearest_train_mismatches"]
NOVELTY_FILE = "novelty.npy"
NOVELTY_MAX_ROWS = 10_000_000  # 200 MB packed; the demo ensemble's pool is 60k rows
ENSEMBLE_CHECKSUMMED = (ENSEMBLE_FILE, "metrics.json", "MODEL_CARD.md", "calibration.json",
                        "oof.tsv.gz", PUBLIC_FILE, SPLIT_FILE, TEST_FILE, NOVELTY_FILE)


def is_ensemble(path) -> bool:
    """Whether ``path`` is an ensemble folder (holds ``ensemble.json``)."""
    return os.path.lexists(Path(path) / ENSEMBLE_FILE)  # a link too: refused, not skipped


def _gated(path, call, *args, **kwargs):
    """``call(*args)`` of :mod:`.gate` with a refusal worded as a :class:`RunError`."""
    try:
        return call(*args, **kwargs)
    except RunSafetyError as exc:
        raise RunError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise RunError(f"{path}: {args[1] if len(args) > 1 else ''} is missing") from None
    except OSError as exc:
        raise RunError(f"{path}: {args[1] if len(args) > 1 else ''} cannot be read "
                       f"({exc.strerror or exc})") from None


def read_ensemble_spec(path) -> dict:
    """Check an ensemble folder's checksums and read ``ensemble.json``, all through
    :mod:`.gate` (no links, size caps, JSON depth); members bounded and distinct.

    Raises
    ------
    RunError
        Naming the file that is missing, tampered with or malformed.
    """
    path = Path(path)
    if not os.path.lexists(path / "checksums.json"):
        raise RunError(f"{path}: checksums.json is missing; the ensemble is not complete")
    sums = _gated(path, gate.read_json, path, "checksums.json")
    if not all(isinstance(v, str) for v in sums.values()):
        raise RunError(f"{path}: checksums.json is not a mapping of file names to digests")
    for name in ENSEMBLE_CHECKSUMMED:
        f = path / name
        if not f.exists() and not f.is_symlink():
            continue
        if name not in sums:
            raise RunError(f"{path}: checksums.json does not cover {name}")
        if _gated(path, gate.digest, path, name) != sums[name]:
            raise RunError(f"{path}: {name} does not match its checksum")
    spec = _gated(path, gate.read_json, path, ENSEMBLE_FILE)
    members = spec.get("members")
    if (spec.get("format") != ENSEMBLE_FORMAT or not isinstance(members, list) or not members
            or not all(isinstance(m, str) and m for m in members)):
        raise RunError(f"{path}: ensemble.json must have format {ENSEMBLE_FORMAT!r} and a "
                       "non-empty list of member folders")
    if len(members) > bounds.MAX_MEMBERS:
        raise RunError(f"{path}: ensemble.json lists {len(members):,} members, over the "
                       f"limit of {bounds.MAX_MEMBERS}")
    seen = {}
    for m in members:
        real = resolve_under(path, m)
        if real in seen:
            raise RunError(f"{path}: ensemble.json lists the member {seen[real]!r} twice "
                           f"(also as {m!r})")
        seen[real] = m
    return spec


def _stored_table(path, name: str, columns: list, dtype=None,
                  finite_columns=()) -> pd.DataFrame | None:
    """A checksummed ``.tsv.gz`` table of an ensemble folder, read through the gate;
    None when the folder is not an ensemble or has no such file.
    """
    path = Path(path)
    if not is_ensemble(path) or not ((path / name).exists() or (path / name).is_symlink()):
        return None
    read_ensemble_spec(path)  # checks every checksummed file, this one included
    return _gated(path, gate.read_table, path, name, columns, dtype=dtype,
                  finite_columns=finite_columns)


def stored_public_predictions(path) -> pd.DataFrame | None:
    """The public-leaderboard predictions stored with an ensemble, or None.

    ``public.tsv.gz`` (columns :data:`PUBLIC_COLUMNS`: the test table's ``pos``, the
    measured value, the ensemble's prediction and the members' sd) holds what the ensemble's
    ``metrics.json`` scores; None when the folder is not an ensemble or has no such file.

    Raises
    ------
    RunError
        The folder's checksums do not match, or the file lacks its columns.
    """
    return _stored_table(path, PUBLIC_FILE, PUBLIC_COLUMNS,
                         finite_columns=("measured", "prediction"))


def stored_test_predictions(path) -> pd.DataFrame | None:
    """The held-out test families' predictions stored with a family-split ensemble, or
    None (columns :data:`TEST_COLUMNS`; what its ``metrics.json`` scores).

    Raises
    ------
    RunError
        The folder's checksums do not match, or the file lacks its columns.
    """
    return _stored_table(path, TEST_FILE, TEST_COLUMNS,
                         finite_columns=("measured", "prediction"))


def read_split(path) -> pd.DataFrame | None:
    """The family split an ensemble's members were trained on (:data:`SPLIT_COLUMNS`;
    ``fold`` as text: a member index or ``test``), or None.
    """
    return _stored_table(path, SPLIT_FILE, SPLIT_COLUMNS, dtype={"fold": str})


def read_novelty_index(path):
    """The packed training sequences of an ensemble (``novelty.npy``, shape (n, 20),
    uint8), or None; loaded without pickles after the checksums and a size check.

    Raises
    ------
    RunError
        Checksums that do not match, a file too large, or an array of another shape.
    """
    import numpy as np

    path = Path(path)
    file = path / NOVELTY_FILE
    if not is_ensemble(path) or not (file.exists() or file.is_symlink()):
        return None
    read_ensemble_spec(path)
    packed = _gated(path, gate.read_npy, path, NOVELTY_FILE)
    if packed.dtype != np.uint8 or packed.ndim != 2 or packed.shape[1] != 20:
        raise RunError(f"{path}: {NOVELTY_FILE} must be (n, 20) uint8, not "
                       f"{packed.shape} {packed.dtype}")
    return packed


def write_ensemble(path, members, *, unit: str = "", rc_average: bool = False,
                   notes: str = "", metrics: dict | None = None,
                   model_card: str | None = None, calibration=None) -> Path:
    """Write ``ensemble.json`` (and optional metrics, card, calibration) with checksums.

    ``members`` are run folders inside ``path`` (absolute, or relative to it).
    ``calibration`` is a :class:`~promoter_model.uncertainty.calibration.Calibration`; every file of
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


def update_checksums(path) -> dict:
    """Renew, in an ensemble folder's ``checksums.json``, the sha256 of each checksummed
    file present (after one was rewritten, e.g. ``metrics.json``); other entries stay.
    """
    path = Path(path)
    sums = _gated(path, gate.read_json, path, "checksums.json")
    sums.update({name: _gated(path, gate.digest, path, name) for name in ENSEMBLE_CHECKSUMMED
                 if (path / name).is_file() and not (path / name).is_symlink()})
    _gated(path, gate.write_json, path, "checksums.json", sums)
    return sums


def save_metrics(path, metrics: dict) -> None:
    """Write ``metrics.json`` into a run or ensemble folder through the gate and renew its
    checksums (``checksums.json``: all of a run's, the rewritten entries of an ensemble's).

    Raises
    ------
    RunError
        A link or a non-file where either file goes (both are checked before either is
        written).
    """
    path = Path(path)
    for name in ("metrics.json", "checksums.json"):
        try:
            gate.check_file_for_writing(path, name, root=path)
        except ValueError as exc:
            raise RunError(f"{path}: {exc}") from None
    gate.write_json(path, "metrics.json", metrics)
    if is_ensemble(path):
        update_checksums(path)
    else:
        write_checksums(path)
