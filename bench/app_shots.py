"""Screenshots of every dashboard page for ``docs/dashboard.md`` (``bench_app.py --screenshots``).

Each page registered in ``app/main.py``'s ``st.navigation`` has a driver here that fills in
an example from the bundled data (``promoter_model/data``) where the page needs an input,
presses its button where it computes on request, waits until the script is idle, every
image is loaded and no spinner is left, and takes a screenshot 1400 px wide (cut to the
page's first screens when it is longer). :func:`check_coverage` fails when a page of the
router has no driver, so a new page cannot be left out silently. Errors and tracebacks
shown on a page are returned, not hidden.

The PNGs are reduced to a 256-colour palette (Pillow) to keep ``docs/`` small.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1400
APP = '[data-testid="stApp"]'
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && [...document.querySelectorAll('img')].every(i => i.complete)
        && !document.querySelector('[data-testid="stSpinner"]')
        && !document.querySelector('[data-testid="stSkeleton"]'); }"""
OPEN = """(text) => { const s = [...document.querySelectorAll('summary')].find(
    x => x.innerText.includes(text)); return !!(s && s.parentElement.open); }"""
HEIGHT = """() => {
    const m = document.querySelector('[data-testid="stMain"]');
    return Math.max(document.body.scrollHeight, m ? m.scrollHeight : 0); }"""
# unfocus what the driver typed in, and scroll every scrolled container back to the top
TOP = """() => {
    if (document.activeElement) document.activeElement.blur();
    window.scrollTo(0, 0);
    document.querySelectorAll('*').forEach(e => { if (e.scrollTop > 0) e.scrollTop = 0; }); }"""
# the bottom of the last top-level element of the page that ends above the limit (looking
# inside the shown tab of a tab set that crosses it)
CUT = """(limit) => {
    let cut = 0;
    const walk = (block) => { for (const k of block.children) {
        const r = k.getBoundingClientRect();
        if (r.height === 0) continue;
        if (r.bottom <= limit - 16) { cut = Math.max(cut, r.bottom); continue; }
        const tab = [...k.querySelectorAll('[role="tabpanel"]')].find(
            t => t.getBoundingClientRect().height > 0);
        const inner = tab && tab.querySelector('[data-testid="stVerticalBlock"]');
        if (r.top < limit && inner) walk(inner);
    } };
    walk(document.querySelector(
        '[data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"]'));
    return cut > 400 ? Math.ceil(cut + 16) : null; }"""
CHART = """(title) => [...document.querySelectorAll('.js-plotly-plot')].some(
    d => d._fullData && d.layout && d.layout.title &&
         String(d.layout.title.text).includes(title))"""


def router_pages(main: Path = ROOT / "app" / "main.py") -> list:
    """URL paths of the pages in ``app/main.py`` (``st.Page("views/NAME.py", ...)``), in
    the order of :data:`DRIVERS`, then any page without a driver.
    """
    found = re.findall(r'st\.Page\("views/(\w+)\.py"', main.read_text())
    return sorted(set(found), key=lambda p: list(DRIVERS).index(p) if p in DRIVERS
                  else len(DRIVERS))


def check_coverage() -> None:
    """Raise when a page of the router has no screenshot driver in :data:`DRIVERS`."""
    missing = [p for p in router_pages() if p not in DRIVERS]
    if missing:
        raise SystemExit(f"bench/app_shots.py has no screenshot for page(s) {missing}: add "
                         "a driver to DRIVERS")


# ------------------------------------------------------------------ examples from the data
def variable(seq: str) -> str:
    """The 80 bp variable region of a 110 bp test sequence."""
    return seq[17:97]


