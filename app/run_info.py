"""What a run says about itself, as text for the pages: its unit, its test data, its metrics.

Run-provided text is made safe for Markdown (:func:`app.deployment.safe_markdown`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.deployment import safe_markdown
from promoter_model.predictor import DEFAULT_UNIT

MEASURED_UNIT = "MAUDE-normalised expression"


def unit_of(run) -> str:
    """What the model predicts, as the run records it (``config.json`` unit, written by
    ``train --unit``, or a ``unit`` in ``metrics.json``); never guessed from free text.
    """
    for source in (getattr(run.config, "__dict__", {}), run.metrics or {},
                   (run.metrics or {}).get("test") or {}):
        if not isinstance(source, dict):
            continue
        for key in ("unit", "units", "target"):
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return safe_markdown(" ".join(value.split())[:80])
    return DEFAULT_UNIT


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
