"""``p_up``: how likely a variant's *measured* effect is to be positive.

With a calibration, from its difference intervals (:meth:`Calibration.difference_interval`:
pair-calibrated for variants 1-3 bases from their reference where the calibration has
them, Bonferroni otherwise). The interval ``delta +- w(level)`` widens with ``level``;
``level*`` is the largest level of the calibration's grid whose interval still excludes 0
(0 when none does). The measured effect has the predicted sign with probability at least
``level*``, and, with residuals symmetric about 0 (as the conformal scores ``|residual|``
assume when they serve both sides), the rest of the probability is split evenly between the
two tails:

    p_up = (1 + level*) / 2    when delta > 0,
    p_up = (1 - level*) / 2    when delta < 0,     p_up = 0.5 when delta = 0.

``p_up`` therefore lies in ``[(1 - top) / 2, (1 + top) / 2]``, ``top`` the grid's highest
level (0.999: 0.0005 to 0.9995).

Without a calibration, :func:`p_up_from_spread` uses the members' spread:
``Phi(delta / sd_delta)`` over the members' effects. That is the model's own uncertainty,
**not** calibrated against measurements (members agree more than they are right); a single
run has no spread and gets NaN.
"""

from __future__ import annotations

import numpy as np

SPREAD_NOTE = ("p_up is from the members' spread (Phi(effect / sd of the members' effects)): "
               "the model's own uncertainty, not calibrated against measured effects")
NO_SPREAD_NOTE = ("p_up is empty: a single run has neither a calibration nor a spread of "
                  "members to say how sure an effect is")


def _grid_half_widths(calibration, mean_alt, mean_ref, mismatches):
    """Half-width of every pair at every level of the grid, shape (n, G), non-decreasing."""
    levels = calibration.levels
    q = calibration.quantiles
    G = levels.size
    each = 1.0 - (1.0 - levels) / 2.0  # Bonferroni: each sequence's own level
    j = np.searchsorted(levels, each - 1e-12, side="left")
    within = j < G
    jj = np.minimum(j, G - 1)
    w = q[calibration.bin_of(mean_alt)][:, jj] + q[calibration.bin_of(mean_ref)][:, jj]
    w[:, ~within] = np.inf
    diff = calibration.differences
    if diff is not None and mismatches is not None:
        m = np.broadcast_to(np.asarray(mismatches, dtype=np.int64), (len(w),))
        row, found = diff.rows(m, np.asarray(mean_alt) - np.asarray(mean_ref))
        if found.any():
            jd = np.minimum(np.searchsorted(diff.levels, levels - 1e-12, side="left"),
                            len(diff.levels) - 1)
            w[found] = diff.quantiles[row[found]][:, jd]
    return w


def excluding_level(calibration, mean_alt, mean_ref, mismatches=None,
                    chunk: int = 4096) -> np.ndarray:
    """The largest grid level whose difference interval excludes 0, per pair (0: none).

    Parameters
    ----------
    calibration : Calibration
    mean_alt, mean_ref : array, shape (n,)
    mismatches : int or array, shape (n,), optional
        Bases that differ within each pair (as for ``difference_interval``).
    chunk : int
        Pairs handled at once (memory: ``chunk * 999`` floats).

    Returns
    -------
    np.ndarray, shape (n,)
    """
    mean_alt = np.atleast_1d(np.asarray(mean_alt, dtype=np.float64))
    mean_ref = np.broadcast_to(np.asarray(mean_ref, dtype=np.float64), mean_alt.shape)
    m = None if mismatches is None else np.broadcast_to(
        np.asarray(mismatches, dtype=np.int64), mean_alt.shape)
    out = np.zeros(mean_alt.shape)
    levels = calibration.levels
    for a in range(0, mean_alt.size, chunk):
        b = slice(a, a + chunk)
        w = _grid_half_widths(calibration, mean_alt[b], mean_ref[b],
                              None if m is None else m[b])
        count = (w < np.abs(mean_alt[b] - mean_ref[b])[:, None]).sum(axis=1)
        out[b] = np.where(count > 0, levels[np.maximum(count - 1, 0)], 0.0)
    return out


def p_up_calibrated(calibration, mean_alt, mean_ref, mismatches=None) -> np.ndarray:
    """``p_up`` from the calibrated difference intervals (see the module docstring).

    Returns
    -------
    np.ndarray, shape (n,)
    """
    mean_alt = np.atleast_1d(np.asarray(mean_alt, dtype=np.float64))
    delta = mean_alt - np.asarray(mean_ref, dtype=np.float64)
    level = excluding_level(calibration, mean_alt, mean_ref, mismatches)
    return 0.5 + np.sign(delta) * level / 2.0


def p_up_from_spread(member_effects) -> np.ndarray:
    """``Phi(mean / sd)`` of each column of the members' effects ``(m, n)``; NaN for one
    member or no spread with a zero mean.
    """
    from scipy.stats import norm

    e = np.asarray(member_effects, dtype=np.float64)
    if e.ndim == 1:
        e = e[:, None]
    if e.shape[0] < 2:
        return np.full(e.shape[1], np.nan)
    mean, sd = e.mean(axis=0), e.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, mean / sd, np.sign(mean) * np.inf)
    out = norm.cdf(z)
    out[(sd == 0) & (mean == 0)] = 0.5
    return out
