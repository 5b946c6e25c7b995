"""Designs ready to order: oligos with the cloning overhangs of the user's choice.

:func:`oligos` turns a design table (:func:`promoter_model.design.objective.design`) into an
order sheet (:func:`oligo_fasta` writes it as FASTA): each design's insert (the 80 bp
variable region of a 110 bp construct, or the whole sequence) between a 5' and a 3' overhang
(e.g. the Golden Gate or Gibson arms of the user's vector). Overhangs are checked DNA (A, C,
G, T only, at most :data:`MAX_OVERHANG` bp each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import SEQ_LEN, VARIABLE_END, VARIABLE_START, normalize

MAX_OVERHANG = 200
REGIONS = ("variable", "full")
COLUMNS = ["id", "oligo", "length", "insert", "prediction", "mutations"]


def check_overhang(seq, option: str = "overhang") -> str:
    """``seq`` upper-cased, or a ValueError naming ``option``, the bad character and bound."""
    s = normalize(str(seq or ""))
    if len(s) > MAX_OVERHANG:
        raise ValueError(f"{option} is {len(s)} bp, over the limit of {MAX_OVERHANG} bp")
    bad = next((k for k, c in enumerate(s) if c not in "ACGT"), None)
    if bad is not None:
        raise ValueError(f"{option} {seq!r}: {s[bad]!r} at position {bad + 1} is not A, C, "
                         "G or T (an overhang is ordered DNA: no N, no IUPAC codes)")
    return s


def oligos(table: pd.DataFrame, overhang_5: str = "", overhang_3: str = "",
           region: str = "variable", include_start: bool = False) -> pd.DataFrame:
    """The order sheet of a design table.

    Parameters
    ----------
    table : pd.DataFrame
        With ``id`` and ``sequence`` (``prediction`` and ``mutations`` kept when present);
        the row ``id="start"`` is left out unless ``include_start``.
    overhang_5, overhang_3 : str
        Added 5' and 3' of each insert (checked by :func:`check_overhang`).
    region : {"variable", "full"}
        ``variable``: the 80 bp between the plasmid flanks of a 110 bp construct (other
        lengths: the whole sequence); ``full``: the whole sequence.
    include_start : bool

    Returns
    -------
    pd.DataFrame
        ``id, oligo, length, insert, prediction, mutations``.
    """
    if region not in REGIONS:
        raise ValueError(f"oligo region {region!r}: choose {' or '.join(REGIONS)}")
    left = check_overhang(overhang_5, "--overhang-5")
    right = check_overhang(overhang_3, "--overhang-3")
    rows = table if include_start else table[table["id"] != "start"]
    seqs = rows["sequence"].astype(str).tolist()
    inserts = [s[VARIABLE_START:VARIABLE_END] if region == "variable" and len(s) == SEQ_LEN
               else s for s in seqs]
    oligo = [left + s + right for s in inserts]
    n = len(rows)
    return pd.DataFrame({
        "id": rows["id"].to_numpy(), "oligo": oligo,
        "length": np.fromiter(map(len, oligo), dtype=np.int64, count=n), "insert": inserts,
        "prediction": rows["prediction"].to_numpy() if "prediction" in rows
        else np.full(n, np.nan),
        "mutations": rows["mutations"].to_numpy() if "mutations" in rows else [""] * n})


def oligo_fasta(sheet: pd.DataFrame) -> str:
    """FASTA of an order sheet (:func:`oligos`): one record per oligo, overhangs included."""
    lines = []
    for row in sheet.itertuples():
        muts = row.mutations or "none"
        lines.append(f">{row.id} length={row.length} prediction={row.prediction:.4g} "
                     f"mutations={muts}")
        lines.append(row.oligo)
    return "\n".join(lines) + "\n" if lines else ""
