"""Finding a motif by what a user types: a discovered pattern's name or a JASPAR ID or name.

``promoter-model scan`` and the dashboard's motif scan both resolve their motif here.
"""

from __future__ import annotations

from .jaspar import DEFAULT_RELEASE, find_motif
from .pfm import Motif
from .store import discovered_motifs


def resolve_motif(query: str, run_dir=None, release: str = DEFAULT_RELEASE) -> Motif:
    """A motif by discovered pattern name (``pos_0``, from ``run_dir``) or JASPAR ID/name.

    Raises
    ------
    ValueError
        When neither the run's discovered patterns nor JASPAR have it.
    """
    q = query.strip()
    if run_dir is not None:
        for m in discovered_motifs(run_dir):
            if m.id.lower() == q.lower():
                return m
    try:
        return find_motif(q, release=release)
    except ValueError:
        hint = "" if run_dir is None else " nor a discovered pattern of this run"
        raise ValueError(f"no JASPAR fungi motif with ID or name {query!r}{hint}") from None

