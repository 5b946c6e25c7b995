"""``promoter-model``: prepare data, train, predict, evaluate, interpret.

Bad input never prints a traceback: the command exits with status 2 and one line
``error: ...`` naming the file, line, record, position or setting at fault.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning, module="keras")


# --------------------------------------------------------------------------- commands
def cmd_prepare(args) -> int:
    from . import records

    manifest = records.prepare(
        args.input, args.out, val_fraction=args.val_fraction, test_fraction=args.test_fraction,
        seed=args.seed, shard_size=args.shard_size, test_input=args.test_input,
        max_length=args.max_length,
        progress=(lambda msg: print(msg, file=sys.stderr)) if not args.quiet else None)
    counts = {k: v["count"] for k, v in manifest["splits"].items()}
    print(json.dumps({"out": str(args.out), "counts": counts}, indent=2))
    return 0


def _parse_overrides(pairs):
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def cmd_train(args) -> int:
    from .train import init_multi_host

    init_multi_host(force=args.multi_host)  # before anything touches JAX
    if args.cpu_devices:
        from .train import split_cpu

        split_cpu(args.cpu_devices)
    from .model.architectures import preset
    from .model.config import RunConfig, TrainConfig
    from .train import train

    overrides = _parse_overrides(args.set)
    if args.first_activation is not None:
        overrides["first_activation"] = args.first_activation
    model_cfg = preset(args.preset, **overrides)
    train_cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                            learning_rate=args.lr, lr_schedule=args.lr_schedule,
                            rc_augment=not args.no_rc_augment, seed=args.seed,
                            steps_per_epoch=args.steps_per_epoch,
                            early_stopping_patience=args.patience)
    config = RunConfig(preset=args.preset, model=model_cfg, train=train_cfg,
                       strategy=args.strategy, unit=args.unit)
    import contextlib

    # Keras writes progress to stdout; keep stdout for the result so it can be piped
    with contextlib.redirect_stdout(sys.stderr):
        metrics = train(args.data, args.out, config, tpu=args.tpu,
                        verbose=1 if sys.stderr.isatty() else 2)
    print(json.dumps(metrics, indent=2))
    return 0


def _interval_level(value) -> float:
    """``--interval`` as a level in (0, 1), or a ValueError naming the option."""
    from .uncertainty.calibration import check_level

    try:
        return check_level(value)
    except ValueError as exc:
        raise ValueError(f"--interval: {exc}") from None


def cmd_predict(args) -> int:
    from . import cli_io

    level = _interval_level(args.interval)
    # output and input first: a bad one is refused in a second, before TensorFlow loads
    cli_io.check_output(args.output, (args.input,))
    table = cli_io.read_input(args.input, max_length=args.max_length)
    import numpy as np
    import pandas as pd

    from .predictor import load_predictor
    from .uncertainty.intervals import UNAVAILABLE, predict_interval_sequences

    predictor = load_predictor(args.run)
    cli_io.fit_notice(table.sequences, predictor.input_length)
    iv = predict_interval_sequences(predictor, table.sequences, level=level,
                                    batch_size=args.batch_size)
    out = pd.DataFrame({"id": table.ids, "sequence": table.sequences,
                        "prediction": iv.mean.astype(np.float32)})
    if iv.sd is not None:  # an ensemble: the spread across its members
        out["sd"] = iv.sd.astype(np.float32)
    if iv.lower is None:
        print(f"note: {UNAVAILABLE}", file=sys.stderr)
    else:
        out["lower"] = iv.lower.astype(np.float32)
        out["upper"] = iv.upper.astype(np.float32)
        print(f"note: lower and upper bound a {100 * level:g}% conformal interval of the measured "
              f"value ({predictor.unit})", file=sys.stderr)
    cli_io.write_csv(out, args.output)
    return 0


def cmd_evaluate(args) -> int:
    from pathlib import Path

    import numpy as np

    from . import cli_io, dream, records
    from .metrics import regression_metrics
    from .predictor import load_predictor
    from .sequence import read_sequences
    from .uncertainty.intervals import UNAVAILABLE, coverage, subset_coverage

    level = _interval_level(args.interval)
    predictor = load_predictor(args.run)
    if args.save:  # before the work, not after it
        cli_io.check_writable(predictor.path, "evaluate --save")
    data = Path(args.data)
    cal = predictor.calibration
    seen = {}

    def predict_strings(sequences):  # float32, as a single run's predictions always were
        seen["mean"], seen["sd"] = predictor.predict_sequences(sequences,
                                                               batch_size=args.batch_size)
        return seen["mean"].astype("float32")

    def with_coverage(result, y, pred):
        if cal is not None:
            lower, upper = cal.interval(pred, level)
            result["interval"] = {"level": level, **coverage(y, lower, upper)}
        return result

    if data.is_dir() or "://" in args.data:
        codes, y = records.load_split(args.data, args.split)
        pred = predictor.predict_codes(codes, batch_size=args.batch_size)[0].astype("float32")
        result = with_coverage(regression_metrics(y, pred), y, pred)
        result["data"] = f"{args.split} split of {args.data}"
        key = f"{args.split}_split"
    elif dream.is_dream_test_table(data):
        subsets_path = args.subsets or dream.SUBSETS_FILE
        result = dream.score_public_leaderboard(predict_strings, data, subsets_path)
        if cal is not None:
            df = dream.load_test_table(data)
            public = df["public_leaderboard"].to_numpy() == 1
            mean, sd = np.full(len(df), np.nan), np.full(len(df), np.nan)
            mean[public] = seen["mean"]
            if seen["sd"] is not None:
                sd[public] = seen["sd"]
            result["interval"] = subset_coverage(
                df["expression"].to_numpy(np.float64), mean, cal,
                dream.load_subsets(subsets_path), level,
                sd=sd if seen["sd"] is not None else None)
        key = "dream_public_leaderboard"
    else:
        table = read_sequences(data, max_length=args.max_length)
        if table.expression is None:
            raise ValueError(f"{data}: no expression values to evaluate against (need a "
                             "DREAM-format file or a table with an 'expression' column)")
        pred = predict_strings(table.sequences)
        result = with_coverage(regression_metrics(table.expression, pred), table.expression,
                               pred)
        result["data"] = f"{data} (n={len(table)})"
        key = f"file:{data.name}"
    if cal is None:
        print(f"note: {UNAVAILABLE}; no interval coverage reported", file=sys.stderr)
    if args.save:
        predictor.save_metrics({**(predictor.metrics or {}), key: result})
    print(json.dumps(result, indent=2))
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from .sequence import DEFAULT_MAX_LENGTH

    parser = argparse.ArgumentParser(
        prog="promoter-model",
        description="Train, evaluate and interpret models of yeast promoter expression.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="split a DREAM training file into sharded TFRecords")
    p.add_argument("input", help="sequence<TAB>expression file (local or gs://)")
    p.add_argument("--out", required=True, help="output data folder (local or gs://)")
    p.add_argument("--val-fraction", type=float, default=0.025)
    p.add_argument("--test-fraction", type=float, default=0.025)
    p.add_argument("--test-input", help="use this file as the whole test split instead")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shard-size", type=int, default=100_000)
    p.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train a model on prepared data")
    p.add_argument("--data", required=True, help="folder written by 'prepare'")
    p.add_argument("--out", required=True, help="run folder (re-run the same command to resume)")
    p.add_argument("--preset", default="compact", choices=["reference", "compact", "tiny"])
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a model setting, e.g. --set lstm_units=16")
    p.add_argument("--first-activation", default=None, choices=["gelu", "exp"],
                   help="non-linearity of the first-layer filters (default: the preset's, "
                        "gelu); exp is the exponential activation of Koo & Ploenzke 2021")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-schedule", default="constant", choices=["constant", "cosine", "plateau"])
    p.add_argument("--steps-per-epoch", type=int, default=None)
    p.add_argument("--patience", type=int, default=0, help="early stopping on val R² (0: off)")
    p.add_argument("--no-rc-augment", action="store_true",
                   help="do not train on random reverse complements")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--unit", default="",
                   help="what the expression labels measure, recorded in config.json and "
                        "shown with every prediction (e.g. 'MAUDE-normalised expression')")
    p.add_argument("--strategy", default="auto", choices=["auto", "default", "mirrored", "tpu"])
    p.add_argument("--tpu", default=None, help="TPU name or address (TPU VM: leave empty)")
    p.add_argument("--cpu-devices", type=int, default=0,
                   help="split the CPU into N logical devices (tests the mirrored path)")
    p.add_argument("--multi-host", action="store_true",
                   help="JAX backend: join a multi-host job (TPU pod slice, GPU hosts) via "
                        "jax.distributed; implied by KERAS_DISTRIBUTION_* variables")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="predict expression of sequences")
    p.add_argument("run", help="run or ensemble folder")
    p.add_argument("input", help="FASTA, CSV/TSV with a 'sequence' column, DREAM file, "
                                 "one sequence per line, a sequence, or - for stdin")
    p.add_argument("--output", "-o",
                   help="CSV file (default: stdout); columns id, sequence, prediction, and "
                        "for a calibrated ensemble sd, lower, upper")
    p.add_argument("--interval", default="0.9", metavar="LEVEL",
                   help="coverage of the prediction interval, between 0 and 1 (default 0.9)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="score a run against measured expression")
    p.add_argument("run", help="run or ensemble folder")
    p.add_argument("data", help="prepared data folder, the DREAM test table, or a file with "
                                "expression values")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--subsets", help="public-leaderboard subsets JSON (default: bundled)")
    p.add_argument("--save", action="store_true", help="store the result in metrics.json")
    p.add_argument("--interval", default="0.9", metavar="LEVEL",
                   help="level whose interval coverage is reported (calibrated ensembles)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    p.set_defaults(func=cmd_evaluate)

    from . import cli_design, cli_discover, cli_interpret

    cli_interpret.register(sub)
    cli_design.register(sub)
    cli_discover.register(sub)
    return parser


def _one_line(exc) -> str:
    """The message on one line (line breaks become spaces; nothing else is changed)."""
    text = str(exc)
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def _os_error(exc: OSError) -> str:
    """``path: reason`` for an OSError (``[Errno 30] ...`` reworded)."""
    where = exc.filename if exc.filename is not None else None
    reason = exc.strerror or _one_line(exc)
    if exc.filename2 is not None:
        where = f"{exc.filename} -> {exc.filename2}"
    return f"{where}: {reason}" if where else reason


def _interrupt_on_terminate() -> None:
    """SIGTERM and SIGHUP stop the command like Ctrl-C, so temporary files are removed."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        try:
            if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
                signal.signal(sig, handler)
        except ValueError:  # not the main thread (in-process callers)
            return


