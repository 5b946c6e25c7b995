"""Dashboard benchmark: time to first interactive page and ISM page updates, in a real browser.

Starts ``streamlit run app/main.py`` in a fresh process (so the TensorFlow import is
included), drives Debian chromium with Playwright, and measures

* **first page**: from launching the server process to the Predict page having finished its
  first run with its ranked predictions of the default examples drawn (checked on every
  animation frame);
* **ISM update (new sequence)**: from submitting a new sequence on the Mutagenesis page to
  the script having finished with the new heatmap drawn and the logo loaded (checked on
  every animation frame in the page);
* **ISM update (click)**: from clicking a heatmap cell (click-to-mutate) to the mutated
  sequence's heatmap being drawn;
* the server's memory (RSS) after the first page, after the timed updates and every 10 of
  ``--soak`` further updates (it must level off: the server runs for hours);
* the server-side parts of one update (ISM, attribution logo, heatmap figure) in-process.

Writes the ``## Dashboard`` section of ``docs/benchmarks.md`` (other sections untouched) and,
with ``--screenshots DIR``, a screenshot of every page of the router (``bench/app_shots.py``,
examples filled in from the bundled data). ``--screenshots-only`` takes only the
screenshots, of the app's default model unless ``--run`` names one (no timings, nothing
written to ``docs/benchmarks.md``).

Usage::

    python bench/bench_app.py [--run assets/demo_model] [--repeats 5] [--soak 40]
                              [--screenshots docs/screenshots]
    python bench/bench_app.py --screenshots docs/screenshots --screenshots-only [--pages ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import app_shots
import benchdoc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import devserver  # noqa: E402
from tests.devserver import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

APP = '[data-testid="stApp"]'
HEAT = """(want) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
        d => d._fullData && d.layout && d.layout.title &&
             String(d.layout.title.text).includes('Predicted effect of every single mutation'));
    if (!gd) return false;
    const ref = Array.from(gd._fullData[1].y).join('');
    return want ? ref === want : ref.length > 0;
}"""
# an update is over when the script is idle, the heatmap shows the new sequence and every
# image (the logo) has loaded; checked on every animation frame in the page itself
DRAWN = """(want) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (![...document.querySelectorAll('img')].every(i => i.complete)) return false;
    return (""" + HEAT + """)(want);
}"""


def start_server(run: Path | None, runs_dir: Path | None, log: Path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PROMOTER_TIMING": "1"}
    if run is not None:
        env["PROMOTER_DEMO_RUN"] = str(run)
    if runs_dir is not None:
        env["PROMOTER_RUNS_DIR"] = str(runs_dir)
    t0 = time.perf_counter()
    proc, url = devserver.start(env, open(log, "wb"))
    try:
        devserver.wait_healthy(url, proc, timeout=90)
    except (RuntimeError, TimeoutError) as exc:
        proc.kill()
        raise RuntimeError(f"server not healthy ({exc}); see {log}") from None
    return proc, url, t0, time.perf_counter() - t0


def rss_mb(pid: int) -> float:
    """Resident memory of a process (``VmRSS`` in ``/proc/PID/status``), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_idle(page, timeout_ms=120_000):
    try:
        page.wait_for_selector(f'{APP}[data-test-script-state="running"]', timeout=1_500)
    except Exception:
        pass
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout_ms)


def wait_drawn(page, want: str, timeout_ms: int = 60_000) -> None:
    """Until an update has drawn ``want`` (:data:`DRAWN`), polled on every animation frame.

    Not ``wait_idle``: Playwright retries a selector wait at growing intervals, up to
    500 ms apart, and that wait would be counted as update time (it made the medians
    cluster half a second apart).
    """
    page.wait_for_function(DRAWN, arg=want, polling="raf", timeout=timeout_ms)


def random_promoter(rng) -> str:
    from promoter_model.sequence import FLANK_3, FLANK_5

    return FLANK_5 + "".join(rng.choice(list("ACGT"), 80)) + FLANK_3


