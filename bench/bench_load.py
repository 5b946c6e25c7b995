"""Five concurrent browser sessions running ISM on the dashboard; writes the ``## Load``
section of ``docs/benchmarks.md`` (other sections are left as they are).

Usage::

    .venv/bin/python bench/bench_load.py [--sessions 5] [--run RUN_DIR] [--no-write]

Starts ``streamlit run app/main.py`` on a free loopback port (127.0.0.1 only), waits for
``/_stcore/health``, then drives ``--sessions`` concurrent headless Debian chromium pages
(Playwright, one browser, one context per session; never ``playwright install``). Each
session opens the Mutagenesis page, enters a different 110 bp sequence and waits until the
ISM heatmap of *that* sequence is drawn. Measured: time-to-render per session, the server's
RSS (sampled every 0.25 s), and the latency of ``/_stcore/health`` polled while the sessions
work (does the server stay responsive?). Every wait has a timeout.

The model is ``--run``, else ``assets/demo_model``, else a freshly built untrained
``compact`` run in a temporary folder (latency does not depend on the weights).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import benchdoc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import devserver  # noqa: E402
from tests.devserver import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

SECTION = "## Load"
FLANK_5, FLANK_3 = "TGCATTTTTTTCACATC", "GGTTACGGCTGTT"
SESSION_TIMEOUT_S = 240


def _rss_mb(pid: int) -> float:
    """RSS of a process and its children (streamlit may fork helpers)."""
    total = 0.0
    pids = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _health(url: str, timeout: float = 5.0) -> float | None:
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            if r.read().strip() == b"ok":
                return time.perf_counter() - t
    except OSError:
        return None
    return None


def _demo_run(arg, tmp: Path) -> tuple[Path, str]:
    if arg is not None:
        return Path(arg), f"run `{arg}`"
    demo = ROOT / "assets" / "demo_model"
    if demo.is_dir():
        return demo, "`assets/demo_model`"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from promoter_model.model.architectures import build_model, preset
    from promoter_model.model.config import RunConfig
    from promoter_model.runs import save_run

    keras.utils.set_random_seed(0)
    cfg = RunConfig(preset="compact", model=preset("compact"))
    model = build_model(cfg.model)
    run = save_run(tmp / "compact_untrained", model, cfg)
    return run, (f"freshly built `compact` run, untrained ({model.count_params():,} "
                 "parameters; assets/demo_model not present)")


def _sequences(n: int, seed: int = 11) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    return [FLANK_5 + "".join(rng.choice(list("ACGT"), size=80)) + FLANK_3 for _ in range(n)]


FIND_SEQ = """(seq) => {
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        for (const tr of (gd._fullData || [])) {
            for (const k of ['x', 'y', 'text', 'customdata']) {
                const v = tr[k];
                if (v && v.length >= seq.length && Array.from(v).flat().join('').includes(seq))
                    return true;
            }
        }
    }
    return false;
}"""


async def _wait_idle(page, timeout_ms: int = 120_000) -> None:
    app = '[data-testid="stApp"]'
    await page.wait_for_selector(app, timeout=timeout_ms)
    try:
        await page.wait_for_selector(f'{app}[data-test-script-state="running"]', timeout=2_000)
    except Exception:
        pass
    await page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]',
                                 timeout=timeout_ms)


async def _session(browser, url: str, seq: str, i: int, start_gate, ready: list) -> dict:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await ctx.new_page()
    out = {"session": i, "ok": False, "verified": False, "error": None}
    try:
        t_open = time.perf_counter()
        await page.goto(f"{url}/mutagenesis", wait_until="domcontentloaded",
                        timeout=120_000)
        await _wait_idle(page)
        out["page_s"] = time.perf_counter() - t_open
        ready.append(i)
        await start_gate.wait()  # every session submits at the same moment
        box = page.locator('[data-testid="stTextArea"] textarea').first
        await box.fill(seq, timeout=30_000)
        t0 = time.perf_counter()
        await box.press("Control+Enter")
        try:
            await page.wait_for_function(FIND_SEQ, arg=seq, timeout=SESSION_TIMEOUT_S * 1000)
            out["verified"] = True
        except Exception:  # the chart may not expose the sequence: fall back to idle + chart
            await _wait_idle(page, timeout_ms=SESSION_TIMEOUT_S * 1000)
            await page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=30_000)
        out["render_s"] = time.perf_counter() - t0
        errors = await page.locator('[data-testid="stException"], .stException').count()
        out["exceptions"] = errors
        out["ok"] = errors == 0
    except Exception as exc:  # reported, never hangs: every wait above has a timeout
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        await ctx.close()
    return out


async def _drive(url: str, seqs: list) -> list:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            gate, ready = asyncio.Event(), []
            tasks = [asyncio.create_task(_session(browser, url, s, i, gate, ready))
                     for i, s in enumerate(seqs)]

            async def open_gate():
                # every page loaded (or failed), or 150 s: release them together
                t = time.monotonic()
                while time.monotonic() - t < 150:
                    if len(ready) + sum(t_.done() for t_ in tasks) >= len(tasks):
                        break
                    await asyncio.sleep(0.2)
                gate.set()

            await asyncio.wait_for(asyncio.gather(open_gate(), *tasks),
                                   timeout=SESSION_TIMEOUT_S + 200)
            return [t.result() for t in tasks]
        finally:
            await browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--run", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install -y chromium (never playwright install)")
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="bench_load_"))
    run, described = _demo_run(args.run, tmp)
    env = {**os.environ, "PROMOTER_DEMO_RUN": str(run), "PROMOTER_RUNS_DIR": str(tmp / "runs"),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    log_path = tmp / "streamlit.log"
    log = open(log_path, "wb")
    proc, url = devserver.start(env, log)
    samples, health = [], []
    stop = threading.Event()

    def monitor():
        while not stop.is_set():
            samples.append((time.perf_counter(), _rss_mb(proc.pid)))
            lat = _health(url, 10)
            health.append((time.perf_counter(), lat))
            stop.wait(0.25)

    results, rss_idle = [], None
    t_start = time.perf_counter()
    try:
        devserver.wait_healthy(url, proc, timeout=120, poll=0.3)
        rss_idle = _rss_mb(proc.pid)
        th = threading.Thread(target=monitor, daemon=True)
        th.start()
        seqs = _sequences(args.sessions)
        results = asyncio.run(_drive(url, seqs))
        stop.set()
        th.join(timeout=15)
        rss_end = _rss_mb(proc.pid)
    finally:
        stop.set()
        devserver.stop(proc, timeout=15)
        log.close()
    wall = time.perf_counter() - t_start
    for r in results:
        print(r)
    renders = [r["render_s"] for r in results if "render_s" in r]
    lat = [h for _, h in health if h is not None]
    failed_health = sum(1 for _, h in health if h is None)
    peak = max((m for _, m in samples), default=float("nan"))
    summary = {
        "sessions": args.sessions, "ok": sum(r["ok"] for r in results),
        "verified": sum(r["verified"] for r in results),
        "render_median": statistics.median(renders) if renders else float("nan"),
        "render_max": max(renders) if renders else float("nan"),
        "page_median": statistics.median([r["page_s"] for r in results if "page_s" in r])
        if any("page_s" in r for r in results) else float("nan"),
        "rss_idle": rss_idle, "rss_peak": peak, "rss_end": rss_end,
        "health_median_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "health_max_ms": 1000 * max(lat) if lat else float("nan"),
        "health_failed": failed_health, "health_n": len(health), "wall": wall,
        "errors": [r["error"] for r in results if r.get("error")],
    }
    print(summary)
    tail = log_path.read_text(errors="replace")[-3000:]
    if "Traceback" in tail:
        print("server log tail:\n" + tail)
    if not args.no_write:
        write_section(summary, results, described)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if summary["ok"] == args.sessions else 1


def write_section(s, results, described) -> None:
    load = os.getloadavg()[0]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [SECTION, "",
             f"Measured {stamp} on {platform.machine()}, {os.cpu_count()} CPU cores (shared "
             f"with other jobs; 1-minute load average {load:.1f} at the end), Python "
             f"{platform.python_version()}, by `bench/bench_load.py`: one `streamlit run "
             f"app/main.py` on 127.0.0.1, {s['sessions']} concurrent headless chromium "
             f"sessions (Playwright), each opening the Mutagenesis page and running ISM on a "
             f"different 110 bp sequence, all submitted at once. Model: {described}.", "",
             "| session | page load (s) | submit -> heatmap of its sequence (s) | "
             "sequence verified in the chart | errors |", "|---|---:|---:|---|---|"]
    for r in results:
        lines.append(f"| {r['session'] + 1} | {r.get('page_s', float('nan')):.1f} | "
                     f"{r.get('render_s', float('nan')):.1f} | "
                     f"{'yes' if r['verified'] else 'no'} | "
                     f"{r.get('error') or r.get('exceptions', '')} |")
    lines += ["",
              f"Sessions finished without an error box: {s['ok']}/{s['sessions']}; median "
              f"time-to-render {s['render_median']:.1f} s, slowest {s['render_max']:.1f} s.",
              f"Server RSS: {s['rss_idle']:.0f} MB idle after start, peak {s['rss_peak']:.0f}"
              f" MB, {s['rss_end']:.0f} MB at the end.",
              f"Responsiveness: `/_stcore/health` polled every 0.25 s during the run "
              f"({s['health_n']} polls): median {s['health_median_ms']:.0f} ms, max "
              f"{s['health_max_ms']:.0f} ms, {s['health_failed']} failed/timed out (10 s).", ""]
    benchdoc.write_section("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
