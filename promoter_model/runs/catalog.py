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


def check_folder(path) -> Entry:
    """Check a run or ensemble folder without loading any model.

    Raises
    ------
    RunError
        Naming the folder (or member) and what is wrong with it.
    """
    path = Path(path)
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


def scan(root) -> list:
    """Every folder directly under ``root``, usable or not, in name order.

    Returns
    -------
    list of Entry
        Hidden folders and plain files are left out.
    """
    out = []
    for child in folders_under(root):
        try:
            out.append(check_folder(resolve_under(root, child.name)))
        except RunError as exc:
            out.append(Entry(path=child, kind="", n_members=0, problem=str(exc)))
    return out
