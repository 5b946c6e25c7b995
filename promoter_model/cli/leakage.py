"""``promoter-model leakage TRAIN TEST``: how much of a test set its training set already holds.

``register(subparsers)`` adds the command to the main parser. For every test row it finds
the nearest training row (bases that differ in the 80 bp variable region), prints the share
of test rows with a training row 1, 2 or 3 bases away and, with ``--run`` and measured
values in the test file, the scores and interval coverage stratified by that distance
(:func:`promoter_model.families.leakage.leakage_report`). ``--output`` writes one row per
test sequence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import io as cli_io


def _training_codes(path: str, max_length: int):
    """Fitted base codes of a training set: a prepared data folder (its train and val
    splits) or a file in any input format (a DREAM file is streamed in chunks).
    """
    import numpy as np

    from ..records import load_split, read_manifest
    from ..records.inputs import input_format, iter_input
    from ..sequence import encode_fitted

    if Path(path).is_dir():
        manifest = read_manifest(path)
        parts = [load_split(path, s)[0] for s in ("train", "val")
                 if manifest["splits"].get(s, {}).get("count", 0)]
        return np.concatenate(parts)
    fmt = input_format(path)
    parts = [encode_fitted(seqs)[0] for seqs, _ in iter_input(path, fmt, 200_000, max_length)]
    if not parts:
        raise ValueError(f"{path}: no training sequences found")
    return np.concatenate(parts)


def cmd_leakage(args) -> int:
    import numpy as np
    import pandas as pd

    from ..families.leakage import leakage_report

    cli_io.check_output(args.output, (args.train, args.test))
    table = cli_io.read_input(args.test, max_length=args.max_length)
    if len(table) == 0:
        raise ValueError(f"{args.test}: no sequences found")
    train = _training_codes(args.train, args.max_length)
    measured = (np.asarray(table.expression, dtype=np.float64)
                if table.expression is not None else None)
    predicted = lower = upper = None
    if args.run:
        from ..predictor import load_predictor
        from ..uncertainty.intervals import predict_interval_sequences

        iv = predict_interval_sequences(load_predictor(args.run), table.sequences,
                                        batch_size=args.batch_size)
        predicted, lower, upper = iv.mean, iv.lower, iv.upper
    report = leakage_report(train, table.sequences, measured, predicted, lower, upper)
    shares = report["shares"]
    print(f"{shares['n']:,} test rows against {len(train):,} training rows: "
          + ", ".join(f"{100 * shares[f'within_{k}']:.1f}% have a training row within {k} "
                      f"base{'s' if k > 1 else ''}" for k in (1, 2, 3))
          + (f" (distances exact up to {report['exact_up_to']})"
             if report["exact_up_to"] is not None else ""), file=sys.stderr)
    if predicted is None or measured is None:
        print("note: give --run RUN and a test file with measured expression for scores by "
              "distance", file=sys.stderr)
    summary = {"shares": shares, "exact_up_to": report["exact_up_to"],
               "by_distance": report["table"].to_dict(orient="records")}
    print(json.dumps(summary, indent=2, default=float))
    if args.output:
        rows = pd.DataFrame({"id": table.ids, "nearest_train_mismatches": report["distance"]})
        for name, values in (("measured", measured), ("prediction", predicted),
                             ("lower", lower), ("upper", upper)):
            if values is not None:
                rows[name] = values
        cli_io.write_csv(rows, args.output)
    return 0


def register(subparsers) -> None:
    """Add ``leakage`` to the ``promoter-model`` parser."""
    from ..sequence import DEFAULT_MAX_LENGTH

    p = subparsers.add_parser(
        "leakage", help="how many test rows have a near copy in the training set, and "
                        "the scores by that distance")
    p.add_argument("train", help="training file (any input format; DREAM files are streamed) "
                                 "or a folder written by 'prepare' (its train and val splits)")
    p.add_argument("test", help="test file: FASTA, CSV/TSV (an 'expression' column gives "
                                "scores), a DREAM file")
    p.add_argument("--run", help="run or ensemble folder: score its predictions by distance")
    p.add_argument("--output", "-o", help="CSV, one row per test sequence: id, "
                                          "nearest_train_mismatches (and measured, "
                                          "prediction, lower, upper when known)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH)
    p.set_defaults(func=cmd_leakage)
