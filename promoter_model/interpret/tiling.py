"""Tiling a native promoter: 80 bp windows placed between the plasmid flanks, predicted.

A biologist has a long sequence (say 600 bp upstream of a gene). The model reads one 80 bp
variable region in the DREAM plasmid, so :func:`tile` cuts the sequence into 80 bp windows
every ``step`` bases, places each between the flanks (as every sequence of at most 80 bp
is, ``sequence.fit_to_length``) and predicts all of them in one batched call: the
prediction, the members' sd and, for a calibrated ensemble, the conformal interval.

Windows start at 0, ``step``, ``2 * step``, ...; when the last one does not end at the
sequence's 3' end, one more window ending there is added, so the bases next to the
transcription start are always read. ``start`` is 0-based in the user's sequence and
``end`` exclusive (Python slicing: ``sequence[start:end]``).

The model was trained on random 80 bp inserts in one plasmid context: a native window is
outside that distribution, and :func:`native_note` says so with the run's measured score
on the DREAM native yeast subset when its metrics hold one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import SEQ_LEN, VARIABLE_LEN, normalize

COLUMNS = ["id", "start", "end", "prediction", "sd", "lower", "upper"]
#: Most windows one call predicts (all sequences together).
MAX_WINDOWS = 200_000


def window_starts(length: int, step: int, width: int = VARIABLE_LEN) -> np.ndarray:
    """0-based starts of the windows of a ``length`` bp sequence (see the module docstring).

    Raises
    ------
    ValueError
        ``step`` below 1, or a sequence shorter than one window.
    """
    step = int(step)
    if step < 1:
        raise ValueError(f"--step {step}: the step between windows must be at least 1 bp")
    if length < width:
        raise ValueError(f"a {length} bp sequence is shorter than one {width} bp window; "
                         "predict it as it is (promoter-model predict)")
    starts = np.arange(0, length - width + 1, step)
    if starts[-1] != length - width:
        starts = np.append(starts, length - width)
    return starts


def tile(model, sequences, ids=None, step: int = 10, level: float = 0.9,
         batch_size: int = 1024, max_windows: int = MAX_WINDOWS) -> pd.DataFrame:
    """Predict every 80 bp window of each sequence, placed between the plasmid flanks.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        A 110 bp plasmid-layout model.
    sequences : str or list of str
        Long sequences (at least 80 bp each).
    ids : list of str, optional
        Default ``sequence`` (one) or ``sequence1, sequence2, ...``.
    step : int
        Bases between window starts (at least 1).
    level : float
        Level of the calibrated interval (calibrated ensembles).
    batch_size : int
    max_windows : int
        Refuse more windows than this (all sequences together).

    Returns
    -------
    pd.DataFrame
        ``id, start, end, prediction, sd, lower, upper``, one row per window in order;
        ``sd`` NaN for one run, ``lower``/``upper`` NaN without a calibration.
    """
    from ..predictor import as_predictor  # here: window_starts answers without Keras
    from ..uncertainty.intervals import predict_interval_sequences

    pred = as_predictor(model)
    if pred.input_length != SEQ_LEN:
        raise ValueError(f"tiling places 80 bp windows in the {SEQ_LEN} bp plasmid layout; "
                         f"this model reads {pred.input_length} bp")
    seqs = [normalize(sequences)] if isinstance(sequences, str) else \
        [normalize(s) for s in sequences]
    if ids is None:
        ids = ["sequence"] if len(seqs) == 1 else [f"sequence{k + 1}" for k in range(len(seqs))]
    starts = [window_starts(len(s), step) for s in seqs]
    total = sum(len(s) for s in starts)
    if total > max_windows:
        raise ValueError(f"{total:,} windows, over the limit of {max_windows:,}; use a larger "
                         "--step or fewer sequences")
    windows = [s[a:a + VARIABLE_LEN] for s, st in zip(seqs, starts) for a in st.tolist()]
    iv = predict_interval_sequences(pred, windows, level=level, batch_size=batch_size)
    nan = np.full(total, np.nan)
    start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    return pd.DataFrame({
        "id": np.repeat(np.asarray(ids, dtype=object), [len(s) for s in starts]),
        "start": start, "end": start + VARIABLE_LEN, "prediction": iv.mean,
        "sd": iv.sd if iv.sd is not None else nan,
        "lower": iv.lower if iv.lower is not None else nan,
        "upper": iv.upper if iv.upper is not None else nan})


def strongest_window(table: pd.DataFrame) -> pd.DataFrame:
    """The window with the highest prediction of each sequence (rows of :func:`tile`)."""
    if table.empty:
        return table
    best = table.groupby("id", sort=False)["prediction"].idxmax()
    return table.loc[best.to_numpy()].reset_index(drop=True)


def yeast_score(metrics) -> tuple | None:
    """``(r2, n, where)``: the measured Pearson r² on the DREAM native yeast subset, from a
    run's or an ensemble's metrics (held-out test families first, then the public
    leaderboard), or None when the metrics hold none.
    """
    if not isinstance(metrics, dict):
        return None
    for key, where in (("test_families", "the held-out test families"),
                       ("dream_public_leaderboard", "the DREAM public leaderboard")):
        block = metrics.get(key)
        if isinstance(block, dict):
            r2 = block.get("pearson_r2_yeast")
            if isinstance(r2, (int, float)) and np.isfinite(r2):
                return float(r2), block.get("n_yeast"), where
    return None


def native_note(metrics) -> str:
    """What a prediction of a native window means, with the measured yeast-subset score."""
    text = ("the model was trained on random 80 bp inserts in one plasmid context: native "
            "windows are outside its training distribution")
    score = yeast_score(metrics)
    if score is None:
        return text + "; this model's metrics hold no score on native yeast promoters"
    r2, n, where = score
    count = f", n={int(n):,}" if isinstance(n, (int, float)) else ""
    return (text + f"; on native yeast promoter fragments in that plasmid (DREAM subset "
            f"'yeast' of {where}{count}) its measured Pearson r² is {r2:.3f}")
