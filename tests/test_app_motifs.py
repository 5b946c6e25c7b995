"""The Motifs page's discovered patterns: roles follow the effect's sign, and the matched
JASPAR logo is drawn beside a named match, aligned with the pattern (issue 30).

``pattern_role`` and ``aligned_pair`` are checked on their own first (fast), then the page
under ``streamlit.testing.v1.AppTest`` on a copy of the ``tiny_run`` fixture.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAIN = str(ROOT / "app" / "main.py")


def test_role_follows_the_effect_not_the_attribution_sign():
    from promoter_model.motifs import pattern_role

    assert pattern_role({"sign": "-", "effect": 0.2}) == "activator"
    assert pattern_role({"sign": "+", "effect": -0.2}) == "repressor"
    assert pattern_role({"sign": "+", "effect": 0.0}) == "no effect"
    assert pattern_role({"sign": "-", "effect": float("nan")}) == "effect not computed"


def test_aligned_pair_puts_a_motif_over_its_reverse_complement():
    from promoter_model.motifs import aligned_pair, find_motif, reverse_complement_pfm

    reb1 = find_motif("REB1").pfm
    padded = np.vstack([np.full((3, 4), 0.25), reb1])
    top, bottom, al = aligned_pair(padded, reverse_complement_pfm(reb1))
    assert al["strand"] == "-" and al["score"] > 0.99
    assert top.shape == bottom.shape == (len(padded), 4)
    np.testing.assert_allclose(bottom[3:], reb1 / reb1.sum(axis=1, keepdims=True), atol=1e-6)
    assert np.isnan(bottom[:3]).all() and not np.isnan(top).any()
    from promoter_model import plot

    fig = plot.motif_pair(top, bottom, titles=("pattern", "REB1"))
    assert len(fig.axes) == 2
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.fixture(scope="module")
def motif_env(tiny_run, tmp_path_factory):
    """A demo run whose discovered patterns disagree in attribution and effect signs."""
    from promoter_model.motifs.store import model_checksum
    from tests.discovered_fixture import discovered_doc, write_discovered

    root = tmp_path_factory.mktemp("motif_app")
    demo = root / "demo_model"
    shutil.copytree(tiny_run, demo)
    doc = discovered_doc(model_checksum(demo))
    pos, neg = doc["patterns"]
    neg["effect"] = 0.25  # negative attributions, yet scrambling it lowers the prediction
    flipped = {**pos, "name": "pos_1", "effect": -0.3, "matches": []}
    doc["patterns"] = [pos, neg, flipped]
    write_discovered(demo, doc)
    old = {k: os.environ.get(k) for k in ("PROMOTER_DEMO_RUN", "PROMOTER_RUNS_DIR")}
    os.environ["PROMOTER_DEMO_RUN"] = str(demo)
    os.environ["PROMOTER_RUNS_DIR"] = str(root / "runs")
    yield demo
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.slow
def test_motifs_page_roles_and_jaspar_logo_beside_the_match(motif_env):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    at.switch_page("views/motifs.py").run()
    assert not at.exception, [e.message for e in at.exception]
    captions = [c.value for c in at.caption]
    role = {name: next(c for c in captions if f"{n} seqlets" in c)
            for name, n in (("pos_0", 120), ("neg_0", 45))}
    assert role["pos_0"].startswith("activator;")
    assert role["neg_0"].startswith("activator (by its effect; its attributions are "
                                    "negative")
    flipped = [c for c in captions if c.startswith("repressor (by its effect; its "
                                                   "attributions are positive")]
    assert len(flipped) == 1 and "-0.300" in flipped[0]
    # a positive effect is never called a repressor
    assert not any(c.startswith("repressor") and "+0." in c.split("scrambled:")[-1]
                   for c in captions)
    # the named match (REB1) has its JASPAR logo beside it, aligned, with downloads
    keys = {b.key for b in at.get("download_button")}
    assert {"disc_jaspar_pos_0_png", "disc_jaspar_pos_0_svg"} <= keys
    assert not any(k.startswith(("disc_jaspar_neg_0", "disc_jaspar_pos_1")) for k in keys)
    assert any("over REB1, columns aligned" in c for c in captions)
