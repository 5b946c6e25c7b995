"""The DREAM 2022 challenge's test data and its scoring on the public leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import dream_scores, regression_metrics
from .sequence import SequenceError

ASSETS = Path(__file__).resolve().parent / "data"  # package data (assets/data links here)
TEST_FILE = ASSETS / "test_measured.tsv.gz"
SUBSETS_FILE = ASSETS / "public_leaderboard.json"
TEST_COLUMNS = {"pos", "sequence", "expression", "public_leaderboard"}


def is_dream_test_table(path) -> bool:
    """True if ``path`` is a table with the DREAM test columns (``pos``, ``expression`` ...)."""
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


YEAST_FILE = ASSETS / "test_subsets" / "yeast_seqs.csv"


def expression_scale(path=TEST_FILE, yeast_path=YEAST_FILE) -> dict:
    """Numbers that give the measured expression scale a meaning, from the test data.

    Parameters
    ----------
    path : path
        The measured test table (:func:`load_test_table`).
    yeast_path : path
        CSV with a ``pos`` column: the test rows that are native yeast promoters.

    Returns
    -------
    dict
        ``n``, ``min``, ``max``, ``p01``, ``p99`` (1st and 99th percentile) of all measured
        test sequences; ``yeast_n``, ``yeast_sd`` (standard deviation), ``yeast_p10``,
        ``yeast_p90`` and ``yeast_iqr`` (interquartile range) of the native yeast promoters.
    """
    e = load_test_table(path)["expression"].to_numpy(np.float64)
    e = e[np.isfinite(e)]
    pos = pd.read_csv(yeast_path)["pos"].to_numpy()
    y = e[np.unique(pos[(pos >= 0) & (pos < e.size)])]
    p01, p99 = np.percentile(e, [1, 99])
    q10, q25, q75, q90 = np.percentile(y, [10, 25, 75, 90])
    return {"n": int(e.size), "min": float(e.min()), "max": float(e.max()),
            "p01": float(p01), "p99": float(p99), "yeast_n": int(y.size),
            "yeast_sd": float(y.std(ddof=1)), "yeast_p10": float(q10),
            "yeast_p90": float(q90), "yeast_iqr": float(q75 - q25)}


def difference_in_context(delta: float, scale: dict) -> str:
    """A difference in expression put against the measured range and native promoters.

    Parameters
    ----------
    delta : float
        A difference on the measured scale.
    scale : dict
        From :func:`expression_scale`.

    Returns
    -------
    str
        e.g. ``"0.1 is 3% of the measured range and 0.2 standard deviations of native
        yeast promoters"``.
    """
    span = scale["max"] - scale["min"]
    return (f"{delta:g} is {100 * abs(delta) / span:.0f}% of the measured range and "
            f"{abs(delta) / scale['yeast_sd']:.1f} standard deviations of native yeast "
            "promoters")


#: One line per challenge subset, for people who did not design the test set.
SUBSET_DESCRIPTIONS = {
    "all": "every held-out test sequence scored (the data note says which)",
    "random": "random 80 bp sequences, like the training data",
    "yeast": "native yeast promoter sequences from the genome",
    "high": "the most strongly expressed sequences (top of the measured range)",
    "low": "the most weakly expressed sequences (bottom of the measured range)",
    "challenging": "sequences designed so that earlier models disagree about them",
    "SNVs": "pairs differing by one base: is their difference predicted?",
    "motif_perturbation": "pairs with a binding site mutated or added: the difference",
    "motif_tiling": "pairs with one binding site moved along: the difference",
}
#: Below this Pearson r² a subset is called a weak spot of the model.
WEAK_R2 = 0.6


def subset_table(scores: dict, weak_below: float = WEAK_R2) -> pd.DataFrame:
    """The challenge's per-subset scores with a plain description and a weak-spot flag.

    Parameters
    ----------
    scores : dict
        Keys ``n_<subset>``, ``pearson_r2_<subset>``, ``spearman_<subset>`` (as written by
        :func:`score_public_leaderboard` / ``metrics.dream_scores``).
    weak_below : float
        Pearson r² under which a subset is flagged ``weak``.

    Returns
    -------
    pd.DataFrame
        Columns ``subset``, ``what`` (one line), ``n``, ``pearson_r2``, ``spearman``,
        ``weak``; only subsets present in ``scores``.
    """
    rows = []
    for name, what in SUBSET_DESCRIPTIONS.items():
        if f"pearson_r2_{name}" not in scores:
            continue
        r2 = scores[f"pearson_r2_{name}"]
        rows.append({"subset": name, "what": what, "n": scores.get(f"n_{name}"),
                     "pearson_r2": r2, "spearman": scores.get(f"spearman_{name}"),
                     "weak": bool(r2 is not None and np.isfinite(r2) and r2 < weak_below)})
    return pd.DataFrame(rows, columns=["subset", "what", "n", "pearson_r2", "spearman",
                                       "weak"])


def weak_spots(scores: dict, weak_below: float = WEAK_R2) -> str | None:
    """One sentence naming the subsets under ``weak_below`` (None if there are none).

    e.g. ``"high expression (r² 0.16), low expression (r² 0.43), SNV differences
    (r² 0.55)"``.
    """
    names = {"high": "high expression", "low": "low expression", "SNVs": "SNV differences",
             "motif_perturbation": "motif perturbation differences",
             "motif_tiling": "motif tiling differences", "challenging": "challenging sequences",
             "yeast": "native yeast promoters", "random": "random sequences",
             "all": "all sequences"}
    table = subset_table(scores, weak_below)
    weak = table[table["weak"]]
    if weak.empty:
        return None
    return ", ".join(f"{names.get(s, s)} (r² {v:.2f})"
                     for s, v in zip(weak["subset"], weak["pearson_r2"]))


# --------------------------------------------------------------------------- for the app
def percentile(measured, values):
    """Percent of ``measured`` values at or below each of ``values`` (0-100).

    Parameters
    ----------
    measured : array-like
        The reference distribution (e.g. measured test expression).
    values : float or array-like

    Returns
    -------
    float or np.ndarray
        NaN when ``measured`` is empty; same shape as ``values``.
    """
    ref = np.sort(np.asarray(measured, dtype=np.float64))
    v = np.asarray(values, dtype=np.float64)
    out = (np.full(v.shape, np.nan) if ref.size == 0
           else 100.0 * np.searchsorted(ref, v, side="right") / ref.size)
    return float(out) if out.ndim == 0 else out


def public_scores(pos, predicted, path=TEST_FILE, subsets_path=SUBSETS_FILE) -> dict:
    """The challenge's subset scores of predictions of the public-leaderboard rows.

    Parameters
    ----------
    pos : array-like of int
        Rows of the test table (its ``pos``) that were predicted.
    predicted : array-like
        Their predictions.

    Returns
    -------
    dict
        :func:`promoter_model.metrics.dream_scores` with every other row unknown (NaN).
    """
    df = load_test_table(path)
    y = np.full(len(df), np.nan)
    p = np.full(len(df), np.nan)
    pos = np.asarray(pos, dtype=np.int64)
    y[pos] = df["expression"].to_numpy(np.float64)[pos]
    p[pos] = np.asarray(predicted, dtype=np.float64)
    return dream_scores(y, p, load_subsets(subsets_path))
