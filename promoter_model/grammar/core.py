"""What every grammar operation shares: the checks, one batched prediction, the summary.

Each operation builds all its sequences as one array, calls :func:`member_predictions`
once (``Predictor.predict_members``: one row per ensemble member) and reduces the members'
effects with :func:`summarise`: the effect is the mean over members (and backgrounds), its
``sd`` the members' population sd (``ddof=0``, as ``Predictor.predict``) of what each
member says, NaN for a single run; ``background_sd`` is the spread of the member-mean
effect over backgrounds. Results carry how they were made in ``DataFrame.attrs``
(:func:`annotate`, :func:`provenance`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..predictor import as_predictor, load_predictor
from ..sequence import SEQ_LEN, VARIABLE_END, VARIABLE_START

#: The span positions are counted in: 0-based in the 80 bp variable region.
REGION = (VARIABLE_START, VARIABLE_END)


def predictor_110(model):
    """A :class:`~promoter_model.predictor.Predictor` checked to read the 110 bp layout.

    A run or ensemble folder (``str`` or ``Path``) is loaded (``load_predictor``); anything
    else goes through :func:`promoter_model.predictor.as_predictor`.
    """
    pred = load_predictor(model) if isinstance(model, (str, Path)) else as_predictor(model)
    if pred.input_length != SEQ_LEN:
        raise ValueError(f"grammar operations need a model of the {SEQ_LEN} bp plasmid "
                         f"layout; this one reads {pred.input_length} bp")
    return pred


def member_predictions(pred, X, batch_size: int = 1024, func=None) -> np.ndarray:
    """Each member's prediction of ``X`` (n, 110, 4) in one batched call, shape (m, n)."""
    X = np.asarray(X, dtype=np.float32).reshape(-1, SEQ_LEN, 4)
    return pred.predict_members(X, batch_size=batch_size, func=func)


def summarise(effects, background_axis: int | None = 1) -> dict:
    """Mean, members' sd and backgrounds' sd of member effects.

    Parameters
    ----------
    effects : np.ndarray, shape (m, ...)
        Each member's effects; ``background_axis`` (of ``effects``) indexes backgrounds.
    background_axis : int or None
        None: there are no backgrounds (``background_sd`` is NaN).

    Returns
    -------
    dict
        ``effect`` (mean over members and backgrounds), ``sd`` (population sd over members
        of each member's background mean; NaN for one member), ``background_sd``
        (population sd over backgrounds of the member-mean effect); arrays of the shape of
        ``effects`` without the member and background axes.
    """
    e = np.asarray(effects, dtype=np.float64)
    per_member = e if background_axis is None else e.mean(axis=background_axis)
    out = {"effect": per_member.mean(axis=0),
           "sd": per_member.std(axis=0) if e.shape[0] > 1
           else np.full(per_member.shape[1:], np.nan)}
    if background_axis is None:
        out["background_sd"] = np.full(per_member.shape[1:], np.nan)
    else:
        out["background_sd"] = e.mean(axis=0).std(axis=background_axis - 1)
    return out


def difference_bounds(pred, alt, ref, level: float, func=None):
    """The calibrated interval of a measured ``alt - ref``, averaged over backgrounds.

    Parameters
    ----------
    pred : Predictor
    alt, ref : np.ndarray
        Member-mean predictions, backgrounds on axis 0 (``ref`` broadcasts against
        ``alt``).
    level : float
    func : callable or None
        A ``func`` hook changes the scale, where the calibration does not hold.

    Returns
    -------
    (lower, upper) arrays of ``alt.shape[1:]``, or None without a calibration (a single
    run, an uncalibrated ensemble, a ``func``, or ``level=None``).

    Notes
    -----
    Each background's interval is :meth:`Calibration.difference_interval` (Bonferroni over
    the two conformal intervals); the bounds reported are their means over backgrounds: the
    interval of the measured effect in a typical background, not of the mean effect.
    """
    cal = getattr(pred, "calibration", None)
    if cal is None or func is not None or level is None:
        return None
    alt = np.asarray(alt, dtype=np.float64)
    ref = np.broadcast_to(np.asarray(ref, dtype=np.float64), alt.shape)
    lower, upper = cal.difference_interval(alt, ref, level)
    return lower.mean(axis=0), upper.mean(axis=0)


def annotate(df, **record):
    """Attach how a result was made to ``df.attrs`` (and return ``df``)."""
    df.attrs.update({k: (v.tolist() if isinstance(v, np.ndarray) else v)
                     for k, v in record.items()})
    return df


def provenance(df) -> str:
    """One line saying how a grammar result was made, from its ``attrs``.

    E.g. ``"REB1 (MA0363.3) over 100 backgrounds (shuffle, seed 0), 5 members"``.
    """
    a = df.attrs
    parts = [str(a.get("motif", a.get("operation", "result")))]
    if "n_backgrounds" in a:
        parts.append(f"over {a['n_backgrounds']} backgrounds ({a.get('backgrounds')}, "
                     f"seed {a.get('seed')})")
    if "n_shuffles" in a:
        parts.append(f"{a['n_shuffles']} shuffles (seed {a.get('seed')})")
    if "members" in a:
        parts.append(f"{a['members']} member{'s' if a['members'] != 1 else ''}")
    if a.get("level") is not None and a.get("calibrated"):
        parts.append(f"calibrated interval at {a['level']:g}")
    return ", ".join(parts)


def region_starts(k: int, positions=None) -> np.ndarray:
    """0-based starts in the variable region where a ``k`` bp site fits (all of them by
    default), checked.
    """
    span = REGION[1] - REGION[0]
    if k > span:
        raise ValueError(f"a {k} bp site does not fit in the {span} bp variable region")
    if positions is None:
        return np.arange(span - k + 1)
    p = np.atleast_1d(np.asarray(positions, dtype=np.int64))
    if p.size and (p.min() < 0 or p.max() > span - k):
        raise ValueError(f"a {k} bp site starts at 0..{span - k} of the variable region, "
                         f"not {int(p.min())}..{int(p.max())}")
    return p
