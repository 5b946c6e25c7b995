"""Static checks of the Docker image definition and the Streamlit server config.

No container engine is needed: the Dockerfile is parsed as text. The image itself is built,
run and checked by ``scripts/docker_check.py`` (``make docker-check``).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
INSTALLS = re.compile(r"\b(pip|apt-get|apt|apk|conda|uv)\b.*\binstall\b")


def instructions(path: Path = DOCKERFILE) -> list:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out, buf = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, "dangling line continuation"
    return out


@pytest.fixture(scope="module")
def steps():
    return instructions()


def stages(steps) -> list:
    """The build stages: lists of (INSTRUCTION, arguments), each starting with its FROM."""
    out = []
    for kind, args in steps:
        if kind == "FROM":
            out.append([])
        if out:
            out[-1].append((kind, args))
    return out


def test_base_image_and_install(steps):
    # the base is an ARG (a check can pass a local one), python:3.11-slim by default
    assert ("ARG", "BASE=python:3.11-slim") in steps
    froms = [a for k, a in steps if k == "FROM"]
    assert froms == ["${BASE} AS build", "${BASE}"]
    build, final = stages(steps)
    runs = " ".join(a for k, a in build if k == "RUN")
    assert re.search(r"pip install (--\S+ )*[\"']?\.\[app\][\"']?", runs)
    assert ".[dev]" not in runs and "[jax]" not in runs


def test_run_stage_has_no_install_and_no_compiler(steps):
    """The image is the base plus the venv, the app and the user: nothing is run in it."""
    build, final = stages(steps)
    assert not [a for k, a in final if k == "RUN"]
    copied = [a for k, a in final if k == "COPY"]
    assert "--from=build /opt/venv /opt/venv" in copied
    assert all(a.startswith("--from=build") or not a.startswith("--from") for a in copied)
    # binutils (strip) is installed in the build stage only; the venv is trimmed there
    build_runs = " ".join(a for k, a in build if k == "RUN")
    assert "strip --strip-unneeded" in build_runs and "--no-compile" in build_runs
    assert "tensorflow/include" in build_runs


def test_locked_by_default_with_runs_root(steps):
    env = " ".join(a for k, a in steps if k == "ENV")
    assert "PROMOTER_LOCKED=1" in env
    assert "PROMOTER_RUNS_DIR=/data/runs" in env
    assert "PATH=/opt/venv/bin:$PATH" in env


def test_runs_as_non_root_after_every_install(steps):
    users = [(i, a) for i, (k, a) in enumerate(steps) if k == "USER"]
    assert users, "no USER instruction: the container would run as root"
    last_index, user = users[-1]
    assert user.split(":")[0] not in ("root", "0"), user
    install_steps = [i for i, (k, a) in enumerate(steps) if k == "RUN" and INSTALLS.search(a)]
    assert install_steps and max(install_steps) < last_index
    # the user is created in the image and nothing runs as root after the switch
    assert any("useradd" in a and user.split(":")[0] in a for k, a in steps if k == "RUN")
    assert not [a for k, a in steps[last_index:] if k == "RUN"]


def test_only_streamlit_port_exposed(steps):
    exposed = [a for k, a in steps if k == "EXPOSE"]
    assert exposed == ["8501"]


def test_healthcheck_hits_streamlit_health_without_curl(steps):
    checks = [a for k, a in steps if k == "HEALTHCHECK"]
    assert len(checks) == 1
    check = checks[0]
    assert "http://127.0.0.1:8501/_stcore/health" in check
    assert "python" in check and "urllib" in check
    assert "--timeout=" in check and "--start-period=" in check


def test_cmd_serves_the_dashboard(steps):
    cmds = [a for k, a in steps if k == "CMD"]
    assert len(cmds) == 1
    argv = shlex.split(cmds[0].strip("[]").replace('",', '" ').replace(",", " "))
    assert argv[:3] == ["streamlit", "run", "app/main.py"]
    assert "--server.address=0.0.0.0" in argv and "--server.port=8501" in argv
    assert not [k for k, _ in steps if k == "ENTRYPOINT"]


def test_no_network_downloads_and_offline_settings(steps):
    for kind, args in steps:
        assert not re.search(r"\b(curl|wget)\b", args), (kind, args)
        assert "playwright install" not in args
    env = " ".join(a for k, a in steps if k == "ENV")
    assert "STREAMLIT_BROWSER_GATHER_USAGE_STATS=false" in env
    assert "STREAMLIT_SERVER_HEADLESS=true" in env
    assert "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=false" not in env


def test_copies_what_the_app_needs(steps):
    copied = " ".join(a for k, a in steps if k in ("COPY", "ADD"))
    for needed in ("pyproject.toml", "promoter_model/", "app/", ".streamlit/", "assets/"):
        assert needed in copied, needed
    assert not [a for k, a in steps if k == "ADD"], "use COPY (ADD can fetch URLs)"
    ignore = (ROOT / ".dockerignore").read_text().split()
    for must in (".venv", "runs", "build", ".git"):
        assert must in ignore or must + "/" in ignore, must
    assert "assets" not in ignore and "app" not in ignore


def test_streamlit_config_caps_uploads_and_keeps_xsrf():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server = cfg["server"]
    assert 1 <= int(server["maxUploadSize"]) <= 200
    assert server.get("enableXsrfProtection", True) is True
    assert cfg.get("browser", {}).get("gatherUsageStats") is False


def test_streamlit_config_limits_uploads():
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize = 20" in text and "enableXsrfProtection = true" in text
    json.dumps(text)  # plain text
