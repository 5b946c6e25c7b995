"""A biologist's variant lists: effects against a wild type, and tables of (ref, alt) pairs.

Arrays and tables in, tables out; one batched prediction of every member for the whole
list. :func:`wt_effects` takes a wild type (WT) and its variants (full sequences, e.g. from
:func:`promoter_model.sequence.read_variant_list`); :func:`pair_effects` takes paired
reference and alternative sequences (issue 28). Each effect ``alt - ref`` gets:

* ``effect_lower``, ``effect_upper``: the interval of the *measured* effect from the
  predictor's calibration (:meth:`Calibration.difference_interval` with the number of bases
  that differ in the fitted sequences, so a variant 1-3 bases from its reference gets the
  pair-calibrated width where the calibration has one, the Bonferroni bound otherwise);
  empty without a calibration;
* ``p_up``: the probability that the measured effect is positive
  (:mod:`promoter_model.uncertainty.direction`: from the calibrated intervals, or, without a
  calibration, from the members' spread, which the notes say is not calibrated).

A WT of at most 80 bp is the variable region placed between the plasmid flanks; a variant
of it that grows past 80 bp keeps its 3'-most 80 bp there (so it is not read in another
layout), and the notes say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..predictor import as_predictor
from ..sequence import (
    SEQ_LEN,
    VARIABLE_LEN,
    codes_to_one_hot,
    encode_fitted,
    normalize,
    placed_in_flanks,
)
from ..uncertainty.difference import count_mismatches
from ..uncertainty.direction import (
    NO_SPREAD_NOTE,
    SPREAD_NOTE,
    p_up_calibrated,
    p_up_from_spread,
)
from ..uncertainty.intervals import UNAVAILABLE

WT_COLUMNS = ["id", "edits", "prediction", "effect", "effect_lower", "effect_upper", "p_up"]
PAIR_COLUMNS = ["id", "ref_prediction", "alt_prediction", "effect", "effect_sd",
                "effect_lower", "effect_upper"]
MAX_PAIRS = 100_000
_CHUNK = 32_768


@dataclass
class Effects:
    """Effects of a list of variants.

    Attributes
    ----------
    table : pd.DataFrame
        :func:`wt_effects`: ``id, edits, prediction, sd, effect, effect_sd, effect_lower,
        effect_upper, p_up, mismatches, pair_calibrated``; :func:`pair_effects`: ``id,
        ref_prediction, alt_prediction, effect, effect_sd, effect_lower, effect_upper, p_up,
        mismatches, pair_calibrated``. ``sd``/``effect_sd`` are the members' spread (NaN for
        one run), ``effect_lower``/``effect_upper`` NaN without a calibration.
        ``mismatches``: bases that differ in the fitted sequences; ``pair_calibrated``:
        whether the interval is the pair-calibrated one.
    reference_prediction, reference_sd : float
        The WT's prediction and members' sd (:func:`wt_effects`; NaN for pairs).
    level : float
    notes : list of str
        How ``p_up`` and the interval were obtained, and what fitting did.
    """

    table: pd.DataFrame
    level: float
    reference_prediction: float = float("nan")
    reference_sd: float = float("nan")
    notes: list = field(default_factory=list)


def _member_predictions(pred, codes, batch_size):
    """Each member's prediction of base codes ``(n, L)``, a chunk at a time: (m, n)."""
    parts = [pred.predict_members(codes_to_one_hot(codes[i:i + _CHUNK]), batch_size=batch_size)
             for i in range(0, len(codes), _CHUNK)]
    return np.concatenate(parts, axis=1)


def _effect_columns(pred, alt_members, ref_members, mismatches, level):
    """Effect, members' sd, calibrated interval and p_up of alt - ref (arrays), notes."""
    alt, ref = alt_members.mean(axis=0), ref_members.mean(axis=0)
    delta_members = alt_members - ref_members
    effect = alt - ref
    effect_sd = delta_members.std(axis=0) if pred.is_ensemble else np.full(effect.shape,
                                                                            np.nan)
    cal = getattr(pred, "calibration", None)
    notes = []
    if cal is not None:
        lower, upper = cal.difference_interval(alt, ref, level, mismatches=mismatches)
        p_up = p_up_calibrated(cal, alt, ref, mismatches)
        paired = cal.calibrated_pairs(mismatches)
        notes.append(f"effect_lower and effect_upper bound a {100 * level:g}% interval of the "
                     f"measured effect ({pred.unit}): calibrated on measured pairs for "
                     f"{int(paired.sum())} of {paired.size} variants (1-3 bases from their "
                     "reference where the calibration has them), the wider Bonferroni bound "
                     "for the others; p_up is read off the same calibration")
    else:
        lower = upper = np.full(effect.shape, np.nan)
        paired = np.zeros(effect.shape, dtype=bool)
        p_up = p_up_from_spread(delta_members)
        notes.append(f"effect_lower and effect_upper are empty: {UNAVAILABLE}")
        notes.append(SPREAD_NOTE if pred.is_ensemble else NO_SPREAD_NOTE)
    return dict(effect=effect, effect_sd=effect_sd, effect_lower=lower, effect_upper=upper,
                p_up=p_up, mismatches=np.asarray(mismatches), pair_calibrated=paired), notes


