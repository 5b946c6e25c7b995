"""Shared by the benchmarks: rewrite one ``## Section`` of ``docs/benchmarks.md``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "benchmarks.md"


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (``"unknown CPU"`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def _pattern(heading: str) -> re.Pattern:
    return re.compile(r"^" + re.escape(heading) + r"\n.*?(?=^## |\Z)", re.S | re.M)


def read_section(heading: str, doc: Path = DOC) -> str | None:
    """The current text of the section under ``heading`` (``"## ..."``), or None."""
    m = _pattern(heading).search(doc.read_text()) if doc.exists() else None
    return m.group(0) if m else None


def write_section(section: str, doc: Path = DOC) -> None:
    """Replace the section whose ``## `` heading starts ``section`` (or append it).

    Other sections are left as they are; the file is written atomically.
    """
    from promoter_model import atomic

    heading = section.lstrip().splitlines()[0]
    if not heading.startswith("## "):
        raise ValueError("a benchmark section starts with a '## ' heading")
    old = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = _pattern(heading)
    body = section.strip("\n") + "\n\n"
    new = (pattern.sub(lambda _m: body, old, count=1) if pattern.search(old)
           else old.rstrip("\n") + "\n\n" + body)
    atomic.write_text(doc, new.rstrip("\n") + "\n")
    print(f"wrote '{heading}' in {doc}")


def publish(section: str, write: bool = True) -> int:
    """Print a benchmark's section and (unless ``write`` is False) store it in the document.

    Returns 0, the benchmark's exit status.
    """
    print(section)
    if write:
        write_section(section)
    return 0
