"""Reliability of prepared data beyond ``tests/test_records_integrity.py``.

* ``prepare`` killed with SIGKILL mid-write and re-run gives byte-identical shards and
  manifest;
* a corrupt shard stops ``promoter-model train`` with exit status 2 and an error naming the
  shard before any training starts, and leaves no run folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from promoter_model import cli, records
from promoter_model.runs import list_runs

CLI = [sys.executable, "-m", "promoter_model.cli"]


def _write_rows(path: Path, n: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    codes = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(n, 110))]
    vals = rng.normal(size=n)
    with open(path, "wb") as fh:
        fh.write(b"".join(row.tobytes() + b"\t%.4f\n" % v for row, v in zip(codes, vals)))
    return path


def _folder_bytes(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.name != "manifest.json"}


def _manifest(folder: Path) -> dict:
    m = json.loads((folder / "manifest.json").read_text())
    m.pop("created")
    return m


@pytest.mark.slow
def test_prepare_killed_mid_write_then_rerun_is_byte_identical(tmp_path):
    """SIGKILL ``promoter-model prepare`` twice while it writes shards; the same command
    then produces exactly the shards and manifest of an uninterrupted run.
    """
    src = _write_rows(tmp_path / "train.txt", 150_000)
    out = tmp_path / "prepared"
    args = ["prepare", str(src), "--out", str(out), "--shard-size", "5000",
            "--val-fraction", "0.1", "--test-fraction", "0.1", "--quiet"]
    rng = np.random.default_rng(3)
    kills, states = 0, []
    for _ in range(6):  # until two kills land mid-write (shards are written in well under 1 s)
        if kills == 2:
            break
        proc = subprocess.Popen(CLI + args, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while time.time() < deadline and proc.poll() is None:
            # a shard being written (temp name) or written: the kill lands among the writes
            if out.is_dir() and any(p.suffix in (".tfrecord", ".tmp") for p in out.iterdir()):
                break
            time.sleep(0.005)
        time.sleep(float(rng.uniform(0, 0.05)))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            names = sorted(p.name for p in out.iterdir())
            states.append(names)
            if "manifest.json" in names:
                # killed after its last write, while exiting: the manifest is written after
                # every shard, so every shard it lists is complete; start the next try afresh
                records.verify_shards(out)
                shutil.rmtree(out)
                continue
            kills += 1
            with pytest.raises(records.DataError, match="no manifest"):
                records.verify_shards(out)
        else:
            proc.wait()
            shutil.rmtree(out, ignore_errors=True)  # finished: the next try starts afresh
    assert kills >= 1, "prepare finished before it could be killed mid-write"
    m = records.prepare(src, out, val_fraction=0.1, test_fraction=0.1, shard_size=5000)
    ref = tmp_path / "reference"
    records.prepare(src, ref, val_fraction=0.1, test_fraction=0.1, shard_size=5000)
    assert _folder_bytes(out) == _folder_bytes(ref)
    assert _manifest(out) == _manifest(ref)
    assert m["n_rows"] == 150_000
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    records.verify_shards(out)
    print(f"{kills} kills; files at each kill: {[len(s) for s in states]}")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    d = tmp_path_factory.mktemp("prepared")
    src = _write_rows(d / "train.txt", 900, seed=5)
    records.prepare(src, d / "data", val_fraction=0.2, test_fraction=0.2, shard_size=200)
    return d / "data"


def _tampered_copy(prepared, tmp_path, how):
    data = tmp_path / "data"
    shutil.copytree(prepared, data)
    shard = data / "train-00001.tfrecord"
    raw = bytearray(shard.read_bytes())
    if how == "flipped":
        raw[len(raw) // 2] ^= 0x01
    elif how == "truncated":
        raw = raw[:-100]
    elif how == "swapped":
        raw = bytearray((data / "train-00000.tfrecord").read_bytes())
    shard.write_bytes(bytes(raw))
    return data


@pytest.mark.parametrize("how, needle", [("flipped", "sha256"), ("truncated", "truncated"),
                                         ("swapped", "sha256")])
def test_tampered_shard_stops_train_before_training(prepared, tmp_path, capsys, monkeypatch,
                                                    how, needle):
    import keras

    data = _tampered_copy(prepared, tmp_path, how)

    def no_fit(*a, **k):
        raise AssertionError("training started on corrupt data")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    out = tmp_path / "run"
    code = cli.main(["train", "--data", str(data), "--out", str(out), "--preset", "tiny",
                     "--epochs", "1"])
    _, err = capsys.readouterr()
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "train-00001.tfrecord" in lines[0] and needle in lines[0], err
    assert "Traceback" not in err
    leftover = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert set(leftover) <= {"config.json"}, leftover
    assert out not in list_runs(tmp_path)


def test_tampered_shard_leaves_no_run_folder(prepared, tmp_path, capsys):
    data = _tampered_copy(prepared, tmp_path, "flipped")
    out = tmp_path / "run"
    assert cli.main(["train", "--data", str(data), "--out", str(out), "--preset", "tiny",
                     "--epochs", "1"]) == 2
    assert not out.exists()