def _flank_like_reference(ref_len, seqs, length, ids):
    """Variants of a flanked (at most 80 bp) reference that outgrow 80 bp keep their
    3'-most 80 bp, so they are read between the flanks as the reference is.
    """
    if length != SEQ_LEN or not placed_in_flanks(ref_len, length):
        return seqs, []
    long = [k for k, s in enumerate(seqs) if len(s) > VARIABLE_LEN]
    if not long:
        return seqs, []
    seqs = list(seqs)
    for k in long:
        seqs[k] = seqs[k][-VARIABLE_LEN:]
    named = ", ".join(str(ids[k]) for k in long[:5]) + (" ..." if len(long) > 5 else "")
    return seqs, [f"{len(long)} variant(s) of the {ref_len} bp wild type (read as the "
                  f"variable region) are longer than {VARIABLE_LEN} bp and keep their "
                  f"3'-most {VARIABLE_LEN} bp between the plasmid flanks: {named}"]


def wt_effects(model, wt: str, variants, ids=None, labels=None, level: float = 0.9,
               batch_size: int = 1024) -> Effects:
    """Prediction and effect of each variant of a wild type.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
    wt : str
        The wild type, any length (fitted to the model length as every input is).
    variants : list of str
        Each variant's full sequence (:func:`promoter_model.sequence.read_variant_list`).
    ids, labels : list of str, optional
        Default ``v1, v2, ...``; ``labels`` fill the ``edits`` column (default empty).
    level : float
        Level of the effect interval.
    batch_size : int

    Returns
    -------
    Effects
    """
    from ..uncertainty.calibration import check_level

    level = check_level(level)
    pred = as_predictor(model)
    variants = [normalize(s) for s in variants]
    ids = [f"v{k + 1}" for k in range(len(variants))] if ids is None else list(ids)
    labels = [""] * len(variants) if labels is None else list(labels)
    if not len(ids) == len(labels) == len(variants):
        raise ValueError(f"{len(ids)} ids and {len(labels)} labels for {len(variants)} "
                         "variants")
    wt = normalize(wt)
    length = pred.input_length
    variants, notes = _flank_like_reference(len(wt), variants, length, ids)
    codes, _ = encode_fitted([wt] + variants, length)
    members = _member_predictions(pred, codes, batch_size)
    m = count_mismatches(codes[1:], codes[:1])
    cols, more = _effect_columns(pred, members[:, 1:], members[:, :1], m, level)
    unseen = [ids[k] for k in np.flatnonzero(m == 0) if variants[k] != wt]
    if unseen:
        notes.append(f"{len(unseen)} variant(s) differ from the wild type only outside the "
                     f"{length} bp the model reads, so their effect is 0: "
                     + ", ".join(map(str, unseen[:5])) + (" ..." if len(unseen) > 5 else ""))
    mean = members[:, 1:].mean(axis=0)
    sd = members[:, 1:].std(axis=0) if pred.is_ensemble else np.full(mean.shape, np.nan)
    table = pd.DataFrame({"id": ids, "edits": labels, "prediction": mean, "sd": sd, **cols})
    ref_sd = float(members[:, 0].std()) if pred.is_ensemble else float("nan")
    return Effects(table, level, float(members[:, 0].mean()), ref_sd, notes + more)


def pair_effects(model, refs, alts, ids=None, level: float = 0.9,
                 batch_size: int = 1024) -> Effects:
    """Effect ``alt - ref`` of each pair of sequences (a pairs table, issue 28).

    Parameters
    ----------
    model : Predictor, Run or keras.Model
    refs, alts : list of str
        Paired sequences, any length (each fitted to the model length).
    ids : list of str, optional
        Default ``pair1, pair2, ...``.
    level : float
    batch_size : int

    Returns
    -------
    Effects
        ``table``: ``id, ref_prediction, alt_prediction, effect, effect_sd, effect_lower,
        effect_upper, p_up, mismatches, pair_calibrated``.
    """
    from ..uncertainty.calibration import check_level

    level = check_level(level)
    if len(refs) != len(alts):
        raise ValueError(f"{len(refs)} reference and {len(alts)} alternative sequences")
    if len(refs) > MAX_PAIRS:
        raise ValueError(f"{len(refs):,} pairs, over the limit of {MAX_PAIRS:,}")
    pred = as_predictor(model)
    ids = [f"pair{k + 1}" for k in range(len(refs))] if ids is None else list(ids)
    n = len(refs)
    codes, _ = encode_fitted([normalize(s) for s in refs] + [normalize(s) for s in alts],
                             pred.input_length)
    members = _member_predictions(pred, codes, batch_size)
    m = count_mismatches(codes[n:], codes[:n])
    cols, notes = _effect_columns(pred, members[:, n:], members[:, :n], m, level)
    table = pd.DataFrame({"id": ids, "ref_prediction": members[:, :n].mean(axis=0),
                          "alt_prediction": members[:, n:].mean(axis=0), **cols})
    return Effects(table, level, notes=notes)
