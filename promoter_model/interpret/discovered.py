"""Reading a run's discovered motifs (``RUN/motifs/discovered.json``) and MEME export.

(The engine's own reader and writer are in ``discover_io``; this module is the Motifs
page's stricter reader, with numpy matrices, and what the page, scan and export need.)

The file is written by the discovery engine (``promoter-model discover RUN``); its schema
is ``format: promoter-discovered-motifs, version: 1`` with one entry per pattern (name,
sign, seqlet count, CWM, PFM, seqlet starts and strands, scramble effect ± sd and up to
five TOMTOM-style JASPAR matches with q-values). This module only reads and checks it, so
that the dashboard, motif scan and export do not depend on the engine being importable.

A JASPAR match is significant when its q-value is below :data:`SIGNIFICANT_Q`; a pattern
without one is labelled ``pattern <name>``, never by the name of an insignificant match.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..runs.ensemble import model_checksum  # noqa: F401  (what a stored result is checked against)
from .motifs import Motif

SIGNIFICANT_Q = 0.05
FORMAT = "promoter-discovered-motifs"
VERSION = 1
FILE = Path("motifs") / "discovered.json"
SEQ_LEN = 110  # the model input the seqlet starts refer to

_PATTERN_KEYS = ("name", "sign", "n_seqlets", "cwm", "pfm", "seqlet_starts",
                 "seqlet_strands", "effect", "effect_sd", "matches")


def discovered_path(run_dir) -> Path:
    """Where a run (or ensemble) folder keeps its discovered motifs."""
    return Path(run_dir) / FILE


def _matrix(value, where: str, probabilities: bool) -> np.ndarray:
    try:
        m = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where} is not a numeric matrix") from None
    if m.ndim != 2 or m.shape[1] != 4 or len(m) == 0:
        raise ValueError(f"{where} must have shape (width, 4), got {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{where} holds non-finite values")
    if probabilities and (m.min() < 0 or not np.allclose(m.sum(axis=1), 1.0, atol=1e-3)):
        raise ValueError(f"{where} rows must be non-negative and sum to 1")
    return m


def _number(value, where: str, optional: bool = False) -> float:
    if optional and value is None:  # the engine writes a non-finite value as null
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _check_match(m, where: str) -> dict:
    if not isinstance(m, dict):
        raise ValueError(f"{where} is not an object")
    for key in ("id", "name"):
        if not isinstance(m.get(key), str):
            raise ValueError(f"{where} has no {key}")
    for key in ("p_value", "q_value"):
        v = _number(m.get(key), f"{where} {key}", optional=True)
        if not (math.isnan(v) or 0 <= v <= 1):
            raise ValueError(f"{where} {key} must lie in [0, 1]")
        m = {**m, key: v}  # null (unknown) -> NaN: never significant
    return m


def _check_pattern(p, i: int) -> dict:
    where = f"pattern {i}"
    if not isinstance(p, dict):
        raise ValueError(f"{where} is not an object")
    missing = [k for k in _PATTERN_KEYS if k not in p]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    name = p["name"]
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise ValueError(f"{where} has an invalid name {name!r}")
    where = f"pattern {name}"
    if p["sign"] not in ("+", "-"):
        raise ValueError(f"{where} sign must be '+' or '-', got {p['sign']!r}")
    cwm = _matrix(p["cwm"], f"{where} cwm", probabilities=False)
    pfm = _matrix(p["pfm"], f"{where} pfm", probabilities=True)
    if cwm.shape != pfm.shape:
        raise ValueError(f"{where} cwm {cwm.shape} and pfm {pfm.shape} differ in shape")
    n = p["n_seqlets"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{where} n_seqlets must be a non-negative integer")
    starts, strands = p["seqlet_starts"], p["seqlet_strands"]
    if not isinstance(starts, list) or not isinstance(strands, list) \
            or len(starts) != len(strands):
        raise ValueError(f"{where} seqlet_starts and seqlet_strands must be lists of one "
                         "length")
    if any(isinstance(s, bool) or not isinstance(s, int) or not -SEQ_LEN < s < SEQ_LEN
           for s in starts):
        raise ValueError(f"{where} seqlet_starts must be integers within the {SEQ_LEN} bp "
                         "input")
    if any(s not in ("+", "-") for s in strands):
        raise ValueError(f"{where} seqlet_strands must be '+' or '-'")
    effect = _number(p["effect"], f"{where} effect", optional=True)
    effect_sd = _number(p["effect_sd"], f"{where} effect_sd", optional=True)
    if not isinstance(p["matches"], list):
        raise ValueError(f"{where} matches must be a list")
    matches = [_check_match(m, f"{where} match {j + 1}") for j, m in enumerate(p["matches"])]
    return {**p, "cwm": cwm, "pfm": pfm, "effect": effect, "effect_sd": effect_sd,
            "matches": sorted(matches, key=lambda m: m.get("rank", 0))}


def parse_discovered(doc, source: str = "discovered.json") -> dict:
    """Check a parsed discovered.json document; matrices become numpy arrays.

    Raises
    ------
    ValueError
        One line naming ``source`` and the first problem found.
    """
    try:
        if not isinstance(doc, dict):
            raise ValueError("the top level is not an object")
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, expected {FORMAT!r}")
        if doc.get("version") != VERSION:
            raise ValueError(f"version {doc.get('version')!r} is not supported "
                             f"(this reader knows {VERSION})")
        patterns = doc.get("patterns")
        if not isinstance(patterns, list):
            raise ValueError("patterns must be a list")
        checked = [_check_pattern(p, i) for i, p in enumerate(patterns)]
        names = [p["name"] for p in checked]
        if len(set(names)) != len(names):
            raise ValueError("pattern names are not unique")
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return {**doc, "patterns": checked}


def read_discovered(run_dir) -> dict | None:
    """The run's discovered motifs, checked, or None when it has none.

    Parameters
    ----------
    run_dir : str or Path
        A run or ensemble folder.

    Returns
    -------
    dict or None
        The document of ``RUN/motifs/discovered.json`` with each pattern's ``cwm`` and
        ``pfm`` as float arrays of shape (w, 4) and its matches sorted by rank.

    Raises
    ------
    ValueError
        When the file exists but is not valid JSON of this schema (one line).
    """
    path = discovered_path(run_dir)
    if path.is_symlink():
        raise ValueError(f"{path}: is a symbolic link; discovered motifs are read only "
                         "from inside the run folder")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return parse_discovered(doc, str(path))


def best_significant_match(pattern: dict, q: float = SIGNIFICANT_Q) -> dict | None:
    """The best-ranked JASPAR match with ``q_value < q``, or None."""
    for m in pattern["matches"]:
        if m["q_value"] is not None and m["q_value"] < q:  # None/NaN: unknown, never
            return m
    return None


def pattern_label(pattern: dict) -> str:
    """``REB1`` for a pattern with a significant match, else ``pattern pos_0``."""
    best = best_significant_match(pattern)
    return best["name"] if best is not None else f"pattern {pattern['name']}"


def discovered_motifs(run_dir) -> list:
    """The run's discovered patterns as :class:`~promoter_model.interpret.motifs.Motif`.

    ``id`` is the pattern name (``pos_0``), ``name`` the best significant match's name or
    ``pattern pos_0``, ``pfm`` the pattern's PFM. Empty when the run has no discovered.json.
    """
    doc = read_discovered(run_dir)
    if doc is None:
        return []
    return [Motif(id=p["name"], name=pattern_label(p), pfm=p["pfm"]) for p in doc["patterns"]]


def resolve_motif(query: str, run_dir=None, release: str = "JASPAR2024") -> Motif:
    """A motif by discovered pattern name (``pos_0``, from ``run_dir``) or JASPAR ID/name.

    Raises
    ------
    ValueError
        When neither the run's discovered patterns nor JASPAR have it.
    """
    from .motifs import find_motif

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


CSV_COLUMNS = ["pattern", "sign", "n_seqlets", "effect", "effect_sd", "match_rank", "match_id",
               "match_name", "p_value", "q_value"]


def discovered_table(doc: dict):
    """The rows of ``discovered.csv``: one per pattern and match (one row if no match).

    Parameters
    ----------
    doc : dict
        As returned by :func:`read_discovered`.

    Returns
    -------
    pd.DataFrame
        Columns :data:`CSV_COLUMNS` plus ``significant`` (``q_value < SIGNIFICANT_Q``).
    """
    import pandas as pd

    rows = []
    for p in doc["patterns"]:
        head = [p["name"], p["sign"], p["n_seqlets"], p["effect"], p["effect_sd"]]
        for j, m in enumerate(p["matches"]):
            rows.append(head + [int(m.get("rank", j + 1)), m["id"], m["name"], m["p_value"],
                                m["q_value"]])
        if not p["matches"]:
            rows.append(head + [None] * 5)
    df = pd.DataFrame(rows, columns=CSV_COLUMNS)
    df["match_rank"] = df["match_rank"].astype("Int64")
    df["significant"] = df["q_value"].astype(float) < SIGNIFICANT_Q
    return df


def to_meme(motifs, background=(0.25, 0.25, 0.25, 0.25), nsites=None) -> str:
    """Motifs as a MEME minimal motif format file (readable by Tomtom, FIMO, modisco).

    Parameters
    ----------
    motifs : iterable of Motif-like objects, or of (id, name, pfm) tuples
        ``pfm`` of shape (w, 4), channels A C G T; rows are renormalised to sum to 1.
    background : 4 floats
        Letter frequencies A C G T.
    nsites : list of int, optional
        ``nsites=`` per motif (e.g. seqlet counts); default 20, MEME's convention for
        matrices of unknown count.

    Returns
    -------
    str
        ``MEME version 4`` header, ``ALPHABET= ACGT``, ``strands: + -``, the background,
        and one ``MOTIF id name`` block with a ``letter-probability matrix`` per motif.
    """
    items = []
    for m in motifs:
        ident, name, pfm = (m if isinstance(m, tuple) else (m.id, m.name, m.pfm))
        if not str(ident).strip() or any(c.isspace() for c in str(ident)):
            raise ValueError(f"motif id {ident!r} must be non-empty without spaces")
        items.append((str(ident), "_".join(str(name or "").split()),
                      _matrix(pfm, f"motif {ident}", probabilities=False)))
    if nsites is not None and len(nsites) != len(items):
        raise ValueError(f"{len(nsites)} nsites for {len(items)} motifs")
    bg = np.asarray(background, dtype=np.float64)
    if bg.shape != (4,) or bg.min() <= 0:
        raise ValueError("background must be 4 positive frequencies")
    bg = bg / bg.sum()
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "",
             "Background letter frequencies",
             " ".join(f"{b} {f:.6f}" for b, f in zip("ACGT", bg)), ""]
    for i, (ident, name, pfm) in enumerate(items):
        if pfm.min() < 0:
            raise ValueError(f"motif {ident}: probabilities must be non-negative")
        p = pfm / np.where(pfm.sum(axis=1, keepdims=True) > 0,
                           pfm.sum(axis=1, keepdims=True), 1.0)
        n = 20 if nsites is None else max(1, int(nsites[i]))
        lines += [f"MOTIF {ident}" + (f" {name}" if name and name != ident else ""),
                  f"letter-probability matrix: alength= 4 w= {len(p)} nsites= {n} E= 0"]
        lines += [" ".join(f"{v:.6f}" for v in row) for row in p]
        lines.append("")
    return "\n".join(lines)


def read_meme(text: str) -> list:
    """Motifs of a MEME minimal format text (the inverse of :func:`to_meme`).

    Returns
    -------
    list of Motif
        ``id`` and ``name`` from each ``MOTIF`` line (name = id when absent).
    """
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        parts = lines[i].split()
        if parts[:1] == ["MOTIF"] and len(parts) >= 2:
            ident, name = parts[1], " ".join(parts[2:]) or parts[1]
            j = i + 1
            while j < len(lines) and not lines[j].startswith("letter-probability"):
                j += 1
            if j == len(lines):
                raise ValueError(f"motif {ident}: no letter-probability matrix")
            w = int(lines[j].split("w=")[1].split()[0])
            rows = [[float(v) for v in lines[j + 1 + r].split()] for r in range(w)]
            out.append(Motif(id=ident, name=name, pfm=_matrix(rows, f"motif {ident}", True)))
            i = j + 1 + w
        else:
            i += 1
    return out
