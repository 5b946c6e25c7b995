"""The issue-28/30 screens in Debian chromium (Playwright), on a toy family-split ensemble:
the ranked dot plot of many predictions with how new each is, and the Mutagenesis switch
for flank mutations. Skips where /usr/bin/chromium is missing; never downloads a browser.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from tests import devserver
from tests.devserver import wait_idle
from tests.family_fixture import build_family_ensemble
from tests.test_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def family_server(tmp_path):
    ens = build_family_ensemble(tmp_path)
    env = {**os.environ, "PROMOTER_DEMO_RUN": str(ens),
           "PROMOTER_RUNS_DIR": str(tmp_path / "runs"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    yield from devserver.serve(env, tmp_path)


def test_ranked_predictions_and_flank_switch_in_chromium(browser, family_server,  # noqa: F811
                                                         tmp_path):
    seqs = pd.read_csv(tmp_path / "family_toy_test.tsv", sep="\t")["sequence"].tolist()
    text = "\n".join(f">promoter_{i}\n{s}" for i, s in enumerate(seqs[::25][:24]))
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(family_server, wait_until="domcontentloaded")
    wait_idle(page)
    box = page.locator("textarea").first
    box.fill(text)
    box.press("Control+Enter")
    wait_idle(page)
    find = """() => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            d => d._fullData && d.layout && d.layout.title &&
                 String(d.layout.title.text).includes('Predictions ranked'));
        return gd ? Array.from(gd._fullData[0].y) : null;
    }"""
    page.wait_for_function(f"() => {{ const r = ({find})(); return r && r.length === 24; }}",
                           timeout=60_000)
    labels = page.evaluate(find)
    assert sorted(labels) == sorted(f"promoter_{i}" for i in range(24))
    assert page.get_by_text("how new", exact=False).count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "predict_ranked.png"), full_page=True)

    page.goto(f"{family_server}/mutagenesis", wait_until="domcontentloaded")
    wait_idle(page)
    assert page.get_by_text("How new this sequence is to the model", exact=False).count() == 1
    assert page.get_by_text("plasmid flanks are left out", exact=False).count() == 1
    page.get_by_text("Include mutations in the plasmid flanks", exact=False).click()
    wait_idle(page)
    assert page.get_by_text("included and flagged", exact=False).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
