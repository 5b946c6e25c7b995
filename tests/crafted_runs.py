"""Craft a hostile run folder: rewrite members of its ``model.keras`` archive.

Used by ``test_run_safety.py`` and by ``bench/hostile_cases.py`` (the crafted runs of the
hostile-input benchmark).
"""

from __future__ import annotations

import zipfile
from pathlib import Path


def rewrite_archive(run: Path, members: dict, compression=zipfile.ZIP_STORED) -> None:
    """Replace ``model.keras`` members of ``run`` (``None`` drops one) and re-checksum it."""
    from promoter_model.runs import write_checksums

    src = Path(run) / "model.keras"
    with zipfile.ZipFile(src) as z:
        current = {n: z.read(n) for n in z.namelist()}
    current.update(members)
    with zipfile.ZipFile(src, "w", compression) as z:
        for name, data in current.items():
            if data is not None:
                z.writestr(name, data)
    write_checksums(run)
