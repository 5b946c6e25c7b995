"""The 110 bp plasmid layout of the DREAM constructs and fitting sequences to a model length.

Conventions (see ``docs/conventions.md``): a sequence is fitted to the model length (110 bp):
one of at most 80 bp is the variable region and goes between the plasmid flanks; any other
keeps its **3' end** (the bases next to the transcription start) and is padded with ``N`` on
the **5' side** (:func:`fit_to_length`).
"""

from __future__ import annotations

import numpy as np

SEQ_LEN = 110
FLANK_5 = "TGCATTTTTTTCACATC"
FLANK_3 = "GGTTACGGCTGTT"
VARIABLE_START = len(FLANK_5)  # 0-based index of the first base of the 80 bp random region
VARIABLE_END = SEQ_LEN - len(FLANK_3)  # exclusive
VARIABLE_LEN = VARIABLE_END - VARIABLE_START  # 80
ALPHABET = "ACGT"
DEFAULT_MAX_LENGTH = 1000
FIT_CONVENTION = (
    "plasmid flanks + 3' anchored: for 110 bp models a sequence of at most 80 bp is the "
    "variable region and is placed between the 17 bp 5' flank and the 13 bp 3' flank "
    "(padded with N on the 5' side of the variable region when shorter than 80 bp); "
    "longer sequences keep their last 110 bases, 81-109 bp ones are padded with N on the "
    "5' side")
LEGACY_FIT_CONVENTIONS = (
    "keep 3' end, pad N on 5' side",
    "3' anchored: longer sequences keep their last seq_len bases, shorter ones are padded "
    "with N on the 5' side")


def placed_in_flanks(n_bases, length: int = SEQ_LEN):
    """Whether a sequence of ``n_bases`` is placed between the plasmid flanks.

    The one rule of :func:`fit_to_length`: only for the 110 bp plasmid layout
    (``length == SEQ_LEN``), a sequence of at most 80 bp (the variable region, or part of
    it) goes between :data:`FLANK_5` and :data:`FLANK_3`.

    Parameters
    ----------
    n_bases : int or np.ndarray of int
    length : int
        The model's input length.

    Returns
    -------
    bool or np.ndarray of bool
    """
    return np.asarray(n_bases) <= VARIABLE_LEN if length == SEQ_LEN else \
        np.zeros(np.shape(n_bases), dtype=bool)


def fit_to_length(sequences, length: int = SEQ_LEN):
    """Fit sequences to ``length`` bp (see ``docs/conventions.md``).

    * For the 110 bp plasmid layout, a sequence of at most 80 bp is the variable region
      without its flanks: it is placed as ``FLANK_5 + N * (80 - n) + sequence + FLANK_3``
      (3'-anchored against the 3' flank), as the DREAM / Vaishnav et al. constructs are.
    * Any other sequence is fitted 3'-anchored: a longer one keeps its last ``length``
      bases, a shorter one is padded with ``N`` on the 5' side.

    Only the sequences whose length differs are re-sliced.

    Parameters
    ----------
    sequences : list of str
    length : int

    Returns
    -------
    fitted : list of str
        Every string has exactly ``length`` characters.
    change : np.ndarray, shape (n,), int
        Input length minus ``length``: bases removed (positive: trimmed from the 5' end) or
        added (negative: flanks and/or ``N``); 0 where the sequence already had ``length``
        bases. Whether flanks were added follows from the input length
        (:func:`placed_in_flanks`).
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    change = lengths - length
    flanked = placed_in_flanks(lengths, length)
    fitted = list(sequences)
    pad = "N" * length
    for i in np.flatnonzero(change).tolist():
        d = int(change[i])
        if flanked[i]:
            fitted[i] = FLANK_5 + pad[:VARIABLE_LEN - lengths[i]] + fitted[i] + FLANK_3
        else:
            fitted[i] = fitted[i][d:] if d > 0 else pad[:-d] + fitted[i]
    return fitted, change


def describe_fit(change: int, length: int = SEQ_LEN, short: bool = False) -> str | None:
    """Human-readable note of what :func:`fit_to_length` did, or None if nothing.

    ``short=True`` gives a few words for a table cell (e.g. ``"flanks added"``).
    """
    n = int(change) + length
    if short:
        if change < 0 and placed_in_flanks(n, length):
            pad = VARIABLE_LEN - n
            return "flanks added" + (f", {pad} N before it" if pad else "")
        if change:
            return (f"5' end trimmed ({change} bp)" if change > 0
                    else f"{-change} N added on the 5' side")
        return None
    if change < 0 and placed_in_flanks(n, length):
        pad = VARIABLE_LEN - n
        return (f"read as the variable region without the plasmid flanks and placed between "
                f"the 5' flank {FLANK_5} and the 3' flank {FLANK_3} (positions "
                f"{VARIABLE_START + 1 + pad}-{VARIABLE_END}"
                + (f"; the {pad} bp before it are N" if pad else "") + ")")
    if change > 0:
        return f"trimmed {change} bp from the 5' end to keep the 3'-most {length} bp"
    if change < 0:
        return f"padded with {-change} N on the 5' side to reach {length} bp"
    return None


def fit_summary(sequences, length: int = SEQ_LEN) -> str | None:
    """One sentence saying how many sequences were fitted and how, or None if none were.

    The notice the command line prints and the pages show above their results.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    change = lengths - length
    flanked = int(((change < 0) & placed_in_flanks(lengths, length)).sum())
    trimmed = int((change > 0).sum())
    padded = int((change < 0).sum()) - flanked
    parts = []
    if flanked:
        parts.append(f"{flanked} of at most {VARIABLE_LEN} bp placed between the plasmid "
                     f"flanks {FLANK_5}…{FLANK_3} as the variable region")
    if trimmed:
        parts.append(f"{trimmed} trimmed to their 3'-most {length} bp")
    if padded:
        parts.append(f"{padded} padded with N on the 5' side")
    if not parts:
        return None
    return (f"{flanked + trimmed + padded} of {len(sequences)} sequences were fitted to "
            f"{length} bp: " + "; ".join(parts))
