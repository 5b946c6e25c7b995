"""A run's discovered motifs on disk: ``RUN/motifs/discovered.json`` and ``discovered.csv``.

The file is written by the discovery engine (``promoter-model discover RUN``,
:func:`promoter_model.interpret.discover.discover`) through :func:`write_discovered`; its
schema is ``format: promoter-discovered-motifs, version: 1`` with one entry per pattern
(name, sign, seqlet count, CWM, PFM, seqlet starts and strands, scramble effect ± sd and up
to five TOMTOM-style JASPAR matches with q-values). Every file is checked by the same
:func:`parse_discovered` before it is written and whenever it is read: by the engine as its
cache (:func:`read_discovered_file`, the document as written) and by the dashboard, motif
scans and export (:func:`read_discovered`, with numpy matrices), which never need the
engine to be importable.

A stored result is current while its ``model_checksum`` matches the folder's
(:func:`model_checksum`: the one rule for what identifies the model of a run or an ensemble
folder, also used by the first-layer filter cache).

A JASPAR match is significant when its q-value is below :data:`SIGNIFICANT_Q`; a pattern
without one is labelled ``pattern <name>``, never by the name of an insignificant match.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..runs import gate
from ..runs.ensemble import ENSEMBLE_FILE, is_ensemble
from ..sequence import SEQ_LEN
from .pfm import Motif, check_matrix

SIGNIFICANT_Q = 0.05
FORMAT = "promoter-discovered-motifs"
VERSION = 1
FILE = Path("motifs") / "discovered.json"
JSON_NAME = "discovered.json"
CSV_NAME = "discovered.csv"

_PATTERN_KEYS = ("name", "sign", "n_seqlets", "cwm", "pfm", "seqlet_starts",
                 "seqlet_strands", "effect", "effect_sd", "matches")


def discovered_path(run_dir) -> Path:
    """Where a run (or ensemble) folder keeps its discovered motifs."""
    return Path(run_dir) / FILE


def model_checksum(folder) -> str | None:
    """The sha256 that identifies the model of a run or an ensemble folder.

    That of ``ensemble.json`` for an ensemble (it names the members, each vouched for by
    its own checksums), else that of ``model.keras`` (from ``checksums.json`` when present);
    None when neither file is there. The discovered motifs and the first-layer filter
    cache record it and are current only while it matches.
    """
    folder = Path(folder)
    try:
        if is_ensemble(folder):
            return gate.digest(folder, ENSEMBLE_FILE)
        try:
            known = gate.read_json(folder, "checksums.json").get("model.keras")
        except (OSError, ValueError):
            known = None
        if isinstance(known, str) and known:
            return known
        return gate.digest(folder, "model.keras") if (folder / "model.keras").is_file() \
            else None
    except (OSError, ValueError):  # a link, a file over its cap: nothing is current
        return None


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
    cwm = check_matrix(p["cwm"], f"{where} cwm", probabilities=False)
    pfm = check_matrix(p["pfm"], f"{where} pfm", probabilities=True)
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
        doc = gate.read_json(path.parent, path.name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:  # the gate's refusals: link, size, depth, not JSON
        raise ValueError(f"{path}: {exc}") from None
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


def pattern_role(pattern: dict) -> str:
    """``"activator"`` (effect > 0), ``"repressor"`` (effect < 0), ``"no effect"`` (0) or
    ``"effect not computed"``: the sign of the pattern's predicted effect
    (:mod:`~promoter_model.motifs.effects`: the prediction with its seqlets minus with them
    scrambled), never the sign of its attributions (``sign``, TF-MoDISco's ``pos_``/``neg_``
    metacluster), which can disagree with it.
    """
    effect = pattern["effect"]
    if effect is None or not math.isfinite(effect):
        return "effect not computed"
    return "activator" if effect > 0 else "repressor" if effect < 0 else "no effect"


def discovered_motifs(run_dir) -> list:
    """The run's discovered patterns as :class:`~promoter_model.motifs.pfm.Motif`.

    ``id`` is the pattern name (``pos_0``), ``name`` the best significant match's name or
    ``pattern pos_0``, ``pfm`` the pattern's PFM. Empty when the run has no discovered.json.
    """
    doc = read_discovered(run_dir)
    if doc is None:
        return []
    return [Motif(id=p["name"], name=pattern_label(p), pfm=p["pfm"]) for p in doc["patterns"]]


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


# --------------------------------------------------------------------------- writing
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
    if not os.path.lexists(path):
        return None
    try:
        doc = gate.read_json(path.parent, path.name)
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    parse_discovered(doc, str(path))
    return doc


def csv_text(result: dict) -> str:
    """``discovered.csv``: one row per pattern and match (one row with empty match fields
    for a pattern without matches); the rows of :func:`discovered_table`.
    """
    table = discovered_table(result).drop(columns="significant")  # as written or as read
    return table.to_csv(index=False, lineterminator="\n")


def write_discovered(out_dir, result: dict) -> None:
    """Write ``discovered.csv`` then ``discovered.json`` into ``out_dir``, each atomically.

    Non-finite numbers become ``null`` (strict JSON); the result is checked first.
    """
    out_dir = gate.check_folder_for_writing(out_dir)
    for p in result["patterns"]:
        p["effect"], p["effect_sd"] = _finite_or_none(p["effect"]), _finite_or_none(p["effect_sd"])
        for m in p["matches"]:
            m["p_value"], m["q_value"] = _finite_or_none(m["p_value"]), _finite_or_none(
                m["q_value"])
    parse_discovered(result, str(out_dir / JSON_NAME))
    gate.write_text(out_dir, CSV_NAME, csv_text(result))
    # compact: thousands of seqlet positions would take a line each when indented
    gate.write_text(out_dir, JSON_NAME,
                    json.dumps(result, separators=(",", ":"), allow_nan=False) + "\n")
