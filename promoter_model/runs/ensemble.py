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
      checksums.json   sha256 of the files above
      members/fold-0/  complete run folders, each with its own checksums

Members must share the input length and the output unit; each is loaded exactly like a run
(safe mode, checksums, refusals) and may not lie outside the ensemble folder. Loading one
as a model is :func:`promoter_model.predictor.load_ensemble`.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

import pandas as pd

from .. import atomic
from .run import RunError, resolve_under, sha256_file

ENSEMBLE_FILE = "ensemble.json"
ENSEMBLE_FORMAT = "promoter-ensemble"
PUBLIC_FILE = "public.tsv.gz"  # the public-leaderboard rows' predictions, stored at build
PUBLIC_COLUMNS = ["pos", "measured", "prediction", "sd"]
PUBLIC_MAX_BYTES = 20_000_000  # decompressed; the DREAM public rows need under 0.5 MB
ENSEMBLE_CHECKSUMMED = (ENSEMBLE_FILE, "metrics.json", "MODEL_CARD.md", "calibration.json",
                        "oof.tsv.gz", PUBLIC_FILE)


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
    :func:`promoter_model.crossval.finalize.finalize_ensemble` from the same predictions its
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
    sums_file = path / "checksums.json"
    sums = json.loads(sums_file.read_text())
    sums.update({name: sha256_file(path / name) for name in ENSEMBLE_CHECKSUMMED
                 if (path / name).is_file()})
    atomic.write_json(sums_file, sums)
    return sums
