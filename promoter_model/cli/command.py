"""``promoter-model``: the parser and :func:`main`, which keeps the exit-status contract.

Bad input never prints a traceback: the command exits with status 2 and one line
``error: ...`` naming the file, line, record, position or setting at fault; anything else
is reported as a bug (exit status 1). The commands themselves live beside this module:
:mod:`.data` (``prepare``, ``train``), :mod:`.predict` (``predict``, ``evaluate``),
:mod:`.interpret`, :mod:`.variants`, :mod:`.design`, :mod:`.discover`, :mod:`.leakage`
and :mod:`.grammar` (which register their own parsers).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .data import cmd_prepare, cmd_train
from .predict import cmd_evaluate, cmd_predict


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning, module="keras")


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from ..sequence import DEFAULT_MAX_LENGTH

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
    p.add_argument("--test-input", help="use this file as the whole test split instead "
                                        "(rows related to it are left out of train and val)")
    p.add_argument("--split", default="family", choices=["family", "hash"],
                   help="family (default): near copies, variant series and shifted tiles are "
                        "grouped into families and each family goes to one split, so no "
                        "score is computed on a near copy of a training row; hash: each "
                        "sequence by a hash of itself (identical sequences only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shard-size", type=int, default=100_000)
    p.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train a model on prepared data")
    p.add_argument("--data", required=True, help="folder written by 'prepare'")
    p.add_argument("--out", required=True, help="run folder (re-run the same command to resume)")
    p.add_argument("--preset", default=None, choices=["reference", "compact", "tiny"],
                   help="architecture (default compact; with --init-from: the run's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a model setting, e.g. --set lstm_units=16")
    p.add_argument("--first-activation", default=None, choices=["gelu", "exp"],
                   help="non-linearity of the first-layer filters (default: the preset's, "
                        "gelu); exp is the exponential activation of Koo & Ploenzke 2021")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256, help="global batch (all devices)")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate, used as given (default: the preset's rate at "
                        "batch 256, square-root scaled to --batch-size; printed at start)")
    p.add_argument("--lr-schedule", default="warmup_cosine",
                   choices=["warmup_cosine", "cosine", "constant", "plateau"],
                   help="default: linear warm-up over --warmup of the steps, then cosine")
    p.add_argument("--warmup", type=float, default=0.1, metavar="FRACTION",
                   help="share of all steps spent warming up (warmup_cosine; default 0.1)")
    p.add_argument("--precision", default="auto",
                   choices=["auto", "float32", "mixed_bfloat16"],
                   help="auto: mixed_bfloat16 on a GPU or TPU, float32 on a CPU")
    p.add_argument("--init-from", default=None, metavar="RUN",
                   help="start from this trained run (or ensemble, with --init-member): "
                        "its architecture and weights, the output refitted to the new "
                        "labels' scale")
    p.add_argument("--init-member", type=int, default=None, metavar="I",
                   help="member I of the --init-from ensemble")
    p.add_argument("--finetune", default="all", choices=["all", "head"],
                   help="with --init-from: train all layers, or the dense head only")
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
    p.add_argument("data", help="prepared data folder, the DREAM test table (scored on its "
                                "public rows, or on a family-split ensemble's test families), "
                                "or a file with expression values")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--subsets", help="public-leaderboard subsets JSON (default: bundled)")
    p.add_argument("--save", action="store_true", help="store the result in metrics.json")
    p.add_argument("--interval", default="0.9", metavar="LEVEL",
                   help="level whose interval coverage is reported (calibrated ensembles)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    p.set_defaults(func=cmd_evaluate)

    from . import design as cli_design
    from . import discover as cli_discover
    from . import grammar as cli_grammar
    from . import interpret as cli_interpret
    from . import leakage as cli_leakage
    from . import variants as cli_variants

    cli_interpret.register(sub)
    cli_leakage.register(sub)
    cli_variants.register(sub)
    cli_design.register(sub)
    cli_discover.register(sub)
    cli_grammar.register(sub)
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
    from ..records import DataError
    from ..runs.run import RunError
    from ..runs.safety import RunSafetyError
    from ..sequence import SequenceError
    from ..train import TrainingError

    if isinstance(exc, (SequenceError, RunError, RunSafetyError, DataError, TrainingError)):
        return True
    if not isinstance(exc, ValueError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # promoter_model/
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
    """Run ``promoter-model`` with ``argv`` (default: the command line); return the status."""
    _quiet_tensorflow()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    _interrupt_on_terminate()
    try:
        from ..bounds import check_parsed

        check_parsed(args)  # every float option finite, whatever the command (issue 29)
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
