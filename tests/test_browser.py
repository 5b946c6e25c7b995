"""End to end in a real browser: Debian chromium driven by Playwright.

Starts ``streamlit run app/main.py`` on a free loopback port (pointed at the ``tiny_run``
fixture), waits for ``/_stcore/health``, enters a bare 80 bp variable region on the
Mutagenesis page, waits for the app to finish running, checks that the plotly heatmap is of
the construct with its plasmid flanks, that the logo image rendered and no error box is
shown, and saves a screenshot. Never downloads a browser: it uses
``/usr/bin/chromium`` (``apt-get install chromium``) or skips.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from app.deployment import demo_run_path
from tests import devserver
from tests.devserver import CHROMIUM, CHROMIUM_ARGS, wait_idle

SEQ = "TGCATTTTTTTCACATC" + "GATTACA" * 11 + "ACG" + "GGTTACGGCTGTT"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture
def browser():
    """Debian chromium through Playwright, closed after the test; skipped where it is
    missing (the browser tests never download a browser). ``launch()`` gives every test a
    fresh, temporary user-data dir. Per test, not per module: a live sync Playwright would
    refuse the one ``scripts/docker_pages.py`` starts in the page check.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); "
                    "the browser test never downloads a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def app_demo(tiny_run, tmp_path_factory):
    """The folder :func:`app_server` opens on: a copy of ``tiny_run``."""
    demo = tmp_path_factory.mktemp("browser_app") / "demo_model"
    shutil.copytree(tiny_run, demo)
    return demo


