"""The held-out test set on the Training page: the public-leaderboard rows' predictions
(stored with an ensemble, or computed in cached parts) and their DREAM challenge scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app.cache.data import DATA, test_measured
from app.cache.runs import get_predictor

TEST_CHUNKS = 10  # the test set is predicted in this many cached parts (progress bar)


@st.cache_data(max_entries=8 * TEST_CHUNKS, show_spinner=False)
def _test_chunk(path: str, stamp: float, k: int, chunks: int) -> np.ndarray:
    """Predictions for the ``k``-th of ``chunks`` parts of the public-leaderboard rows."""
    t = test_measured()
    seqs = t.loc[t["public_leaderboard"] == 1, "sequence"].tolist()
    step = -(-len(seqs) // chunks)
    part = seqs[k * step:(k + 1) * step]
    if not part:
        return np.zeros(0, dtype=np.float32)
    return get_predictor(path, stamp).predict_sequences(part)[0].astype(np.float32)


@st.cache_data(max_entries=8, show_spinner=False)
def _stored_test(path: str, stamp: float) -> np.ndarray | None:
    """An ensemble's stored public-row predictions, in the test table's row order, or None
    (a single run, no ``public.tsv.gz``, a file that fails its checksum, or rows that are
    not the bundled test table's).
    """
    from promoter_model.runs.ensemble import stored_public_predictions
    from promoter_model.runs.run import RunError

    try:
        stored = stored_public_predictions(path)
    except RunError:  # changed since it was built: predict them again from the members
        return None
    t = test_measured()
    pos = t.loc[t["public_leaderboard"] == 1, "pos"].to_numpy()
    if stored is None or not np.array_equal(stored["pos"].to_numpy(), pos):
        return None
    return stored["prediction"].to_numpy(np.float32)


def test_predictions(path: str, stamp: float, progress=None) -> pd.DataFrame:
    """Predictions for the held-out public-leaderboard test sequences.

    An ensemble's stored ones (``public.tsv.gz``, what its scores were computed from;
    ``attrs["stored"]`` is True); otherwise computed in :data:`TEST_CHUNKS` cached parts,
    with ``progress(fraction)`` called after each (a cached visit is immediate).
    """
    t = test_measured()
    test = t[t["public_leaderboard"] == 1]
    stored = _stored_test(path, stamp)
    if stored is not None:
        out = pd.DataFrame({"pos": test["pos"].to_numpy(),
                            "measured": test["expression"].to_numpy(), "predicted": stored})
        out.attrs["stored"] = True
        return out
    parts = []
    for k in range(TEST_CHUNKS):
        parts.append(_test_chunk(path, stamp, k, TEST_CHUNKS))
        if progress is not None:
            progress((k + 1) / TEST_CHUNKS)
    pred = np.concatenate(parts)
    return pd.DataFrame({"pos": test["pos"].to_numpy(), "measured": test["expression"].to_numpy(),
                         "predicted": pred})


@st.cache_data(max_entries=8, show_spinner=False)
def test_dream_scores(path: str, stamp: float) -> dict:
    """The DREAM 2022 subset scores recomputed from :func:`test_predictions`."""
    from promoter_model.dream import public_scores

    tp = test_predictions(path, stamp)
    return public_scores(tp["pos"], tp["predicted"], DATA / "test_measured.tsv.gz",
                         DATA / "public_leaderboard.json")


@st.cache_data(max_entries=8, show_spinner=False)
def family_test_predictions(path: str, stamp: float) -> pd.DataFrame | None:
    """A family-split ensemble's stored predictions of its held-out test families
    (``test.tsv.gz``: ``pos, measured, prediction, sd, lower, upper,
    nearest_train_mismatches``), or None (no such file, or one failing its checksum).
    """
    from promoter_model.runs import stored_test_predictions
    from promoter_model.runs.run import RunError

    try:
        return stored_test_predictions(path)
    except RunError:
        return None
