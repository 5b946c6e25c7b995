"""ISM latency of one sequence through a run and through an ensemble, variant by variant;
writes the ``## Ensemble ISM`` section of ``docs/benchmarks.md`` (other sections untouched).

Usage::

    .venv/bin/python bench/bench_ensemble.py [--run ENSEMBLE_OR_RUN] [--repeats 20]
                                             [--accuracy-n 2000] [--no-write]

Model: ``--run`` (an ensemble folder or a run), else ``assets/demo_ensemble`` if present,
else a stand-in: ``--members`` copies of ``assets/demo_model`` with every kernel scaled by
``1 + 0.02 * N(0, 1)`` noise, written with ``write_ensemble`` into a temporary folder
(latency does not depend on the weights). The single run is the ensemble's first member.

Variants, all timed interleaved (one call of each per round, after a warm-up call of each,
so the shared machine's load hits them alike):

* ``plain``: today's path before this benchmark, every mutant through the whole model, one
  compiled call per member (``ism(..., fast=False)``);
* ``fused``: every mutant through the whole model, all members in one compiled call
  (``bench/fused.py``);
* ``fused bf16``: as ``fused`` with each member rebuilt under Keras's ``mixed_bfloat16``
  policy (bfloat16 matmuls and convolutions, float32 variables, a float32 output layer);
* ``windowed, one graph``: ``promoter_model.interpret.fast_ism`` with all members in one
  compiled graph (``engine_for(models, fused=True)``);
* ``windowed``: ``ism(...)``, the default: the same windows, one trace shared by all
  members (weights as arguments), called once per member.

"first call" is the first call of each variant in a fresh process: tracing and compiling
(what the first ISM on a dashboard server costs once).

Every variant's effects are compared with ``plain`` (largest difference relative to the
largest effect). The bfloat16 check also scores ``--accuracy-n`` real sequences from
``assets/data/train_demo.txt`` and the ISM of 5 of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchdoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Ensemble ISM"
DEMO_ENSEMBLE = ROOT / "assets" / "demo_ensemble"
DEMO_RUN = ROOT / "assets" / "demo_model"
_POLICY_LOCK = threading.Lock()
DECISIONS = (
    "Adopted: `windowed` is what `interpret.ism.ism` (and so the CLI and the dashboard) "
    "does for `build_model` runs and ensembles (exact; `fast=False` gives the "
    "plain path, other models fall back to it). Not adopted: `fused` for "
    "`Predictor.predict_members` (no gain in the rows above), bfloat16 (no gain on this CPU; "
    "its differences from float32 are below), and the one-graph engine as the default "
    "(faster per call, but five traces make a server's first ISM several times slower; "
    "`fast_ism.engine_for(models, fused=True)` has it).")
FLOOR = "transformer, LSTMs, head on all 331 mutants: the floor of any exact windowing"


def stand_in_ensemble(folder: Path, members: int = 5, seed: int = 0) -> Path:
    """``members`` perturbed copies of ``assets/demo_model`` as an ensemble folder."""
    import numpy as np

    from promoter_model.predictor import run_unit
    from promoter_model.runs import load_run, save_run
    from promoter_model.runs.ensemble import write_ensemble

    rng = np.random.default_rng(seed)
    paths = []
    for k in range(members):
        run = load_run(DEMO_RUN)
        run.model.set_weights([w * (1 + 0.02 * rng.standard_normal(w.shape)).astype(w.dtype)
                               if w.ndim > 1 else w for w in run.model.get_weights()])
        paths.append(save_run(folder / "members" / f"fold-{k}", run.model, run.config,
                              history=run.history, metrics=run.metrics))
    return write_ensemble(folder, paths, unit=run_unit(run),
                          notes=f"stand-in: {members} perturbed copies of demo_model")


def bf16_clone(model):
    """The model rebuilt under ``mixed_bfloat16`` (output layer float32), same weights."""
    import keras

    cfg = model.get_config()
    out_name = model.layers[-1].name
    for layer in cfg["layers"]:
        if layer["config"].get("name") != out_name and layer["class_name"] != "InputLayer":
            layer["config"].pop("dtype", None)
    with _POLICY_LOCK:
        old = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_bfloat16")
        try:
            clone = keras.Model.from_config(cfg)
        finally:
            keras.config.set_dtype_policy(old)
    clone.set_weights(model.get_weights())
    return clone


def _mean_effects(x, preds):
    from promoter_model.interpret.ism import _scores_from_predictions

    return _scores_from_predictions(x, preds[:, 0], preds[:, 1:]).mean(axis=0)


def _variants(pred, single, x):
    import fused
    import numpy as np

    from promoter_model.interpret import fast_ism, ism
    from promoter_model.interpret.ism import snv_batch
    from promoter_model.sequence import reverse_complement_one_hot

    # every ensemble variant computes what the ensemble serves: with reverse-complement
    # averaging, each mutant on both strands (the mutant's RC is the RC's mutant)
    snv = snv_batch(x)
    snv_rc = reverse_complement_one_hot(snv) if pred.rc_average else None
    bf16 = [bf16_clone(m) for m in pred.models]
    one_graph = fast_ism.engine_for(pred.models, fused=True)

    def fused_members(models):
        y = fused.predict_members(models, snv)
        return y if snv_rc is None else (y + fused.predict_members(models, snv_rc)) / 2.0

    def windowed_one_graph():
        alt = ism.alternatives(ism.reference_codes(x)).reshape(1, -1)
        return _mean_effects(x, fast_ism.snv_member_predictions(one_graph, pred, x[None], alt,
                                                                None, 4096))

    import tensorflow as tf

    tails = [fast_ism._cached_plan(m).tail for m in pred.models]
    strands = 2 if pred.rc_average else 1
    hidden = tf.random.normal([strands * snv.shape[0], x.shape[0], fast_ism._cached_plan(
        pred.models[0]).width], seed=0)
    tail_fns = [tf.function(lambda h, t=t: t(h, training=False)) for t in tails]

    k = len(pred.members)
    variants = {
        "run: plain": lambda: ism.ism(single, x[None], fast=False)[0][0],
        "run: windowed": lambda: ism.ism(single, x[None])[0][0],
        f"{k} members: plain": lambda: ism.ism(pred, x[None], fast=False)[0][0],
        f"{k} members: fused": lambda: _mean_effects(x, fused_members(pred.models)),
        f"{k} members: fused bf16": lambda: _mean_effects(x, fused_members(bf16)),
        f"{k} members: windowed, one graph": windowed_one_graph,
        f"{k} members: windowed": lambda: ism.ism(pred, x[None])[0][0],
    }
    variants[f"{k} members: later stages only ({FLOOR})"] = lambda: [
        np.asarray(f(hidden)) for f in tail_fns]
    return variants


def _bf16_accuracy(pred, n: int):
    """Largest differences of bfloat16 from float32 on real sequences (first member)."""
    import numpy as np
    import pandas as pd
    from scipy.stats import spearmanr

    from promoter_model.interpret import ism
    from promoter_model.model import predict
    from promoter_model.predictor import from_run
    from promoter_model.sequence import one_hot

    table = pd.read_csv(ROOT / "assets" / "data" / "train_demo.txt", sep="\t", header=None)
    seqs = table[0].sample(n=min(n, len(table)), random_state=0).tolist()
    X = one_hot(seqs)
    model = pred.models[0]
    clone = bf16_clone(model)
    y32, y16 = predict.predict(model, X), predict.predict(clone, X)
    single = from_run(pred.members[0])
    eff32 = ism.ism(single, X[:5], fast=False)[0]
    eff16 = np.stack([_mean_effects(x, predict.predict(clone, ism.snv_batch(x))[None])
                      for x in X[:5]])
    ref = np.argmax(X[:5], axis=-1)
    keep = ~np.eye(4, dtype=bool)[ref]  # the 330 mutations of each sequence
    rho = [spearmanr(a[k], b[k]).statistic for a, b, k in zip(eff32, eff16, keep)]
    top = [len(set(np.argsort(-np.abs(a[k]))[:10]) & set(np.argsort(-np.abs(b[k]))[:10]))
           for a, b, k in zip(eff32, eff16, keep)]
    return {"n": len(seqs), "pred_max": float(np.abs(y16 - y32).max()),
            "pred_sd": float(y32.std()), "eff_max": float(np.abs(eff16 - eff32).max()),
            "eff_scale": float(np.abs(eff32).max()), "rho_min": float(min(rho)),
            "top10_min": int(min(top))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--accuracy-n", type=int, default=2000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np

    from promoter_model.predictor import from_run, load_predictor
    from promoter_model.sequence import FLANK_3, FLANK_5, one_hot

    tmp = None
    run = args.run or (DEMO_ENSEMBLE if DEMO_ENSEMBLE.is_dir() else None)
    if run is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench_ensemble_"))
        run = stand_in_ensemble(tmp / "stand_in", args.members)
        described = (f"stand-in ensemble: {args.members} copies of `assets/demo_model` with "
                     "kernels perturbed by 2% noise")
    else:
        described = f"`{run}`"
    try:
        pred = load_predictor(run)
        single = from_run(pred.members[0])
        rng = np.random.default_rng(0)
        core = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, 80)].tobytes().decode()
        x = one_hot([FLANK_5 + core + FLANK_3])[0]
        variants = _variants(pred, single, x)
        load_start = os.getloadavg()[0]
        results, firsts = {}, {}
        for name, fn in variants.items():
            t = time.perf_counter()
            results[name] = fn()
            firsts[name] = time.perf_counter() - t
        times = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, fn in variants.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        load_end = os.getloadavg()[0]
        acc = _bf16_accuracy(pred, args.accuracy_n)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    k = len(pred.members)
    base = {"run": statistics.median(times["run: plain"]),
            "ens": statistics.median(times[f"{k} members: plain"])}
    lines = [SECTION, "",
             f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
             f"{benchdoc.cpu_model()}, {os.cpu_count()} CPU cores shared with other jobs "
             f"(1-minute load average {load_start:.1f} at the start, {load_end:.1f} at the "
             f"end), Python {platform.python_version()}, by `bench/bench_ensemble.py`.", "",
             f"Model: {described}; single run: its first member. ISM of one 110 bp sequence "
             f"(331 predictions per member); {args.repeats} calls of each variant, "
             "interleaved, after one warm-up call each. On a loaded machine the absolute "
             "times are inflated; compare the speed-ups.", "",
             "| variant | median s | max s | speed-up vs plain (median) | first call s | "
             "largest effect difference vs plain / largest effect |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, ts in times.items():
        b = base["run" if name.startswith("run") else "ens"]
        if FLOOR in name:
            lines.append(f"| {name} | {statistics.median(ts):.3f} | {max(ts):.3f} | "
                         f"{b / statistics.median(ts):.2f}x | {firsts[name]:.1f} | n/a |")
            continue
        plain = results["run: plain" if name.startswith("run") else f"{k} members: plain"]
        rel = np.nanmax(np.abs(results[name] - plain)) / np.nanmax(np.abs(plain))
        lines.append(f"| {name} | {statistics.median(ts):.3f} | {max(ts):.3f} | "
                     f"{b / statistics.median(ts):.2f}x | {firsts[name]:.1f} | {rel:.1e} |")
    med = {name: statistics.median(ts) for name, ts in times.items()}
    ens_fast = med[f"{k} members: windowed"]
    floor = med[f"{k} members: later stages only ({FLOOR})"]
    graph, shared = f"{k} members: windowed, one graph", f"{k} members: windowed"
    both = " on both strands" if pred.rc_average else ""
    strands = ("The ensemble averages each prediction over both strands "
               "(reverse-complement averaging), so every ensemble row runs each mutant "
               f"2 x {k} times; the single run, once. " if pred.rc_average else "")
    lines += ["", strands + f"Target: ISM of one sequence through the {k}-member ensemble "
              f"in at most 0.3 s: {'met' if ens_fast <= 0.3 else 'not met'} here ({ens_fast:.3f} s "
              f"median at load {load_end:.1f}). The {k}-member windowed ISM costs "
              f"{ens_fast / med['run: plain']:.2f}x one run's plain ISM in this run; on a quiet "
              "machine the target is 0.3 s / 0.18 s (the single-run ISM in the "
              "Interpretation section) = 1.7x.", "",
              f"Where the time goes: the later stages alone (transformer, LSTMs, head on "
              f"all 331 mutants of each member{both}) take {floor:.3f} s, "
              f"{floor / ens_fast:.0%} of the windowed ISM: what is left after windowing is "
              "the part every mutant must run in full, so no exact windowing of the "
              f"convolutions can beat {base['ens'] / floor:.2f}x here. All members in one "
              f"graph (`fused`) gives {base['ens'] / med[f'{k} members: fused']:.2f}x for whole "
              f"predictions and {med[shared] / med[graph]:.2f}x over the shared trace for "
              f"windowed ISM, at {firsts[graph]:.1f} s instead of {firsts[shared]:.1f} s for "
              "the first call (one trace per "
              f"member); bfloat16 gives {base['ens'] / med[f'{k} members: fused bf16']:.2f}x "
              "on this CPU (TensorFlow's oneDNN bfloat16 kernels).", "",
              DECISIONS, "",
              f"bfloat16 (first member, `mixed_bfloat16` rebuild): on {acc['n']:,} sequences "
              f"of `train_demo.txt` the largest prediction difference from float32 is "
              f"{acc['pred_max']:.4f} ({acc['pred_max'] / acc['pred_sd']:.1%} of the "
              f"predictions' sd, {acc['pred_sd']:.3f}); over the ISM of 5 of them the largest "
              f"effect difference is {acc['eff_max']:.4f} ({acc['eff_max'] / acc['eff_scale']:.1%}"
              f" of the largest effect, {acc['eff_scale']:.3f}), Spearman rank agreement of the "
              f"330 effects at least {acc['rho_min']:.3f}, and at least {acc['top10_min']} of "
              "the 10 strongest mutations are the same.", ""]
    section = "\n".join(lines)
    return benchdoc.publish(section, write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