@pytest.fixture(scope="module")
def app_server(app_demo):
    """The app on :func:`app_demo`, started once for the module's tests (each in its own page,
    so its own session); its log is beside the demo.
    """
    env = {**os.environ, "PROMOTER_DEMO_RUN": str(app_demo),
           "PROMOTER_RUNS_DIR": str(app_demo.parent / "runs"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    yield from devserver.serve(env, app_demo.parent)



def test_mutagenesis_in_chromium(browser, app_server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{app_server}/mutagenesis", wait_until="domcontentloaded")
    wait_idle(page)
    box = page.locator('textarea[aria-label^="Sequence (110 bp"]')
    # the bare 80 bp variable region: placed between the plasmid flanks, so the
    # heatmap is of the full construct SEQ, and the user is told
    core = SEQ[17:97]
    box.fill(core)
    box.press("Control+Enter")
    wait_idle(page)
    # the rendered heatmap (plotly keeps its data on the div) is of the new sequence
    find = """() => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            d => d._fullData && d.layout && d.layout.title && String(d.layout.title.text)
                .includes('Predicted effect of every single mutation'));
        if (!gd) return null;
        const f = gd._fullData;
        return {rows: f[0].z.length, cols: f[0].z[0].length, type: f[0].type,
                ref: Array.from(f[1].y).join('')};
    }"""
    page.wait_for_function(
        f"() => {{ const r = ({find})(); return r && r.ref === '{SEQ}'; }}",
        timeout=30_000)
    heat = page.evaluate(find)
    assert heat == {"rows": 4, "cols": 110, "type": "heatmap", "ref": SEQ}
    logo = page.locator('[data-testid="stImage"] img').first
    logo.wait_for(timeout=30_000)
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 100",
                         logo.element_handle())
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.get_by_text("read as the variable region", exact=False).count() == 1
    assert core in box.input_value()
    page.screenshot(path=str(tmp_path / "mutagenesis.png"), full_page=True)
    assert (tmp_path / "mutagenesis.png").stat().st_size > 20_000


def demo_label() -> str:
    """The picker's name of the model the app opens on (the family ensemble once built)."""
    from promoter_model.runs.catalog import check_folder

    return check_folder(demo_run_path(Path(devserver.ROOT))).label


def bundled_labels() -> list:
    """The picker's names of the other bundled models (the earlier ensemble, the demo run)."""
    from app.deployment import bundled_runs
    from promoter_model.runs.catalog import check_folder

    return [f"bundled: {check_folder(p).label}" for p in bundled_runs(Path(devserver.ROOT))[1:]]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The app on the bundled demo run, with a copy of it under another name in the runs
    folder; started once for the module (a cold start loads every member of the demo
    ensemble).
    """
    home = tmp_path_factory.mktemp("browser_demo")
    runs = home / "runs"
    shutil.copytree(Path(devserver.ROOT) / "assets" / "demo_model", runs / "copied-run")
    env = {**os.environ, "PROMOTER_RUNS_DIR": str(runs), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("PROMOTER_DEMO_RUN", None)
    yield from devserver.serve(env, home)


@pytest.mark.timeout(900)  # a cold Training page on the ensemble: minutes on a slow CPU
def test_every_page_renders_and_the_picker_offers_the_run(demo_server, tmp_path, capsys):
    """``scripts/docker_pages.py`` (the Docker check's page check) passes and can fail."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    sys.path.insert(0, str(devserver.ROOT / "scripts"))
    import docker_pages

    assert docker_pages.main([demo_server, "--run", "copied-run",
                              "--shots", str(tmp_path / "shots")]) == 0
    seen = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(seen) == {*docker_pages.PAGES, "picker"}
    offered = [f"demo: {demo_label()}", *bundled_labels(), "copied-run"]
    assert "bundled: demo_model" in offered
    assert seen["picker"]["offered"] == offered
    assert "Validation R² per epoch" in seen["training"]["plots"]
    assert seen["mutagenesis"]["images"] >= 1 and seen["predict"]["tables"] == 1
    assert len(list((tmp_path / "shots").glob("*.png"))) == 4
    # a run that is not offered fails the check, naming what was offered
    assert docker_pages.main([demo_server, "--only", "predict", "--run", "not-there"]) == 1
    assert f"run picker offers {offered}" in capsys.readouterr().out


def test_design_in_chromium(browser, app_server, tmp_path):
    """Design from the default example, see the charts, open the best design in Mutagenesis."""
    find = """(title) => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            d => d._fullData && d.layout && d.layout.title && String(d.layout.title.text)
                .includes(title));
        return gd ? gd._fullData.map(t => ({type: t.type, n: (t.y || []).length})) : null;
    }"""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{app_server}/design", wait_until="domcontentloaded")
    wait_idle(page)
    page.get_by_role("button", name="Design", exact=True).click()
    wait_idle(page, timeout_ms=120_000)
    page.wait_for_function(f"() => ({find})('Design trajectories') !== null",
                           timeout=60_000)
    traj = page.evaluate(find, "Design trajectories")
    assert traj and all(t["type"] == "scatter" and t["n"] >= 2 for t in traj)
    align = page.evaluate(find, "Designs against the start")
    assert align and align[0]["type"] == "heatmap" and align[0]["n"] == len(traj) + 1
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    assert errors == []
    page.screenshot(path=str(tmp_path / "design.png"), full_page=True)
    first = page.locator('[data-testid="stCode"]').last.inner_text().splitlines()[1]
    assert first.startswith("design-1")
    # the oligo box stays open while its overhangs are typed (it once closed on the first
    # rerun after a search, when the progress bar above it was gone)
    page.get_by_text("Order oligos: the designs with your cloning overhangs").click()
    arm = page.locator('input[aria-label^="5\' overhang"]')
    arm.fill("GGTCTCA")
    arm.press("Enter")
    wait_idle(page)
    assert arm.is_visible()
    page.get_by_text("nt 5' overhang", exact=False).first.wait_for(timeout=30_000)
    captions = page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
    assert any("oligo(s) of 87 nt" in c for c in captions), captions
    page.get_by_role("button", name="Open in Mutagenesis").click()
    wait_idle(page)
    box = page.locator('textarea[aria-label^="Sequence (110 bp"]')
    box.wait_for(timeout=30_000)
    assert "mutagenesis" in page.url
    edited = first.split()[-1]  # the variable region with '.' for unchanged bases
    value = box.input_value()
    assert len(value) == 110 and all(e in (".", v) for e, v in
                                     zip(edited, value[17:97]))
    assert any(e != "." for e in edited)


def test_grammar_position_scan_in_chromium(browser, app_server, tmp_path):
    """Two backgrounds, Scan positions: the profile with its two strands and two bands."""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{app_server}/grammar", wait_until="domcontentloaded")
    wait_idle(page)
    n = page.locator('input[aria-label^="Backgrounds"]')
    n.wait_for(timeout=60_000)
    n.fill("2")
    n.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Scan positions").click()
    wait_idle(page, timeout_ms=120_000)
    find = """() => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            d => d._fullData && d.layout && d.layout.title && String(d.layout.title.text)
                .includes('effect by position and strand'));
        return gd ? gd._fullData.map(t => t.fill === 'toself' ? 'toself' : t.name) : null;
    }"""
    page.wait_for_function(f"() => ({find})() !== null", timeout=60_000)
    traces = page.evaluate(find)
    assert traces.count("toself") == 2 and "+ strand" in traces and "- strand" in traces
    assert page.get_by_text("over 2 backgrounds", exact=False).count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.screenshot(path=str(tmp_path / "grammar.png"), full_page=True)


def _motifs_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.goto(f"{url}/motifs", wait_until="domcontentloaded")
    wait_idle(page)
    heading = page.get_by_text("Motifs the model uses (discovered)", exact=True)
    heading.wait_for(timeout=60_000)
    return page


def test_motifs_page_in_chromium_with_the_demo_run(browser, demo_server, tmp_path):
    """The discovered section is there: motifs, or how to produce them; filters give q."""
    import re

    from promoter_model.motifs.store import discovered_path

    demo = demo_run_path(Path(devserver.ROOT))  # what the app opens on
    page = _motifs_page(browser, demo_server)
    if discovered_path(demo).exists():  # the demo after `promoter-model discover`
        page.get_by_text("seqlets;", exact=False).first.wait_for(timeout=30_000)
    else:
        page.get_by_text("promoter-model discover", exact=False).first.wait_for(
            timeout=30_000)
    page.get_by_role("tab", name="First-layer filters").click()
    summary = page.get_by_text(re.compile(r"\d+ of \d+ filters match a JASPAR CORE "
                                          r"fungi motif at q < 0\.05"))
    summary.first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "motifs.png"), full_page=True)


def test_discovered_motifs_in_chromium(browser, app_demo, app_server, tmp_path):
    """A REB1-like pattern is named with its q-value; an unmatched one is not named."""
    from tests.discovered_fixture import NEG_BEST, REB1_Q, write_discovered

    write_discovered(app_demo)  # no other test of the module opens the Motifs page on it
    page = _motifs_page(browser, app_server)
    page.get_by_text(f"q = {REB1_Q:.2g}", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_text("no significant match (q ≥ 0.05", exact=False).count() == 1
    plots = page.locator(".js-plotly-plot")
    plots.first.wait_for(timeout=30_000)
    titles = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .map(d => d.layout && d.layout.title ? String(d.layout.title.text) : '')""")
    assert any("Where pos_0's seqlets lie" in t for t in titles), titles
    # the nearest (insignificant) motif of neg_0 is only in the collapsed table
    assert page.get_by_text(NEG_BEST, exact=True).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.screenshot(path=str(tmp_path / "discovered.png"), full_page=True)


@pytest.mark.timeout(600)  # every wait below is generous: ensemble ISM on a slow 2-core CPU
def test_a_cell_marked_as_members_disagree_is_still_clickable(browser, demo_server):
    """With the demo ensemble, clicking a cell under a disagreement mark applies it."""
    from promoter_model.runs.ensemble import is_ensemble

    if not is_ensemble(demo_run_path(Path(devserver.ROOT))):
        pytest.skip("the demo is a single run: no members to disagree")

    heat = """() => [...document.querySelectorAll('.js-plotly-plot')].find(
        d => d._fullData && d.layout && d.layout.title && String(d.layout.title.text)
            .includes('Predicted effect of every single mutation'))"""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(f"{demo_server}/mutagenesis", wait_until="domcontentloaded")
    wait_idle(page, timeout_ms=180_000)  # a fresh server: loads the 5 members, then ISM
    page.wait_for_function(f"() => {{ const g = ({heat})(); return g && "
                           "g._fullData.some(t => t.name === 'members disagree'); }",
                           timeout=120_000)
    # a marked cell in the variable region, its position and base, and where it is
    target = page.evaluate(f"""() => {{
        const g = ({heat})(), t = g._fullData.find(t => t.name === 'members disagree');
        const k = [...t.x.keys()].find(i => t.x[i] > 20 && t.x[i] < 95);
        const L = g._fullLayout, r = g.getBoundingClientRect();
        return {{pos: t.x[k], base: t.y[k], ref: Array.from(g._fullData[1].y).join(''),
                xy: [r.left + L.xaxis._offset + L.xaxis.d2p(t.x[k]),
                     r.top + L.yaxis._offset + L.yaxis.d2p(t.y[k])]}}; }}""")
    page.mouse.click(*target["xy"])
    wait_idle(page, timeout_ms=180_000)
    ref, pos = target["ref"], target["pos"]
    want = ref[:pos - 1] + target["base"] + ref[pos:]
    page.wait_for_function(f"() => Array.from(({heat})()._fullData[1].y).join('') "
                           f"=== '{want}'", timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_session_save_and_reopen_in_chromium(browser, app_server, tmp_path):
    """Paste sequences on Predict, save the session from the sidebar, open the file in a
    fresh browser context (a new session): the text and the predictions come back.
    """
    mine = ">mine\n" + SEQ

    def session_box(page):
        side = page.locator('[data-testid="stSidebar"]')
        side.get_by_text("Session: save or open").click()
        return side

    first = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    page = first.new_page()
    page.goto(f"{app_server}/", wait_until="domcontentloaded")
    wait_idle(page)
    box = page.locator('textarea[aria-label^="Paste sequences"]')
    box.fill(mine)
    box.press("Control+Enter")
    wait_idle(page)
    side = session_box(page)
    with page.expect_download(timeout=60_000) as download:
        side.get_by_role("button", name="Save session").click()
    saved = tmp_path / "session.json"
    download.value.save_as(saved)
    doc = json.loads(saved.read_text())
    assert doc["format"] == "promoter-explorer-session"
    assert doc["settings"]["predict_text"] == mine
    first.close()

    fresh = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = fresh.new_page()
    page.goto(f"{app_server}/", wait_until="domcontentloaded")
    wait_idle(page)
    side = session_box(page)
    assert page.locator('textarea[aria-label^="Paste sequences"]').input_value() == ""
    side.locator('input[type="file"]').set_input_files(str(saved))
    page.get_by_text("Session opened (session.json).").wait_for(timeout=60_000)
    wait_idle(page)
    box = page.locator('textarea[aria-label^="Paste sequences"]')
    assert box.input_value() == mine
    page.get_by_text("Predictions (1)").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "session.png"), full_page=True)
    fresh.close()
