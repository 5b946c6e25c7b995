"""De novo discovery of the motifs a model uses: attributions -> TF-MoDISco-lite -> TOMTOM.

Pipeline (:func:`discover`)

1. **Reference set** (:func:`reference_set`): by default ``n`` random 80 bp cores (uniform
   bases, seeded) between the DREAM plasmid flanks, i.e. the distribution of the random
   library the models are trained on; or a seeded sample of a sequence file.
2. **Hypothetical contributions** (:func:`hypothetical_contributions`), what TF-MoDISco
   expects: for every position, the contribution each of the four bases *would* make.
   ``saliency``: gradients centred over the four bases; ``ig``: the mean integrated-gradients
   path gradient from a uniform (0.25) baseline, centred; ``ism``: the in-silico mutagenesis
   effect matrix centred per position. A predictor's members are averaged. The constant
   plasmid flanks are masked to zero (they never vary in training, so variation there says
   nothing about what the model learnt; unmasked, they form one trivial "pattern" per flank).
3. **TF-MoDISco-lite** with :data:`MODISCO_SETTINGS`, chosen for 110 bp inputs (see there),
   on the variable 80 bp and a little of each masked flank (:func:`modisco_span`).
4. Per pattern: CWM, PFM (trimmed to the columns with at least 30 % of the peak total
   contribution, as modisco's report does), seqlet positions and strands, the effect of
   scrambling its seqlets (:mod:`promoter_model.motifs.effects`) and TOMTOM matches against
   JASPAR fungi with Benjamini-Hochberg q-values (:mod:`promoter_model.motifs.tomtom`).

The result is written to ``RUN/motifs/discovered.json`` and ``discovered.csv`` (atomically;
format in ``docs/motifs.md``) and reused while the model checksum, the reference sequences,
the method and the settings stay the same.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from ..motifs.jaspar import DEFAULT_RELEASE
from ..motifs.modisco import (
    MIN_IC,
    MODISCO_SETTINGS,
    TRIM_THRESHOLD,
    run_modisco,
    summarise_pattern,
)
from ..motifs.store import (  # noqa: F401  (reading the result: part of this contract)
    FORMAT,
    SIGNIFICANT_Q,
    VERSION,
    best_significant_match,
    discovered_motifs,
    model_checksum,
    read_discovered,
    read_discovered_file,
    write_discovered,
)
from ..sequence import FLANK_3, FLANK_5, SEQ_LEN, VARIABLE_END, VARIABLE_START, one_hot
from .attributions import center, gradients, integrated_gradients

METHODS = ("ism", "ig", "saliency")
DEFAULT_METHOD = "saliency"
DEFAULT_N = 20_000
IG_STEPS = 16
REFERENCE_NAME = "random 80 bp cores (uniform bases) in the DREAM plasmid flanks"



# --------------------------------------------------------------------------- reference
def _codes(X) -> np.ndarray:
    X = np.asarray(X)
    return np.where(X.max(axis=-1) > 0, X.argmax(axis=-1), 4).astype(np.uint8)


def reference_set(sequences=None, n: int = DEFAULT_N, seed: int = 0, length: int = SEQ_LEN):
    """The sequences discovery runs on: the one definition for the CLI, bench and tests.

    Parameters
    ----------
    sequences : None, str, Path or list of str
        None: ``n`` random 80 bp cores, uniform bases from ``np.random.default_rng(seed)``,
        placed between the DREAM plasmid flanks (the random library the models are trained
        on). A file (anything ``promoter-model predict`` reads) or a list of sequences: a
        seeded sample of ``n`` of them without replacement, in file order (all when fewer).
        Sequences are fitted to ``length`` as everywhere else.
    n : int
        Number of sequences (at least 1).
    seed : int
    length : int
        The model's input length.

    Returns
    -------
    X : np.ndarray, shape (m, length, 4), float32
    info : dict
        ``name``, ``n``, ``seed`` and ``sha256`` (of the base codes of ``X``), as recorded in
        ``discovered.json``.
    """
    if int(n) < 1:
        raise ValueError(f"--n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    if sequences is None:
        core = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(int(n), 80))]
        seqs = [FLANK_5 + row.tobytes().decode() + FLANK_3 for row in core]
        name = REFERENCE_NAME
    else:
        if isinstance(sequences, (str, Path)):
            from ..sequence import read_sequences

            name = str(sequences)
            seqs = list(read_sequences(sequences).sequences)
        else:
            seqs, name = list(sequences), "sequences given"
        if not seqs:
            raise ValueError(f"{name}: no sequences found")
        if len(seqs) > n:
            keep = np.sort(rng.choice(len(seqs), size=int(n), replace=False))
            seqs = [seqs[i] for i in keep]
    X = one_hot(seqs, length=length)
    region = X[:, VARIABLE_START:VARIABLE_END] if length == SEQ_LEN else X
    if not region.any():
        raise ValueError(f"{name}: the sequences have no A, C, G or T in the variable region "
                         "(N only): there is nothing to discover motifs in")
    digest = hashlib.sha256(_codes(X).tobytes()).hexdigest()
    return X, {"name": name, "n": int(len(X)), "seed": int(seed), "sha256": digest}


# --------------------------------------------------------------------------- attributions
def flank_mask(length: int) -> np.ndarray:
    """1 over the variable 80 bp of a 110 bp input, 0 over the constant plasmid flanks.

    Any other length is all ones (nothing is masked).
    """
    mask = np.ones(length, dtype=np.float32)
    if length == SEQ_LEN:
        mask[:VARIABLE_START] = 0.0
        mask[VARIABLE_END:] = 0.0
    return mask


def modisco_span(length: int, masked: bool, window: int) -> tuple[int, int]:
    """The positions ``[lo, hi)`` given to TF-MoDISco: with the flanks masked
    (:func:`flank_mask`), the variable 80 bp and ``window - 1`` bp of each flank, so no
    ``window``-bp window lies wholly in a flank; else the whole input.

    With the flanks masked, a tenth of all 11 bp windows of a 110 bp input lie in a flank
    and sum to exactly 0. TF-MoDISco-lite takes the mode of the window sums as the centre of
    its Laplace null, and that spike of zeros, not the bulk of the variable region, became
    the mode: the null's positive side shrank to nothing and its positive threshold to 0, so
    every window with a positive sum passed unless its cap on passing windows stepped in
    (on the demo ensemble's 20,000 sequences it did not: 54,433 seqlets counted positive and
    33 negative, then one pattern). The flank bases kept give seqlets at the region's ends
    room for their flanks (``MODISCO_SETTINGS`` keeps those short enough to fit). Seqlet
    starts are reported in input coordinates (``lo`` added back).
    """
    if masked and length == SEQ_LEN:
        return max(0, VARIABLE_START - (window - 1)), min(length, VARIABLE_END + window - 1)
    return 0, length


def hypothetical_contributions(model, X, method: str = DEFAULT_METHOD, *, chunk: int = 1000,
                               batch_size: int = 512, ig_steps: int = IG_STEPS,
                               mask_flanks: bool = True, progress=None) -> np.ndarray:
    """Hypothetical contributions of every base at every position, as TF-MoDISco takes them.

    Parameters
    ----------
    model : Predictor, Run or keras.Model
        An ensemble's members are averaged (for ``ism`` through the predictor's mean).
    X : np.ndarray, shape (n, L, 4)
    method : {"saliency", "ig", "ism"}
        ``saliency``: gradient of the prediction, centred over the four bases per position.
        ``ig``: integrated gradients from a uniform 0.25 baseline with ``ig_steps`` steps,
        divided by ``x - 0.25`` (the mean path gradient) and centred; at the observed base
        this equals the position's integrated-gradients attribution summed over bases.
        ``ism``: each substitution's predicted change (0 at the observed base), centred.
    chunk : int
        Sequences per step (progress is reported after each).
    batch_size : int
    ig_steps : int
    mask_flanks : bool
        Zero the constant plasmid flanks (:func:`flank_mask`).
    progress : callable, optional
        Called with a message after each chunk.

    Returns
    -------
    np.ndarray, shape (n, L, 4), float32
        Sums to zero over the bases at every position.
    """
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of "
                         f"{', '.join(METHODS)}")
    X = np.asarray(X, dtype=np.float32)
    out = np.zeros_like(X)
    start = time.perf_counter()
    for a in range(0, len(X), chunk):
        x = X[a:a + chunk]
        if method == "saliency":
            h = gradients(model, x, batch_size=batch_size)
        elif method == "ig":
            ig = integrated_gradients(model, x, baseline="uniform", steps=ig_steps,
                                      batch_size=batch_size * 4)
            h = ig / (x - 0.25)
        else:
            from .ism import ism

            h = np.nan_to_num(ism(model, x, batch_size=batch_size * 2)[0])
        out[a:a + chunk] = center(h)
        if progress is not None:
            done = min(a + chunk, len(X))
            progress(f"attributions ({method}): {done}/{len(X)} sequences, "
                     f"{time.perf_counter() - start:.0f} s")
    if mask_flanks:
        out *= flank_mask(X.shape[1])[None, :, None]
    return out


# --------------------------------------------------------------------------- driver
def _cached(path, checksum, info, method, settings):
    try:
        old = read_discovered_file(Path(path) / "discovered.json")
    except ValueError:
        return None
    if (old is not None and old.get("model_checksum") == checksum
            and old.get("reference", {}).get("sha256") == info["sha256"]
            and old.get("method") == method and old.get("settings") == settings):
        return old
    return None


def discover(run_dir, sequences=None, n: int = DEFAULT_N, method: str = DEFAULT_METHOD,
             seed: int = 0, force: bool = False, release: str = DEFAULT_RELEASE,
             out_dir=None, predictor=None, progress=None):
    """Discover, match and score the patterns a run or ensemble uses; cached on disk.

    Parameters
    ----------
    run_dir : str or Path
        Run or ensemble folder (loaded with checksums unless ``predictor`` is given).
    sequences, n, seed
        The reference set (:func:`reference_set`).
    method : {"saliency", "ig", "ism"}
    force : bool
        Recompute even when ``discovered.json`` matches the model, reference and settings.
    release : str
        JASPAR release for the matches.
    out_dir : str or Path, optional
        Where to write; default ``run_dir/motifs``.
    predictor : Predictor, optional
        The loaded model (avoids loading it twice).
    progress : callable, optional
        Receives one message per step.

    Returns
    -------
    result : dict
        The content of ``discovered.json``.
    cached : bool
        Whether the stored result was reused.
    """
    from ..motifs.effects import EFFECT_METHOD, scramble_effects
    from ..motifs.tomtom import tomtom_matches
    from ..predictor import as_predictor, load_predictor

    say = progress or (lambda msg: None)
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else run_dir / "motifs"
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; choose one of "
                         f"{', '.join(METHODS)}")
    pred = as_predictor(predictor) if predictor is not None else load_predictor(run_dir)
    X, info = reference_set(sequences, n=n, seed=seed, length=pred.input_length)
    settings = {**MODISCO_SETTINGS, "trim_threshold": TRIM_THRESHOLD, "core_min_bits": MIN_IC,
                "mask_flanks": X.shape[1] == SEQ_LEN, "effect_draws": 4,
                "effect_max_seqlets": 500}
    settings["modisco_span"] = list(modisco_span(X.shape[1], settings["mask_flanks"],
                                                 settings["sliding_window_size"]))
    if method == "ig":
        settings["ig_steps"] = IG_STEPS
    checksum = model_checksum(run_dir)
    if not force:
        old = _cached(out_dir, checksum, info, method, settings)
        if old is not None:
            say(f"reusing {out_dir / 'discovered.json'} (same model, reference and settings)")
            return old, True
    seconds, t0 = {}, time.perf_counter()
    say(f"reference: {info['name']}, {info['n']} sequences, seed {seed}")
    hyp = hypothetical_contributions(pred, X, method, mask_flanks=settings["mask_flanks"],
                                     progress=say)
    seconds["attributions"] = time.perf_counter() - t0
    say(f"TF-MoDISco-lite on {len(X)} sequences (this takes minutes) ...")
    t = time.perf_counter()
    modisco_keys = set(MODISCO_SETTINGS)
    lo, hi = settings["modisco_span"]
    found = run_modisco(X[:, lo:hi], hyp[:, lo:hi],
                        {k: v for k, v in settings.items() if k in modisco_keys})
    patterns = [summarise_pattern(nm, sign, p, hi - lo, settings["trim_threshold"], offset=lo)
                for nm, sign, p in found]
    seconds["modisco"] = time.perf_counter() - t
    say(f"{len(patterns)} patterns; TOMTOM against JASPAR fungi ({release}) ...")
    t = time.perf_counter()
    matches = tomtom_matches([np.asarray(p["pfm"]) for p in patterns], release=release)
    seconds["tomtom"] = time.perf_counter() - t
    say("effects: scrambling each pattern's seqlets ...")
    t = time.perf_counter()
    effects = scramble_effects(
        pred, X, [(p["_rows"], p["seqlet_starts"], len(p["pfm"])) for p in patterns],
        seed=seed, max_seqlets=settings["effect_max_seqlets"], draws=settings["effect_draws"])
    seconds["effects"] = time.perf_counter() - t
    for p, m, (eff, sd) in zip(patterns, matches or [[]] * len(patterns), effects):
        del p["_rows"]
        p.update({"effect": eff, "effect_sd": sd, "effect_method": EFFECT_METHOD,
                  "matches": m})
    result = {"format": FORMAT, "version": VERSION, "model_checksum": checksum,
              "reference": info, "method": method, "settings": settings,
              "jaspar_release": release, "seconds": round(time.perf_counter() - t0, 1),
              "stage_seconds": {k: round(v, 1) for k, v in seconds.items()},
              "patterns": patterns}
    write_discovered(out_dir, result)
    say(f"wrote {out_dir / 'discovered.json'} and discovered.csv")
    return json.loads(json.dumps(result)), False
