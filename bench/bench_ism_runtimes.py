"""Exact ensemble ISM of one sequence under other runtimes on this CPU: TensorFlow as served,
the same windowed graph under XLA, and (where installed) ONNX Runtime; writes the
``## Ensemble ISM: other runtimes`` section of ``docs/benchmarks.md``.

Usage::

    .venv/bin/python bench/bench_ism_runtimes.py [--run ENSEMBLE] [--n 6] [--no-write]

The ONNX Runtime row needs ``pip install onnxruntime tf2onnx`` (not project dependencies;
without them the row says so). Every runtime runs the same function: one member's exact
windowed ISM (:func:`promoter_model.interpret.fast_ism._member`) on both strands of one
sequence (2 x 331 inputs through the later stages), once per member; the effects
are averaged over strands and members as the served predictor does and compared with what
``interpret.ism.ism(..., members=True)`` serves. The first-call column is tracing
(TensorFlow), tracing and compiling (XLA; one compilation, shared by like members) or
converting and loading (ONNX Runtime, every member) before the first answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import benchdoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Ensemble ISM: other runtimes"
TARGET_S = 0.3


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def strand_inputs(x):
    """Both strands of one sequence as two references and all their single mutants."""
    import numpy as np

    from promoter_model.interpret import ism as I
    from promoter_model.sequence import reverse_complement_one_hot

    L = x.shape[0]
    alt = I.alternatives(I.reference_codes(x)).ravel()
    pos = np.repeat(np.arange(L), 3)
    X = np.stack([x, reverse_complement_one_hot(x[None])[0]]).astype(np.float32)
    seq = np.repeat([0, 1], 3 * L).astype(np.int32)
    return (X, seq, np.concatenate([pos, L - 1 - pos]).astype(np.int32),
            np.concatenate([alt, 3 - alt]).astype(np.int32))


def effects(x, outs, rc_average: bool):
    """Members' mean ISM effects from each member's (ref (2,), var (6L,)) outputs."""
    import numpy as np

    from promoter_model.interpret import ism as I

    n = x.shape[0] * 3
    ref = np.array([r[0] if not rc_average else r.mean() for r, _ in outs])
    var = np.array([v[:n] if not rc_average else (v[:n] + v[n:]) / 2 for _, v in outs])
    return I._scores_from_predictions(x, ref, var).mean(axis=0)


def _bound(plan):
    """``_member`` of one plan as a function of the tensors alone (what tracing sees)."""
    from promoter_model.interpret.fast_ism import _member

    return lambda X, seq, pos, alt: _member(plan, X, seq, pos, alt)


def engine_runner(pred, jit: bool):
    """The served windowed engine (like members share one trace), optionally under XLA."""
    from promoter_model.interpret import fast_ism
    from promoter_model.interpret import ism as I

    engine = fast_ism.engine_for(pred.models, jit=jit)

    def run(x):
        alt = I.alternatives(I.reference_codes(x)).ravel()[None]
        y = fast_ism.snv_member_predictions(engine, pred, x[None], alt, None, 512)
        return I._scores_from_predictions(x, y[:, 0], y[:, 1:]).mean(axis=0)
    return run


def _erfc(ctx, node, name, args):  # tf2onnx has no Erfc: 1 - Erf(x)
    import numpy as np
    import tf2onnx

    erf = ctx.make_node("Erf", [node.input[0]])
    one = ctx.make_const(tf2onnx.utils.make_name("one"), np.array(1.0, np.float32))
    ctx.remove_node(node.name)
    ctx.make_node("Sub", [one.output[0], erf.output[0]], outputs=node.output, name=node.name)


def ort_runner(plans, length: int):
    """One ONNX Runtime session per member, or None where onnxruntime/tf2onnx are missing."""
    try:
        import onnxruntime as ort
        import tf2onnx
    except ImportError:
        return None
    import tensorflow as tf

    spec = [tf.TensorSpec([None, length, 4], tf.float32, name="X")] + [
        tf.TensorSpec([None], tf.int32, name=n) for n in ("seq", "pos", "alt")]
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    sessions = []
    for plan in plans:
        fn = tf.function(_bound(plan), input_signature=spec)
        proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=17,
                                                 custom_op_handlers={"Erfc": (_erfc, [])})
        sessions.append(ort.InferenceSession(proto.SerializeToString(), options,
                                             providers=["CPUExecutionProvider"]))
    names = [i.name for i in sessions[0].get_inputs()]
    return lambda args: [tuple(s.run(None, dict(zip(names, args)))) for s in sessions]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "assets" / "demo_ensemble")
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from promoter_model.interpret import ism as I
    from promoter_model.interpret.fast_ism_plan import plan_for
    from promoter_model.predictor import load_predictor
    from promoter_model.sequence import one_hot

    pred = load_predictor(args.run)
    plans = [plan_for(m) for m in pred.models]
    if not pred.is_ensemble or any(p is None for p in plans):
        raise SystemExit(f"{args.run}: not an ensemble of build_model members")
    lines = (ROOT / "assets" / "data" / "train_demo.txt").read_text().splitlines()
    X = one_hot([ln.split("\t")[0] for ln in lines[:args.n]], length=pred.input_length)
    flags = cpu_flags()
    a = tf.random.normal([2048, 2048], seed=0)
    mm = tf.function(lambda z: tf.matmul(z, z))
    mm(a).numpy()
    t = time.perf_counter()
    for _ in range(5):
        mm(a).numpy()
    gflops = 2 * 2048 ** 3 * 5 / (time.perf_counter() - t) / 1e9

    load_start = os.getloadavg()[0]
    served = lambda x: I.ism(pred, x[None], members=True)[:, 0].mean(axis=0)  # noqa: E731
    runners = {"TensorFlow as served (`interpret.ism`)": lambda: served,
               "XLA (`jit_compile=True`), same engine": lambda: engine_runner(pred, True),
               "ONNX Runtime (tf2onnx), one member's windowed graph per session":
                   lambda: (lambda x, r=ort_runner(plans, pred.input_length): None if r is None
                            else effects(x, r(strand_inputs(x)), pred.rc_average))}
    rows = []
    for name, make in runners.items():
        t = time.perf_counter()
        fn = make()
        first = fn(X[0])
        first_s = time.perf_counter() - t
        if first is None:
            rows.append((name, None, first_s, None))
            continue
        times, diff = [], 0.0
        for x in X:
            t = time.perf_counter()
            e = fn(x)
            times.append(time.perf_counter() - t)
            ref = served(x)
            ok = ~np.isnan(ref)
            diff = max(diff, float(np.abs(e[ok] - ref[ok]).max() / np.abs(ref[ok]).max()))
        rows.append((name, statistics.median(times), first_s, diff))
    load_end = os.getloadavg()[0]

    base = rows[0][1]
    isa = ", ".join(f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags)
    text = [SECTION, "",
            f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
            f"{benchdoc.cpu_model()} ({isa or 'no AVX2'}), {os.cpu_count()} CPU cores "
            f"(1-minute load average {load_start:.1f} at the start, {load_end:.1f} at the "
            f"end), Python {platform.python_version()}, by `bench/bench_ism_runtimes.py` on "
            f"`{args.run.name}` ({len(plans)} members). A 2048 x 2048 float32 matrix product "
            f"reaches {gflops:.0f} GFLOP/s here.", "",
            f"Exact ISM of one sequence ({args.n} sequences of the bundled training pool, "
            "median); the largest effect difference is relative to the largest served effect "
            "(worst sequence).", "",
            "| runtime | median s | speed-up vs served | within 0.3 s | largest difference | "
            "first call s |", "|---|---:|---:|---|---:|---:|"]
    for name, s, first_s, diff in rows:
        if s is None:
            text.append(f"| {name} | not installed | | | | |")
            continue
        text.append(f"| {name} | {s:.3f} | {base / s:.2f}x | {'yes' if s <= TARGET_S else 'no'}"
                    f" | {diff:.1e} | {first_s:.1f} |")
    best = min((r for r in rows if r[1] is not None), key=lambda r: r[1])
    text += ["", f"Fastest exact runtime here: {best[0]}, {best[1]:.3f} s: "
             f"{best[1] / TARGET_S:.1f}x the 0.3 s target.", ""]
    return benchdoc.publish("\n".join(text), write=not args.no_write)


if __name__ == "__main__":
    sys.exit(main())
