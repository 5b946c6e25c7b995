"""Writing ``RUN/motifs/discovered.json`` and ``discovered.csv`` (the discovery engine's side).

The format (``promoter-discovered-motifs``, version 1, ``docs/motifs.md``) is read and checked
by :mod:`.discovered`, which the Motifs page, motif scans and this writer share: a file is
checked by the same :func:`~.discovered.parse_discovered` before it is written and when it is
read back as a cache.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .. import atomic
from .discovered import (  # noqa: F401  (the reading side of the format, re-exported)
    FORMAT,
    SIGNIFICANT_Q,
    VERSION,
    best_significant_match,
    discovered_motifs,
    discovered_table,
    parse_discovered,
    read_discovered,
)

JSON_NAME = "discovered.json"
CSV_NAME = "discovered.csv"


def _finite_or_none(x):
    return None if x is None or not math.isfinite(float(x)) else float(x)


def read_discovered_file(path) -> dict | None:
    """One ``discovered.json`` as written (lists, ``null`` for unknown), checked; None
    when it does not exist (the engine's cache).

    Raises
    ------
    ValueError
        A one-line message when the file is not valid JSON or not in the format.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    parse_discovered(doc, str(path))
    return doc


def csv_text(result: dict) -> str:
    """``discovered.csv``: one row per pattern and match (one row with empty match fields
    for a pattern without matches); the rows of :func:`~.discovered.discovered_table`.
    """
    table = discovered_table(result).drop(columns="significant")  # as written or as read
    return table.to_csv(index=False, lineterminator="\n")


def write_discovered(out_dir, result: dict) -> None:
    """Write ``discovered.csv`` then ``discovered.json`` into ``out_dir``, each atomically.

    Non-finite numbers become ``null`` (strict JSON); the result is checked first.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in result["patterns"]:
        p["effect"], p["effect_sd"] = _finite_or_none(p["effect"]), _finite_or_none(p["effect_sd"])
        for m in p["matches"]:
            m["p_value"], m["q_value"] = _finite_or_none(m["p_value"]), _finite_or_none(
                m["q_value"])
    parse_discovered(result, str(out_dir / JSON_NAME))
    atomic.write_text(out_dir / CSV_NAME, csv_text(result))
    # compact: thousands of seqlet positions would take a line each when indented
    atomic.write_text(out_dir / JSON_NAME,
                      json.dumps(result, separators=(",", ":"), allow_nan=False) + "\n")
