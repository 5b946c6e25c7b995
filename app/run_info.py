"""What a run says about itself, as text for the pages: its unit, its test data, its metrics.

Run-provided text is made safe for Markdown (:func:`app.deployment.safe_markdown`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.deployment import safe_markdown
from promoter_model.predictor import run_unit

MEASURED_UNIT = "MAUDE-normalised expression"


def unit_of(model) -> str:
    """What the model predicts, as the run or ensemble records it (``Predictor.unit``, or
    :func:`promoter_model.predictor.run_unit` of a run); never guessed from free text.
    """
    unit = model.unit if hasattr(model, "unit") else run_unit(model)
    return safe_markdown(" ".join(str(unit).split())[:80])


def headline_data(metrics: dict) -> str | None:
    """What the headline test metrics were computed on (the ``data`` note of ``test``)."""
    test = metrics.get("test")
    if isinstance(test, dict) and isinstance(test.get("data"), str):
        return safe_markdown(test["data"])
    return None


def metrics_table(metrics: dict) -> pd.DataFrame:
    """Flatten ``metrics.json`` into rows ``section, metric, value``."""
    rows = []

    def walk(prefix, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            section, _, metric = prefix.rpartition(".")
            rows.append({"section": section or "-", "metric": metric, "value": float(obj),
                         "note": ""})
        elif isinstance(obj, str):
            section, _, metric = prefix.rpartition(".")
            rows.append({"section": section or "-", "metric": metric, "value": np.nan,
                         "note": obj})

    walk("", metrics)
    return pd.DataFrame(rows, columns=["section", "metric", "value", "note"])
