"""Epistasis of one sequence: how pairs of mutations act together.

The interaction of two mutations is ``f(ab) - f(a) - f(b) + f(ref)`` per member (zero when
they act additively), averaged over members. Two plans:

* a **window** (default: the whole 80 bp variable region): every pair of its positions, each
  mutated to its strongest alternative (the base whose single mutation changes the
  prediction most), or with ``alternatives="all"`` the strongest interaction of the 9 base
  combinations of each pair;
* **picked mutations** (``40A>G``, 1-based in the sequence as given, as everywhere a user
  types variants): the full grid of their pairs.

The reference and single mutants are predicted in one batched call, every double mutant in
a second (a window needs the singles to pick its alternatives); picked mutations take one.
Positions in results are 0-based in the variable region, as in every grammar table;
mutation labels keep the notation the user types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..interpret.variants import parse_variant
from ..sequence import (
    SEQ_LEN,
    VARIABLE_END,
    VARIABLE_START,
    as_batch,
    codes_to_one_hot,
    normalize,
    placed_in_flanks,
)
from .core import REGION, annotate, member_predictions, predictor_110, summarise

#: The columns of :func:`epistasis`.
COLUMNS = ["mutation_a", "mutation_b", "position_a", "position_b", "effect_a", "effect_b",
           "interaction", "sd"]
_LETTERS = np.array(list("ACGTN"))


def _codes_and_offset(sequence):
    """Base codes (110,) of the fitted sequence and the fitted index of given position 1."""
    if isinstance(sequence, str):
        seq = normalize(sequence)
        n = len(seq)
        offset = VARIABLE_END - n if placed_in_flanks(n) else SEQ_LEN - n
    else:
        offset = 0
    x = as_batch(sequence, SEQ_LEN)[0]
    return np.where(x.max(axis=-1) > 0, x.argmax(axis=-1), 4).astype(np.int64), offset


def _label(codes, offset, index, alt) -> str:
    """``58A>G``: 1-based position in the sequence as given, reference and alternative."""
    return f"{index - offset + 1}{_LETTERS[codes[index]]}>{_LETTERS[alt]}"


def _interactions(y, n_single, pairs):
    """Member interactions (m, pairs) and single effects (m, n_single) from predictions
    ordered reference, singles, doubles.
    """
    ref, single, double = y[:, :1], y[:, 1:1 + n_single], y[:, 1 + n_single:]
    effect = single - ref
    return double - single[:, pairs[0]] - single[:, pairs[1]] + ref, effect


def _table(labels, positions, effect, inter, pairs, pred, **record):
    s, e = summarise(inter, background_axis=None), summarise(effect, background_axis=None)
    i, j = pairs
    df = pd.DataFrame({"mutation_a": np.asarray(labels, dtype=object)[i],
                       "mutation_b": np.asarray(labels, dtype=object)[j],
                       "position_a": positions[i], "position_b": positions[j],
                       "effect_a": e["effect"][i], "effect_b": e["effect"][j],
                       "interaction": s["effect"], "sd": s["sd"]})
    return annotate(df, operation="epistasis", members=len(pred.members), **record)


def epistasis_window(model, sequence, window=(0, 80), alternatives: str = "strongest",
                     batch_size: int = 1024, func=None) -> pd.DataFrame:
    """Interactions of every pair of positions of a window.

    Parameters
    ----------
    model : Predictor, Run, keras.Model or path
    sequence : str or np.ndarray, shape (110, 4)
        Fitted to 110 bp as everywhere (``sequence.fit_to_length``).
    window : (int, int)
        0-based, end-exclusive span of the variable region; ``N`` positions are skipped.
    alternatives : {"strongest", "all"}
        Each position's strongest single alternative (``w (w - 1) / 2`` double mutants), or
        all 9 base combinations of each pair, reporting the one of largest interaction
        (9 times as many).
    batch_size : int
    func : callable, optional
        Applied to each member's predictions first.

    Returns
    -------
    pd.DataFrame
        One row per pair of positions (a before b): :data:`COLUMNS`. ``effect_a``,
        ``effect_b``: the single mutations' effects; ``interaction``, ``sd``: member mean
        and members' sd (NaN for one run). ``attrs``: ``operation``, ``window``,
        ``alternatives``, ``members``.
    """
    if alternatives not in ("strongest", "all"):
        raise ValueError(f"alternatives must be 'strongest' or 'all', got {alternatives!r}")
    pred = predictor_110(model)
    codes, offset = _codes_and_offset(sequence)
    lo, hi = (int(v) for v in window)
    if not 0 <= lo < hi <= REGION[1] - REGION[0]:
        raise ValueError(f"window {window} is not a span of the 80 bp variable region")
    idx = VARIABLE_START + np.arange(lo, hi)
    idx = idx[codes[idx] < 4]
    if len(idx) < 2:
        raise ValueError("the window needs at least two positions with a known base")
    alts = np.arange(3)[None] + (np.arange(3)[None] >= codes[idx][:, None])  # (w, 3)
    site_pos, site_alt = np.repeat(idx, 3), alts.ravel()  # every single mutant
    singles = np.repeat(codes[None], 1 + len(site_pos), axis=0)
    singles[1 + np.arange(len(site_pos)), site_pos] = site_alt
    y1 = member_predictions(pred, codes_to_one_hot(singles), batch_size=batch_size, func=func)
    if alternatives == "strongest":  # each position's single of largest |mean effect|
        mean = np.abs(y1[:, 1:].mean(axis=0) - y1[:, 0].mean()).reshape(-1, 3)
        chosen = 3 * np.arange(len(idx)) + mean.argmax(axis=1)
        y1 = np.concatenate([y1[:, :1], y1[:, 1 + chosen]], axis=1)
        site_pos, site_alt = site_pos[chosen], site_alt[chosen]
    i, j = np.triu_indices(len(site_pos), 1)
    keep = site_pos[i] != site_pos[j]
    i, j = i[keep], j[keep]
    doubles = np.repeat(codes[None], len(i), axis=0)
    doubles[np.arange(len(i)), site_pos[i]] = site_alt[i]
    doubles[np.arange(len(i)), site_pos[j]] = site_alt[j]
    y2 = member_predictions(pred, codes_to_one_hot(doubles), batch_size=batch_size,
                            func=func)
    inter, effect = _interactions(np.concatenate([y1, y2], axis=1), len(site_pos), (i, j))
    if alternatives == "all":  # per pair of positions, the combination of largest |mean|
        pair_id = (site_pos[i] - idx[0]) * SEQ_LEN + site_pos[j]
        order = np.lexsort((-np.abs(inter.mean(axis=0)), pair_id))
        first = np.r_[True, pair_id[order][1:] != pair_id[order][:-1]]
        best = order[first]
        inter, i, j = inter[:, best], i[best], j[best]
    labels = [_label(codes, offset, p, a) for p, a in zip(site_pos, site_alt)]
    return _table(labels, site_pos - VARIABLE_START, effect, inter, (i, j), pred,
                  window=[lo, hi], alternatives=alternatives)


def epistasis_grid(model, sequence, mutations, batch_size: int = 1024,
                   func=None) -> pd.DataFrame:
    """Interactions of every pair of mutations the user picked.

    Parameters
    ----------
    model : Predictor, Run, keras.Model or path
    sequence : str
        As given (any length; fitted to 110 bp, positions mapped through the fitting).
    mutations : list of str, dict or tuple
        Substitutions (``40A>G``, ``40AC>GT``; see
        :func:`promoter_model.interpret.variants.parse_variant`), 1-based in ``sequence``
        as given; the reference must match. Pairs that overlap get NaN.
    batch_size : int
    func : callable, optional

    Returns
    -------
    pd.DataFrame
        One row per pair (in the order given, a before b): :data:`COLUMNS`;
        ``position_*`` is the mutation's first base, 0-based in the variable region.
    """
    pred = predictor_110(model)
    codes, offset = _codes_and_offset(sequence)
    parsed = [parse_variant(m) for m in mutations]
    if len(parsed) < 2:
        raise ValueError("pick at least two mutations")
    spans, labels = [], []
    for v in parsed:
        if not v["ref"] or len(v["ref"]) != len(v["alt"]):
            raise ValueError(f"{v['position']}{v['ref'] or '-'}>{v['alt'] or '-'}: only "
                             "substitutions (ref and alt of one length) have an epistasis grid")
        start = v["position"] - 1 + offset
        where = np.arange(start, start + len(v["ref"]))
        found = "".join(_LETTERS[codes[where]]) if 0 <= start and where[-1] < SEQ_LEN else ""
        if found != v["ref"]:
            raise ValueError(f"mutation {v['position']}{v['ref']}>{v['alt']}: the sequence "
                             f"has {found or 'nothing'!r} there")
        spans.append((where, np.array(["ACGT".index(c) for c in v["alt"]])))
        labels.append(f"{v['position']}{v['ref']}>{v['alt']}")
    k = len(spans)
    i, j = np.triu_indices(k, 1)
    rows = np.repeat(codes[None], 1 + k + len(i), axis=0)
    for s, (where, alt) in enumerate(spans):  # k <= tens: a loop over mutations, not bases
        rows[1 + s, where] = alt
        rows[1 + k + np.flatnonzero(i == s), where[:, None]] = alt[:, None]
        rows[1 + k + np.flatnonzero(j == s), where[:, None]] = alt[:, None]
    y = member_predictions(pred, codes_to_one_hot(rows), batch_size=batch_size, func=func)
    inter, effect = _interactions(y, k, (i, j))
    overlap = np.array([np.intersect1d(spans[a][0], spans[b][0]).size > 0
                        for a, b in zip(i, j)], dtype=bool)
    inter[:, overlap] = np.nan
    first = np.array([w[0] for w, _ in spans]) - VARIABLE_START
    return _table(labels, first, effect, inter, (i, j), pred, mutations=labels)


def epistasis(model, sequence, window=(0, 80), mutations=None,
              alternatives: str = "strongest", batch_size: int = 1024,
              func=None) -> pd.DataFrame:
    """:func:`epistasis_grid` of ``mutations`` when given, else :func:`epistasis_window`."""
    if mutations:
        return epistasis_grid(model, sequence, mutations, batch_size=batch_size, func=func)
    return epistasis_window(model, sequence, window=window, alternatives=alternatives,
                            batch_size=batch_size, func=func)
