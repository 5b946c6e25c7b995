"""Do the training defaults learn where the old ones did not? A CPU check on real data.

    python bench/bench_lr_defaults.py [--width 64] [--steps 100] [--epochs-planned 10]
    python bench/bench_lr_defaults.py --precision-check    # float32 vs mixed_bfloat16

The reference preset at its full width (256) costs ~6 GFLOP per training sequence: hours
for one epoch of the demo pool on this CPU. Its depth is what makes it fragile (5 post-norm
transformer blocks, 5 residual blocks), so this check keeps every stage and depth of
``reference`` and narrows it (``--width``, default 64: 148 MFLOP per sequence forward).

Data: the 62,058-row training pool of the bundled DREAM measurements
(``dream.training_pool``), seeded split; ``--steps`` batches of 256 are the first epoch of a
run planned for ``--epochs-planned`` epochs (so the default schedule's warm-up is the first
10 % of the planned steps). Each variant starts from the same initial weights and sees the
same batches; the training loss is recorded every 10 steps and the validation R² after the
last step.

Variants: the old CLI default (1e-3, constant), the H200 run's failing setting (1e-3,
cosine, no warm-up), 1e-3 with warm-up, and the new default (the preset's rate at batch 256
with warm-up + cosine). ``--precision-check`` instead trains ``--preset`` (default compact)
twice with the default schedule, in float32 and in mixed_bfloat16, and compares the
validation R².

Writes ``bench/results/lr_defaults-DATE.json`` (or ``precision_check-DATE.json``) and the
matching section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import benchdoc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Training defaults on CPU (learning rate, warm-up, precision)"
BATCH = 256


def pool_arrays(n_val: int, seed: int = 0):
    """One-hot train and validation arrays of the bundled training pool (seeded split)."""
    import numpy as np

    from promoter_model import dream
    from promoter_model.sequence import one_hot

    pool = dream.training_pool()
    order = np.random.default_rng(seed).permutation(len(pool))
    X = one_hot(pool["sequence"].tolist())[order]
    y = pool["expression"].to_numpy(np.float32)[order]
    return (X[n_val:], y[n_val:]), (X[:n_val], y[:n_val])


def loss_recorder(every: int):
    """A Keras callback that keeps the training loss every ``every`` batches."""
    import keras

    class LossEvery(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.losses = []

        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % every == 0:
                self.losses.append(round(float(logs["loss"]), 4))
                print(f"  step {batch + 1}: loss {self.losses[-1]} "
                      f"({time.strftime('%H:%M:%S')})", flush=True)

    return LossEvery()


def run_variant(cfg, weights, train, val, *, lr, schedule, steps, planned, precision,
                preset_name):
    """Train one variant from ``weights``; returns its losses, val R² and seconds."""
    import keras
    import numpy as np

    from promoter_model.metrics import r2_score
    from promoter_model.model.architectures import build_model
    from promoter_model.model.config import TrainConfig
    from promoter_model.model.predict import predict
    from promoter_model.train.schedules import make_optimizer, resolve_schedule

    keras.utils.set_random_seed(0)
    model = build_model(cfg, precision=precision)
    model.set_weights(weights)
    tc = TrainConfig(epochs=planned, batch_size=BATCH, learning_rate=lr, lr_schedule=schedule)
    eff = resolve_schedule(tc, preset_name, steps)
    model.compile(make_optimizer(eff), "mse", jit_compile=True)
    n = steps * BATCH
    cb = loss_recorder(10)
    t = time.perf_counter()
    model.fit(train[0][:n], train[1][:n], batch_size=BATCH, epochs=1, shuffle=False,
              verbose=0, callbacks=[cb])
    seconds = time.perf_counter() - t
    pred = predict(model, val[0])
    return {"lr": eff["learning_rate"], "schedule": schedule, "warmup_steps": eff["warmup_steps"],
            "total_steps": eff["total_steps"], "precision": precision,
            "loss_every_10": cb.losses, "val_r2": round(float(r2_score(val[1], pred)), 4),
            "val_pred_sd": round(float(np.std(pred)), 4), "seconds": round(seconds, 1),
            "label_var": round(float(np.var(train[1][:n])), 4),
            "load": round(os.getloadavg()[0], 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--epochs-planned", type=int, default=10)
    parser.add_argument("--n-val", type=int, default=4000)
    parser.add_argument("--precision-check", action="store_true")
    parser.add_argument("--preset", default="compact", help="for --precision-check")
    parser.add_argument("--only", help="comma-separated variant numbers (1-based)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--append", action="store_true",
                        help="add to today's result file of the same kind (variants measured "
                             "in separate processes)")
    args = parser.parse_args(argv)

    import keras

    from promoter_model.model.architectures import build_model, preset
    from promoter_model.train.schedules import base_lr

    started, load0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    train, val = pool_arrays(args.n_val)
    if args.precision_check:
        name = args.preset
        cfg = preset(name)
        variants = [(None, "warmup_cosine", "float32"), (None, "warmup_cosine", "mixed_bfloat16")]
    else:
        name = "reference"
        w = args.width
        cfg = preset("reference", rc_filters=w, coop_filters=w, model_width=w)
        variants = [(1e-3, "constant", "float32"), (1e-3, "cosine", "float32"),
                    (1e-3, "warmup_cosine", "float32"), (None, "warmup_cosine", "float32")]
    if args.only:
        variants = [variants[int(i) - 1] for i in args.only.split(",")]
    keras.utils.set_random_seed(0)
    weights = build_model(cfg).get_weights()
    results = []
    for lr, schedule, precision in variants:
        r = run_variant(cfg, weights, train, val, lr=lr, schedule=schedule, steps=args.steps,
                        planned=args.epochs_planned, precision=precision, preset_name=name)
        results.append(r)
        print(json.dumps(r), flush=True)
    report = {"date": started, "machine": f"{os.cpu_count()} cores, {benchdoc.cpu_model()}",
              "load_start": round(load0, 2), "load_end": round(os.getloadavg()[0], 2),
              "preset": name, "model": cfg.to_dict(), "steps": args.steps,
              "epochs_planned": args.epochs_planned, "batch": BATCH, "n_val": args.n_val,
              "default_lr": base_lr(name), "precision_check": args.precision_check,
              "keras": keras.__version__, "results": results}
    kind = "precision_check" if args.precision_check else "lr_defaults"
    out = ROOT / "bench" / "results" / f"{kind}-{time.strftime('%Y-%m-%d')}.json"
    if args.append and out.exists():
        old = json.loads(out.read_text())
        report["results"] = old["results"] + results
        report["date"], report["load_start"] = old["date"], old["load_start"]
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    if not args.no_write:
        benchdoc.write_section(render(sorted((ROOT / "bench" / "results").glob("lr_defaults-*"))
                                      [-1:], sorted((ROOT / "bench" / "results")
                                                    .glob("precision_check-*"))))
    return 0


def render(lr_files, precision_files) -> str:
    """The benchmark section from the newest result files of each kind."""
    lines = [SECTION, ""]
    for f in lr_files:
        r = json.loads(f.read_text())
        m = r["model"]
        lines += [
            f"Measured {r['date']} by `bench/bench_lr_defaults.py` on {r['machine']} (load "
            f"{r['load_start']} at the start, {r['load_end']} at the end; Keras {r['keras']}, "
            "TensorFlow CPU, XLA). Model: every stage and depth of `reference` "
            f"({m['res_blocks']} residual blocks, {m['attention_blocks']} post-norm "
            f"transformer blocks of {m['attention_heads']} heads, {m['lstm_layers']} BiLSTMs) "
            f"narrowed to width {m['model_width']}. Data: the bundled training pool, "
            f"{r['steps']} batches of {r['batch']} (the first epoch of a run planned for "
            f"{r['epochs_planned']} epochs), validation R² on {r['n_val']:,} held-out rows; "
            "same initial weights and batches for every variant.", "",
            "| variant | peak lr | warm-up steps | running mean of the training loss, every 10 "
            "steps | validation R² after the epoch | sd of predictions | seconds |",
            "|---|---:|---:|---|---:|---:|---:|"]
        for v in r["results"]:
            label = {"constant": "constant (the old default)", "cosine": "cosine, no warm-up",
                     "warmup_cosine": "warm-up + cosine"}[v["schedule"]]
            if v["schedule"] == "warmup_cosine" and v["lr"] == r["default_lr"]:
                label = "**the new default** (warm-up + cosine, the preset's rate)"
            losses = " ".join(f"{x:.3g}" for x in v["loss_every_10"])
            lines.append(f"| {label} | {v['lr']:.2g} | {v['warmup_steps']} | {losses} | "
                         f"{v['val_r2']:.3f} | {v['val_pred_sd']:.3f} | {v['seconds']:.0f} |")
        lines += ["", f"Label variance of the rows trained on: "
                  f"{r['results'][0]['label_var']:.3f} (a model stuck at the mean has this "
                  "loss and R² 0). Variants may have run in separate processes at different "
                  "loads: their seconds are not comparable.", ""]
    for f in precision_files:
        r = json.loads(f.read_text())
        lines += [f"**Precision** ({r['date']}, {r['machine']}, load {r['load_start']}-"
                  f"{r['load_end']}): `{r['preset']}` with the default schedule, "
                  f"{r['steps']} batches of {r['batch']} ("
                  + ("the whole run: warm-up, then cosine to its end"
                     if r["results"][0]["total_steps"] <= r["steps"] else
                     f"the first steps of a run planned for {r['epochs_planned']} such epochs")
                  + f"), validation R² on {r['n_val']:,} "
                  "rows of a seeded row split of the pool (their families may also be in "
                  "training: this compares the two precisions, it is not a test score), same "
                  "initial weights and batches.",
                  "", "| precision | validation R² | seconds |", "|---|---:|---:|"]
        for v in r["results"]:
            lines.append(f"| {v['precision']} | {v['val_r2']:.4f} | {v['seconds']:.0f} |")
        a, b = (v["val_r2"] for v in r["results"][:2])
        lines += ["", f"Difference: {abs(a - b):.4f} (target: within 0.005).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
