"""Check in headless chromium that every page of a running dashboard renders its content.

Used by ``scripts/docker_check.py`` against the container's published port; works against
any running dashboard (``make app``). For each page it waits for the script to finish and
checks the page's heading and its real content (plotly charts with data, tables, images),
that no error box or exception is shown, and that the pages request nothing from any other
address (no icon, font or script from a CDN). With ``--run NAME`` it also opens the run
picker, checks that the run NAME is offered, selects it and checks that the Predict page
renders with it.

Usage::

    python scripts/docker_pages.py URL [--run NAME] [--only predict] [--shots DIR]

Prints one JSON line with what each page showed; exits 1 with a message when a page lacks
its content.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.devserver import CHROMIUM, CHROMIUM_ARGS, wait_idle  # noqa: E402

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the check says so when it runs; importing this module still works
    PlaywrightError = PlaywrightTimeout = RuntimeError

# page: (heading, least number of plotly charts with data, of tables, of images); the URL
# is /<page>, except the default page's, which is /
PAGES = {
    "predict": ("Predict expression", 1, 1, 0),
    "mutagenesis": ("In-silico mutagenesis", 1, 1, 1),
    "motifs": ("Motifs learned by the model", 1, 1, 1),
    "training": ("Training and evaluation", 3, 1, 0),  # 2 learning curves and the test fit
}
DEFAULT = "predict"
CONTENT = """() => ({
    h1: [...document.querySelectorAll('h1')].map(h => h.innerText.trim()),
    plots: [...document.querySelectorAll('.js-plotly-plot')]
        .filter(d => d._fullData && d._fullData.length > 0).map(d => ({
            type: d._fullData[0].type,
            title: d.layout && d.layout.title
                ? String(d.layout.title.text || '').replace(/<[^>]+>/g, '') : '',
            points: d._fullData.reduce((n, t) => n + ((t.z || t.x || t.y || []).length), 0)})),
    tables: document.querySelectorAll('[data-testid="stDataFrame"]').length,
    images: [...document.querySelectorAll('[data-testid="stImage"] img')]
        .filter(i => i.complete && i.naturalWidth > 100).length,
    errors: [...document.querySelectorAll('[data-testid="stException"], '
        + '[data-testid="stAlertContentError"], [role="dialog"]')]
        .map(e => e.innerText.slice(0, 200)),
})"""


class PageError(Exception):
    """A page did not show what it should."""


# Chromium aborts requests in flight when the host's network changes (net::ERR_NETWORK_CHANGED),
# as it does for a few seconds after podman starts a container (its veth and addresses
# settle). A page whose script modules were aborted so never starts: it is loaded again,
# at most RELOADS times. Any other failure fails the check at once.
RELOADS = 3
APP_TIMEOUT_MS = 60_000
# A page's script may take minutes on its first visit: the Training page of an ensemble
# without stored public predictions (public.tsv.gz) predicts the 9,045 public-leaderboard
# rows through every member on both strands: 2-5 minutes on a 2-core AVX2 CPU.
SCRIPT_TIMEOUT_MS = 420_000
SETTLE_S = 2.0  # a page is read once nothing new has painted for this long


def open_page(page, address: str) -> int:
    """Go to ``address`` and wait until the app has rendered and its script has run;
    returns the number of reloads a network change forced.
    """
    failed: list = []
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(address))

    def on_failed(request):  # the app's own requests (an icon from a CDN is not the app)
        if request.url.startswith(origin):
            failed.append(f"{request.url.rsplit('/', 1)[-1]}: {request.failure}")

    page.on("requestfailed", on_failed)
    try:
        for attempt in range(RELOADS + 1):
            failed.clear()
            try:
                page.goto(address, wait_until="domcontentloaded")
                page.wait_for_selector('[data-testid="stApp"]', timeout=APP_TIMEOUT_MS)
                break
            except PlaywrightError as exc:  # the page itself aborted, or the app never came
                if "ERR_NETWORK_CHANGED" in str(exc):
                    failed.append(f"{address}: {str(exc).splitlines()[0]}")
                elif not isinstance(exc, PlaywrightTimeout):
                    raise
                network = [f for f in failed if "ERR_NETWORK_CHANGED" in f]
                if not network or attempt == RELOADS:
                    raise PageError(
                        f"{address}: the app did not render in {APP_TIMEOUT_MS // 1000} s"
                        f" (after {attempt} reload(s)); requests that failed: "
                        f"{failed[:8] or 'none'}") from None
        try:
            wait_idle(page, timeout_ms=SCRIPT_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise PageError(f"{address}: the page's script was still running after "
                            f"{SCRIPT_TIMEOUT_MS // 1000} s") from None
        return attempt
    finally:
        page.remove_listener("requestfailed", on_failed)


def watch_offsite(page, url: str) -> list:
    """A list that fills with every http(s) or websocket address the page requests from
    anywhere but the dashboard's own server.
    """
    origin = urlsplit(url).netloc
    offsite: list = []

    def on_request(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != origin:
            offsite.append(f"{parts.scheme}://{parts.netloc}{parts.path}")

    page.on("request", on_request)
    return offsite


def content(page) -> dict:
    """What the page shows now (see ``CONTENT``)."""
    return page.evaluate(CONTENT)


def check_page(page, url: str, slug: str, shots: Path | None) -> dict:
    """Open ``url/slug``, wait for the script to finish and check its content."""
    heading, n_plots, n_tables, n_images = PAGES[slug]
    t0 = time.perf_counter()
    reloads = open_page(page, f"{url}/{'' if slug == DEFAULT else slug}")
    if slug == "motifs":  # the scan tab draws a plot and a table (hidden tabs render lazily)
        page.get_by_role("tab", name="Motif scan").click()
        wait_idle(page, timeout_ms=SCRIPT_TIMEOUT_MS)
    deadline = time.monotonic() + 30  # plots and images paint after the script finishes
    counts, since = None, time.monotonic()
    while True:
        got = content(page)
        ok = (heading in got["h1"] and len(got["plots"]) >= n_plots
              and got["tables"] >= n_tables and got["images"] >= n_images
              and all(p["points"] > 0 for p in got["plots"]))
        now = (len(got["plots"]), got["tables"], got["images"])
        if now != counts:  # still painting: charts in columns can come last
            counts, since = now, time.monotonic()
        settled = time.monotonic() - since >= SETTLE_S
        if (ok and settled) or got["errors"] or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    got["seconds"] = round(time.perf_counter() - t0, 1)
    got["reloads"] = reloads
    if shots:
        page.screenshot(path=str(shots / f"{slug}.png"), full_page=True)
    if got["errors"]:
        raise PageError(f"{slug}: error shown: {got['errors']}")
    if not ok:
        raise PageError(f"{slug}: expected heading {heading!r}, {n_plots} chart(s) with data, "
                        f"{n_tables} table(s), {n_images} image(s); got {got}")
    return {"heading": heading, "plots": [p["title"] or p["type"] for p in got["plots"]],
            "tables": got["tables"], "images": got["images"], "seconds": got["seconds"],
            "reloads": got["reloads"]}


def check_picker(page, url: str, run_name: str) -> dict:
    """The run ``run_name`` is offered in the sidebar's run picker, loads and predicts."""
    open_page(page, f"{url}/")
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    picker.click()
    options = page.locator('[role="option"]')
    options.first.wait_for(timeout=10_000)
    offered = [t.strip() for t in options.all_inner_texts()]
    if run_name not in offered:
        raise PageError(f"run picker offers {offered}, not {run_name!r}")
    options.filter(has_text=run_name).first.click()
    wait_idle(page, timeout_ms=SCRIPT_TIMEOUT_MS)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    if run_name not in sidebar or "Could not load" in sidebar:
        raise PageError(f"selecting {run_name!r} did not load it: {sidebar[:300]!r}")
    got = check_page(page, url, "predict", None)
    return {"offered": offered, "selected": run_name, "predict_plots": got["plots"]}


def main(argv=None) -> int:
    """Check the pages; return 0, or 1 after printing what a page lacked."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("--run", help="a run that the picker must offer")
    ap.add_argument("--only", choices=sorted(PAGES), help="check this page only")
    ap.add_argument("--shots", type=Path, help="save a screenshot of every page here")
    args = ap.parse_args(argv)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    out = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1600})
                offsite = watch_offsite(page, args.url)
                for slug in [args.only] if args.only else PAGES:
                    out[slug] = check_page(page, args.url, slug, args.shots)
                if args.run:
                    out["picker"] = check_picker(page, args.url, args.run)
                if offsite:  # nothing is downloaded at run time: no CDN icon, font or script
                    raise PageError("the pages requested addresses off this machine: "
                                    + ", ".join(sorted(set(offsite))[:10]))
            finally:
                browser.close()
    except (PageError, PlaywrightError) as exc:
        print(f"page check failed: {str(exc)[:2000]}")
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
