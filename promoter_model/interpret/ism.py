"""In-silico saturation mutagenesis (ISM).

Every single-nucleotide variant of a sequence is built as one array (no per-character
loops) and predicted together with the reference in a single batched call of
:func:`promoter_model.model.predict.predict`.

Conventions: channels A, C, G, T. An ``N`` (all-zero column: padding, or a base the user
does not know) has no reference base, so a "mutation" of it is not defined: its scores are
NaN (unknown), and no table, ranking or robustness score counts it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..predictor import as_predictor
from ..sequence import SEQ_LEN, as_batch, one_hot
from . import fast_ism

_LETTERS = np.array(list("ACGT"))


def _as_one_hot(x, length: int | None = None) -> np.ndarray:
    """``(L, 4)`` float32 one-hot from a one-hot array or a DNA string."""
    if isinstance(x, str):
        return one_hot([x], length=length or SEQ_LEN)[0]
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2 or x.shape[-1] != 4:
        raise ValueError(f"expected one sequence of shape (L, 4), got {x.shape}")
    return x


def _reference_codes(x: np.ndarray) -> np.ndarray:
    """Reference base index (0-3) per position, -1 where the column is ``N`` (all zero)."""
    return np.where(x.max(axis=-1) > 0, x.argmax(axis=-1), -1)


def _alternatives(ref: np.ndarray) -> np.ndarray:
    """The three non-reference bases of each position in A, C, G, T order, shape (L, 3).

    At an ``N`` position (``ref == -1``) the bases are C, G, T (placeholders; their scores
    are set to NaN).
    """
    ref = np.where(ref < 0, 0, ref)
    k = np.arange(3)
    return k[None, :] + (k[None, :] >= ref[:, None])


def snv_batch(x) -> np.ndarray:
    """The reference and all its single-nucleotide variants.

    Parameters
    ----------
    x : np.ndarray, shape (L, 4), or str
        One-hot sequence (or a DNA string, fitted to 110 bp).

    Returns
    -------
    np.ndarray, shape (1 + 3 * L, L, 4), float32
        Row 0 is the reference; row ``1 + 3 * i + j`` changes position ``i`` to the ``j``-th
        non-reference base in A, C, G, T order (330 variants for L = 110). At an ``N``
        position the three rows set C, G, T (their scores become NaN in :func:`ism_scores`).
    """
    x = _as_one_hot(x)
    L = x.shape[0]
    alt = _alternatives(_reference_codes(x))
    batch = np.repeat(x[None], 1 + 3 * L, axis=0)
    rows = 1 + np.arange(3 * L)
    pos = np.repeat(np.arange(L), 3)
    batch[rows, pos, :] = 0.0
    batch[rows, pos, alt.ravel()] = 1.0
    return batch


def _scores_from_predictions(x, preds_ref, preds_var) -> np.ndarray:
    """ISM matrices of one sequence from each member's predictions.

    ``preds_ref`` has shape (m,), ``preds_var`` (m, 3L); returns (m, L, 4) float64.
    """
    L = x.shape[0]
    ref = _reference_codes(x)
    alt = _alternatives(ref)
    scores = np.zeros((preds_var.shape[0], L, 4), dtype=np.float64)
    scores[:, np.repeat(np.arange(L), 3), alt.ravel()] = preds_var - preds_ref[:, None]
    scores[:, ref < 0] = np.nan  # no reference base: the mutation is not defined
    return scores


#: Effects smaller than this (in the model's output unit) have no sign for
#: :func:`sign_disagreement` (0.01 is about 0.3% of the measured MAUDE expression range).
SIGN_TOL = 0.01


def _member_score_chunks(pred, X, func, batch_size, chunk, fast: bool = True):
    """Yield ``(start, scores, reference)``: each member's ISM of ``chunk`` sequences,
    (m, b, L, 4), and its prediction of those sequences unmutated, (m, b).

    Through the exact windowed engine of :mod:`.fast_ism` where the models allow it
    (``fast``), else every mutant predicted in full by ``pred.predict_members``.
    """
    n, L = X.shape[0], X.shape[1]
    per = 1 + 3 * L
    engine = fast_ism.engine_for(pred.models) if fast else None
    for start in range(0, n, chunk):
        block = X[start:start + chunk]
        if engine is not None:
            alt = np.stack([_alternatives(_reference_codes(x)).ravel() for x in block])
            preds = fast_ism.snv_member_predictions(engine, pred, block, alt, func, batch_size)
        else:
            preds = pred.predict_members(np.concatenate([snv_batch(x) for x in block]),
                                         batch_size=batch_size, func=func)
        yield start, np.stack([
            _scores_from_predictions(x, preds[:, j * per], preds[:, j * per + 1:(j + 1) * per])
            for j, x in enumerate(block)], axis=1), preds[:, ::per]


def ism(model, X, func=None, batch_size: int = 512, chunk: int = 64, fast: bool = True):
    """ISM of many sequences through a predictor: mean effect and across-member sd.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        Anything :func:`promoter_model.predictor.as_predictor` takes (a run or an
        ensemble; reverse-complement averaging as the predictor says).
    X : np.ndarray, shape (n, L, 4) or (L, 4), str, or list of str
        Strings are fitted to the predictor's input length (``sequence.as_batch``).
    func : callable, optional
        Applied to each member's predictions before effects are taken (score something
        other than the raw output, e.g. ``np.exp``).
    batch_size : int
        Rows per forward pass.
    chunk : int
        Sequences whose variants are stacked into one predict call (bounds memory).
    fast : bool
        Use the exact windowed engine (:mod:`.fast_ism`: only the local convolutions'
        window around each mutation is recomputed; like members share one compiled trace)
        where the models are ``build_model`` graphs; False predicts every mutant in full
        through ``predict_members``. Both give the same scores up to float32 round-off
        (RC averaging and ``func`` as in ``Predictor.predict_members``).

    Returns
    -------
    mean : np.ndarray, shape (n, L, 4), float32
        ``mean[k, i, b]`` = member-averaged (prediction with base ``b`` at position ``i``
        minus the reference prediction); 0 at the reference base; NaN at ``N``.
    sd : np.ndarray, shape (n, L, 4), float32, or None
        Population sd (``ddof=0``) of each effect across members; None for one run.
    """
    pred = as_predictor(model)
    X = as_batch(X, pred.input_length)
    n, L = X.shape[0], X.shape[1]
    mean = np.zeros((n, L, 4), dtype=np.float32)
    sd = np.zeros((n, L, 4), dtype=np.float32) if pred.is_ensemble else None
    for start, scores, _ in _member_score_chunks(pred, X, func, batch_size, chunk, fast):
        mean[start:start + scores.shape[1]] = scores.mean(axis=0)
        if sd is not None:
            sd[start:start + scores.shape[1]] = scores.std(axis=0)
    return mean, sd


def ism_members(model, X, func=None, batch_size: int = 512, chunk: int = 64,
                fast: bool = True, reference: bool = False):
    """Each member's ISM effects (what :func:`ism` averages).

    Parameters
    ----------
    model, X, func, batch_size, chunk, fast
        As for :func:`ism`.
    reference : bool
        Also return each member's prediction of the unmutated sequences, which the ISM
        computes anyway: the same numbers as ``Predictor.predict_members`` (after ``func``)
        up to float32 round-off, without another model call.

    Returns
    -------
    effects : np.ndarray, shape (n_members, n, L, 4), float32
        One run gives ``n_members == 1``.
    predictions : np.ndarray, shape (n_members, n), float64
        Only with ``reference=True``.
    """
    pred = as_predictor(model)
    X = as_batch(X, pred.input_length)
    out = np.zeros((len(pred.members), X.shape[0], X.shape[1], 4), dtype=np.float32)
    ref = np.zeros((len(pred.members), X.shape[0]), dtype=np.float64)
    for start, scores, preds in _member_score_chunks(pred, X, func, batch_size, chunk, fast):
        out[:, start:start + scores.shape[1]] = scores
        ref[:, start:start + scores.shape[1]] = preds
    return (out, ref) if reference else out


def sign_disagreement(member_effects, tol: float = SIGN_TOL) -> np.ndarray:
    """Where members disagree on the sign of an effect.

    An effect counts as positive above ``tol`` and negative below ``-tol``; smaller
    effects (and NaN) have no sign. A cell is marked when at least one member calls it
    positive and another negative; with one member nothing is marked.

    Parameters
    ----------
    member_effects : array, shape (n_members, ...)
        E.g. :func:`ism_members` output, or members' variant deltas.
    tol : float
        In the model's output unit (default :data:`SIGN_TOL`).

    Returns
    -------
    np.ndarray of bool, shape ``member_effects.shape[1:]``
    """
    e = np.asarray(member_effects, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (e > tol).any(axis=0) & (e < -tol).any(axis=0)


def ism_scores(model, x, batch_size: int = 512, func=None) -> np.ndarray:
    """Predicted change of every single-nucleotide variant from the reference.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        Input ``(batch, L, 4)``, output ``(batch, 1)``; an ensemble gives the mean effect.
    x : np.ndarray, shape (L, 4), or str
        One-hot sequence or DNA string (fitted to the model length by
        ``sequence.fit_to_length``).
    batch_size : int
    func : callable, optional
        See :func:`ism`.

    Returns
    -------
    np.ndarray, shape (L, 4), float32
        ``scores[i, b]`` = prediction with base ``b`` at position ``i`` minus the reference
        prediction; 0 at the reference base; NaN (unknown) at an ``N`` position.
    """
    pred = as_predictor(model)
    x = _as_one_hot(x, pred.input_length)
    return ism(pred, x[None], func=func, batch_size=batch_size)[0][0]


def ism_scores_batch(model, X, batch_size: int = 512, chunk: int = 64,
                     func=None) -> np.ndarray:
    """:func:`ism_scores` for many sequences: the mean of :func:`ism`.

    Returns
    -------
    np.ndarray, shape (n, L, 4), float32
    """
    return ism(model, X, func=func, batch_size=batch_size, chunk=chunk)[0]


def position_summary(scores, how: str = "mean_abs") -> np.ndarray:
    """One number per position from an ISM matrix.

    Parameters
    ----------
    scores : np.ndarray, shape (..., L, 4)
        ISM scores with 0 at the reference base.
    how : {"mean_abs", "max_abs", "mean"}
        Mean absolute change over the three alternative bases, largest absolute change, or
        mean (signed) change over the three alternatives (negative: the reference base
        matters for high expression).

    Returns
    -------
    np.ndarray, shape (..., L)
        NaN at ``N`` positions (unknown).
    """
    scores = np.asarray(scores, dtype=np.float32)
    if how == "mean_abs":
        return np.abs(scores).sum(axis=-1) / 3.0
    if how == "max_abs":
        return np.abs(scores).max(axis=-1)
    if how == "mean":
        return scores.sum(axis=-1) / 3.0
    raise ValueError(f"unknown summary {how!r}; choose mean_abs, max_abs or mean")


def logo_matrix(scores, x) -> np.ndarray:
    """The ISM logo: at each observed base, minus the mean change of its three substitutions.

    A tall letter is a base whose mutation lowers expression; the other three bases (and
    ``N`` positions, whose scores are unknown) are 0. One formula for the CLI, the
    attributions and the app.

    Parameters
    ----------
    scores : np.ndarray, shape (..., L, 4)
        ISM scores (0 at the reference base).
    x : np.ndarray, shape (..., L, 4), or str
        The sequence(s) the scores belong to.

    Returns
    -------
    np.ndarray, shape of ``scores``, float32
    """
    x = _as_one_hot(x, np.shape(scores)[-2]) if isinstance(x, str) else np.asarray(x)
    lost = -position_summary(scores, "mean")[..., None]
    return np.nan_to_num(x * lost).astype(np.float32)


def _variant_entries(scores, x):
    """Positions, reference and alternative bases, and changes of the 3L variants."""
    x = _as_one_hot(x)
    scores = np.asarray(scores, dtype=np.float32)
    ref = _reference_codes(x)
    alt = _alternatives(ref)
    pos = np.repeat(np.arange(x.shape[0]), 3)
    change = scores[pos, alt.ravel()]
    ref_letter = np.where(ref < 0, "N", _LETTERS[np.clip(ref, 0, 3)])[pos]
    return pos, ref_letter, _LETTERS[alt.ravel()], change


def top_mutations(scores, x, n: int = 10) -> pd.DataFrame:
    """The ``n`` strongest increasing and ``n`` strongest decreasing single mutations.

    Parameters
    ----------
    scores : np.ndarray, shape (L, 4)
    x : np.ndarray, shape (L, 4), or str
    n : int

    Returns
    -------
    pd.DataFrame
        Columns ``position`` (1-based), ``reference``, ``alternative``, ``change``; increases
        first (largest first), then decreases (most negative last). ``N`` positions (NaN
        scores) are never listed.
    """
    pos, ref, alt, change = _variant_entries(scores, x)
    order = np.argsort(-change, kind="stable")
    up = order[change[order] > 0][:n]
    down = order[change[order] < 0][::-1][:n][::-1]
    idx = np.concatenate([up, down])
    return pd.DataFrame({"position": pos[idx] + 1, "reference": ref[idx],
                         "alternative": alt[idx], "change": change[idx]}).reset_index(drop=True)


def mutational_robustness(scores, x) -> np.ndarray:
    """All single-mutation effects, sorted ascending.

    Parameters
    ----------
    scores : np.ndarray, shape (L, 4)
    x : np.ndarray, shape (L, 4), or str

    Returns
    -------
    np.ndarray, shape (3 * L,)
        330 values for L = 110; the three per ``N`` position are NaN and sort last.
    """
    return np.sort(_variant_entries(scores, x)[3])


def ism_table(ids, X, scores, sd=None, disagree=None) -> pd.DataFrame:
    """Long table of ISM scores: one row per sequence and position.

    Parameters
    ----------
    ids : list of str, length n
    X : np.ndarray, shape (n, L, 4)
    scores : np.ndarray, shape (n, L, 4)
    sd : np.ndarray, shape (n, L, 4), optional
        An ensemble's across-member sd (from :func:`ism`), added as ``A_sd`` ... ``T_sd``.
    disagree : np.ndarray of bool, shape (n, L, 4), optional
        :func:`sign_disagreement` of the members, added as ``A_disagree`` ... ``T_disagree``
        (1 where members disagree on the sign of that change, else 0).

    Returns
    -------
    pd.DataFrame
        Columns ``id``, ``position`` (1-based), ``reference`` (A, C, G, T or N), ``A``,
        ``C``, ``G``, ``T`` (predicted change; 0 at the reference base).
    """
    X = np.asarray(X)
    scores = np.asarray(scores, dtype=np.float32)
    if X.ndim == 2:
        X, scores = X[None], scores[None]
        sd = None if sd is None else np.asarray(sd)[None]
        disagree = None if disagree is None else np.asarray(disagree)[None]
    n, L = X.shape[:2]
    if len(ids) != n or scores.shape != (n, L, 4):
        raise ValueError(f"{len(ids)} ids, X {X.shape} and scores {scores.shape} do not agree")
    ref = _reference_codes(X.reshape(n * L, 4))
    flat = scores.reshape(n * L, 4)
    df = pd.DataFrame({
        "id": np.repeat(np.asarray(ids, dtype=object), L),
        "position": np.tile(np.arange(1, L + 1), n),
        "reference": np.where(ref < 0, "N", _LETTERS[np.clip(ref, 0, 3)]),
        "A": flat[:, 0], "C": flat[:, 1], "G": flat[:, 2], "T": flat[:, 3]})
    if sd is not None:
        sd_flat = np.asarray(sd, dtype=np.float32).reshape(n * L, 4)
        for j, base in enumerate("ACGT"):
            df[f"{base}_sd"] = sd_flat[:, j]
    if disagree is not None:
        flags = np.asarray(disagree, dtype=bool).reshape(n * L, 4).astype(np.int8)
        for j, base in enumerate("ACGT"):
            df[f"{base}_disagree"] = flags[:, j]
    return df
