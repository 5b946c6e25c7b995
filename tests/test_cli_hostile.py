"""Hostile CLI input (issue 17, items 5-13), through the real ``promoter-model`` process.

Every case must end in a result or in exit status 2 with exactly one ``error:`` line (no
traceback), must not lose input, and must stay within bounded memory and time. The corpus
is generated here and kept small; ``PROMOTER_MAX_INPUT_MB`` is lowered so that the byte
cap is reached with a few MB. The writer under every output (modes, devices, FIFOs, links,
stale temp files) is tested in ``test_atomic.py``; the writes refused to an unprivileged
user in ``test_cli_read_only.py``, with the helpers here.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_main

from promoter_model.sequence import read_sequences, unique_ids

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "promoter_model.cli"]
SEQ = "TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT"


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def cli(*args, stdin=None, timeout=120, user=None, **env):
    """Run the CLI; returns (exit status, stdout, stderr lines that are ours)."""
    cmd = [*CLI, *map(str, args)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout,
                          env=_env(**env), cwd="/")
    err = proc.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    return proc.returncode, proc.stdout.decode(errors="replace"), err


def one_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def run(tiny_run, tmp_path):
    dst = tmp_path / "run"
    shutil.copytree(tiny_run, dst)
    return dst


@pytest.fixture
def fasta(tmp_path):
    f = tmp_path / "in.fa"
    f.write_text(f">a\n{SEQ}\n>b\n{SEQ[5:]}\n")
    return f


# ----------------------------------------------------------------------------- 5. output = input
@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "relative path"])
def test_output_that_is_the_input_is_refused(run, fasta, tmp_path, how):
    before = fasta.read_bytes()
    out = {"same path": fasta, "symlink": tmp_path / "link.csv",
           "hard link": tmp_path / "hard.csv", "relative path": Path("../") / fasta}[how]
    if how == "symlink":
        out.symlink_to(fasta)
    if how == "hard link":
        os.link(fasta, out)
    if how == "relative path":
        out = Path(os.path.relpath(fasta, "/"))  # the CLI runs in /
    code, _, err = cli("predict", run, fasta, "--output", out)
    assert code == 2 and "is the input file" in one_error(err)
    assert fasta.read_bytes() == before


# ----------------------------------------------------------------------------- 6. duplicate columns
def test_duplicate_column_names_are_refused(tmp_path, run):
    f = tmp_path / "two.csv"
    f.write_text(f"id,sequence,Sequence\nr1,{SEQ},{SEQ[:50]}\n")
    code, _, err = cli("predict", run, f)
    assert code == 2 and "'sequence' twice" in one_error(err)


# ----------------------------------------------------------------------------- 7. unique ids
@pytest.mark.parametrize("given, expected", [
    (["x", "x", "x_2"], ["x", "x_3", "x_2"]),
    (["x", "x", "x"], ["x", "x_2", "x_3"]),
    (["x_2", "x", "x", "x_2"], ["x_2", "x", "x_3", "x_2_2"]),
    (["a", "a_2", "a", "a_2", "a"], ["a", "a_2", "a_3", "a_2_2", "a_4"]),
])
def test_fasta_ids_are_unique_without_collision(tmp_path, given, expected):
    f = tmp_path / "dups.fa"
    f.write_text("".join(f">{name}\n{SEQ}\n" for name in given))
    ids = read_sequences(f).ids
    assert ids == expected and len(set(ids)) == len(ids)
    assert unique_ids(given) == expected


# ----------------------------------------------------------------------------- 8. output targets
def test_predict_output_keeps_mode_and_devices(run, fasta, tmp_path, capsys):
    """In-process (the CLI's ``main``: its writer and error handling); the outputs are files
    and devices, which a separate process would not change.
    """
    def predict_to(out):
        p = run_main(capsys, "predict", run, fasta, "-o", out)
        assert "Traceback" not in p.stderr, p.stderr
        return p.returncode, p.stderr

    out = tmp_path / "out.csv"
    out.write_text("")
    out.chmod(0o600)
    code, err = predict_to(out)
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text().startswith("id,")
    code, err = predict_to("/dev/null")
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    # a full file system: one error line
    code, err = predict_to("/dev/full")
    assert code == 2 and "/dev/full: No space left on device" in one_error(err)


# ----------------------------------------------------------------------------- 9. bounded memory
_MEASURE = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
            "sys.stdout.buffer.write(p.stdout); sys.stderr.buffer.write(p.stderr)\n"
            "print(f'PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}',"
            " file=sys.stderr)\n"
            "sys.exit(p.returncode)\n")


def peak_rss(*args, **env):
    """Run the CLI under a fresh parent that reports the CLI's own peak RSS (MB).

    Returns
    -------
    (exit status, stdout, stderr, peak MB)
    """
    code, out, err = 0, "", ""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *CLI, *map(str, args)],
                          capture_output=True, timeout=300, env=_env(**env), cwd="/")
    err = proc.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    peak = int(err.rsplit("PEAK_RSS_KB=", 1)[1].split()[0]) // 1024
    code, out = proc.returncode, proc.stdout.decode(errors="replace")
    return code, out, err, peak


def test_endless_stdin_is_refused_at_the_byte_cap(run):
    # `yes ACGTACGTAC | predict RUN -`: the stream is cut at the cap, not read into memory
    yes = subprocess.Popen(["yes", "ACGTACGTAC"], stdout=subprocess.PIPE)
    try:
        proc = subprocess.run([*CLI, "predict", str(run), "-"], stdin=yes.stdout,
                              capture_output=True, timeout=120,
                              env=_env(PROMOTER_MAX_INPUT_MB=2))
    finally:
        yes.kill()
        yes.wait()
    assert proc.returncode == 2
    assert "over the limit of 2 MB" in one_error(proc.stderr.decode())


def test_dev_zero_on_stdin_is_refused_at_once(run):
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([*CLI, "predict", str(run), "-"], stdin=zero,
                              capture_output=True, timeout=60, env=_env())
    assert proc.returncode == 2 and "binary file" in one_error(proc.stderr.decode())


def test_gzip_bomb_is_refused_while_unpacking(run, tmp_path):
    f = tmp_path / "bomb.txt.gz"
    with gzip.open(f, "wb", compresslevel=9) as gz:
        for _ in range(64):
            gz.write((SEQ + "\n").encode() * 10_000)  # 64 x 1.1 MB
    assert f.stat().st_size < 1 << 20
    code, _, err, peak = peak_rss("predict", run, f, PROMOTER_MAX_INPUT_MB=8)
    assert code == 2 and "unpacked gzip input is over the limit of 8 MB" in one_error(err)
    assert peak < 300, peak  # a bounded buffer; before TensorFlow is even imported


def test_large_file_is_refused_from_its_size(run, tmp_path):
    f = tmp_path / "big.txt"
    with open(f, "wb") as fh:
        fh.truncate(3 << 20)
    code, _, err = cli("predict", run, f, PROMOTER_MAX_INPUT_MB=1)
    assert code == 2 and "over the limit" in one_error(err)


# ----------------------------------------------------------------------------- 10. FIFOs, devices
@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict", "prepare"])
def test_fifo_input_is_refused_not_waited_on(run, tmp_path, command):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    args = ([command, run, fifo] if command == "predict"
            else [command, fifo, "--out", tmp_path / "data"])
    code, _, err = cli(*args, timeout=60)  # a hang would time out
    assert code == 2 and "not a regular file" in one_error(err)


@pytest.mark.slow
def test_prepare_dev_zero_is_refused(tmp_path):
    code, _, err = cli("prepare", "/dev/zero", "--out", tmp_path / "data", timeout=60)
    assert code == 2 and "not a regular file" in one_error(err)
    assert not (tmp_path / "data").exists()


# ----------------------------------------------------------------------------- 11. one error line
@pytest.mark.slow
def test_prepare_out_that_is_the_input_is_one_error_line(tmp_path, train_demo_path):
    x = tmp_path / "x.txt"
    shutil.copy(train_demo_path, x)
    before = x.read_bytes()
    code, _, err = cli("prepare", x, "--out", x)
    assert code == 2 and "the input itself" in one_error(err)
    assert x.read_bytes() == before


# ----------------------------------------------------------------------------- 12. missing folders
@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict", "ism"])
def test_output_in_a_missing_folder_is_refused_not_created(run, fasta, tmp_path, command):
    out = tmp_path / "no" / "such" / "dir" / "out.csv"
    code, _, err = cli(command, run, fasta, "-o", out)
    assert code == 2 and "does not exist" in one_error(err)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("target", ["folder", "socket"])
def test_output_that_is_a_folder_or_socket_is_refused(run, fasta, tmp_path, target):
    out = tmp_path / "target"
    if target == "folder":
        out.mkdir()
    else:
        import socket

        s = socket.socket(socket.AF_UNIX)
        s.bind(str(out))
    code, _, err = cli("predict", run, fasta, "-o", out)
    assert code == 2 and one_error(err)
    assert out.is_dir() if target == "folder" else stat.S_ISSOCK(os.stat(out).st_mode)


# ----------------------------------------------------------------------------- 13. stray files
def test_rerun_of_a_complete_run_removes_checkpoint_and_temp_files(run):
    from promoter_model.model.config import RunConfig
    from promoter_model.train import train

    (run / "checkpoint").mkdir()
    (run / "checkpoint" / "state.json").write_text("{}")
    (run / ".checksums.json.zz.tmp").write_text("")
    (run / ".model.keras.zz.tmp.keras").write_text("")
    from promoter_model.runs import write_checksums

    cfg = RunConfig.from_json((run / "config.json").read_text())
    cfg.data_dir = str(run.parent / "data")  # as train records it
    (run / "config.json").write_text(cfg.to_json() + "\n")
    write_checksums(run)
    metrics = train(cfg.data_dir, run, cfg)  # complete: nothing is trained
    assert metrics == __import__("json").loads((run / "metrics.json").read_text())
    assert not (run / "checkpoint").exists()
    assert not list(run.glob(".*.tmp*"))


# ----------------------------------------------------------------------------- prepare streaming
def test_streaming_reader_refuses_nul_and_endless_lines_without_buffering(tmp_path):
    from promoter_model.sequence import SequenceError, iter_dream_chunks

    nul = tmp_path / "nul.txt"
    nul.write_bytes(f"{SEQ}\t1.0\n".encode() * 3 + b"\x00" * 1000)
    with pytest.raises(SequenceError, match="line 4.*NUL|NUL.*line 4|binary data"):
        list(iter_dream_chunks(nul))
    endless = tmp_path / "endless.txt"
    endless.write_bytes(b"A" * (20 << 20))  # one 20 MB line, no newline
    with pytest.raises(SequenceError, match="a line longer than"):
        list(iter_dream_chunks(endless))


def test_sigterm_during_a_write_removes_its_temp_file(tmp_path):
    """SIGTERM stops the CLI like Ctrl-C: the temp file goes, the old file is intact.

    (As from ``kill`` or a job scheduler.)
    """
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    code = (
        "import os, sys, time\n"
        "from promoter_model import atomic\n"
        "from promoter_model.cli import command as cli\n"
        "cli._interrupt_on_terminate()\n"
        "def slow_fsync(fd):\n"
        "    print('IN_WRITE', flush=True)\n"
        "    time.sleep(60)\n"
        "os.fsync = slow_fsync\n"
        "try:\n"
        "    atomic.write_text(sys.argv[1], 'new\\n' * 1000)\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE,
                            env=_env())
    assert proc.stdout.readline().strip() == b"IN_WRITE"
    assert list(tmp_path.glob(".out.csv.*.tmp"))  # the write is under way
    proc.terminate()
    assert proc.wait(30) == 130
    assert target.read_text() == "old\n"
    assert not list(tmp_path.glob(".out.csv.*"))
