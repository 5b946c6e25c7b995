"""Our conformal intervals against crepes' on the family ensemble's shipped files.

    pip install --no-deps crepes          # crepes 0.9 (Boström), not a dependency of ours
    python bench/bench_conformal_libs.py [--write]

The issue that asked for family-out-of-fold intervals suggested that a well-kept library
(crepes' Mondrian and normalised conformal regressors, MAPIE) may do this better than our
own code. This measures it on the same data, from the shipped files only
(``oof.tsv.gz``, ``test.tsv.gz``, ``calibration.json``, ``split.tsv.gz``):

1. Single sequences: crepes' Mondrian ``ConformalRegressor`` fitted on the OOF residuals
   with our bins of the predicted value, against ``calibration.json``, on the test
   families: the largest difference of half-widths and both coverages.
2. Single-base pairs: crepes fitted on the OOF pairs' residuals of ``alt - ref`` with the
   Mondrian categories (edit size, bin of the predicted change), against our difference
   quantiles, on the test families' single-base pairs.
3. A normalised crepes regressor whose difficulty is the distance to training (the one
   difficulty every OOF row has; the members' sd does not exist for OOF rows), to see
   whether it would have served the novel rows better.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdoc import ROOT, cpu_model, write_section  # noqa: E402

HEADING = "## Conformal intervals: ours against crepes"
ENSEMBLE = ROOT / "assets" / "family_ensemble"
LEVEL = 0.9


def _load():
    from promoter_model import dream
    from promoter_model.crossval.finalize import _oof_pairs
    from promoter_model.families.dream import all_subsets, split_subsets
    from promoter_model.runs import read_split, stored_test_predictions
    from promoter_model.sequence import SEQ_LEN, encode_fitted
    from promoter_model.uncertainty.calibration import load_calibration

    table = dream.load_test_table()
    split = read_split(ENSEMBLE)
    fold = split["fold"].to_numpy().astype(str)
    codes = encode_fitted(table["sequence"].tolist(), SEQ_LEN)[0]
    oof = pd.read_csv(ENSEMBLE / "oof.tsv.gz", sep="\t", dtype={"fold": str})
    test = stored_test_predictions(ENSEMBLE)
    pred = np.full(len(table), np.nan)
    pred[oof["pos"].to_numpy()] = oof["prediction"].to_numpy()
    pred[test["pos"].to_numpy()] = test["prediction"].to_numpy()
    pairs, mism = _oof_pairs(codes, fold, fold != "test")
    snv = np.asarray(split_subsets(all_subsets(table), fold == "test")["SNVs"])
    return {"y": table["expression"].to_numpy(np.float64), "pred": pred, "oof": oof,
            "test": test, "pairs": pairs, "mism": mism, "snv": snv, "codes": codes,
            "cal": load_calibration(ENSEMBLE / "calibration.json")}


def _cover(y, lo, hi) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def single_sequences(d, ConformalRegressor) -> dict:
    cal, oof, test = d["cal"], d["oof"], d["test"]
    yhat_o, y_o = oof["prediction"].to_numpy(), oof["measured"].to_numpy()
    yhat_t, y_t = test["prediction"].to_numpy(), test["measured"].to_numpy()
    cr = ConformalRegressor().fit(y_o - yhat_o, bins=cal.bin_of(yhat_o))
    theirs = cr.predict_int(yhat_t, bins=cal.bin_of(yhat_t), confidence=LEVEL)
    lo, hi = cal.interval(yhat_t, LEVEL)
    return {"max_half_width_difference": float(np.max(np.abs((hi - lo) - (theirs[:, 1]
                                                                        - theirs[:, 0])) / 2)),
            "ours": _cover(y_t, lo, hi), "crepes": _cover(y_t, theirs[:, 0], theirs[:, 1]),
            "width": float(np.mean(hi - lo))}


def snv_pairs(d, ConformalRegressor) -> dict:
    cal, y, pred = d["cal"], d["y"], d["pred"]
    diff = cal.differences
    a, b = d["pairs"][:, 0], d["pairs"][:, 1]
    ok = d["mism"] <= diff.mismatches.max()
    a, b, m = a[ok], b[ok], d["mism"][ok]
    cats = diff.rows(m, pred[a] - pred[b])[0]
    cr = ConformalRegressor().fit((y[a] - y[b]) - (pred[a] - pred[b]), bins=cats)
    ta, tb = d["snv"][:, 0], d["snv"][:, 1]
    delta_t = pred[ta] - pred[tb]
    theirs = cr.predict_int(delta_t, bins=diff.rows(np.ones(len(ta), int), delta_t)[0],
                            confidence=LEVEL)
    lo, hi = cal.difference_interval(pred[ta], pred[tb], LEVEL, mismatches=1)
    yd = y[ta] - y[tb]
    return {"max_half_width_difference": float(np.max(np.abs((hi - lo) - (theirs[:, 1]
                                                                        - theirs[:, 0])) / 2)),
            "ours": _cover(yd, lo, hi), "crepes": _cover(yd, theirs[:, 0], theirs[:, 1]),
            "width": float(np.mean(hi - lo)), "n": int(len(ta))}


def normalised_by_distance(d, ConformalRegressor) -> dict:
    """The normalised crepes regressor, difficulty 1 + distance to the member's training."""
    from bench_families import oof_training_distance

    from promoter_model.families.novelty import NOVEL

    oof, test = d["oof"], d["test"]
    dist = oof_training_distance(oof, d["codes"][oof["pos"].to_numpy()])
    sig_o = 1.0 + dist / 10.0
    sig_t = 1.0 + test["nearest_train_mismatches"].to_numpy() / 10.0
    cr = ConformalRegressor().fit(oof["measured"] - oof["prediction"], sigmas=sig_o)
    iv = cr.predict_int(test["prediction"].to_numpy(), sigmas=sig_t, confidence=LEVEL)
    y_t = test["measured"].to_numpy()
    novel = test["nearest_train_mismatches"].to_numpy() >= NOVEL
    return {"all": _cover(y_t, iv[:, 0], iv[:, 1]),
            "novel": _cover(y_t[novel], iv[novel, 0], iv[novel, 1]),
            "width": float(np.mean(iv[:, 1] - iv[:, 0]))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    try:
        import crepes
        from crepes import ConformalRegressor
    except ImportError:
        print("crepes is not installed: pip install --no-deps crepes", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    start = time.perf_counter()
    d = _load()
    one = single_sequences(d, ConformalRegressor)
    two = snv_pairs(d, ConformalRegressor)
    norm = normalised_by_distance(d, ConformalRegressor)
    text = [HEADING, "",
            f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, {cpu_model()}, "
            f"load average {load:.1f}, crepes {getattr(crepes, '__version__', '?')}; "
            f"`python bench/bench_conformal_libs.py` ({time.perf_counter() - start:.0f} s), "
            "from `assets/family_ensemble`'s shipped files. Coverage of the 90% interval on "
            "the held-out test families:", "",
            "| what | ours | crepes | largest half-width difference | our mean width |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| single sequences, Mondrian by predicted value ({len(d['test']):,} rows) | "
            f"{one['ours']:.4f} | {one['crepes']:.4f} | {one['max_half_width_difference']:.2g}"
            f" | {one['width']:.3f} |",
            f"| single-base pairs, Mondrian by edit size and predicted change ({two['n']:,} "
            f"pairs) | {two['ours']:.4f} | {two['crepes']:.4f} | "
            f"{two['max_half_width_difference']:.2g} | {two['width']:.3f} |", "",
            "The same method gives the same intervals: crepes' Mondrian regressor and ours "
            "pick the same order statistic of each bin's scores. crepes' normalised regressor "
            "with the distance to training as the difficulty (`1 + distance / 10`, one "
            f"global scale): {norm['all']:.4f} of all test rows and {norm['novel']:.4f} of "
            f"the novel ones, mean width {norm['width']:.3f}, against ours "
            f"{one['ours']:.4f} and width {one['width']:.3f}. Ours stays: it stores its "
            "quantiles at every level as checked JSON beside the ensemble (read through the "
            "gate, no pickles), serves any level up to 0.999 as a lookup, and holds the "
            "pair quantiles too; crepes would add a dependency for the same numbers.", ""]
    print("\n".join(text))
    if args.write:
        write_section("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
