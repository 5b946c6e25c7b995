"""Reliability of run folders beyond ``tests/test_runs.py``.

* someone else's checkpoints: a Lambda layer, a pickle, a config that names ``os.system``
  or ``subprocess.Popen`` are refused by ``load_run`` (safe mode only) with a clear
  ``RunError``, and no foreign code runs (a marker file the payload would create never
  appears);
* hand-edited ``checksums.json``/``config.json`` never crash the run picker;
* run names cannot leave the runs root.

Prepared data (``prepare`` killed mid-write, corrupt shards) is in
``test_reliability_prepare.py``.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from promoter_model import cli
from promoter_model.runs import (
    RunError,
    check_run,
    list_runs,
    load_run,
    resolve_under,
    save_run,
    scan_runs,
    write_checksums,
)


def _marker(tmp_path) -> Path:
    return tmp_path / "FOREIGN_CODE_RAN"


class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: the proof that a pickle was loaded."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _one_line(msg: str) -> None:
    assert "\n" not in msg, f"error is not one line: {msg!r}"


# ----------------------------------------------------------------------------- foreign code
def _lambda_run(root, marker, cfg_from):
    import keras

    from promoter_model.model.config import RunConfig

    inp = keras.Input((110, 4))
    # the lambda would create the marker file whenever it runs
    fn = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), "  # noqa: S307
              "keras.ops.sum(x, axis=(1, 2))[:, None])[1]", {"keras": keras})
    out = keras.layers.Lambda(fn)(inp)
    model = keras.Model(inp, out)
    if marker.exists():
        marker.unlink()  # building the graph ran it once, here in the test
    cfg = RunConfig.from_json((cfg_from / "config.json").read_text())
    return save_run(root / "with_lambda", model, cfg)


def test_lambda_layer_refused_in_safe_mode_and_never_run(tiny_run, root, tmp_path):
    marker = _marker(tmp_path)
    run_dir = _lambda_run(root, marker, tiny_run)
    # the checksums are valid: the refusal is about the code, found twice over
    for check in (check_run, load_run,                          # the archive's config, read
                  lambda p: load_run(p, verify=False)):         # Keras safe mode
        with pytest.raises(RunError, match="model.keras") as info:
            check(run_dir)
        assert "Lambda" in str(info.value) and "safe mode" in str(info.value)
        assert str(run_dir) in str(info.value)
    assert not marker.exists()


def test_run_pickers_leave_out_runs_with_code(tiny_run, root, tmp_path):
    """scan_runs (the dashboard's picker, ``list_runs``) names the Lambda layer as the reason."""
    from promoter_model.runs import code_in_model

    run_dir = _lambda_run(root, _marker(tmp_path), tiny_run)
    assert code_in_model(run_dir / "model.keras").startswith("a Lambda layer 'lambda")
    assert code_in_model(tiny_run / "model.keras") is None
    reasons = dict(scan_runs(root))
    assert "contains Python code (a Lambda layer" in reasons[run_dir]
    assert run_dir not in list_runs(root)


def test_lambda_refusal_message_is_one_clear_line(tiny_run, root, tmp_path):
    run_dir = _lambda_run(root, _marker(tmp_path), tiny_run)
    with pytest.raises(RunError) as info:
        load_run(run_dir)
    msg = str(info.value)
    _one_line(msg)
    assert "safe_mode=False" not in msg and "enable_unsafe_deserialization" not in msg
    assert "Lambda" in msg and "refused" in msg


def test_cli_predict_with_lambda_run_exits_2(tiny_run, root, tmp_path, capsys):
    marker = _marker(tmp_path)
    run_dir = _lambda_run(root, marker, tiny_run)
    code = cli.main(["predict", str(run_dir), "A" * 110])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith(f"error: {run_dir}: model.keras") and "Traceback" not in err
    assert not marker.exists()


def _rewrite_model_config(run_dir: Path, mutate) -> None:
    src = run_dir / "model.keras"
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    conf = json.loads(members["config.json"])
    mutate(conf)
    members["config.json"] = json.dumps(conf).encode()
    tmp = run_dir / "rewritten.keras"
    with zipfile.ZipFile(tmp, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    tmp.replace(src)
    write_checksums(run_dir)  # a "valid" run: only safe mode stands in the way


@pytest.mark.parametrize("attack", ["os.system as a layer", "subprocess.Popen as the model",
                                    "os.system as an activation"])
def test_config_naming_python_callables_is_refused(good, tmp_path, attack):
    marker = _marker(tmp_path)
    cmd = f"touch {marker}"

    def mutate(conf):
        layers = conf["config"]["layers"]
        if attack == "os.system as a layer":
            layers[1] = {"module": "os", "class_name": "system", "config": cmd,
                         "registered_name": None, "name": "x", "inbound_nodes": []}
        elif attack == "subprocess.Popen as the model":
            conf.update(module="subprocess", class_name="Popen",
                        config={"args": ["touch", str(marker)]})
        else:
            layers[1]["config"]["activation"] = {"module": "os", "class_name": "function",
                                                 "config": "system",
                                                 "registered_name": "system"}

    _rewrite_model_config(good, mutate)
    # refused already by the check (the config is built without weights to count them)
    with pytest.raises(RunError, match="could not be loaded in safe mode"):
        check_run(good)
    with pytest.raises(RunError, match="could not be loaded in safe mode"):
        load_run(good)
    assert not marker.exists()


@pytest.mark.parametrize("edit, reason", [
    (lambda conf: conf["config"]["layers"][1].update(class_name="Lambda", config="x"),
     "contains Python code (a Lambda layer)"),
    (lambda conf: conf["config"]["layers"][1]["config"].update(
        activation={"class_name": "__lambda__", "config": {"code": "AAAA"}}),
     "contains Python code (a serialised Python function)"),
])
def test_hand_edited_code_in_the_model_config_is_named(good, edit, reason):
    _rewrite_model_config(good, edit)
    with pytest.raises(RunError, match=re.escape(reason)):
        check_run(good)


@pytest.mark.parametrize("payload, reason", [
    (b"{not json", "is not a Keras model archive"),
    (b"[" * 100_000 + b"]" * 100_000, "is not a Keras model archive"),  # nesting bomb
    (b" " * 70_000_000 + b"{}", "would unpack to 70,000,002 bytes"),    # over the 64 MiB cap
])
def test_odd_model_config_is_a_run_error(good, payload, reason):
    import promoter_model.runs as runs

    src = good / "model.keras"
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["config.json"] = payload
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:  # 70 MB of blanks: 70 kB
        for name, data in members.items():
            z.writestr(name, data)
    write_checksums(good)
    with pytest.raises(RunError, match=re.escape(reason)):
        check_run(good)
    assert dict(runs.scan_runs(good.parent))[good]  # listed as skipped, with the reason


def test_pickle_files_are_never_opened(good, tmp_path):
    marker = _marker(tmp_path)
    (good / "model.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    (good / "weights.npy").write_bytes(pickle.dumps(_Payload(marker)))
    sums = json.loads((good / "checksums.json").read_text())
    (good / "checksums.json").write_text(json.dumps(sums))  # extra files: not listed
    run = load_run(good)
    assert list_runs(good.parent) == [good.resolve()]
    assert run.predict(np.zeros((1, 110, 4), np.float32)).shape == (1,)
    assert not marker.exists()


def test_model_keras_that_is_a_pickle_is_refused(good, tmp_path):
    marker = _marker(tmp_path)
    (good / "model.keras").write_bytes(pickle.dumps(_Payload(marker)))
    write_checksums(good)  # checksums match the pickle: only the format check protects us
    with pytest.raises(RunError, match="model.keras is not a Keras model archive"):
        load_run(good)
    with pytest.raises(RunError, match="model.keras (could not be loaded in safe mode|is not "
                                       "a Keras model archive)"):
        load_run(good, verify=False)
    assert not marker.exists()


# ----------------------------------------------------------------------------- hand-edited files
@pytest.mark.parametrize("content", ["[]", '"x"', "3"])
def test_checksums_json_that_is_not_an_object(good, content):
    (good / "checksums.json").write_text(content)
    with pytest.raises(RunError, match="checksums.json"):
        check_run(good)
    assert list_runs(good.parent) == []


@pytest.mark.parametrize("content", ["[]", "null"])
def test_config_json_that_is_not_an_object(good, content):
    (good / "config.json").write_text(content)
    write_checksums(good)
    with pytest.raises(RunError, match="config.json is not a valid run config"):
        check_run(good)


def test_checksums_json_must_cover_the_run_files(good):
    (good / "model.keras").write_bytes((good / "model.keras").read_bytes()[:400])
    (good / "checksums.json").write_text("{}")
    assert list_runs(good.parent) == []
    with pytest.raises(RunError, match="checksums.json does not cover"):
        check_run(good)


def test_checksums_json_naming_odd_files(good):
    for name in ("/etc/passwd", "..", ".hidden", "sub\\x", "model.keras\u0000"):
        sums = json.loads((good / "checksums.json").read_text())
        sums[name] = "0" * 64
        (good / "checksums.json").write_text(json.dumps(sums))
        with pytest.raises(RunError) as info:
            check_run(good)
        _one_line(str(info.value))
        write_checksums(good)
    check_run(good)


def test_scan_never_raises_on_odd_folders(good, root, tmp_path):
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    (root / "file.keras").write_bytes(b"x")
    bad = root / "half"
    bad.mkdir()
    (bad / "config.json").write_text("{")
    (bad / "model.keras").write_bytes(b"PK")
    reasons = dict(scan_runs(root))
    assert reasons[root / "good"] is None or reasons.get(good.resolve()) is None
    assert "half" in {p.name for p in reasons}
    assert list_runs(root) == [good.resolve()]


# ----------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["..", "../runs2", "good/../..", "/tmp", "//etc",
                                  "good/../../runs2", "~/../../etc"])
def test_names_cannot_leave_the_root(root, good, name):
    (root.parent / "runs2").mkdir(exist_ok=True)
    with pytest.raises(RunError, match="outside the runs folder"):
        resolve_under(root, name)


def test_links_inside_and_outside_the_root(root, good, tmp_path, tiny_run):
    (root / "alias").symlink_to(good, target_is_directory=True)  # inside: fine
    assert resolve_under(root, "alias") == good.resolve()
    outside = tmp_path / "elsewhere"
    shutil.copytree(tiny_run, outside)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunError, match="outside the runs folder"):
        resolve_under(root, "escape")
    (good / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunError, match="outside the runs folder"):
        resolve_under(root, "good/sub")
    assert outside.resolve() not in list_runs(root)
    assert {p.name for p in list_runs(root)} == {"good"}


def test_name_with_nul_byte_is_a_run_error(root):
    with pytest.raises(RunError):
        resolve_under(root, "good\x00/../../etc")
