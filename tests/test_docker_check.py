"""The Docker image check's own logic, without a container engine.

The check itself (``scripts/docker_check.py``, ``make docker-check``) builds and runs the
image; it is run by ``.ci/run``, not by pytest. These tests cover what decides its outcome:
the pip configuration handed to the build, and skip (77) versus failure (1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import docker_check  # noqa: E402
import docker_env  # noqa: E402

LISTED = """\
:env:.cert='{cert}'
:env:.default-timeout='180'
:env:.find-links='{wheels}'
global.cert='/etc/elsewhere.crt'
global.constraint='{constraints}'
global.extra-index-url='file://{index}/simple file:///no/such/index/simple https://example.org/simple'
global.find-links='/also/not/here'
"""


@pytest.fixture
def host_pip(tmp_path):
    """A pip configuration naming local files and folders, as ``pip config list`` prints it."""
    (tmp_path / "ca.crt").write_text("cert")
    (tmp_path / "constraints.txt").write_text("torch<=2\n")
    (tmp_path / "wheels").mkdir()
    (tmp_path / "pypi" / "simple").mkdir(parents=True)
    (tmp_path / "pypi" / "files").mkdir()
    return LISTED.format(cert=tmp_path / "ca.crt", wheels=tmp_path / "wheels",
                         constraints=tmp_path / "constraints.txt", index=tmp_path / "pypi")


def test_pip_config_environment_wins_over_files(host_pip, tmp_path):
    cfg = docker_env.pip_config(host_pip)
    assert cfg.sections() == ["global"]
    assert cfg.get("global", "cert") == str(tmp_path / "ca.crt")  # PIP_CERT over the file
    assert cfg.get("global", "find-links") == str(tmp_path / "wheels")
    assert cfg.get("global", "default-timeout") == "180"
    assert cfg.get("global", "constraint") == str(tmp_path / "constraints.txt")


def test_local_paths_mount_index_roots_and_skip_missing(host_pip, tmp_path):
    paths = docker_env.local_paths(docker_env.pip_config(host_pip))
    # the index's parent (its pages link to ../../files/), never a URL or a missing path
    assert sorted(paths) == sorted(str(tmp_path / p) for p in
                                   ("ca.crt", "wheels", "constraints.txt", "pypi"))


def test_pip_mounts_are_read_only_and_written_conf_parses(host_pip, tmp_path, monkeypatch):
    class Listed:
        stdout = host_pip

    monkeypatch.setattr(docker_env, "run", lambda *a, **k: Listed)
    work = tmp_path / "work"
    work.mkdir()
    mounts, paths = docker_env.pip_mounts(work)
    assert mounts[:2] == ["-v", f"{work / 'pip.conf'}:/etc/pip.conf:ro"]
    assert all(m == "-v" for m in mounts[0::2]) and all(m.endswith(":ro") for m in mounts[1::2])
    assert paths[0] == "/etc/pip.conf" and len(mounts) == 2 * len(paths)
    assert "extra-index-url" in (work / "pip.conf").read_text()


def test_no_engine_is_a_skip_with_a_clear_line(monkeypatch, capsys):
    monkeypatch.setattr(docker_env.shutil, "which", lambda name: None)
    monkeypatch.setattr(docker_env, "APT", [])
    with pytest.raises(docker_env.Skip, match="podman is not installed"):
        docker_env.engine(install=False)

    def no_engine(install=False):
        raise docker_env.Skip("no container engine here")

    monkeypatch.setattr(docker_env, "engine", no_engine)
    assert docker_check.main([]) == 77
    assert capsys.readouterr().out.strip() == "docker check SKIPPED: no container engine here"


def test_a_failed_check_fails(monkeypatch, capsys):
    def failing(args):
        raise docker_env.CheckFailed("the container wrote outside /tmp: /home/explorer/.keras")

    monkeypatch.setattr(docker_check, "check", failing)
    assert docker_check.main([]) == 1
    assert "docker check FAILED: the container wrote outside /tmp" in capsys.readouterr().out


def test_summary_says_when_a_page_was_loaded_again():
    page = {"heading": "Predict expression", "plots": ["chart"], "tables": 1, "images": 0,
            "seconds": 3.0, "reloads": 0}
    pages = {slug: dict(page) for slug in ("predict", "mutagenesis", "motifs", "training")}
    pages["mutagenesis"]["reloads"] = 1
    pages["picker"] = {"offered": ["a", "b"], "selected": "b"}
    out = {"engine": "podman", "base": "base", "base_how": "cached", "base_s": 0.0,
           "build_s": 12.0, "image_bytes": 2e9, "health_s": 1.0, "healthcheck": "healthy",
           "user": "explorer", "pages": pages, "changed": ["/tmp"], "ro_health_s": 1.0,
           "ro_pages": {"predict": dict(page, reloads=2)}, "total_s": 100.0}
    lines = docker_env.summary(out).splitlines()
    mut = next(line for line in lines if line.startswith("page mutagenesis"))
    assert mut.endswith("3 s (loaded 2 times: the host's network changed under the first)")
    assert next(line for line in lines if line.startswith("page predict")).endswith("3 s")
    assert "Predict renders (loaded 3 times" in next(
        line for line in lines if line.startswith("read-only"))