def _is_input_error(exc: BaseException) -> bool:
    """Whether ``exc`` is one of our own messages about bad input (exit status 2).

    Our error classes always are. A plain ``ValueError`` is ours when our own code raised it
    (the innermost traceback frame is in ``promoter_model/``); one raised inside numpy,
    Keras or another library is a bug and is reported as one.
    """
    from .records import DataError
    from .runs.run import RunError
    from .runs.safety import RunSafetyError
    from .sequence import SequenceError
    from .train import TrainingError

    if isinstance(exc, (SequenceError, RunError, RunSafetyError, DataError, TrainingError)):
        return True
    if not isinstance(exc, ValueError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(here + os.sep)


def _report_bug(exc: BaseException) -> int:
    """Print the traceback and a one-line hint that this is a bug; exit status 1."""
    import traceback

    traceback.print_exception(exc, file=sys.stderr)
    print(f"error: unexpected {type(exc).__name__}: {_one_line(exc)}\n"
          "This is a bug in promoter-model, not a problem with your input; please report it "
          "to the maintainers with the command you ran and the traceback above.",
          file=sys.stderr)
    return 1


def main(argv=None) -> int:
    _quiet_tensorflow()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    _interrupt_on_terminate()
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except OSError as exc:  # read-only or full file system, permission, missing file ...
        print(f"error: {_os_error(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if _is_input_error(exc):
            print(f"error: {_one_line(exc)}", file=sys.stderr)
            return 2
        tf = sys.modules.get("tensorflow")
        op_error = getattr(getattr(tf, "errors", None), "OpError", None)
        if op_error is not None and isinstance(exc, op_error):  # tf.io.gfile (prepare, gs://)
            print(f"error: {_one_line(getattr(exc, 'message', exc))}", file=sys.stderr)
            return 2
        return _report_bug(exc)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
