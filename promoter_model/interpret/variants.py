"""Variant effects and motif tiling scans.

A variant is ``{"position": p, "ref": R, "alt": A}`` with a 1-based ``position`` in the
sequence as given (before fitting to 110 bp). It replaces the ``len(R)`` bases starting at
``p`` (which must read ``R``) with ``A``, so one rule covers every kind:

* substitution: ``{"position": 40, "ref": "A", "alt": "G"}``
* insertion: ``{"position": 40, "ref": "", "alt": "TT"}`` inserts before base 40 (use
  ``len + 1`` to append), or VCF-style with an anchor base ``ref "A", alt "ATT"``
* deletion: ``{"position": 40, "ref": "ACG", "alt": ""}``, or VCF-style ``ref "AACG",
  alt "A"``

Several variants are applied together; their positions all refer to the original sequence
and they may not overlap. Reference and variant sequences are then fitted to the model
length with :func:`promoter_model.sequence.fit_to_length` and predicted in
one batched call.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..predictor import as_predictor
from ..sequence import (
    SEQ_LEN,
    VARIABLE_END,
    VARIABLE_START,
    SequenceError,
    describe_fit,
    find_invalid,
    fit_to_length,
    normalize,
    one_hot,
    reverse_complement,
)

_VARIANT_TEXT = re.compile(r"^\s*(\d+)\s*[:_ ]?\s*([ACGTNU]*|-)\s*(?:>|/)\s*([ACGTNU]*|-)\s*$",
                           re.IGNORECASE)


def parse_variant(v) -> dict:
    """A variant from a dict, a ``(position, ref, alt)`` tuple or text like ``40A>G``.

    Text forms: ``40A>G``, ``40:A>G``, ``40 ACG>-`` (deletion), ``40->TT`` (insertion).

    Returns
    -------
    dict with ``position`` (int, 1-based), ``ref`` (str) and ``alt`` (str), upper case.

    Raises
    ------
    SequenceError
    """
    if isinstance(v, dict):
        try:
            pos, ref, alt = v["position"], v.get("ref", ""), v.get("alt", "")
        except KeyError:
            raise SequenceError(f"variant {v!r} has no 'position'") from None
    elif isinstance(v, (tuple, list)) and len(v) == 3:
        pos, ref, alt = v
    elif isinstance(v, str):
        m = _VARIANT_TEXT.match(v)
        if not m:
            raise SequenceError(f"cannot read variant {v!r}; write it like 40A>G, 40ACG>- or "
                                "40->TT")
        pos, ref, alt = int(m.group(1)), m.group(2), m.group(3)
    else:
        raise SequenceError(f"cannot read variant {v!r}")
    ref = "" if ref in (None, "-", ".") else normalize(str(ref))
    alt = "" if alt in (None, "-", ".") else normalize(str(alt))
    try:
        pos = int(pos)
    except (TypeError, ValueError):
        raise SequenceError(f"variant position {pos!r} is not a whole number") from None
    for what, s in (("ref", ref), ("alt", alt)):
        bad = find_invalid([s])[0]
        if bad:
            raise SequenceError(f"variant at position {pos}: {what} {s!r} has "
                                f"{s[bad - 1]!r}, not a DNA base", position=pos)
    if not ref and not alt:
        raise SequenceError(f"variant at position {pos} changes nothing (empty ref and alt)")
    return {"position": pos, "ref": ref, "alt": alt}


def apply_variants(seq: str, variants) -> str:
    """Apply substitutions, insertions and deletions to a sequence.

    Parameters
    ----------
    seq : str
        Any length (normalised: upper case, ``U`` -> ``T``).
    variants : dict, str, tuple, or list of them
        See the module docstring and :func:`parse_variant`.

    Returns
    -------
    str
        The edited sequence (its length changes with indels; fit it to 110 bp later).

    Raises
    ------
    SequenceError
        A position outside the sequence, a ``ref`` that does not match the sequence (naming
        what is there), or overlapping variants.
    """
    seq = normalize(seq)
    if isinstance(variants, (dict, str)) or (isinstance(variants, tuple) and len(variants) == 3
                                             and isinstance(variants[0], int)):
        variants = [variants]
    parsed = [parse_variant(v) for v in variants]
    n = len(seq)
    for v in parsed:
        p, ref = v["position"], v["ref"]
        last = n + 1 if not ref else n
        if not 1 <= p <= last:
            raise SequenceError(f"variant position {p} is outside the sequence (1..{last})",
                                position=p)
        found = seq[p - 1:p - 1 + len(ref)]
        if found != ref:
            raise SequenceError(f"variant {p}{ref or '-'}>{v['alt'] or '-'}: the sequence has "
                                f"{found or 'nothing'!r} at position {p}, not {ref!r}",
                                position=p)
    parsed.sort(key=lambda v: (v["position"], len(v["ref"])))
    for a, b in zip(parsed, parsed[1:]):
        a_end = a["position"] + len(a["ref"])  # first position after a's ref
        if b["position"] < a_end or (b["position"] == a["position"] and not a["ref"]
                                     and not b["ref"]):
            raise SequenceError(f"variants at positions {a['position']} and {b['position']} "
                                "overlap; combine them into one", position=b["position"])
    for v in reversed(parsed):  # right to left, so earlier positions stay valid
        p = v["position"] - 1
        seq = seq[:p] + v["alt"] + seq[p + len(v["ref"]):]
    return seq


def _fit_note(change: int, label: str, length: int = SEQ_LEN) -> str | None:
    note = describe_fit(int(change), length)
    return f"{label}: {note}" if note else None


def _effects(pred, X, batch_size, func, with_members: bool = False):
    """Member-mean predictions, mean effect against row 0, the effects' sd (or None) and,
    with ``with_members``, each member's effects (m, n - 1).
    """
    members = pred.predict_members(X, batch_size=batch_size, func=func)
    delta = members[:, 1:] - members[:, :1]
    sd = delta.std(axis=0) if pred.is_ensemble else None
    out = (members.mean(axis=0), delta.mean(axis=0), sd)
    return out + (delta,) if with_members else out


def variant_effect(model, ref_seq: str, alt_seqs, ids=None, batch_size: int = 1024,
                   func=None, level: float = 0.9) -> pd.DataFrame:
    """Predicted effect of variant sequences against a reference.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        A run or an ensemble (see :func:`promoter_model.predictor.as_predictor`).
    ref_seq : str
    alt_seqs : str or list of str
        Variant sequences (e.g. from :func:`apply_variants`), any length.
    ids : list of str, optional
        Default ``alt1``, ``alt2``, ...
    batch_size : int
    func : callable, optional
        Applied to each member's predictions before anything is compared or averaged.
    level : float
        Level of the difference interval (calibrated ensembles only).

    Returns
    -------
    pd.DataFrame
        Columns ``id``, ``ref_pred``, ``alt_pred``, ``delta`` (alt - ref), ``fit_note``
        (what fitting to the model length did to the reference or the variant, or empty).
        An ensemble adds ``delta_sd`` (the across-member sd of each member's delta) and
        ``members_disagree`` (members disagree on the sign of the delta; see
        :func:`promoter_model.interpret.ism_summary.sign_disagreement`); ``ref_pred``, ``alt_pred``
        and ``delta`` are member means. A calibrated ensemble (without ``func``) also adds
        ``delta_lower`` and ``delta_upper``, the interval of the *measured* difference at
        ``level`` (:meth:`promoter_model.uncertainty.calibration.Calibration.
        difference_interval`), and ``delta_calibrated``: True where it is calibrated on
        measured pairs of the variant's edit size (1-3 bases from the reference, where the
        calibration has them), False where it is the wide Bonferroni bound.
    """
    alt_seqs = [alt_seqs] if isinstance(alt_seqs, str) else list(alt_seqs)
    ids = [f"alt{i + 1}" for i in range(len(alt_seqs))] if ids is None else list(ids)
    if len(ids) != len(alt_seqs):
        raise ValueError(f"{len(ids)} ids for {len(alt_seqs)} sequences")
    pred = as_predictor(model)
    length = pred.input_length
    seqs = [normalize(ref_seq)] + [normalize(s) for s in alt_seqs]
    fitted, change = fit_to_length(seqs, length)
    preds, delta, sd, members = _effects(pred, one_hot(fitted, length=length, fit=False),
                                         batch_size, func, with_members=True)
    ref_note = _fit_note(change[0], "reference", length)
    notes = ["; ".join(n for n in (ref_note, _fit_note(c, "variant", length)) if n)
             for c in change[1:]]
    df = pd.DataFrame({"id": ids, "ref_pred": np.full(len(ids), preds[0]),
                       "alt_pred": preds[1:], "delta": delta, "fit_note": notes})
    if sd is not None:
        from .ism_summary import sign_disagreement

        df.insert(4, "delta_sd", sd)
        df.insert(5, "members_disagree", sign_disagreement(members))
    cal = getattr(pred, "calibration", None)
    if cal is not None and func is None:  # calibrated on the model's own output scale
        from ..sequence import encode_fitted
        from ..uncertainty.difference import count_mismatches

        codes = encode_fitted(fitted, length)[0]  # already fitted: encoded as they are
        edits = count_mismatches(codes[1:], codes[:1])
        lower, upper = cal.difference_interval(preds[1:], np.full(len(ids), preds[0]), level,
                                               mismatches=edits)
        df.insert(5, "delta_lower", lower)
        df.insert(6, "delta_upper", upper)
        df.insert(7, "delta_calibrated", cal.calibrated_pairs(edits))
    return df


def motif_scan(model, seq, motif, region=(VARIABLE_START, VARIABLE_END),
               both_strands: bool = False, batch_size: int = 1024, func=None
               ) -> pd.DataFrame:
    """Insert a motif at every start position (by substitution) and predict the change.

    As in the challenge's motif-tiling design: the sequence keeps its length, the motif
    replaces the bases it covers.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
    seq : str
        Fitted to the model length first (``sequence.fit_to_length``).
    motif : str, Motif, or np.ndarray of shape (k, 4)
        A DNA string, or a motif/PFM (JASPAR or a discovered pattern) whose consensus is
        inserted, without uniform (``N``) columns at its ends.
    region : (int, int)
        0-based, end-exclusive span the motif must lie in (default: the 80 bp variable
        region).
    both_strands : bool
        Also insert the reverse complement at each position.
    batch_size : int
    func : callable, optional
        Applied to each member's predictions first (see :func:`variant_effect`).

    Returns
    -------
    pd.DataFrame
        One row per start and strand: ``position`` (1-based start), ``strand`` (``+`` or
        ``-``), ``inserted`` (the bases written), ``prediction``, ``delta`` (prediction
        minus that of the unmodified sequence); an ensemble adds ``delta_sd`` and
        ``members_disagree`` (as in :func:`variant_effect`).
    """
    from ..motifs.pfm import consensus

    if isinstance(motif, str):
        site = normalize(motif)
        bad = find_invalid([site])[0]
        if bad or not site:
            raise SequenceError(f"motif {motif!r} is not a DNA string")
    else:
        # uniform end columns (N) are not written: the site is the informative core
        site = consensus(getattr(motif, "pfm", motif)).strip("N")
        if not site:
            raise ValueError("the motif has no informative position (every column uniform)")
    pred = as_predictor(model)
    length = pred.input_length
    ref = fit_to_length([normalize(seq)], length)[0][0]
    start, end = int(region[0]), int(region[1])
    k = len(site)
    if not (0 <= start < end <= length) or end - start < k:
        raise ValueError(f"region {region} cannot hold a {k} bp motif in {length} bp")
    starts = np.arange(start, end - k + 1)
    sites = [site] + ([reverse_complement(site)] if both_strands else [])
    x = one_hot([ref], length=length, fit=False)[0]
    batch = [x[None]]
    for s in sites:
        block = np.repeat(x[None], len(starts), axis=0)
        win = starts[:, None] + np.arange(k)[None, :]
        block[np.arange(len(starts))[:, None], win] = one_hot([s], length=k, fit=False)[0]
        batch.append(block)
    preds, delta, sd, members = _effects(pred, np.concatenate(batch), batch_size, func,
                                         with_members=True)
    rows = len(starts)
    df = pd.DataFrame({
        "position": np.tile(starts + 1, len(sites)),
        "strand": np.repeat(["+", "-"][:len(sites)], rows),
        "inserted": np.repeat(sites, rows),
        "prediction": preds[1:],
        "delta": delta})
    if sd is not None:
        from .ism_summary import sign_disagreement

        df["delta_sd"] = sd
        df["members_disagree"] = sign_disagreement(members)
    return df
