"""Necessity and sufficiency of the motif instances in one sequence (CREME's tests).

* **Necessity**: the instance's bases are shuffled in place (``n_shuffles`` seeded
  permutations); necessity is ``f(sequence) - mean f(instance shuffled)``: positive when
  the sequence needs the instance for its expression.
* **Sufficiency**: the variable region is dinucleotide-shuffled ``n_shuffles`` times
  (contexts with the sequence's composition but none of its sites) and the instance alone is
  put back at its own place; sufficiency is ``mean [f(context + instance) - f(context)]``:
  positive when the instance alone raises expression.

Instances are found by :func:`promoter_model.grammar.instances.find_instances` or given as
windows. Every row of every test is predicted in one batched call; means over shuffles
then over members, ``sd`` the members' sd.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence import SEQ_LEN, VARIABLE_END, VARIABLE_START, as_batch, decode, one_hot
from .backgrounds import dinucleotide_shuffle
from .core import annotate, member_predictions, predictor_110, summarise
from .instances import find_instances

#: The columns of :func:`necessity_sufficiency`.
COLUMNS = ["motif", "start", "end", "strand", "site", "necessity", "necessity_sd",
           "sufficiency", "sufficiency_sd"]


def _instance_table(x, instances, motifs, max_p, run_dir) -> pd.DataFrame:
    if instances is None:
        return find_instances(x, motifs=motifs, max_p=max_p, run_dir=run_dir)
    if isinstance(instances, pd.DataFrame):
        df = instances.copy()
    else:
        df = pd.DataFrame([tuple(w)[:2] for w in instances], columns=["start", "end"])
    span = VARIABLE_END - VARIABLE_START
    df["start"], df["end"] = df["start"].astype(int), df["end"].astype(int)
    bad = (df["start"] < 0) | (df["end"] > span) | (df["end"] <= df["start"])
    if bad.any():
        row = df[bad].iloc[0]
        raise ValueError(f"instance {row['start']}-{row['end']} is not a window of the "
                         f"{span} bp variable region (0-based, end exclusive)")
    seq = decode(x[VARIABLE_START:VARIABLE_END])[0]
    for col, default in (("motif", "window"), ("strand", ".")):
        if col not in df:
            df[col] = default
    df["site"] = [seq[s:e] for s, e in zip(df["start"], df["end"])]
    return df.reset_index(drop=True)


def _contexts(x, n: int, rng) -> np.ndarray:
    """``n`` copies of ``x`` with the known part of the variable region dinucleotide-
    shuffled (an ``N`` padding on its 5' side stays), (n, 110, 4).
    """
    core = decode(x[VARIABLE_START:VARIABLE_END])[0]
    first = len(core) - len(core.lstrip("N"))
    if "N" in core[first:]:
        raise ValueError("the variable region has an N inside it; it cannot be shuffled")
    out = np.repeat(x[None], n, axis=0)
    shuffled = dinucleotide_shuffle([core[first:]] * n, rng)
    out[:, VARIABLE_START + first:VARIABLE_END] = one_hot(shuffled, len(core) - first,
                                                          fit=False)
    return out


def necessity_sufficiency(model, sequence, instances=None, motifs=None,
                          max_p: float = 1e-4, n_shuffles: int = 100, seed: int = 0,
                          batch_size: int = 1024, func=None, run_dir=None) -> pd.DataFrame:
    """How much the sequence needs each motif instance, and how much each suffices alone.

    Parameters
    ----------
    model : Predictor, Run, keras.Model or path
    sequence : str or np.ndarray, shape (110, 4)
        Fitted to 110 bp (``sequence.fit_to_length``).
    instances : pd.DataFrame or list of (start, end), optional
        Windows 0-based, end-exclusive in the variable region (a frame may also hold
        ``motif`` and ``strand``); default: :func:`find_instances` of ``motifs``.
    motifs, max_p
        For :func:`promoter_model.grammar.instances.find_instances`.
    n_shuffles : int
        Shuffles of each instance, and shuffled contexts, per test.
    seed : int
    batch_size : int
    func : callable, optional
        Applied to each member's predictions first.
    run_dir : path, optional
        Where discovered pattern names are looked up (default: the predictor's folder).

    Returns
    -------
    pd.DataFrame
        One row per instance: :data:`COLUMNS` (``*_sd``: members' sd; NaN for one run).
        ``attrs``: ``operation``, ``n_shuffles``, ``seed``, ``members``, ``wild_type``
        (the sequence's prediction) and ``context`` (mean prediction of the shuffled
        contexts).
    """
    pred = predictor_110(model)
    where = run_dir if run_dir is not None else pred.path
    x = as_batch(sequence, SEQ_LEN)[0]
    table = _instance_table(x, instances, motifs, max_p, where)
    n, k = int(n_shuffles), len(table)
    if n < 1:
        raise ValueError(f"n_shuffles must be at least 1, got {n_shuffles}")
    rng = np.random.default_rng(seed)
    ctx = _contexts(x, n, rng)
    destroyed, alone = [], []
    for s, e in zip(table["start"] + VARIABLE_START, table["end"] + VARIABLE_START):
        perm = np.argsort(rng.random((n, e - s)), axis=1)  # n permutations of the window
        d = np.repeat(x[None], n, axis=0)
        d[:, s:e] = x[s:e][perm]
        destroyed.append(d)
        c = ctx.copy()
        c[:, s:e] = x[s:e]
        alone.append(c)
    X = np.concatenate([x[None], ctx] + destroyed + alone)
    y = member_predictions(pred, X, batch_size=batch_size, func=func)
    m = y.shape[0]
    wt, context = y[:, :1], y[:, 1:1 + n]
    rest = y[:, 1 + n:].reshape(m, 2, k, n)  # destroyed, alone; instance; shuffle
    need = summarise(wt[:, :, None] - rest[:, 0].transpose(0, 2, 1), background_axis=1)
    suff = summarise(rest[:, 1].transpose(0, 2, 1) - context[:, :, None], background_axis=1)
    out = table.assign(necessity=need["effect"], necessity_sd=need["sd"],
                       sufficiency=suff["effect"], sufficiency_sd=suff["sd"])
    extra = [c for c in out.columns if c not in COLUMNS]
    return annotate(out[COLUMNS + extra], operation="necessity", n_shuffles=n, seed=seed,
                    members=m, wild_type=float(wt.mean()), context=float(context.mean()))