def bench_browser(run, runs_dir, repeats, shots: Path | None, soak: int = 0):
    import numpy as np
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(0)
    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    proc, url, t0, t_health = start_server(run, runs_dir, log)
    out = {"health_s": t_health}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]',
                                   timeout=120_000)
            # the default examples are drawn as a ranked dot plot (no bars: a wait for a
            # histogram's bars timed out since the page ranks two or more sequences)
            page.wait_for_function(app_shots.CHART, arg="Predictions ranked", polling="raf",
                                   timeout=60_000)
            out["first_page_s"] = time.perf_counter() - t0
            out["rss_first_page"] = rss_mb(proc.pid)

            page.goto(f"{url}/mutagenesis", wait_until="domcontentloaded")
            wait_idle(page)
            page.wait_for_function(HEAT, arg=None, timeout=60_000)
            box = page.locator('textarea[aria-label^="Sequence (110 bp"]')
            times = []
            for _ in range(repeats):
                seq = random_promoter(rng)
                box.fill(seq)
                t = time.perf_counter()
                box.press("Control+Enter")
                wait_drawn(page, seq)
                times.append(time.perf_counter() - t)
            out["ism_new_sequence_s"] = times
            n_logged = len(script_times(log))
            clicks = []
            for k in range(repeats):
                cur = page.locator("textarea").first.input_value()
                cur = box.input_value()
                pos = 30 + 7 * k
                base = "A" if cur[pos - 1] != "A" else "C"
                want = page.evaluate("""() => {
                    const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
                        d => d._fullData && String(d.layout.title.text).includes('Predicted'));
                    return Array.from(gd._fullData[1].y).join(''); }""")
                want = want[:pos - 1] + base + want[pos:]
                t = time.perf_counter()
                app_shots.click_cell(page, pos, base)
                wait_drawn(page, want)
                clicks.append(time.perf_counter() - t)
            out["ism_click_s"] = clicks
            out["script_s"] = script_times(log)[n_logged - repeats:]
            # the server stays up for hours: memory over many more updates must level off
            out["rss_updates"] = [rss_mb(proc.pid)]
            for k in range(soak):
                seq = random_promoter(rng)
                box.fill(seq)
                box.press("Control+Enter")
                wait_idle(page)
                page.wait_for_function(HEAT, arg=seq, timeout=60_000)
                if (k + 1) % 10 == 0:
                    out["rss_updates"].append(rss_mb(proc.pid))
            if shots:
                out["screenshot_problems"] = app_shots.take_all(browser, url, shots)
            browser.close()
    finally:
        devserver.stop(proc)
    return out


def shots_only(run, runs_dir, shots: Path, pages=None) -> list:
    """Only the screenshots (``app_shots.take_all``); returns the problems seen."""
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    proc, url, _, _ = start_server(run, runs_dir, log)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            seen = app_shots.take_all(browser, url, shots, only=pages)
            browser.close()
    finally:
        devserver.stop(proc)
    return seen


def report(problems: list) -> int:
    """Print what the screenshots showed that they should not; 1 if anything."""
    for line in problems:
        print(f"SCREENSHOT PROBLEM {line}", file=sys.stderr)
    return 1 if problems else 0


