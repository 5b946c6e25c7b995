"""Which folders hold a usable model: runs and ensembles, checked without loading a model.

The dashboard's run picker and ``promoter-model runs`` list what :func:`scan` finds; a
folder is offered when :func:`check_folder` passes (every file of a run, or of an ensemble
and each of its members, present, within its size cap and matching its checksums).
"""

from __future__ import annotations

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
        return Entry(path=path, kind="ensemble", n_members=len(spec["members"]))
    check_run(path)
    return Entry(path=path, kind="run", n_members=1)


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
