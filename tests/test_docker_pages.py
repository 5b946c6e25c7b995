"""``scripts/docker_pages.py`` without a browser: its reload rule and its off-machine watch
on a stand-in page (the real browser run is in ``tests/test_browser.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import docker_pages  # noqa: E402

URL = "http://127.0.0.1:8501"


class _Request:
    def __init__(self, url, failure=None):
        self.url, self.failure = url, failure


class FakePage:
    """Loads fail as ``script`` says, one entry a ``goto``: "ok" renders the app,
    "modules" aborts the app's scripts with a network change (the app never renders),
    "document" aborts the page itself, "broken" never renders with no network failure.
    """

    def __init__(self, script):
        self.script, self.listeners, self.gotos = list(script), {}, 0
        self.rendered = False

    def on(self, event, fn):
        self.listeners.setdefault(event, []).append(fn)

    def remove_listener(self, event, fn):
        self.listeners[event].remove(fn)

    def _emit(self, event, request):
        for fn in list(self.listeners.get(event, [])):
            fn(request)

    def goto(self, address, wait_until=None):
        self.gotos += 1
        outcome = self.script.pop(0)
        self._emit("request", _Request(address))
        self._emit("request", _Request("https://fonts.example.org/icon.svg"))
        if outcome == "document":
            raise docker_pages.PlaywrightError(f"Page.goto: net::ERR_NETWORK_CHANGED at {address}")
        if outcome == "modules":
            self._emit("requestfailed", _Request(f"{URL}/static/js/index.js",
                                                 "net::ERR_NETWORK_CHANGED"))
        self.rendered = outcome == "ok"

    def wait_for_selector(self, selector, timeout=None):
        if not self.rendered:
            raise docker_pages.PlaywrightTimeout(f"Timeout {timeout}ms exceeded.")

    def wait_for_timeout(self, ms):
        pass


@pytest.fixture(autouse=True)
def _no_idle_wait(monkeypatch):
    monkeypatch.setattr(docker_pages, "wait_idle", lambda page, timeout_ms=None: None)


def test_a_page_that_renders_needs_no_reload():
    page = FakePage(["ok"])
    assert docker_pages.open_page(page, f"{URL}/") == 0
    assert page.gotos == 1 and page.listeners["requestfailed"] == []


@pytest.mark.parametrize("first", ["modules", "document"])
def test_a_network_change_is_loaded_again(first):
    page = FakePage([first, first, "ok"])
    assert docker_pages.open_page(page, f"{URL}/mutagenesis") == 2
    assert page.gotos == 3


def test_reloads_are_bounded_and_the_failure_names_the_requests():
    page = FakePage(["modules"] * (docker_pages.RELOADS + 1))
    with pytest.raises(docker_pages.PageError, match="index.js: net::ERR_NETWORK_CHANGED"):
        docker_pages.open_page(page, f"{URL}/")
    assert page.gotos == docker_pages.RELOADS + 1


def test_an_app_that_never_renders_fails_without_reloading():
    page = FakePage(["broken", "ok"])
    with pytest.raises(docker_pages.PageError, match="did not render.*none"):
        docker_pages.open_page(page, f"{URL}/")
    assert page.gotos == 1


def test_requests_off_the_server_are_collected():
    page = FakePage(["ok"])
    offsite = docker_pages.watch_offsite(page, URL)
    docker_pages.open_page(page, f"{URL}/training")
    assert offsite == ["https://fonts.example.org/icon.svg"]


def test_a_script_that_never_stops_fails_naming_the_page(monkeypatch):
    waited = []

    def never_idle(page, timeout_ms=None):
        waited.append(timeout_ms)
        raise docker_pages.PlaywrightTimeout(f"Timeout {timeout_ms}ms exceeded.")

    monkeypatch.setattr(docker_pages, "wait_idle", never_idle)
    page = FakePage(["ok"])
    with pytest.raises(docker_pages.PageError, match="/training: the page's script was still "
                                                     "running after 420 s"):
        docker_pages.open_page(page, f"{URL}/training")
    assert waited == [docker_pages.SCRIPT_TIMEOUT_MS] and page.gotos == 1
    assert page.listeners["requestfailed"] == []