def script_times(log: Path) -> list:
    """Seconds of each Mutagenesis script run, from the server's PROMOTER_TIMING lines."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [float(m) for m in re.findall(r"PROMOTER_TIMING page=Mutagenesis seconds=([\d.]+)",
                                          text)]


def bench_server_side(run, repeats):
    """In-process cost of one ISM page update (what a rerun computes)."""
    import logging

    import numpy as np

    logging.disable(logging.WARNING)
    import matplotlib

    matplotlib.use("Agg")
    from app import export, figures
    from promoter_model.interpret.attributions import attribution
    from promoter_model.interpret.ism import ism
    from promoter_model.model.predict import warm_up
    from promoter_model.predictor import load_predictor

    pred = load_predictor(run)  # a run or an ensemble, as the app loads it
    for m in pred.models:
        warm_up(m)
    r = pred.members[0]  # the app's attribution logo uses the first member
    rng = np.random.default_rng(1)
    rows = {"ism (331 predictions)": [], "attribution (gradient x input)": [],
            "logo (logomaker, PNG)": [], "heatmap figure + JSON": []}
    seqs = [random_promoter(rng) for _ in range(repeats + 1)]
    attribution(r.model, seqs[0], "gradient_x_input")  # trace once
    ism(pred, seqs[0])[0][0]  # trace once
    for s in seqs[1:]:
        t = time.perf_counter()
        sc = ism(pred, s)[0][0]
        rows["ism (331 predictions)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        a = attribution(r.model, s, "gradient_x_input")
        rows["attribution (gradient x input)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        export.mpl_bytes(figures.attribution_logo(a), "png", dpi=100, tight=False)
        rows["logo (logomaker, PNG)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        figures.ism_heatmap(sc, s, reference=0.0).to_json()
        rows["heatmap figure + JSON"].append(time.perf_counter() - t)
    rows.update(gc_walks(repeats))
    return rows, pred


def gc_walks(repeats: int) -> dict:
    """Streamlit's full collection after every script run (``runner.postScriptGC``), in
    this process (TensorFlow and the model loaded), with nothing frozen and after
    ``app.cache.runs.freeze_long_lived_objects`` (what the app does after loading a model).
    """
    import gc

    from app.cache.runs import freeze_long_lived_objects

    def walk():
        t = time.perf_counter()
        gc.collect(2)
        return time.perf_counter() - t

    gc.unfreeze()
    plain = [walk() for _ in range(repeats)]
    freeze_long_lived_objects()
    frozen = [walk() for _ in range(repeats)]
    gc.unfreeze()
    return {"full garbage collection after a script run, nothing frozen": plain,
            "the same after the app's freeze of the objects alive at model load": frozen}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=None,
                    help="the run (default: assets/demo_model; with --screenshots-only the "
                         "app's own default model)")
    ap.add_argument("--runs-dir", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--screenshots", type=Path, default=None)
    ap.add_argument("--soak", type=int, default=40,
                    help="further new-sequence updates after the timed ones, for the server's "
                         "memory (RSS read every 10)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--screenshots-only", action="store_true",
                    help="only the screenshots (into --screenshots): no timings, no soak")
    ap.add_argument("--pages", nargs="+", default=None,
                    help="with --screenshots-only: these pages only (url names, e.g. tiling)")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    if args.screenshots_only:
        if not args.screenshots:
            ap.error("--screenshots-only needs --screenshots DIR")
        return report(shots_only(args.run, args.runs_dir, args.screenshots, args.pages))
    args.run = args.run or ROOT / "assets" / "demo_model"
    server_rows, run = bench_server_side(args.run, args.repeats)
    br = bench_browser(args.run, args.runs_dir, args.repeats, args.screenshots, args.soak)
    report(br.get("screenshot_problems", []))

    def fmt(v):
        if max(v) < 0.01:  # a frozen collection takes well under 10 ms
            return f"{statistics.median(v) * 1e3:.2f} ms (max {max(v) * 1e3:.2f} ms)"
        return f"{statistics.median(v):.2f} s (max {max(v):.2f} s)"

    load = os.getloadavg()
    lines = [
        "## Dashboard",
        "",
        f"`python bench/bench_app.py` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} CPU "
        f"cores (shared; load average {load[0]:.1f} at the end), {platform.python_version()}, "
        f"headless Debian chromium via Playwright. Run: `{run.path.name}` "
        f"({f'ensemble of {len(run.members)} members, ' if run.is_ensemble else ''}"
        f"preset `{run.config.preset}`, {run.models[0].count_params():,} parameters"
        f"{' each' if run.is_ensemble else ''}); "
        f"{args.repeats} repeats, median (max).",
        "",
        "| measurement | time | target |",
        "| --- | --- | --- |",
        f"| server healthy after launch | {br['health_s']:.2f} s | |",
        f"| first page interactive (launch → Predict page drawn, TensorFlow import "
        f"included) | {br['first_page_s']:.2f} s | < 15 s |",
        f"| ISM page update: new sequence submitted → heatmap + logo drawn | "
        f"{fmt(br['ism_new_sequence_s'])} | < 1.5 s |",
        f"| ISM page update: heatmap cell clicked → mutated sequence drawn | "
        f"{fmt(br['ism_click_s'])} | < 1.5 s |",
        f"| of which the server's script run (new sequence and click updates) | "
        f"{fmt(br['script_s'])} | |",
        "",
        f"Server memory (RSS): {br['rss_first_page']:.0f} MB after the first page; "
        f"{', '.join(f'{v:.0f}' for v in br['rss_updates'])} MB after the "
        f"{2 * args.repeats} timed updates and then every 10 of {args.soak} more "
        "new-sequence updates.",
        "",
        "Server-side parts of one update (in-process, same run):",
        "",
        "| step | time |",
        "| --- | --- |",
    ] + [f"| {k} | {fmt(v)} |" for k, v in server_rows.items()] + [
        "",
        "Repeated sequences are served from `st.cache_data` (undo, revisits) and cost only the "
        "page redraw.",
        "",
        "An update took 2.2 s before two changes on 2026-11-24 "
        "([dashboard.md](dashboard.md#speed)). The app stops Streamlit's per-run "
        "`keras.backend.clear_session()`, which cost a full `gc.collect()` and TensorFlow's "
        "kernel cache, about 0.5 s per run. Logo glyphs are placed from one logomaker outline "
        "per letter, where one glyph was built per cell before (0.42 s to 0.06 s).",
        "",
        "Since 2026-12-01: Streamlit's own full collection after every script run walks only "
        "what was made after the model loaded (the rows above; it holds the GIL while the "
        "page is sent), and the Mutagenesis page takes each sequence's prediction and "
        "members' sd from its ISM instead of a separate prediction call. The update times "
        "are now waited for on every animation frame in the page: Playwright's selector "
        "waits retry up to 500 ms apart, and the earlier runs of this benchmark counted "
        "that wait as update time.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        benchdoc.write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
