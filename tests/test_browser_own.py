"""The issue-30 pages for a biologist's own sequences in Debian chromium (Playwright), on a
calibrated toy ensemble: a native promoter tiled (a window picked by clicking its point and
opened in Mutagenesis) and a variant list in TSS-relative coordinates. Skips where
/usr/bin/chromium is missing; never downloads a browser.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests import devserver
from tests.devserver import wait_idle
from tests.test_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

NATIVE = "".join(np.random.default_rng(11).choice(list("ACGT"), 605))
WT = "".join(np.random.default_rng(5).choice(list("ACGT"), 80))
CHART = """() => [...document.querySelectorAll('.js-plotly-plot')].find(
    d => d._fullData && d.layout && d.layout.title &&
         String(d.layout.title.text).includes('{title}'))"""


@pytest.fixture
def toy_server(tmp_path):
    from promoter_model.runs.ensemble import write_ensemble
    from tests.toy_models import linear_ensemble, toy_pair_calibration

    cal = toy_pair_calibration()
    ens, _ = linear_ensemble(tmp_path / "toy_ens", calibration=cal)
    write_ensemble(ens, [ens / "members" / f"fold-{k}" for k in range(2)], unit="toy units",
                   calibration=cal, metrics={"dream_public_leaderboard": {
                       "pearson_r2_yeast": 0.61234, "n_yeast": 208}})
    env = {**os.environ, "PROMOTER_DEMO_RUN": str(ens),
           "PROMOTER_RUNS_DIR": str(tmp_path / "runs"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    yield from devserver.serve(env, tmp_path)


def _no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_tile_a_native_promoter_click_a_window_open_it_in_chromium(  # noqa: D103
        browser, toy_server, tmp_path):  # noqa: F811
    from promoter_model.sequence import FLANK_3, FLANK_5

    chart = CHART.format(title="along the promoter")
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{toy_server}/tiling", wait_until="domcontentloaded")
    wait_idle(page)
    assert page.get_by_text("outside the training data", exact=False).count() == 1
    assert page.get_by_text("Pearson r² is 0.612", exact=False).count() == 1
    box = page.locator('textarea[aria-label^="Native promoter"]')
    box.fill("\n".join(NATIVE[i:i + 60] for i in range(0, len(NATIVE), 60)))
    box.press("Control+Enter")
    wait_idle(page)
    page.wait_for_function(f"() => {{ const g = ({chart})(); return g && g._fullData.some("
                           "t => t.name === 'prediction' && t.x.length === 54); }",
                           timeout=60_000)
    assert page.get_by_text("read as one sequence of 605 bp", exact=False).count() == 1
    star = page.evaluate(f"() => ({chart})()._fullData.find(t => String(t.name)"
                         ".startsWith('strongest window')).name")
    assert star.startswith("strongest window (")
    page.screenshot(path=str(tmp_path / "tiling.png"), full_page=True)
    # click the window starting at 50 (the 6th point): it becomes the window to open
    xy = page.evaluate(f"""() => {{
        const g = ({chart})(), t = g._fullData.find(t => t.name === 'prediction');
        const L = g._fullLayout, r = g.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.d2p(t.x[5]),
                r.top + L.yaxis._offset + L.yaxis.d2p(t.y[5])]; }}""")
    page.mouse.move(*xy)
    page.wait_for_timeout(300)
    page.mouse.click(*xy)
    wait_idle(page)
    page.wait_for_function("() => { const i = document.querySelector('input[aria-label="
                           "\"Window to open in Mutagenesis\"]'); "
                           "return i && i.value.startsWith('50-130: predicted'); }",
                           timeout=30_000)
    assert page.get_by_text(NATIVE[50:130], exact=True).count() == 1  # the window shown
    _no_errors(page)
    page.get_by_role("button", name="Open this window in Mutagenesis").click()
    wait_idle(page)
    page.wait_for_url("**/mutagenesis", timeout=30_000)
    seq = page.locator('textarea[aria-label^="Sequence (110 bp"]')
    seq.wait_for(timeout=30_000)
    assert seq.input_value() == FLANK_5 + NATIVE[50:130] + FLANK_3
    _no_errors(page)


def test_variant_list_in_tss_coordinates_in_chromium(browser, toy_server,  # noqa: F811
                                                     tmp_path):
    chart = CHART.format(title="Change from the wild type, ranked")
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{toy_server}/variants", wait_until="domcontentloaded")
    wait_idle(page)
    wt = page.locator('textarea[aria-label^="Wild type"]')
    wt.fill(WT)
    wt.press("Control+Enter")
    wait_idle(page)
    offset = page.locator('input[aria-label^="Offset"]')
    offset.fill("-81")
    offset.press("Enter")
    wait_idle(page)
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    edits = page.locator('textarea[aria-label^="Variants, one a line"]')
    edits.fill(f"{WT[9]}-71{other[WT[9]]}\nsite2,del-40--38\nins-60:GGGG")
    edits.press("Control+Enter")
    wait_idle(page)
    page.wait_for_function(f"() => {{ const g = ({chart})(); return g && "
                           "g._fullData[0].y.length === 3; }", timeout=60_000)
    labels = page.evaluate(f"() => Array.from(({chart})()._fullData[0].y)")
    assert sorted(labels) == sorted([f"v1 · {WT[9]}-71{other[WT[9]]}",
                                     "site2 · del-40--38", "v3 · ins-60:GGGG"])
    assert page.get_by_text("wild-type base 1 is position", exact=False).count() >= 1
    _no_errors(page)
    page.screenshot(path=str(tmp_path / "variants.png"), full_page=True)
    wrong = other[WT[44]]
    edits.fill(f"{wrong}-36G")  # WT base 45 is position -36
    edits.press("Control+Enter")
    wait_idle(page)
    error = page.locator('[data-testid="stAlertContentError"]')
    error.first.wait_for(timeout=30_000)
    assert f"the wild type has {WT[44]} at -36, not {wrong}" in error.first.inner_text()
    _no_errors(page)
