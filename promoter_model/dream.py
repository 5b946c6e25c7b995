"""The DREAM 2022 challenge's test data and its scoring on the public leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import dream_scores, regression_metrics
from .sequence import SequenceError

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "data"
TEST_FILE = ASSETS / "test_measured.tsv.gz"
SUBSETS_FILE = ASSETS / "public_leaderboard.json"
TEST_COLUMNS = {"pos", "sequence", "expression", "public_leaderboard"}


def is_dream_test_table(path) -> bool:
    """True if ``path`` is a table with the DREAM test columns (``pos``, ``public_leaderboard``...)."""
    try:
        head = pd.read_csv(path, sep="\t", nrows=1)
    except Exception:  # noqa: BLE001 - any unreadable file is simply not this format
        return False
    return TEST_COLUMNS.issubset(head.columns)


def load_test_table(path=TEST_FILE) -> pd.DataFrame:
    """The measured test sequences: columns ``pos, sequence, expression, public_leaderboard``.

    Rows are ordered by ``pos`` and ``pos`` equals the row index.
    """
    df = pd.read_csv(path, sep="\t")
    missing = TEST_COLUMNS - set(df.columns)
    if missing:
        raise SequenceError(f"missing column(s) {', '.join(sorted(missing))}", source=str(path))
    df = df.sort_values("pos").reset_index(drop=True)
    if not np.array_equal(df["pos"].to_numpy(), np.arange(len(df))):
        raise SequenceError("'pos' must number the rows 0..n-1", source=str(path))
    return df


def load_subsets(path=SUBSETS_FILE) -> dict:
    """Public-leaderboard subsets: ``name -> [pos, ...]`` or ``name -> [[alt, ref], ...]``."""
    return json.loads(Path(path).read_text())["subsets"]


def training_pool(path=TEST_FILE) -> pd.DataFrame:
    """Rows the demo model may train on (``public_leaderboard == 0``)."""
    df = load_test_table(path)
    return df[df["public_leaderboard"] == 0].reset_index(drop=True)


def public_test_set(path=TEST_FILE) -> pd.DataFrame:
    """The public-leaderboard rows (``public_leaderboard == 1``): the test set, never trained on."""
    df = load_test_table(path)
    return df[df["public_leaderboard"] == 1].reset_index(drop=True)


def score_public_leaderboard(predict_fn, path=TEST_FILE, subsets_path=SUBSETS_FILE) -> dict:
    """The challenge's scores of a model on the public-leaderboard rows.

    Parameters
    ----------
    predict_fn : callable
        ``list of str -> np.ndarray (n,)``.

    Returns
    -------
    dict
        ``regression_metrics`` of the public rows, every subset's Pearson r² and Spearman
        (pairs on alt - ref differences), and the weighted ``pearson_score`` and
        ``spearman_score``; with a ``data`` description.
    """
    df = load_test_table(path)
    subsets = load_subsets(subsets_path)
    public = df["public_leaderboard"].to_numpy() == 1
    used = np.unique(np.concatenate([np.ravel(v) for v in subsets.values()]))
    if not public[used].all():
        raise ValueError("the subsets name rows that are not on the public leaderboard")
    pred = np.full(len(df), np.nan, dtype=np.float64)
    pred[public] = predict_fn(df.loc[public, "sequence"].tolist())
    out = regression_metrics(df.loc[public, "expression"], pred[public])
    out.update(dream_scores(df["expression"].to_numpy(), pred, subsets))
    out["data"] = (f"DREAM 2022 public-leaderboard test set: {int(public.sum())} sequences of "
                   f"{Path(path).name} with public_leaderboard == 1; MAUDE-normalised "
                   "expression")
    return out
