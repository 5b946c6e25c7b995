"""Tiny Keras models whose interpretation is known in advance.

* :func:`reb1_model`: one Conv1D filter holding the log-odds of JASPAR REB1 (MA0363.3,
  core ``TTACCCG``), thresholded ReLU, global max pooling, fixed Dense. Expression is the
  best REB1 site score above a threshold, so ISM, attributions and motif scans must point
  at a planted REB1 site, and the filter must match REB1 in JASPAR.
* :func:`reb1_sum_model`: the same REB1 filter on both strands, summed over positions, so
  the output is (about) the number of REB1 sites; de novo discovery must find REB1.
* :func:`linear_model`: ``f(x) = sum(W * x) + b``, for which ISM and gradients are exact:
  ``ISM[i, b] = W[i, b] - W[i, ref_i]``, gradient = ``W``.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from promoter_model.sequence import FLANK_3, FLANK_5, SEQ_LEN  # noqa: E402

REB1_ID = "MA0363.3"
REB1_CORE = "TTACCCG"
# MA0363.3 counts (JASPAR2024), rows A, C, G, T; kept here so the toy does not depend on
# the matcher it is used to test.
REB1_COUNTS = np.array([
    [281, 8, 28, 679, 2, 4, 3, 11, 104],
    [79, 20, 28, 1, 684, 681, 681, 5, 133],
    [281, 5, 7, 3, 2, 5, 3, 578, 377],
    [50, 658, 628, 8, 3, 1, 4, 97, 77],
], dtype=np.float64).T  # (9, 4)


def reb1_log_odds(pseudocount: float = 1.0) -> np.ndarray:
    """Log2-odds of REB1 against a uniform background, shape (9, 4)."""
    c = REB1_COUNTS + pseudocount
    p = c / c.sum(axis=1, keepdims=True)
    return np.log2(p / 0.25).astype(np.float32)


def reb1_model(threshold: float = 0.6, padding: str = "same") -> keras.Model:
    """REB1 detector: ``max_l relu(score_l - threshold * best_score)``.

    Parameters
    ----------
    threshold : float
        Fraction of the best possible site score below which a window contributes nothing.
    padding : {"same", "valid"}

    Returns
    -------
    keras.Model
        Input (110, 4), output (1,); the single filter's kernel is (9, 4, 1).
    """
    w = reb1_log_odds()
    best = float(w.max(axis=1).sum())
    inputs = keras.Input((SEQ_LEN, 4), name="one_hot")
    conv = keras.layers.Conv1D(1, w.shape[0], padding=padding, name="reb1_conv")
    x = conv(inputs)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.GlobalMaxPooling1D(name="pool")(x)
    dense = keras.layers.Dense(1, name="expression")
    out = dense(x)
    model = keras.Model(inputs, out, name="reb1_toy")
    conv.set_weights([w[:, :, None], np.array([-threshold * best], np.float32)])
    dense.set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    return model


def reb1_sum_model(threshold: float = 0.6) -> keras.Model:
    """REB1 site count: ``sum_l relu(score_l - t) / (best - t)`` over both strands.

    ``t = threshold * best``; a perfect site adds 1, a weaker one (above ``t``) less, and
    the gradient at a site is the REB1 log-odds matrix (no saturation), so attributions,
    TF-MoDISco and TOMTOM must recover REB1.

    Returns
    -------
    keras.Model
        Input (110, 4), output (1,); Conv1D (9, 4, 2) holding REB1 and its reverse
        complement, ReLU, global average pooling, fixed Dense.
    """
    w = reb1_log_odds()
    best = float(w.max(axis=1).sum())
    t = threshold * best
    inputs = keras.Input((SEQ_LEN, 4), name="one_hot")
    conv = keras.layers.Conv1D(2, w.shape[0], padding="valid", name="reb1_conv")
    x = keras.layers.ReLU(name="relu")(conv(inputs))
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    dense = keras.layers.Dense(1, name="expression")
    out = dense(x)
    model = keras.Model(inputs, out, name="reb1_sum_toy")
    kernel = np.stack([w, w[::-1, ::-1]], axis=-1)  # (9, 4, 2): forward, reverse complement
    conv.set_weights([kernel, np.full(2, -t, np.float32)])
    windows = SEQ_LEN - w.shape[0] + 1
    dense.set_weights([np.full((2, 1), windows / (best - t), np.float32),
                       np.zeros(1, np.float32)])
    return model


def planted_reb1_library(n: int, seed: int = 0, fraction: float = 0.5) -> list:
    """``n`` random promoters; a ``fraction`` of them with one REB1 site drawn from the
    MA0363.3 matrix, at a random place and strand in the variable region.
    """
    from promoter_model.motifs.pfm import counts_to_pfm, sample_motif_sequence
    from promoter_model.sequence import VARIABLE_END, VARIABLE_START, reverse_complement

    rng = np.random.default_rng(seed)
    pfm = counts_to_pfm(REB1_COUNTS)
    out = []
    for i in range(n):
        seq = FLANK_5 + random_sequence(rng, 80) + FLANK_3
        if rng.random() < fraction:
            site = sample_motif_sequence(pfm, rng)
            if rng.random() < 0.5:
                site = reverse_complement(site)
            start = int(rng.integers(VARIABLE_START, VARIABLE_END - len(site) + 1))
            seq = seq[:start] + site + seq[start + len(site):]
        out.append(seq)
    return out


def linear_model(seed: int = 0, length: int = SEQ_LEN):
    """``f(x) = sum_{i,b} W[i, b] x[i, b] + bias`` with random ``W``.

    Returns
    -------
    model : keras.Model
    W : np.ndarray, shape (length, 4)
    bias : float
    """
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(length, 4)).astype(np.float32)
    bias = 0.5
    inputs = keras.Input((length, 4), name="one_hot")
    x = keras.layers.Flatten(name="flatten")(inputs)
    dense = keras.layers.Dense(1, name="expression")
    out = dense(x)
    model = keras.Model(inputs, out, name="linear_toy")
    dense.set_weights([W.reshape(-1, 1), np.array([bias], np.float32)])
    return model, W, bias


def random_sequence(rng, length: int = 80) -> str:
    """Uniform random bases."""
    return "".join(rng.choice(list("ACGT"), size=length).tolist())


def promoter_with_site(site: str = REB1_CORE, start: int = 50, seed: int = 0) -> str:
    """A 110 bp promoter (DREAM flanks, random core) with ``site`` at 0-based ``start``.

    The random core is redrawn until it holds no REB1 core (either strand) elsewhere.
    """
    from promoter_model.sequence import reverse_complement

    rng = np.random.default_rng(seed)
    while True:
        seq = FLANK_5 + random_sequence(rng, 80) + FLANK_3
        if REB1_CORE[1:6] in seq or reverse_complement(REB1_CORE)[1:6] in seq:
            continue
        return seq[:start] + site + seq[start + len(site):]


def toy_calibration(noise: float = 0.5, n: int = 4000, seed: int = 0):
    """A :class:`~promoter_model.uncertainty.Calibration` of Gaussian residuals of sd ``noise``.

    Out-of-fold predictions uniform on (-20, 20) (the linear toys' range) and measured
    values ``prediction + N(0, noise^2)``, in 4 bins: the 90% half-width is about
    ``1.645 * noise`` everywhere.
    """
    from promoter_model.uncertainty.calibration import fit_calibration

    rng = np.random.default_rng(seed)
    yhat = rng.uniform(-20, 20, n)
    return fit_calibration(yhat + rng.normal(size=n) * noise, yhat, n_bins=4,
                           min_per_bin=200, info={"data": "synthetic toy residuals"})


def linear_ensemble(root, seeds=(0, 1), unit: str = "toy units", calibration=None):
    """An ensemble folder of :func:`linear_model` members, one per seed.

    ``calibration`` (e.g. :func:`toy_calibration`) is written as ``calibration.json``.

    Returns
    -------
    root : Path
    weights : list of np.ndarray, shape (110, 4)
        Each member's ``W`` (its bias is 0.5).
    """
    from pathlib import Path

    from promoter_model.model.config import RunConfig
    from promoter_model.runs import save_run
    from promoter_model.runs.ensemble import write_ensemble

    root = Path(root)
    weights = []
    for k, seed in enumerate(seeds):
        model, W, _bias = linear_model(seed=seed)
        weights.append(W)
        save_run(root / "members" / f"fold-{k}", model, RunConfig(preset="custom", unit=unit))
    write_ensemble(root, [root / "members" / f"fold-{k}" for k in range(len(seeds))],
                   unit=unit, metrics={"note": "none"}, model_card="# Two linear toys\n",
                   calibration=calibration)
    return root, weights


def member_copies(run_dir, root, n: int = 2, noise: float = 0.05, seed: int = 0):
    """An ensemble folder of ``n`` perturbed copies of a run: every kernel scaled by
    ``1 + noise * N(0, 1)``, every bias, norm scale and shift and batch-norm statistic
    shifted by ``noise * N(0, 1)`` (so an untrained model's batch norms are not identities
    and members agree roughly but not exactly).

    Returns
    -------
    Path
        The ensemble folder (``root``).
    """
    from pathlib import Path

    from promoter_model.runs import load_run, save_run
    from promoter_model.runs.ensemble import write_ensemble

    root, rng = Path(root), np.random.default_rng(seed)
    paths = []
    for k in range(n):
        run = load_run(run_dir)
        weights = run.model.get_weights()
        run.model.set_weights([
            w if w.dtype.kind != "f"
            else (w * (1 + noise * rng.standard_normal(w.shape)) if w.ndim > 1
                  else w + noise * rng.standard_normal(w.shape)).astype(w.dtype)
            for w in weights])
        paths.append(save_run(root / "members" / f"fold-{k}", run.model, run.config,
                              history=run.history, metrics=run.metrics))
    return write_ensemble(root, paths)


def toy_pair_calibration(noise: float = 0.5, pair_noise: float = 0.1, n: int = 4000,
                         seed: int = 0):
    """:func:`toy_calibration` plus pair-difference quantiles for pairs 1-3 bases apart:
    Gaussian pair residuals of sd ``pair_noise`` (90% half-width about ``1.645 *
    pair_noise``, far narrower than the Bonferroni bound of about ``2 * 1.96 * noise``).
    """
    from promoter_model.uncertainty.difference import fit_differences

    cal = toy_calibration(noise, n, seed)
    rng = np.random.default_rng(seed + 1)
    y_ref = rng.uniform(-20, 20, n)
    y_alt = y_ref + rng.normal(size=n)
    shared = rng.normal(size=n) * noise
    cal.differences = fit_differences(
        y_alt, y_ref, y_alt + shared + rng.normal(size=n) * pair_noise, y_ref + shared,
        rng.integers(1, 4, n), cal.levels, info={"data": "synthetic toy pairs"})
    return cal
