"""Which folders hold a usable model: runs and ensembles, checked without loading a model.

The dashboard's run picker and ``promoter-model runs`` list what :func:`scan` finds; a
folder is offered when :func:`check_folder` passes (every file of a run, or of an ensemble
and each of its members, present, within its size cap and matching its checksums).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .ensemble import is_ensemble, read_ensemble_spec
from .run import RunError, check_run, folders_under, resolve_under


@dataclass(frozen=True)
class Entry:
    """One folder under a root: what it is, or why it cannot be used.

    Attributes
    ----------
    path : Path
    kind : str
        ``"run"``, ``"ensemble"``, or ``""`` when unusable.
    n_members : int
        1 for a run, the member count for an ensemble, 0 when unusable.
    problem : str or None
        Why the folder cannot be used (None when it can).
    """

    path: Path
    kind: str
    n_members: int
    problem: str | None = None

    @property
    def label(self) -> str:
        """The folder name, with the member count for an ensemble."""
        if self.kind == "ensemble":
            return f"{self.path.name} (ensemble of {self.n_members})"
        return self.path.name


#: the reason a locked deployment gives for every skipped folder: it reveals nothing of
#: what a link planted in the runs folder points at (whether a server file exists)
FIXED_REASON = ("not a usable run or ensemble (a file is missing, a link, too large, "
                "malformed or does not match its checksums)")


def check_folder(path) -> Entry:
    """Check a run or ensemble folder without loading any model.

    Any failure at all (a bug reached by a planted file included) is a :class:`RunError`:
    one folder never stops a scan.

    Raises
    ------
    RunError
        Naming the folder (or member) and what is wrong with it.
    """
    try:
        return _check_folder(Path(path))
    except RunError:
        raise
    except Exception as exc:  # noqa: BLE001 - a scan outlives any planted file
        raise RunError(f"{path}: cannot be checked ({type(exc).__name__})") from None


def _check_folder(path: Path) -> Entry:
    if is_ensemble(path):
        spec = read_ensemble_spec(path)
        for member in spec["members"]:
            member_dir = resolve_under(path, member)
            try:
                check_run(member_dir)
            except RunError as exc:
                raise RunError(f"{path}: member {member}: "
                               f"{str(exc).split(': ', 1)[-1]}") from None
        _check_contents(path, ensemble=True)
        return Entry(path=path, kind="ensemble", n_members=len(spec["members"]))
    check_run(path)
    _check_contents(path, ensemble=False)
    return Entry(path=path, kind="run", n_members=1)


_CHECKED: dict = {}


def _check_contents(path: Path, ensemble: bool) -> None:
    """The schema of every structured file a page reads from the folder, read through the
    gate once per version of the folder (keyed by its ``checksums.json`` digest): metrics
    an object, a history with epochs, a calibration of finite values, stored tables with
    their columns and finite predictions, a novelty index of the right shape.

    Raises
    ------
    RunError
    """
    from . import gate
    from .ensemble import (
        read_novelty_index,
        read_split,
        stored_public_predictions,
        stored_test_predictions,
    )
    from .run import read_history, read_metrics

    key = (str(path.resolve()), gate.digest(path, "checksums.json"))
    if key in _CHECKED:
        return
    read_metrics(path)
    if not ensemble and "epoch" not in read_history(path).columns and (
            path / "history.csv").exists():
        raise RunError(f"{path}: history.csv has no epoch column")
    if ensemble:
        from ..uncertainty.calibration import CALIBRATION_FILE, load_calibration

        if os.path.lexists(path / CALIBRATION_FILE):
            try:
                load_calibration(path / CALIBRATION_FILE)
            except ValueError as exc:
                raise RunError(f"{path}: {CALIBRATION_FILE}: {exc}") from None
        stored_public_predictions(path)
        stored_test_predictions(path)
        read_split(path)
        read_novelty_index(path)
        if (path / "oof.tsv.gz").exists():
            try:
                gate.read_table(path, "oof.tsv.gz", None)
            except ValueError as exc:
                raise RunError(f"{path}: {exc}") from None
    if len(_CHECKED) > 1024:
        _CHECKED.clear()
    _CHECKED[key] = True


def scan(root, detail: bool = True) -> list:
    """Every folder directly under ``root``, usable or not, in name order.

    ``detail=False`` (a locked deployment) gives every unusable folder the one
    :data:`FIXED_REASON` instead of what was found.

    Returns
    -------
    list of Entry
        Hidden folders and plain files are left out.
    """
    out = []
    try:
        children = folders_under(root)
    except OSError:
        return out
    for child in children:
        try:
            out.append(check_folder(resolve_under(root, child.name)))
        except RunError as exc:
            out.append(Entry(path=child, kind="", n_members=0,
                             problem=str(exc) if detail else FIXED_REASON))
    return out
