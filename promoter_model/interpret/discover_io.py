"""Reading and writing ``RUN/motifs/discovered.json`` and ``discovered.csv``.

The format (``promoter-discovered-motifs``, version 1) is described in ``docs/motifs.md``;
the Motifs page reads it through :func:`read_discovered` and :func:`discovered_motifs`.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np

from .. import atomic
from .motifs import Motif

FORMAT = "promoter-discovered-motifs"
VERSION = 1
SIGNIFICANT_Q = 0.05
JSON_NAME = "discovered.json"
CSV_NAME = "discovered.csv"
CSV_COLUMNS = ("pattern", "sign", "n_seqlets", "effect", "effect_sd", "match_rank", "match_id",
               "match_name", "p_value", "q_value")
_PATTERN_KEYS = ("name", "sign", "n_seqlets", "cwm", "pfm", "seqlet_starts", "seqlet_strands",
                 "effect", "effect_sd", "effect_method", "matches")


def _finite_or_none(x):
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _check(obj, where: str) -> dict:
    """The parsed file, or ValueError naming what is wrong with it."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"{where}: not a discovered-motifs file (format {FORMAT!r} expected)")
    if obj.get("version") != VERSION:
        raise ValueError(f"{where}: unsupported version {obj.get('version')!r} "
                         f"(this code reads version {VERSION})")
    patterns = obj.get("patterns")
    if not isinstance(patterns, list):
        raise ValueError(f"{where}: 'patterns' must be a list")
    for i, p in enumerate(patterns):
        missing = [k for k in _PATTERN_KEYS if not isinstance(p, dict) or k not in p]
        if missing:
            raise ValueError(f"{where}: pattern {i} lacks {', '.join(missing)}")
        pfm = np.asarray(p["pfm"], dtype=np.float64) if p["pfm"] else np.zeros((0, 4))
        if pfm.ndim != 2 or pfm.shape[1] != 4 or len(pfm) == 0 or not np.isfinite(pfm).all():
            raise ValueError(f"{where}: pattern {p['name']!r} has no valid (w, 4) pfm")
        if len(p["seqlet_starts"]) != len(p["seqlet_strands"]):
            raise ValueError(f"{where}: pattern {p['name']!r} has "
                             f"{len(p['seqlet_starts'])} seqlet starts but "
                             f"{len(p['seqlet_strands'])} strands")
        if not isinstance(p["matches"], list):
            raise ValueError(f"{where}: pattern {p['name']!r}: 'matches' must be a list")
    return obj


def read_discovered_file(path) -> dict | None:
    """Parse and check one ``discovered.json``; None when it does not exist.

    Raises
    ------
    ValueError
        A one-line message when the file is not valid JSON or not in the format.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    except (TypeError, ValueError) as exc:  # pragma: no cover - defensive
        raise ValueError(f"{path}: unreadable ({exc})") from None
    try:
        return _check(obj, str(path))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        msg = str(exc)
        raise ValueError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None


def read_discovered(run_dir) -> dict | None:
    """The parsed ``RUN/motifs/discovered.json``; None when absent.

    Raises
    ------
    ValueError
        With a one-line message when the file is malformed.
    """
    return read_discovered_file(Path(run_dir) / "motifs" / JSON_NAME)


def best_significant_match(pattern: dict) -> dict | None:
    """The best match with ``q_value < SIGNIFICANT_Q``, or None."""
    for m in pattern.get("matches") or []:
        q = m.get("q_value")
        if q is not None and float(q) < SIGNIFICANT_Q:
            return m
    return None


def discovered_motifs(run_dir) -> list:
    """Each discovered pattern as a :class:`~promoter_model.interpret.motifs.Motif`.

    ``id`` is the pattern name (``pos_0``), ``name`` the best significant JASPAR match's name
    or ``"pattern pos_0"``, ``pfm`` its (w, 4) matrix; usable wherever JASPAR motifs are
    (scan, insertion). Empty when nothing was discovered.
    """
    data = read_discovered(run_dir)
    if data is None:
        return []
    out = []
    for p in data["patterns"]:
        best = best_significant_match(p)
        pfm = np.asarray(p["pfm"], dtype=np.float64)
        pfm.setflags(write=False)
        out.append(Motif(id=str(p["name"]),
                         name=str(best["name"]) if best else f"pattern {p['name']}", pfm=pfm))
    return out


def csv_text(result: dict) -> str:
    """``discovered.csv``: one row per pattern and match (one row with empty match fields
    for a pattern without matches).
    """
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p in result["patterns"]:
        head = [p["name"], p["sign"], p["n_seqlets"], p["effect"], p["effect_sd"]]
        head = ["" if v is None else v for v in head]
        if not p["matches"]:
            w.writerow(head + [""] * 5)
        for m in p["matches"]:
            w.writerow(head + [m["rank"], m["id"], m["name"], m["p_value"], m["q_value"]])
    return buf.getvalue()


def write_discovered(out_dir, result: dict) -> None:
    """Write ``discovered.csv`` then ``discovered.json`` into ``out_dir``, each atomically.

    Non-finite numbers become ``null`` (strict JSON).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in result["patterns"]:
        p["effect"], p["effect_sd"] = _finite_or_none(p["effect"]), _finite_or_none(p["effect_sd"])
        for m in p["matches"]:
            m["p_value"], m["q_value"] = _finite_or_none(m["p_value"]), _finite_or_none(
                m["q_value"])
    _check(result, str(out_dir / JSON_NAME))
    atomic.write_text(out_dir / CSV_NAME, csv_text(result))
    # compact: thousands of seqlet positions would take a line each when indented
    atomic.write_text(out_dir / JSON_NAME,
                      json.dumps(result, separators=(",", ":"), allow_nan=False) + "\n")
