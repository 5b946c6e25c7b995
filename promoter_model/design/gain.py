"""The gain of each design over its start, with the interval of the measured gain.

A design is its start with a few bases changed, so its gain (prediction − the start's) is a
variant effect: where the predictor is calibrated, its interval is the one calibrated on
measured pairs of family-out-of-fold sequences for designs 1-3 mutations from the start
(:meth:`promoter_model.uncertainty.calibration.Calibration.difference_interval`), and the
wide Bonferroni bound for designs further away. Designs are chosen because the model
predicts a large gain, which is where split-conformal intervals are known to under-cover
(``docs/design.md``): read the interval as the model's, not a guarantee.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVEL = 0.9


def with_gain(table: pd.DataFrame, predictor, level: float = LEVEL) -> pd.DataFrame:
    """``table`` (a design table whose first row is the start) with ``gain``,
    ``gain_lower``, ``gain_upper`` and ``gain_calibrated`` after ``upper`` when the
    predictor has a calibration; unchanged otherwise. The start's own row has no gain.
    """
    cal = getattr(predictor, "calibration", None)
    if cal is None or table.empty:
        return table
    mean = table["prediction"].to_numpy(np.float64)
    start = np.full(len(mean), mean[0])
    edits = table["n_mutations"].to_numpy(np.int64)
    lower, upper = cal.difference_interval(mean, start, level, mismatches=edits)
    gain = mean - start
    out = table.copy()
    at = list(out.columns).index("upper") + 1
    for k, (name, values) in enumerate((("gain", gain), ("gain_lower", lower),
                                        ("gain_upper", upper))):
        out.insert(at + k, name, np.where(edits > 0, values, np.nan))
    out.insert(at + 3, "gain_calibrated", cal.calibrated_pairs(edits) & (edits > 0))
    return out
