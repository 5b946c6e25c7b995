"""The DREAM test data the pages compare predictions with (cached once per process).

``assets/data`` (a link to the package's ``promoter_model/data``): the measured test
sequences, the expression scale in plain numbers, the public-leaderboard subsets and a few
example promoters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "assets" / "data"


@st.cache_data(show_spinner=False)
def test_measured() -> pd.DataFrame:
    """All measured test sequences: ``pos, sequence, expression, public_leaderboard``."""
    from promoter_model.dream import load_test_table

    return load_test_table(DATA / "test_measured.tsv.gz")


@st.cache_data(show_spinner=False)
def expression_scale() -> dict:
    """Measured range and native-promoter spread of the test data (dream.expression_scale)."""
    from promoter_model.dream import expression_scale as _scale

    return _scale(DATA / "test_measured.tsv.gz", DATA / "test_subsets" / "yeast_seqs.csv")


@st.cache_data(show_spinner=False)
def measured_expression() -> np.ndarray:
    """Measured expression of every DREAM test sequence, shape (n,)."""
    return test_measured()["expression"].to_numpy(np.float64)


@st.cache_data(show_spinner=False)
def leaderboard_subsets() -> dict:
    """The public-leaderboard subsets (positions in the test table)."""
    from promoter_model.dream import load_subsets

    return load_subsets(DATA / "public_leaderboard.json")


@st.cache_data(show_spinner=False)
def untrained_positions() -> np.ndarray:
    """Test rows no bundled model trained on (``families.dream.never_trained_rows`` on the
    family split shipped in ``assets/family_ensemble``); empty without that split.
    """
    from promoter_model.families.dream import never_trained_rows

    split_file = ROOT / "assets" / "family_ensemble" / "split.tsv.gz"
    if not split_file.is_file():
        return np.zeros(0, dtype=np.int64)
    split = pd.read_csv(split_file, sep="\t", usecols=["pos", "fold"], dtype={"fold": str})
    return never_trained_rows(split, test_measured())


@st.cache_data(show_spinner=False)
def examples(n: int = 4) -> pd.DataFrame:
    """Example sequences: native yeast promoters, high and low expressers of the test set,
    taken only from rows no bundled model trained on (:func:`untrained_positions`).

    Returns
    -------
    DataFrame with ``label, id, group, sequence, expression``.
    """
    t = test_measured()
    allowed = set(untrained_positions().tolist())
    t = t[t["pos"].isin(allowed)].set_index("pos") if allowed else t.set_index("pos")
    rows = []
    sub = DATA / "test_subsets"
    for group, file, pick in (("native yeast", "yeast_seqs.csv", "spread"),
                              ("high expresser", "high_exp_seqs.csv", "top"),
                              ("low expresser", "low_exp_seqs.csv", "bottom")):
        tags = pd.read_csv(sub / file)
        tags = tags[tags["pos"].isin(t.index)].copy()
        tags["expression"] = t.loc[tags["pos"], "expression"].to_numpy()
        tags = tags.sort_values("expression", ascending=pick == "bottom")
        if pick == "spread":
            idx = np.linspace(0, len(tags) - 1, n).round().astype(int)
            tags = tags.iloc[idx]
        else:
            tags = tags.head(n)
        for tag, pos, expr in zip(tags["tag"], tags["pos"], tags["expression"]):
            rows.append({"label": f"{tag} ({group}, measured {expr:+.2f})", "id": str(tag),
                         "group": group, "sequence": t.loc[pos, "sequence"],
                         "expression": float(expr)})
    return pd.DataFrame(rows)
