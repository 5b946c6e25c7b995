"""TF-MoDISco-lite for 110 bp promoters: settings, the run, and each pattern's summary.

Used by :mod:`promoter_model.interpret.discover`; see there for the pipeline.
"""

from __future__ import annotations

import numpy as np

from .pfm import information_content

TRIM_THRESHOLD = 0.3
MIN_IC = 0.5  # bits: the ends of a trimmed pattern below this are cut (_informative_core)
MIN_CORE_WIDTH = 4

# TF-MoDISco-lite's defaults (sliding window 21, flank 10, initial flank 10, trimming to
# 30 bp) assume windows of hundreds of bases. A seqlet is window + 2 flanks and is expanded
# by the initial flank while patterns are built: 21 + 20 + 20 = 61 bp of a 110 bp input
# (80 bp of it variable), so seqlets near either end are dropped and suppression of +-20 bp
# leaves one or two per sequence; users report no motifs at all below 100 bp (tfmodisco-lite
# issues 11 and 68). Yeast sites are 6-12 bp, so: an 11 bp window (the core of a site),
# 3 bp flanks (a 17 bp seqlet, suppression +-8 bp: up to ~8 seqlets in 80 bp), nothing
# added while aggregating, patterns trimmed to 16 bp. Modisco sees the variable region and
# 10 bp of each masked flank (discover.modisco_span), so a site 6 bp into the variable
# region lies 16 bp from the input's end: with 5 bp flanks and 3 bp added its seqlets ran
# off the input while patterns were built and were dropped (a planted REB1 site there came
# back in no pattern); with these they fit. tests/test_discover_modisco.py fails if these
# regress to the defaults. Clustering is bounded for a 2-core CPU: at most 5,000 seqlets per
# metacluster (modisco takes the first, i.e. those of the first sequences), 150 nearest
# neighbours, 4 Leiden runs of 2 iterations (defaults 20,000, 500, 50, until convergence:
# over 7 minutes for 5,000 sequences here).
MODISCO_SETTINGS = {
    "sliding_window_size": 11,
    "flank_size": 3,
    "initial_flank_to_add": 0,
    "final_flank_to_add": 0,
    "trim_to_window_size": 16,
    "min_ic_windowsize": 6,
    "target_seqlet_fdr": 0.2,
    "min_metacluster_size": 100,
    "max_seqlets_per_metacluster": 5_000,
    "final_min_cluster_size": 20,
    "n_leiden_runs": 4,
    "n_leiden_iterations": 2,
    "nearest_neighbors_to_compute": 150,
}


def run_modisco(X, hyp, settings=None):
    """TF-MoDISco-lite on one-hot sequences and their hypothetical contributions.

    Returns
    -------
    list of (name, sign, pattern)
        ``pos_k`` patterns (sign ``"+"``) then ``neg_k`` (``"-"``), in modisco's order.
    """
    import contextlib
    import io

    from modiscolite.tfmodisco import TFMoDISco

    kwargs = dict(MODISCO_SETTINGS if settings is None else settings)
    contrib = (np.asarray(X, dtype=np.float32) * np.asarray(hyp, dtype=np.float32)).sum(-1)
    if contrib.size == 0 or np.ptp(contrib) == 0:
        return []  # flat attributions (identical N-only or inert sequences): no seqlet
    with contextlib.redirect_stdout(io.StringIO()):
        pos, neg = TFMoDISco(one_hot=np.asarray(X, dtype=np.float32),
                             hypothetical_contribs=np.asarray(hyp, dtype=np.float32),
                             verbose=False, **kwargs)
    out = []
    for prefix, sign, patterns in (("pos", "+", pos), ("neg", "-", neg)):
        for k, pattern in enumerate(patterns or []):
            out.append((f"{prefix}_{k}", sign, pattern))
    return out


def _informative_core(ppm, a: int, b: int, min_width: int = MIN_CORE_WIDTH):
    """``[a, b)`` narrowed to its first..last column with at least :data:`MIN_IC` bits.

    Long low-information ends match the uninformative middle of gapped JASPAR matrices
    (GAL4's CGG-N11-CCG) at small TOMTOM p-values; without them a match needs real
    similarity. A core narrower than ``min_width`` is widened around its centre (within
    ``[a, b)``); no informative column keeps ``[a, b)``.
    """
    ic = information_content(ppm[a:b])
    hit = np.flatnonzero(ic >= MIN_IC)
    if len(hit) == 0:
        return a, b
    lo, hi = a + int(hit.min()), a + int(hit.max()) + 1
    short = min_width - (hi - lo)
    if short > 0:
        lo = max(a, lo - (short + 1) // 2)
        hi = min(b, lo + min_width)
        lo = max(a, hi - min_width)
    return lo, hi


def summarise_pattern(name: str, sign: str, pattern, length: int,
                      trim: float = TRIM_THRESHOLD, offset: int = 0) -> dict:
    """CWM, PFM and seqlet sites of one modisco pattern, trimmed to its informative core.

    Columns are kept from the first to the last whose summed absolute contribution reaches
    ``trim`` times the largest (as modisco's report trims), then from the first to the last
    with :data:`MIN_IC` bits or more (:func:`_informative_core`). Seqlet starts are the
    trimmed site's first base within the input (0-based), on the forward strand whatever
    the seqlet's strand; ``offset`` is where the ``length`` positions modisco saw start in
    the input.

    Returns
    -------
    dict
        The pattern's entry of ``discovered.json`` without effect and matches, plus
        ``_rows`` (sequence index of each seqlet) for the effect computation.
    """
    cwm = np.asarray(pattern.contrib_scores, dtype=np.float64)
    ppm = np.asarray(pattern.sequence, dtype=np.float64)
    score = np.abs(cwm).sum(axis=1)
    keep = np.flatnonzero(score >= trim * score.max()) if score.max() > 0 else np.arange(1)
    a, b = int(keep.min()), int(keep.max()) + 1
    a, b = _informative_core(ppm, a, b)
    cwm, ppm = cwm[a:b], ppm[a:b]
    total = ppm.sum(axis=1, keepdims=True)
    pfm = np.where(total > 0, ppm / np.where(total > 0, total, 1.0), 0.25)
    seqlets = pattern.seqlets
    start = np.array([s.start for s in seqlets], dtype=np.int64)
    end = np.array([s.end for s in seqlets], dtype=np.int64)
    rc = np.array([bool(s.is_revcomp) for s in seqlets], dtype=bool)
    site = np.clip(np.where(rc, end - b, start + a), 0, max(length - (b - a), 0)) + offset
    return {"name": name, "sign": sign, "n_seqlets": int(len(seqlets)),
            "cwm": np.round(cwm, 6).tolist(), "pfm": np.round(pfm, 6).tolist(),
            "seqlet_starts": site.tolist(), "seqlet_strands": np.where(rc, "-", "+").tolist(),
            "_rows": np.array([s.example_idx for s in seqlets], dtype=np.int64)}
