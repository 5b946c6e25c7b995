"""What is read off ISM maps: position summaries, the logo, top mutations, robustness,
tables, and where an ensemble's members disagree on a sign.

Arrays in (the ``(L, 4)`` or ``(n, L, 4)`` maps of :func:`.ism.ism`, 0 at the reference base,
NaN at ``N``), arrays or tables out; nothing here calls a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ism import alternatives, one_sequence, reference_codes

_LETTERS = np.array(list("ACGT"))

#: Effects smaller than this (in the model's output unit) have no sign for
#: :func:`sign_disagreement` (0.01 is about 0.3% of the measured MAUDE expression range).
SIGN_TOL = 0.01


def sign_disagreement(member_effects, tol: float = SIGN_TOL) -> np.ndarray:
    """Where members disagree on the sign of an effect.

    An effect counts as positive above ``tol`` and negative below ``-tol``; smaller
    effects (and NaN) have no sign. A cell is marked when at least one member calls it
    positive and another negative; with one member nothing is marked.

    Parameters
    ----------
    member_effects : array, shape (n_members, ...)
        E.g. ``ism(..., members=True)``, or members' variant deltas.
    tol : float
        In the model's output unit (default :data:`SIGN_TOL`).

    Returns
    -------
    np.ndarray of bool, shape ``member_effects.shape[1:]``
    """
    e = np.asarray(member_effects, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (e > tol).any(axis=0) & (e < -tol).any(axis=0)


def members_noise(member_effects) -> float:
    """The members' noise of an ensemble's map: the median over cells of the members'
    (population) sd of each effect; 0.0 with one member or no finite cell.

    Parameters
    ----------
    member_effects : array, shape (n_members, ...)
    """
    e = np.asarray(member_effects, dtype=np.float64)
    if e.shape[0] < 2:
        return 0.0
    sd = e.std(axis=0)
    sd = sd[np.isfinite(sd)]
    return float(np.median(sd)) if sd.size else 0.0


def confident_disagreement(member_effects, noise: float | None = None) -> np.ndarray:
    """Sign disagreement on effects larger than the members' noise.

    A cell is marked when its mean effect is larger than ``noise`` in size and at least
    one member predicts it beyond ``noise`` with the opposite sign
    (:func:`sign_disagreement` with ``tol=noise``): near-zero cells, whose sign no member
    can tell, are never marked.

    Parameters
    ----------
    member_effects : array, shape (n_members, ...)
    noise : float, optional
        In the model's output unit; by default :func:`members_noise` of the map (never
        below :data:`SIGN_TOL`).

    Returns
    -------
    np.ndarray of bool, shape ``member_effects.shape[1:]``
    """
    e = np.asarray(member_effects, dtype=np.float64)
    if noise is None:
        noise = max(members_noise(e), SIGN_TOL)
    with np.errstate(invalid="ignore"):
        big = np.abs(np.nanmean(e, axis=0)) > noise if e.shape[0] else np.zeros(e.shape[1:],
                                                                                 bool)
    return sign_disagreement(e, noise) & big


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
    x = one_sequence(x, np.shape(scores)[-2]) if isinstance(x, str) else np.asarray(x)
    lost = -position_summary(scores, "mean")[..., None]
    return np.nan_to_num(x * lost).astype(np.float32)


def _variant_entries(scores, x):
    """Positions, reference and alternative bases, and changes of the 3L variants."""
    x = one_sequence(x)
    scores = np.asarray(scores, dtype=np.float32)
    ref = reference_codes(x)
    alt = alternatives(ref)
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


def robustness_score(effects, epsilon: float) -> float:
    """Fraction of single mutations whose effect is smaller than ``epsilon`` in magnitude.

    The robustness measure of Vaishnav et al. 2022 (they used epsilon = 0.1616 on their scale),
    of the effects :func:`mutational_robustness` lists. Mutations of ``N`` positions (NaN
    effects) are not counted.
    """
    effects = np.asarray(effects, dtype=np.float64)
    effects = effects[np.isfinite(effects)]
    return float(np.mean(np.abs(effects) < epsilon)) if effects.size else float("nan")


def ism_intervals(calibration, reference, scores, X, level: float = 0.9):
    """The interval of the measured change of every ISM cell: ``(lower, upper)``, each of
    the shape of ``scores``, NaN at each reference base.

    A single substitution is a pair one base apart, so a calibration with pair quantiles
    gives each cell the interval calibrated on measured single-base pairs (binned by the
    size of the predicted change); without them, the Bonferroni bound
    (:meth:`promoter_model.uncertainty.calibration.Calibration.difference_interval`).

    Parameters
    ----------
    calibration : Calibration
    reference : array, shape (n,)
        Each sequence's own prediction.
    scores : array, shape (n, L, 4)
        Predicted change of each substitution.
    X : array, shape (n, L, 4)
        The sequences, one-hot (their reference bases get no interval).
    level : float
    """
    scores = np.asarray(scores, dtype=np.float64)
    ref = np.broadcast_to(np.asarray(reference, dtype=np.float64).reshape(-1, 1, 1),
                          scores.shape)
    lower, upper = calibration.difference_interval(ref + scores, ref, level, mismatches=1)
    at_reference = np.asarray(X) > 0.5
    return np.where(at_reference, np.nan, lower), np.where(at_reference, np.nan, upper)


def ism_table(ids, X, scores, sd=None, disagree=None, lower=None, upper=None) -> pd.DataFrame:
    """Long table of ISM scores: one row per sequence and position.

    Parameters
    ----------
    ids : list of str, length n
    X : np.ndarray, shape (n, L, 4)
    scores : np.ndarray, shape (n, L, 4)
    sd : np.ndarray, shape (n, L, 4), optional
        An ensemble's across-member sd (from :func:`.ism.ism`), added as ``A_sd`` ... ``T_sd``.
    disagree : np.ndarray of bool, shape (n, L, 4), optional
        :func:`sign_disagreement` of the members, added as ``A_disagree`` ... ``T_disagree``
        (1 where members disagree on the sign of that change, else 0).
    lower, upper : np.ndarray, shape (n, L, 4), optional
        :func:`ism_intervals`, added as ``A_lower`` ... ``T_lower``, ``A_upper`` ...
        ``T_upper`` (after the sd, empty at the reference base).

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
        sd, disagree, lower, upper = (None if a is None else np.asarray(a)[None]
                                      for a in (sd, disagree, lower, upper))
    n, L = X.shape[:2]
    if len(ids) != n or scores.shape != (n, L, 4):
        raise ValueError(f"{len(ids)} ids, X {X.shape} and scores {scores.shape} do not agree")
    ref = reference_codes(X.reshape(n * L, 4))
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
    for name, bound in (("lower", lower), ("upper", upper)):
        if bound is not None:
            flat_bound = np.asarray(bound, dtype=np.float32).reshape(n * L, 4)
            for j, base in enumerate("ACGT"):
                df[f"{base}_{name}"] = flat_bound[:, j]
    if disagree is not None:
        flags = np.asarray(disagree, dtype=bool).reshape(n * L, 4).astype(np.int8)
        for j, base in enumerate("ACGT"):
            df[f"{base}_disagree"] = flags[:, j]
    return df
