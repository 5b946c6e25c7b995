"""Crafted run folders (issue 17, items 1, 3, 4): refused before anything is loaded or shown.

The corpus is generated here, small: links out of a run, a config asking for a Dense
30000×30000, a weights zip bomb, extra archive members, a sparse 4 GB ``model.keras``.
Each must be refused by ``check_run`` (so the picker leaves it out) and by ``load_run``,
cheaply: peak memory of a child process is measured for the worst case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from crafted_runs import rewrite_archive

from promoter_model.runs import (
    RunError,
    check_run,
    list_runs,
    load_run,
    read_model_card,
    scan_runs,
    write_checksums,
)
from promoter_model.runs import safety as run_safety

SECRET = "root:x:0:0:SECRET-LINE-OF-A-SERVER-FILE"


@pytest.fixture
def secret(tmp_path):
    f = tmp_path / "server_secret.txt"
    f.write_text(SECRET + "\n")
    return f


def _vouch_for_link(run, name):
    """List ``name`` (a link) in ``checksums.json`` by hand, as a planter could."""
    from promoter_model.runs import sha256_file

    sums = json.loads((run / "checksums.json").read_text())
    sums[name] = sha256_file(run / name)
    (run / "checksums.json").write_text(json.dumps(sums))


def test_write_checksums_never_vouches_for_a_card_link(good, secret):
    (good / "MODEL_CARD.md").symlink_to(secret)
    assert "MODEL_CARD.md" not in write_checksums(good)


def _dense_config(units: int, inputs: int) -> bytes:
    """A Keras config of Input(inputs) -> Dense(units), built by Keras and then edited."""
    import keras

    small = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    cfg = json.loads(small.to_json())
    cfg["config"]["layers"][0]["config"]["batch_shape"] = [None, inputs]
    dense = cfg["config"]["layers"][1]
    dense["config"]["units"] = units
    dense["build_config"]["input_shape"] = [None, inputs]
    cfg["config"]["build_input_shape"] = [None, inputs]
    cfg["build_config"]["input_shape"] = [None, inputs]
    return json.dumps(cfg).encode()


# ----------------------------------------------------------------------------- 1. links
@pytest.mark.parametrize("name", ["MODEL_CARD.md", "history.csv", "metrics.json",
                                  "config.json", "model.keras", "checksums.json"])
def test_a_run_file_that_is_a_link_refuses_the_run(good, secret, tiny_run, name):
    target = secret if name in ("MODEL_CARD.md", "history.csv") else tiny_run / name
    if name == "MODEL_CARD.md":
        (good / name).symlink_to(target)
        _vouch_for_link(good, name)  # the planter even lists the linked file's checksum
    else:
        (good / name).unlink()
        (good / name).symlink_to(target)
    with pytest.raises(RunError, match=f"{name} is a symbolic link"):
        check_run(good)
    with pytest.raises(RunError):
        load_run(good)
    assert list_runs(good.parent) == []
    assert "symbolic link" in dict(scan_runs(good.parent))[good]


def test_a_card_link_is_never_shown_even_when_unlisted(good, secret):
    (good / "MODEL_CARD.md").symlink_to(secret)  # not in checksums.json
    check_run(good)  # the run itself is sound
    run = load_run(good)
    assert run.model_card is None
    assert read_model_card(good) is None


def test_card_shown_only_when_its_checksum_matches(good):
    (good / "MODEL_CARD.md").write_text("# Card\n\nA tiny model.\n")
    assert load_run(good).model_card is None  # not covered by checksums.json: not shown
    write_checksums(good)
    assert load_run(good).model_card.startswith("# Card")
    (good / "MODEL_CARD.md").write_text("# Card\n\nEdited after training.\n")
    assert read_model_card(good) is None


def test_checksum_cache_hashes_each_file_once(good, monkeypatch):
    calls = []
    real = run_safety.hashlib.sha256

    def counting(*args):
        calls.append(1)
        return real(*args)

    run_safety._DIGESTS.clear()
    monkeypatch.setattr(run_safety.hashlib, "sha256", counting)
    check_run(good)
    first = len(calls)
    assert first >= 4
    check_run(good)
    assert len(calls) == first  # same (inode, size, mtime): served from the cache
    (good / "history.csv").write_text("epoch\n1\n")  # changed: hashed again, and caught
    with pytest.raises(RunError, match="history.csv does not match its checksum"):
        check_run(good)
    assert len(calls) == first + 1


# ----------------------------------------------------------------------------- 3. bounds
def test_config_asking_for_a_huge_dense_is_refused_before_loading(good):
    rewrite_archive(good, {"config.json": _dense_config(30000, 30000)})
    assert (good / "model.keras").stat().st_size < 300_000  # the tiny model's weights
    t0 = time.perf_counter()
    with pytest.raises(RunError, match=r"900,030,000 parameters, over the limit"):
        check_run(good)
    assert time.perf_counter() - t0 < 10
    with pytest.raises(RunError, match="over the limit"):
        load_run(good, verify=False)
    from keras.src.backend.common import global_state

    assert not global_state.get_global_attribute("uninitialized_variables")


def test_param_limit_is_configurable(good, monkeypatch):
    n = run_safety.count_params(run_safety.check_archive(good / "model.keras"))
    assert n == load_run(good).model.count_params()  # the count without weights is exact
    monkeypatch.setenv("PROMOTER_MAX_PARAMS", str(n - 1))
    with pytest.raises(RunError, match="PROMOTER_MAX_PARAMS"):
        check_run(good)
    monkeypatch.setenv("PROMOTER_MAX_PARAMS", str(n))
    check_run(good)


def test_weights_zip_bomb_is_refused_without_unpacking(good):
    bomb = b"\0" * (64 << 20)  # 64 MiB of zeros deflate to ~64 KB
    rewrite_archive(good, {"model.weights.h5": bomb}, compression=zipfile.ZIP_DEFLATED)
    assert (good / "model.keras").stat().st_size < 1 << 20
    with pytest.raises(RunError, match="zip bomb"):
        check_run(good)
    with pytest.raises(RunError, match="zip bomb"):
        load_run(good, verify=False)


def test_weights_larger_than_the_parameters_explain_are_refused(good):
    h5 = zipfile.ZipFile(good / "model.keras").read("model.weights.h5")
    rewrite_archive(good, {"model.weights.h5": h5 + os.urandom(12 << 20)})  # stored
    with pytest.raises(RunError, match="far more than"):
        check_run(good)


@pytest.mark.parametrize("extra", ["payload.bin", "../escape.txt", "assets/x"])
def test_extra_archive_members_are_refused_without_unpacking(good, extra):
    rewrite_archive(good, {extra: os.urandom(1000)})
    with pytest.raises(RunError, match="holds files Keras does not write"):
        check_run(good)
    with pytest.raises(RunError, match="holds files Keras does not write"):
        load_run(good, verify=False)


def test_sparse_4gb_model_is_refused_from_its_directory_entry(good):
    with open(good / "model.keras", "r+b") as fh:
        fh.truncate(4 << 30)  # sparse: nothing is written
    write_sums = json.loads((good / "checksums.json").read_text())
    (good / "checksums.json").write_text(json.dumps(write_sums))
    t0 = time.perf_counter()
    for _ in range(5):
        problems = dict(scan_runs(good.parent))
    assert time.perf_counter() - t0 < 1.0  # no checksum of 4 GB (18 s per scan before)
    assert "over the limit" in problems[good] and "PROMOTER_MAX_MODEL_MB" in problems[good]


def _peak_rss_mb_of_check(run: Path) -> tuple[int, str]:
    """Run ``check_run`` on ``run`` in a child process; (its peak RSS in MB, its stderr).

    The child reports its own address space's high-water mark (``VmHWM``). Not
    ``getrusage``: Linux carries the spawning process's peak RSS into the child's
    ``ru_maxrss`` across ``exec``, so a large test process (the whole suite) would count.
    """
    code = ("import sys\nfrom promoter_model.runs import check_run, RunError\n"
            "try:\n    check_run(sys.argv[1])\nexcept RunError as e:\n"
            "    print('refused:', e, file=sys.stderr)\n"
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
            "print('PEAK', hwm[0].split()[1])\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True,
                          text=True, timeout=300, env=env)
    peak_kb = int(proc.stdout.rsplit("PEAK", 1)[1].split()[0])
    return peak_kb // 1024, proc.stderr


@pytest.mark.slow
def test_worst_crafted_run_peak_memory(good):
    """The Dense 30000×30000 config (18 GB when loaded before) is refused cheaply.

    The child's peak RSS stays that of importing TensorFlow (docs/reliability.md quotes the
    figure from ``bench/bench_hostile.py``).
    """
    rewrite_archive(good, {"config.json": _dense_config(30000, 30000)})
    peak, err = _peak_rss_mb_of_check(good)
    assert "refused:" in err and "parameters, over the limit" in err
    assert peak < 2000, peak


# ----------------------------------------------------------------------------- 4. markdown
@pytest.mark.parametrize("text, gone, kept", [
    ("see ![logo](https://evil.example/p.png) here", "evil.example/p.png)", "logo"),
    ("[click me](https://evil.example/login)", "](https://", "click me"),
    ("![a][img]\n\n[img]: https://evil.example/i.png", "]: https://", "a"),
    ("[![x](http://e.example/t.gif)](http://e.example)", "](http", "x"),
    ("visit https://evil.example/a now", "visit https://", "`https://evil.example/a`"),
    ("<https://evil.example>", "<https://", "`https://evil.example`"),
])
def test_plain_markdown_has_no_remote_images_or_links(text, gone, kept):
    out = run_safety.plain_markdown(text)
    assert gone not in out and kept in out


def test_plain_markdown_keeps_ordinary_text():
    text = "# Card\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n*tiny* model, R² 0.2"
    assert run_safety.plain_markdown(text) == text
    assert run_safety.plain_markdown(None) is None
