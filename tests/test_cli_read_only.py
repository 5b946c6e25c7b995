"""Writes refused to an unprivileged user (issue 17, item 11), through the real
``promoter-model`` process run as ``nobody`` (``setpriv``) when the tests run as root: an
``--output`` in a read-only folder, ``motifs`` and ``evaluate --save`` on a read-only run
(refused before the work) and ``prepare`` into a read-only folder are each one ``error:``
line. The CLI helpers are ``test_cli_hostile.py``'s.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from test_cli_hostile import SEQ, cli, one_error


@pytest.fixture
def shared_tmp():
    """A folder an unprivileged user can reach (pytest's tmp is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="hostile-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _as_nobody_possible() -> bool:
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


def _readonly_run(tiny_run, shared_tmp) -> Path:
    ro = shared_tmp / "ro_run"
    shutil.copytree(tiny_run, ro)
    for p in [ro, *ro.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    return ro


def _nobody():
    return 65534 if os.geteuid() == 0 else None


@pytest.mark.skipif(not _as_nobody_possible(), reason="needs setpriv to drop root")
def test_output_into_a_read_only_folder_is_one_error_line(tiny_run, shared_tmp):
    ro = _readonly_run(tiny_run, shared_tmp)
    f = shared_tmp / "in.txt"
    f.write_text(SEQ + "\n")
    f.chmod(0o644)
    code, _, err = cli("predict", ro, f, "-o", ro / "out.csv", user=_nobody())
    assert code == 2 and "is not writable" in one_error(err)


@pytest.mark.slow
@pytest.mark.skipif(not _as_nobody_possible(), reason="needs setpriv to drop root")
@pytest.mark.parametrize("command", ["motifs", "evaluate --save"])
def test_writes_into_a_read_only_run_are_refused_before_the_work(tiny_run, shared_tmp,
                                                                 command):
    ro = _readonly_run(tiny_run, shared_tmp)
    data = shared_tmp / "measured.csv"
    data.write_text(f"sequence,expression\n{SEQ},1.0\n{SEQ[3:]},2.0\n")
    data.chmod(0o644)
    args = (["motifs", ro, "--max-sequences", "20", "--no-influence"] if command == "motifs"
            else ["evaluate", ro, data, "--save"])
    code, _, err = cli(*args, user=_nobody(), timeout=300)
    assert code == 2 and "is not writable" in one_error(err)
    assert "reference:" not in err  # refused before the reference set was even read


@pytest.mark.slow
@pytest.mark.skipif(not _as_nobody_possible(), reason="needs setpriv to drop root")
def test_prepare_into_a_read_only_folder_is_one_error_line(shared_tmp, train_demo_path):
    ro = shared_tmp / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    src = shared_tmp / "train.txt"
    shutil.copy(train_demo_path, src)
    src.chmod(0o644)
    code, _, err = cli("prepare", src, "--out", ro / "data", user=_nobody(), timeout=300)
    assert code == 2 and "Permission denied" in one_error(err)
