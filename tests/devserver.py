"""Run the dashboard on a free loopback port, for the browser test and the benchmarks.

Not used by the dashboard itself. The browser is Debian's chromium, driven by Playwright
with ``executable_path=CHROMIUM`` (never ``playwright install``, which downloads one).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict, log) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app/main.py`` on 127.0.0.1 and a free port.

    Parameters
    ----------
    env : dict
        The server's environment (e.g. ``{**os.environ, "PROMOTER_DEMO_RUN": ...}``).
    log : binary file
        Receives the server's stdout and stderr.

    Returns
    -------
    (process, url)
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90.0,
                 poll: float = 0.1) -> None:
    """Return once ``/_stcore/health`` answers ``ok``.

    Raises
    ------
    RuntimeError
        If the server exits first.
    TimeoutError
        If it is not healthy within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(poll)
    raise TimeoutError(f"the app at {url} did not report healthy within {timeout:.0f} s")


def serve(env: dict, folder: Path):
    """Start the app with ``env``, yield its URL once healthy, stop it afterwards (a
    fixture's body: ``yield from serve(env, tmp_path)``; the log is ``folder/streamlit.log``).
    """
    log = open(Path(folder) / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc, url = start(env, log)
    try:
        wait_healthy(url, proc, timeout=60, poll=0.3)
        yield url
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate the server, killing it if it does not exit within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app's script has run and stopped (``stApp`` ``data-test-script-state``).

    A rerun may start a moment after the input that triggers it, so first give it up to
    two seconds to start, then wait for it to finish.
    """
    app = '[data-testid="stApp"]'
    page.wait_for_selector(app, timeout=timeout_ms)
    try:
        page.wait_for_selector(f'{app}[data-test-script-state="running"]', timeout=2_000)
    except Exception:  # already finished (or not started): fine, check below
        pass
    page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]', timeout=timeout_ms)
    page.wait_for_timeout(500)  # let plotly and images paint
