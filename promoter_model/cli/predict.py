"""``promoter-model predict`` and ``evaluate``: predictions with intervals, and scores.

The parser of both is in :mod:`.command`.
"""

from __future__ import annotations

import json
import sys


def interval_level(value) -> float:
    """``--interval`` as a level in (0, 1), or a ValueError naming the option."""
    from ..uncertainty.calibration import check_level

    try:
        return check_level(value)
    except ValueError as exc:
        raise ValueError(f"--interval: {exc}") from None


def cmd_predict(args) -> int:
    from . import io as cli_io

    level = interval_level(args.interval)
    # output and input first: a bad one is refused in a second, before TensorFlow loads
    cli_io.check_output(args.output, (args.input,))
    table = cli_io.read_input(args.input, max_length=args.max_length)
    cli_io.check_run_folder(args.run)
    import numpy as np
    import pandas as pd

    from ..predictor import load_predictor
    from ..uncertainty.intervals import UNAVAILABLE, predict_interval_sequences

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
    distance, _ = predictor.nearest_training(table.sequences)
    if distance is not None:
        from ..families.novelty import NOVEL

        out["nearest_train_mismatches"] = distance
        far = int((distance >= NOVEL).sum())
        print(f"note: nearest_train_mismatches counts the bases of the 80 bp variable region "
              f"that differ from the nearest sequence the model trained on; {far} of "
              f"{len(distance)} sequences are new to the model (none within {NOVEL - 1} "
              "bases)", file=sys.stderr)
    cli_io.write_csv(out, args.output)
    return 0


def cmd_evaluate(args) -> int:
    from pathlib import Path

    from . import io as cli_io

    level = interval_level(args.interval)
    # a bad run, or a read-only one with --save, is refused before TensorFlow loads and
    # before the work, not after it
    cli_io.check_run_folder(args.run)
    if args.save:
        cli_io.check_writable(args.run, "evaluate --save")
    import numpy as np

    from .. import dream, records
    from ..metrics import regression_metrics
    from ..predictor import load_predictor
    from ..runs.ensemble import read_split
    from ..sequence import read_sequences
    from ..uncertainty.intervals import UNAVAILABLE, coverage, subset_coverage

    predictor = load_predictor(args.run)
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
    elif dream.is_dream_test_table(data) and (split := read_split(args.run)) is not None:
        result = score_test_families(predictor, data, split, level, args.batch_size)
        key = "test_families"
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


def score_test_families(predictor, data, split, level: float, batch_size: int) -> dict:
    """Scores of a family-split ensemble on the DREAM table ``data``: only its held-out test
    families (the other rows, public ones included, are in families its members trained
    or were selected on), with the challenge's subsets, the interval's coverage and every
    row's distance to training, as its ``metrics.json`` has them.
    """
    from pathlib import Path

    import numpy as np

    from .. import dream
    from ..crossval.score import family_scores, interval_report
    from ..families.dream import all_subsets, split_subsets, test_family_rows
    from ..sequence import SEQ_LEN, encode_fitted

    df = dream.load_test_table(data)
    test = df["pos"].isin(test_family_rows(split)).to_numpy()
    if not test.any():
        raise ValueError(f"{data}: none of its rows is one of this ensemble's test families")
    seqs = df.loc[test, "sequence"].tolist()
    mean, sd = predictor.predict_sequences(seqs, batch_size=batch_size)
    mean = np.asarray(mean, dtype=np.float64)
    y = df["expression"].to_numpy(np.float64)
    every = {name: np.asarray(v) for name, v in all_subsets(df).items()}
    every = {name: v[(v < len(df)).all(axis=-1)] if v.ndim == 2 else v[v < len(df)]
             for name, v in every.items()}  # a table shorter than the DREAM file's
    subsets = split_subsets(every, test)
    what = (f"held-out test families of {Path(data).name}: {int(test.sum())} rows none of "
            f"whose families this ensemble trained, selected or calibrated on; "
            f"{predictor.unit}")
    result = family_scores(y, mean, test, subsets, what)
    if predictor.calibration is not None and sd is not None:
        codes = encode_fitted(df["sequence"].tolist(), SEQ_LEN)[0]
        distance, _ = predictor.nearest_training(seqs)
        result["interval"] = interval_report(y, mean, np.asarray(sd, np.float64), test,
                                             predictor.calibration, subsets, codes,
                                             distance, level)
    return result