def tiling_example(n: int = 8) -> str:
    """A FASTA of ``n`` native yeast promoter fragments of the public-leaderboard test rows
    (never trained on by the hash-split models), joined 5' to 3', alternating low and high
    measured expressers so the profile has something to show.
    """
    from promoter_model import dream

    table = dream.load_test_table().set_index("pos")
    rows = table.loc[dream.load_subsets()["yeast"]].sort_values("expression")
    low, high = rows.head(n // 2), rows.tail(n // 2).iloc[::-1]
    parts = [s for pair in zip(low["sequence"], high["sequence"]) for s in pair]
    seq = "".join(variable(s) for s in parts)
    lines = [seq[i:i + 60] for i in range(0, len(seq), 60)]
    return (f">native_fragments_joined {n} measured native yeast fragments of the DREAM test "
            "set, low and high expressers alternating\n" + "\n".join(lines))


def variant_example() -> tuple[str, str]:
    """A wild type (80 bp variable region) with the most measured single-nucleotide variants
    among the public-leaderboard SNV pairs, and those variants as edits numbered 1-80, plus a
    deletion and an insertion (a REB1 site) to show the notation.
    """
    from collections import Counter

    from promoter_model import dream

    table = dream.load_test_table().set_index("pos")
    pairs = dream.load_subsets()["SNVs"]
    ref = Counter(int(r) for _, r in pairs).most_common(1)[0][0]
    wt = variable(table.loc[ref, "sequence"])
    lines = []
    for alt, r in pairs:
        if int(r) != ref:
            continue
        alt_seq = variable(table.loc[int(alt), "sequence"])
        edits = [f"{a}{i + 1}{b}" for i, (a, b) in enumerate(zip(wt, alt_seq)) if a != b]
        if edits:
            lines.append(";".join(edits))
    lines += ["del40-45", "reb1_site,ins30:TTACCCG"]
    return f">snv_reference test row {ref}\n{wt}", "\n".join(lines)


# ------------------------------------------------------------------ waiting and shooting
def settle(page, timeout_ms: int = 300_000) -> None:
    """Until the script is idle, every image loaded and no spinner left."""
    try:
        page.wait_for_selector(f'{APP}[data-test-script-state="running"]', timeout=1_500)
    except Exception:  # already finished, or never started: checked below
        pass
    page.wait_for_function(SETTLED, polling=250, timeout=timeout_ms)
    page.wait_for_timeout(800)  # plotly and images paint


def wait_chart(page, title: str, timeout_ms: int = 300_000) -> None:
    page.wait_for_function(CHART, arg=title, polling=250, timeout=timeout_ms)
    settle(page, timeout_ms)


def problems(page, name: str) -> list:
    """Tracebacks and error boxes on the page, as lines naming the page."""
    out = []
    for sel, what in (('[data-testid="stException"]', "exception"),
                      ('[data-testid="stAlertContentError"]', "error")):
        for k in range(page.locator(sel).count()):
            text = " ".join(page.locator(sel).nth(k).inner_text().split())[:300]
            out.append(f"{name}: {what}: {text}")
    return out


def shoot(page, path: Path, max_height: int) -> None:
    """The page 1400 px wide from its top, as a palette PNG. Streamlit scrolls in its own
    container, so the viewport is grown to the content; a page longer than ``max_height``
    is cut after the last of its top-level elements that ends above ``max_height``.
    """
    height = page.evaluate(HEIGHT)
    page.set_viewport_size({"width": WIDTH, "height": min(max(int(height) + 40, 900),
                                                          max_height)})
    page.evaluate(TOP)
    page.wait_for_timeout(1500)  # plotly redraws at the new size
    settle(page)
    page.evaluate(TOP)
    cut = page.evaluate(CUT, max_height) if height + 40 > max_height else None
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": WIDTH,
                                          "height": cut or page.viewport_size["height"]})
    page.set_viewport_size({"width": WIDTH, "height": 1100})
    shrink(path)


def shrink(path: Path) -> None:
    """Reduce a screenshot to a 256-colour palette (a third of the size, text still sharp)."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def fill(page, label: str, text: str, submit: str = "Control+Enter") -> None:
    """Type into the widget whose aria-label starts with ``label`` and submit it."""
    box = page.locator(f'textarea[aria-label^="{label}"], input[aria-label^="{label}"]').first
    box.fill(text)
    box.press(submit)
    settle(page)


def slide(page, label: str, steps: int) -> None:
    """Move the slider whose label is ``label`` by ``steps`` (arrow keys, like a user)."""
    box = page.locator('[data-testid="stSlider"]').filter(
        has=page.get_by_text(label, exact=True))
    thumb = box.get_by_role("slider").first
    thumb.focus()
    for _ in range(abs(steps)):
        thumb.press("ArrowRight" if steps > 0 else "ArrowLeft")
    thumb.blur()
    settle(page)


def click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    settle(page)


# ------------------------------------------------------------------ one driver per page
def predict(page, url, out):
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".js-plotly-plot", timeout=300_000)
    settle(page)
    shoot(page, out / "predict.png", 2600)
    session(page, out)


def session(page, out):
    """The sidebar's session box: the session saved (downloaded) and opened again."""
    import tempfile

    bar = page.locator('[data-testid="stSidebar"]')
    bar.locator("summary", has_text="Session: save or open").click()
    settle(page)
    with page.expect_download() as download:
        bar.get_by_role("button", name="Save session").click()
    saved = Path(tempfile.mkdtemp()) / "promoter_session.json"
    download.value.save_as(saved)
    bar.locator('input[type="file"]').set_input_files(str(saved))
    settle(page)
    page.get_by_text("Session opened", exact=False).first.wait_for(timeout=60_000)
    page.set_viewport_size({"width": WIDTH, "height": 1250})
    page.wait_for_timeout(800)
    box = bar.locator('[data-testid="stExpander"]', has_text="Session: save or open")
    bottom = box.bounding_box()
    side = bar.bounding_box()
    page.screenshot(path=str(out / "session.png"),
                    clip={"x": side["x"], "y": 0, "width": side["width"],
                          "height": bottom["y"] + bottom["height"] + 110})
    shrink(out / "session.png")


