"""The dashboard environment and AppTest helpers of the page tests (``test_app_pages.py``,
``test_app_mutagenesis.py``, ``test_app_training.py``): a runs folder with a copy of
``tiny_run`` as the demo, a second run to overlay and a broken one, its motif cache and
discovered patterns; and short readers of what a page sent.

``conftest.py``'s module fixture ``app_env`` wraps :func:`app_environment`, so each test
file gets its own environment and the variables it sets are restored when the file ends.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from app.export import plotly_spec  # noqa: E402

MAIN = str(ROOT / "app" / "main.py")
TIMEOUT = 120
GOOD = ("TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT")


def app_environment(tiny_run, tmp_path_factory):
    """A runs folder with a copy of ``tiny_run`` as the demo and a second run to overlay."""
    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.runs import load_run, write_checksums
    from promoter_model.sequence import one_hot
    from tests.conftest import random_promoters
    from tests.discovered_fixture import write_discovered

    root = tmp_path_factory.mktemp("app_runs")
    demo = root / "demo_model"
    shutil.copytree(tiny_run, demo)
    other = root / "runs" / "other_run"
    shutil.copytree(tiny_run, other)
    h = pd.read_csv(other / "history.csv")
    h["val_r2"] = [0.05, 0.15]
    h.to_csv(other / "history.csv", index=False)
    write_checksums(other)
    (root / "runs" / "broken_run").mkdir()
    # the motif cache, small and fast (the page's own button uses 2,000 sequences)
    X = one_hot(random_promoters(64, seed=3))
    compute_motifs(demo, X, np.linspace(-1, 1, 64, dtype=np.float32),
                   model=load_run(demo).model, n_null=10)
    write_discovered(demo)  # a REB1-like pattern (q < 0.05) and one without a match
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield {"demo": demo, "other": other}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def app_test(page: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


def ok(at):
    assert not at.exception, [e.message for e in at.exception]


def charts(at) -> list:
    return [plotly_spec(el.proto.spec) for el in at.get("plotly_chart")]


def df_of(at, column, nth=0) -> pd.DataFrame:
    """The ``nth`` dataframe shown whose table has ``column``."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) > nth, [list(d.value.columns) for d in at.dataframe]
    return found[nth]


def apply_mutation(at, pos: int, sequence: str = GOOD) -> str:
    """Apply a substitution at 1-based ``pos`` through the Mutagenesis keyboard form."""
    base = "A" if sequence[pos - 1] != "A" else "C"
    at.selectbox(key="mut_form_pos").set_value(pos)
    at.selectbox(key="mut_form_base").set_value(base)
    at.button(key="FormSubmitter:mut_form-Apply").click().run()
    return base


def by_title(specs, text):
    found = [s for s in specs if text in ((s["layout"].get("title") or {}).get("text") or "")]
    assert found, [(s["layout"].get("title") or {}).get("text") for s in specs]
    return found[0]

