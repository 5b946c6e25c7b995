"""The reference sequences of the first-layer filter analysis: one definition for the CLI
(``promoter-model motifs``) and the dashboard, recorded in the motif cache's ``meta.json``.

By default a seeded sample of the bundled DREAM training sample
(``promoter_model/data/train_demo.txt``, measured sequences of the training pool with their
expression), or random 80 bp cores between the plasmid flanks where that file is not
installed. ``discover`` uses its own reference (:func:`.discover.reference_set`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..sequence import FLANK_3, FLANK_5, one_hot, read_sequences

DEFAULT_REFERENCE = Path(__file__).resolve().parents[1] / "data" / "train_demo.txt"
DEFAULT_N = 2000
DEFAULT_SEED = 0


def filter_reference(path=None, n: int = DEFAULT_N, seed: int = DEFAULT_SEED):
    """One-hot reference sequences (a seeded subset), their expression, and a description.

    Parameters
    ----------
    path : str or Path, optional
        Any file ``predict`` reads; default :data:`DEFAULT_REFERENCE`.
    n : int
        At most this many sequences (a seeded sample without replacement, in file order).
    seed : int

    Returns
    -------
    X : np.ndarray, shape (n, 110, 4)
    y : np.ndarray, shape (n,), or None
        Measured expression where the file has it.
    description : str
        What the sequences are; stored in the cache so caches made from different
        references are told apart.
    """
    if n < 1:
        raise ValueError(f"the reference needs at least one sequence (asked for {n})")
    rng = np.random.default_rng(seed)
    if path is None:
        if not DEFAULT_REFERENCE.is_file():
            core = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, (n, 80))]
            seqs = [FLANK_5 + r.tobytes().decode() + FLANK_3 for r in core]
            return one_hot(seqs), None, f"{n} random promoters (seed {seed})"
        path = DEFAULT_REFERENCE
    table = read_sequences(path)
    total = len(table)
    if total == 0:
        raise ValueError(f"{path}: no sequences found")
    idx = np.sort(rng.choice(total, size=min(total, n), replace=False))
    seqs = [table.sequences[i] for i in idx]
    y = table.expression[idx] if table.expression is not None else None
    name = "train_demo.txt (DREAM 2022 training sample)" if Path(path) == DEFAULT_REFERENCE \
        else str(path)
    return one_hot(seqs), y, f"{len(idx)} of {total} sequences from {name}, seed {seed}"