def mutagenesis(page, url, out):
    page.goto(f"{url}/mutagenesis", wait_until="domcontentloaded")
    wait_chart(page, "Predicted effect of every single mutation")
    box = page.locator('textarea[aria-label^="Sequence (110 bp"]')
    for position in (40, 62):  # two steps of the trajectory, clicked on the heatmap
        seq = box.input_value()
        base = "A" if seq[position - 1] != "A" else "T"
        click_cell(page, position, base)
        settle(page)
    shoot(page, out / "mutagenesis.png", 3000)


def click_cell(page, position: int, base: str) -> None:
    """Click a heatmap cell (position 1-based, base) like a user would."""
    xy = page.evaluate("""([pos, base]) => {
        const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
            d => d._fullData && String(d.layout.title.text).includes('Predicted effect'));
        const L = gd._fullLayout, r = gd.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.d2p(pos),
                r.top + L.yaxis._offset + L.yaxis.d2p(base)]; }""", [position, base])
    page.mouse.click(xy[0], xy[1])


def tiling(page, url, out):
    page.goto(f"{url}/tiling", wait_until="domcontentloaded")
    settle(page)
    fill(page, "Native promoter", tiling_example())
    wait_chart(page, "along the promoter")
    shoot(page, out / "tiling.png", 2300)


def variants(page, url, out):
    page.goto(f"{url}/variants", wait_until="domcontentloaded")
    settle(page)
    wt, edits = variant_example()
    fill(page, "Wild type", wt)
    fill(page, "Variants, one a line", edits)
    wait_chart(page, "Change from the wild type, ranked")
    shoot(page, out / "variants.png", 2600)


def design(page, url, out):
    page.goto(f"{url}/design", wait_until="domcontentloaded")
    settle(page)
    page.get_by_text("Maximise", exact=True).click()
    settle(page)
    # a budget of 3 edits and 3 designs at least 3 positions apart: each design is searched
    # on its own (min distance > 1), so this keeps the search short on a shared CPU
    slide(page, "Mutation budget (max. edits)", -2)
    slide(page, "Designs", -2)
    fill(page, "Designs differ from one another at", "3", submit="Enter")
    page.get_by_role("button", name="Design", exact=True).click()
    page.get_by_text("Designs, ranked").wait_for(timeout=900_000)
    settle(page)
    oligos = page.locator("summary", has_text="Order oligos")
    oligos.click()
    settle(page)
    fill(page, "5' overhang", "GGTCTCA", submit="Enter")
    # app bug (reported): the first entry after a Design run collapses this box (the run
    # that designed had a progress bar above it, later runs do not); open it again
    if not page.evaluate(OPEN, "Order oligos"):
        oligos.click()
        settle(page)
    fill(page, "3' overhang", "TGAGACC", submit="Enter")
    shoot(page, out / "design.png", 3000)


def motifs(page, url, out):
    page.goto(f"{url}/motifs", wait_until="domcontentloaded")
    settle(page)
    shoot(page, out / "motifs.png", 2400)


def grammar(page, url, out):
    page.goto(f"{url}/grammar", wait_until="domcontentloaded")
    settle(page)
    fill(page, "Backgrounds", "10", submit="Enter")  # half the default: the CPU is shared
    click(page, "Scan positions")
    wait_chart(page, "")
    shoot(page, out / "grammar.png", 1800)


def training(page, url, out):
    page.goto(f"{url}/training", wait_until="domcontentloaded")
    settle(page, 600_000)
    shoot(page, out / "training.png", 3000)


def model_card(page, url, out):
    page.goto(f"{url}/model_card", wait_until="domcontentloaded")
    settle(page)
    shoot(page, out / "model_card.png", 2000)


DRIVERS = {"predict": predict, "mutagenesis": mutagenesis, "tiling": tiling,
           "variants": variants, "design": design, "motifs": motifs, "grammar": grammar,
           "training": training, "model_card": model_card}


def take_all(browser, url: str, out: Path, only=None) -> list:
    """Every page's screenshot into ``out``, each in a fresh session (a new tab), in the
    router's order; ``only``: a subset of page names. Returns the problems seen (errors,
    tracebacks, pages that never settled), one line each.
    """
    check_coverage()
    out.mkdir(parents=True, exist_ok=True)
    seen = []
    for name in router_pages():
        if only and name not in only:
            continue
        (out / f"{name}_FAILED.png").unlink(missing_ok=True)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1100})
        try:
            DRIVERS[name](page, url, out)
        except Exception as exc:  # noqa: BLE001 - reported, and the other pages still shot
            seen.append(f"{name}: driver failed: {type(exc).__name__}: {exc}"[:400])
            page.screenshot(path=str(out / f"{name}_FAILED.png"))
        seen += problems(page, name)
        page.close()
        print(f"screenshot: {name}", flush=True)
    return seen
