"""In-silico saturation mutagenesis (ISM): every single-nucleotide variant, predicted.

Every single-nucleotide variant of a sequence is built as one array (no per-character
loops) and predicted together with the reference in batched calls of the predictor, or
through the exact windowed engine of :mod:`.fast_ism`. :func:`ism` is the one entry point:
the members' mean effect and sd, or each member's effects. What is read off an ISM map
(position summaries, the logo, top mutations, robustness, tables, members' sign
disagreement) is :mod:`.ism_summary`.

Conventions: channels A, C, G, T. An ``N`` (all-zero column: padding, or a base the user
does not know) has no reference base, so a "mutation" of it is not defined: its scores are
NaN (unknown), and no table, ranking or robustness score counts it.
"""

from __future__ import annotations

import numpy as np

from ..predictor import as_predictor
from ..sequence import SEQ_LEN, as_batch, one_hot
from . import fast_ism


def one_sequence(x, length: int | None = None) -> np.ndarray:
    """``(L, 4)`` float32 one-hot from a one-hot array or a DNA string."""
    if isinstance(x, str):
        return one_hot([x], length=length or SEQ_LEN)[0]
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2 or x.shape[-1] != 4:
        raise ValueError(f"expected one sequence of shape (L, 4), got {x.shape}")
    return x


def reference_codes(x: np.ndarray) -> np.ndarray:
    """Reference base index (0-3) per position, -1 where the column is ``N`` (all zero)."""
    return np.where(x.max(axis=-1) > 0, x.argmax(axis=-1), -1)


def alternatives(ref: np.ndarray) -> np.ndarray:
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
        position the three rows set C, G, T (their scores become NaN in :func:`ism`).
    """
    x = one_sequence(x)
    L = x.shape[0]
    alt = alternatives(reference_codes(x))
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
    ref = reference_codes(x)
    alt = alternatives(ref)
    scores = np.zeros((preds_var.shape[0], L, 4), dtype=np.float64)
    scores[:, np.repeat(np.arange(L), 3), alt.ravel()] = preds_var - preds_ref[:, None]
    scores[:, ref < 0] = np.nan  # no reference base: the mutation is not defined
    return scores


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
            alt = np.stack([alternatives(reference_codes(x)).ravel() for x in block])
            preds = fast_ism.snv_member_predictions(engine, pred, block, alt, func, batch_size)
        else:
            preds = pred.predict_members(np.concatenate([snv_batch(x) for x in block]),
                                         batch_size=batch_size, func=func)
        yield start, np.stack([
            _scores_from_predictions(x, preds[:, j * per], preds[:, j * per + 1:(j + 1) * per])
            for j, x in enumerate(block)], axis=1), preds[:, ::per]


def ism(model, X, func=None, batch_size: int = 512, chunk: int = 64, fast: bool = True,
        members: bool = False, reference: bool = False):
    """ISM of many sequences through a predictor: the one entry point.

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
    members : bool
        Return each member's effects (what the mean and sd summarise) instead.
    reference : bool
        With ``members``: also return each member's prediction of the unmutated
        sequences, which the ISM computes anyway (the same numbers as
        ``Predictor.predict_members`` after ``func``, up to float32 round-off, without
        another model call).

    Returns
    -------
    mean : np.ndarray, shape (n, L, 4), float32
        ``mean[k, i, b]`` = member-averaged (prediction with base ``b`` at position ``i``
        minus the reference prediction); 0 at the reference base; NaN at ``N``. One
        sequence's map is ``ism(model, x)[0][0]``.
    sd : np.ndarray, shape (n, L, 4), float32, or None
        Population sd (``ddof=0``) of each effect across members; None for one run.

    With ``members=True`` instead:

    effects : np.ndarray, shape (n_members, n, L, 4), float32
        One run gives ``n_members == 1``.
    predictions : np.ndarray, shape (n_members, n), float64
        Only with ``reference=True``.
    """
    pred = as_predictor(model)
    X = as_batch(X, pred.input_length)
    n, L = X.shape[0], X.shape[1]
    if members:
        out = np.zeros((len(pred.members), n, L, 4), dtype=np.float32)
        ref = np.zeros((len(pred.members), n), dtype=np.float64)
        for start, scores, preds in _member_score_chunks(pred, X, func, batch_size, chunk,
                                                         fast):
            out[:, start:start + scores.shape[1]] = scores
            ref[:, start:start + scores.shape[1]] = preds
        return (out, ref) if reference else out
    mean = np.zeros((n, L, 4), dtype=np.float32)
    sd = np.zeros((n, L, 4), dtype=np.float32) if pred.is_ensemble else None
    for start, scores, _ in _member_score_chunks(pred, X, func, batch_size, chunk, fast):
        mean[start:start + scores.shape[1]] = scores.mean(axis=0)
        if sd is not None:
            sd[start:start + scores.shape[1]] = scores.std(axis=0)
    return mean, sd
