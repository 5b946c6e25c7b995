"""``promoter_model.atomic``, the writer of the CLI's outputs (issue 17, items 8 and 13): a
file written over keeps its mode, a character device or a FIFO is written directly (never
replaced by a regular file), a link's target is replaced, and a temp file left by a killed
write is removed by the next write once it is old. The commands' outputs are checked in
``test_cli_hostile.py``.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from promoter_model import atomic


def test_write_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    f = tmp_path / "secret.csv"
    f.write_text("old")
    f.chmod(0o600)
    atomic.write_text(f, "new")
    assert f.read_text() == "new" and stat.S_IMODE(f.stat().st_mode) == 0o600


def test_write_to_a_character_device_keeps_the_device(tmp_path):
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    atomic.write_text("/dev/null", "x" * 1000)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # not replaced by a regular file
    assert not list(Path("/dev").glob(".null.*.tmp*"))


def test_write_to_a_fifo_goes_to_its_reader(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    atomic.write_text(fifo, "id,prediction\n")
    reader.join(10)
    assert got == [b"id,prediction\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_write_through_a_link_replaces_its_target(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic.write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_stale_temp_files_of_a_killed_write_are_removed_by_the_next(tmp_path):
    from promoter_model.runs import write_checksums

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    stray = run / ".checksums.json.abcd1234.tmp"
    stray.write_text("half")
    young = run / ".checksums.json.young000.tmp"
    young.write_text("another writer, still at work")
    os.utime(stray, (0, 0))  # left by a kill long ago
    write_checksums(run)
    assert not stray.exists() and young.exists()
