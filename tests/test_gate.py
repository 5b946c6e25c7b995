"""Issue 29: one gate for every file in and out, and a bound on every knob.

One test (or a few) per numbered item of the issue, each failing on the code before the
gate (``promoter_model/runs/gate.py``, ``promoter_model/bounds.py``). The hostile files are
generated here, small: sparse files stand for the big ones (no test allocates more than a
few MB), ensembles are hard-linked copies of the bundled demo ensemble with the tampered
file re-checksummed, as a planter would.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from promoter_model import bounds
from promoter_model.runs import RunError, check_folder, gate, scan
from promoter_model.runs.catalog import FIXED_REASON
from promoter_model.runs.ensemble import (
    read_ensemble_spec,
    stored_public_predictions,
    update_checksums,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO_ENSEMBLE = ROOT / "assets" / "demo_ensemble"
SECRET = "root:x:0:0:SECRET-LINE-OF-A-SERVER-FILE\n"


@pytest.fixture(scope="module")
def ensemble_copy(tmp_path_factory):
    """One real copy of the demo ensemble per module; tests take hard-linked copies."""
    dst = tmp_path_factory.mktemp("ens") / "base"
    shutil.copytree(DEMO_ENSEMBLE, dst, ignore=shutil.ignore_patterns("motifs"))
    return dst


@pytest.fixture
def ens(ensemble_copy, tmp_path):
    """A hard-linked copy of the demo ensemble as ``tmp_path/runs/E`` (tamper by replacing
    files, never by writing into them: :func:`plant`).
    """
    dst = tmp_path / "runs" / "E"
    shutil.copytree(ensemble_copy, dst, copy_function=os.link)
    return dst


def resum(folder: Path, name: str) -> None:
    """Re-checksum ``name`` in ``checksums.json`` by hand, as a planter could."""
    sums = json.loads((folder / "checksums.json").read_text())
    f = folder / name
    sums[name] = hashlib.sha256(f.read_bytes()).hexdigest() if f.stat().st_size < 1 << 24 \
        else "0" * 64
    (folder / "checksums.json").unlink()
    (folder / "checksums.json").write_text(json.dumps(sums))


def plant(folder: Path, name: str, data: bytes | None = None, size: int | None = None,
          checksum: bool = True) -> Path:
    """Replace ``folder/name`` by ``data`` (or a sparse file of ``size`` bytes)."""
    f = folder / name
    if f.exists() or f.is_symlink():
        f.unlink()
    if size is not None:
        with open(f, "wb") as fh:
            fh.truncate(size)
    else:
        f.write_bytes(data)
    if checksum and name != "checksums.json":
        resum(folder, name)
    return f


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _peak(fn) -> tuple:
    """``(result or exception, peak traced bytes)`` of ``fn()``."""
    tracemalloc.start()
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - the caller checks what was raised
        out = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak


# ----------------------------------------------------------------- 1. lost data
def test_1_design_never_overwrites_its_input(tmp_path, monkeypatch, capsys):
    from promoter_model.cli.command import main

    monkeypatch.chdir(tmp_path)
    start = tmp_path / "start.fa"
    start.write_text(">s\n" + "ACGT" * 20 + "\n")
    before = start.read_bytes()
    (tmp_path / "link.fa").symlink_to(start)
    model = str(ROOT / "assets" / "demo_model")
    base = ["design", model, "start.fa", "--maximize", "--max-mutations", "2"]
    for extra in (["-o", "start.fa"], ["--trajectories", "start.fa"],
                  ["--fasta", "-o", "link.fa"], ["--held-out", "start.fa"]):
        assert main(base + extra) == 2, extra
        err = capsys.readouterr().err
        assert err.startswith("error:") and "start.fa" in err or "link" in err, err
        assert start.read_bytes() == before
    # a missing folder is refused, not created; a folder and /dev/full before any work
    for extra, word in ((["-o", "nowhere/out.csv"], "does not exist"),
                        (["-o", str(tmp_path)], "folder"),
                        (["-o", "/dev/full"], "No space")):
        t0 = time.perf_counter()
        assert main(base + extra) == 2
        assert word in capsys.readouterr().err
        assert time.perf_counter() - t0 < 5, "refused only after the search"
    assert not (tmp_path / "nowhere").exists()


def test_2_a_link_in_an_ensemble_is_never_followed_for_writing(ens, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text(SECRET)
    sums = (ens / "checksums.json").read_bytes()
    outside.write_bytes(sums)
    (ens / "checksums.json").unlink()
    (ens / "checksums.json").symlink_to(outside)
    with pytest.raises(RunError, match="symbolic link"):
        check_folder(ens)  # not offered
    with pytest.raises(RunError, match="symbolic link"):
        update_checksums(ens)  # what evaluate --save calls
    assert outside.read_bytes() == sums


def test_2_a_linked_motifs_folder_is_never_written(good, tmp_path):
    from promoter_model.cli.io import check_writable
    from promoter_model.interpret.filters import compute_motifs
    from promoter_model.motifs.store import write_discovered

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "discovered.csv").write_text(SECRET)
    (good / "motifs").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="symbolic link"):
        check_writable(good / "motifs", "discover")  # discover and motifs, before work
    with pytest.raises(ValueError, match="symbolic link"):
        write_discovered(good / "motifs", {"patterns": []})
    X = np.zeros((2, 110, 4), np.float32)
    with pytest.raises(ValueError, match="symbolic link"):
        compute_motifs(good, X)
    assert sorted(p.name for p in outside.iterdir()) == ["discovered.csv"]
    assert (outside / "discovered.csv").read_text() == SECRET


# ------------------------------------------------------ 3. a range before any bound
def test_3_positions_are_bounded_before_a_range_is_expanded():
    from promoter_model.design.constraints import parse_positions

    for text in ("1-30000000", "1-10000000000", "5-" + "9" * 30):
        out, peak = _peak(lambda t=text: parse_positions([t]))
        assert isinstance(out, bounds.BoundError) and "limit" in str(out), text
        assert peak < 1 << 20, f"{text}: {peak:,} bytes"
    assert parse_positions(["40-42, 72"]) == (39, 40, 41, 71)


# ---------------------------------------------- 4. one planted folder breaks every page
@pytest.mark.parametrize("name, data", [
    ("ensemble.json", b"[1, 2]"),
    ("ensemble.json", b'{"format": "promoter-ensemble", "members": {"a": 1}}'),
    ("checksums.json", nested(100_000)),
    ("ensemble.json", nested(100_000)),
    ("checksums.json", b'{"a": ' * 50_000 + b"1" + b"}" * 50_000),
])
def test_4_a_planted_folder_is_skipped_never_raised(ens, name, data):
    plant(ens, name, data)
    with pytest.raises(RunError):
        read_ensemble_spec(ens)
    entries = scan(ens.parent)
    assert [e.kind for e in entries] == [""] and entries[0].problem


def test_4_json_depth_is_measured_without_recursion():
    assert gate.json_depth(b'{"a": [1, {"b": "[[[["}]}') == 3
    with pytest.raises(gate.RunSafetyError, match="nested"):
        gate.parse_json(nested(100_000), "x.json")


# ---------------------------------------------------- 5. no size cap on ensemble files
@pytest.mark.parametrize("name, size", [
    ("checksums.json", 3 << 30), ("calibration.json", 156 << 20),
    ("oof.tsv.gz", 4 << 30), ("public.tsv.gz", 1 << 30), ("metrics.json", 2 << 30),
])
def test_5_ensemble_files_are_capped_from_the_directory_entry(ens, name, size):
    plant(ens, name, size=size)
    out, peak = _peak(lambda: check_folder(ens))
    assert isinstance(out, RunError) and "limit" in str(out), out
    assert peak < 32 << 20, f"{name}: {peak:,} bytes"  # digests of the small files


def test_5_discovered_motifs_are_capped(good):
    from promoter_model.motifs.store import read_discovered

    (good / "motifs").mkdir()
    with open(good / "motifs" / "discovered.json", "wb") as fh:
        fh.truncate(2 << 30)
    out, peak = _peak(lambda: read_discovered(good))
    assert isinstance(out, ValueError) and "limit" in str(out), out
    assert peak < 8 << 20


def test_5_a_big_file_is_hashed_once_per_inode(ens, monkeypatch):
    from promoter_model.runs import safety

    calls = []
    real = safety.sha256_stream
    monkeypatch.setattr(safety, "sha256_stream", lambda fh: calls.append(1) or real(fh))
    safety._DIGESTS.clear()
    read_ensemble_spec(ens)
    first = len(calls)
    read_ensemble_spec(ens)
    assert first > 0 and len(calls) == first  # a rescan hashes nothing


# ----------------------------------------------------------- 6. members bounded, distinct
def test_6_members_are_bounded(ens):
    spec = json.loads((ens / "ensemble.json").read_text())
    spec["members"] = [f"members/fold-{i % 5}" for i in range(1000)]
    plant(ens, "ensemble.json", json.dumps(spec).encode())
    with pytest.raises(RunError, match=f"limit of {bounds.MAX_MEMBERS}"):
        read_ensemble_spec(ens)


@pytest.mark.parametrize("members", [
    ["members/fold-0"] * 5,
    ["members/fold-0", "members/./fold-0", "members/fold-1"],
    ["members/fold-0", "members/fold-1/../fold-0"],
])
def test_6_a_member_listed_twice_is_refused(ens, members):
    spec = json.loads((ens / "ensemble.json").read_text())
    spec["members"] = members
    plant(ens, "ensemble.json", json.dumps(spec).encode())
    with pytest.raises(RunError, match="twice"):
        check_folder(ens)


# -------------------------------------------------------------- 7. unbounded searches
@pytest.mark.parametrize("m, n, strategy", [(10_000, 5, "greedy"), (5, 100_000, "beam"),
                                            (50, 100, "beam"), (0, 5, "greedy")])
def test_7_design_searches_are_bounded(m, n, strategy):
    with pytest.raises(bounds.BoundError, match="--max-mutations|--n-designs"):
        bounds.design_search(m, n, strategy)


def test_7_the_cli_refuses_a_huge_search_before_loading(tmp_path, capsys):
    from promoter_model.cli.command import main

    model = str(ROOT / "assets" / "demo_model")
    for argv, word in (
            (["design", model, "--maximize", "--max-mutations", "10000"], "--max-mutations"),
            (["design", model, "--maximize", "--max-mutations", "5", "--n-designs",
              "100000", "--strategy", "beam"], "--n-designs"),
            (["design", model, "--maximize", "--max-mutations", "2", "--keep",
              "1-100000000"], "--keep"),
            (["discover", model, "--n", "1000000"], "--n")):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert word in err and "limit" in err, err


def test_7_the_engine_bounds_what_a_page_passes():
    from promoter_model.design.constraints import Constraints

    with pytest.raises(bounds.BoundError, match="limit"):
        Constraints(max_mutations=10_000)


# ------------------------------------------------------ 8. calibration values validated
def _calibration(ens) -> dict:
    return json.loads((ens / "calibration.json").read_text())


@pytest.mark.parametrize("change", [
    lambda d: d.__setitem__("levels", [float("nan")] * len(d["levels"])),
    lambda d: d["quantiles"][0].__setitem__(0, float("nan")),
    lambda d: d.__setitem__("counts", [1e300] * len(d["counts"])),
    lambda d: d.__setitem__("info", [1, 2, 3]),
    lambda d: d.__setitem__("edges", [float("inf")] * len(d["edges"])),
    lambda d: d.__setitem__("pred_range", [float("nan"), 1.0]),
])
def test_8_calibration_values_are_checked(ens, change):
    from promoter_model.predictor import read_calibration

    d = _calibration(ens)
    change(d)
    plant(ens, "calibration.json", json.dumps(d).encode())
    with pytest.raises(RunError, match="calibration"):
        read_calibration(ens)


def test_8_nested_calibration_is_refused_not_a_traceback(ens):
    from promoter_model.uncertainty.calibration import load_calibration

    plant(ens, "calibration.json", nested(100_000))
    with pytest.raises(ValueError, match="nested"):
        load_calibration(ens / "calibration.json")


def test_8_nan_stored_predictions_are_refused(ens):
    with gzip.open(ens / "public.tsv.gz", "rt") as fh:
        lines = fh.read().splitlines()
    cols = lines[1].split("\t")
    cols[2] = "nan"
    lines[1] = "\t".join(cols)
    plant(ens, "public.tsv.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
    with pytest.raises(RunError, match="finite"):
        stored_public_predictions(ens)


# ----------------------------------------------------------------- 9. NaN knobs
@pytest.mark.parametrize("field, value", [("tolerance", float("nan")),
                                          ("uncertainty", float("nan")),
                                          ("uncertainty", float("inf")),
                                          ("target", float("inf"))])
def test_9_non_finite_design_knobs_are_refused(field, value):
    from promoter_model.design.objective import Objective

    kwargs = {"target": 1.0, field: value}
    with pytest.raises(ValueError, match="finite"):
        Objective("target", **kwargs)


def test_9_the_cli_refuses_nan_knobs(capsys):
    from promoter_model.cli.command import main

    model = str(ROOT / "assets" / "demo_model")
    for flag, value in (("--tolerance", "nan"), ("--uncertainty", "inf")):
        assert main(["design", model, "--target", "1", "--max-mutations", "2", flag,
                     value]) == 2
        assert flag in capsys.readouterr().err


# --------------------------------------------------------------- 10. information
def test_10_locked_reasons_tell_nothing_about_server_files(root, tmp_path):
    for name, target in (("shadow", "/etc/shadow"), ("passwd", "/etc/passwd"),
                         ("missing", str(tmp_path / "no-such-file"))):
        d = root / name
        d.mkdir()
        (d / "ensemble.json").symlink_to(target)
        (d / "checksums.json").write_text("{}")
        e = root / f"{name}-run"
        e.mkdir()
        (e / "config.json").symlink_to(target)
    entries = scan(root, detail=False)
    assert len(entries) == 6 and {e.problem for e in entries} == {FIXED_REASON}
    # even with details, a link is refused as a link, whether its target exists or not
    detailed = {e.path.name: e.problem.split(": ", 1)[-1] for e in scan(root)}
    assert detailed["shadow"] == detailed["missing"] == detailed["passwd"]


def test_10_pages_never_show_tracebacks_wherever_the_server_starts():
    from streamlit import config

    from app import deployment

    config.set_option("client.showErrorDetails", "full")
    deployment.hide_error_details()
    assert config.get_option("client.showErrorDetails") == "none"


# ------------------------------------------------------------ the writer gate itself
def test_the_writer_gate_refuses_links_and_missing_folders(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("x")
    (tmp_path / "l.csv").symlink_to(target)
    with pytest.raises(ValueError, match="symbolic link"):
        gate.check_write(tmp_path / "l.csv")
    with pytest.raises(ValueError, match="does not exist"):
        gate.check_write(tmp_path / "a" / "b.csv")
    gate.check_write("/dev/null")
    gate.write_text(tmp_path / "sub", "f.txt", "ok")  # created in an existing folder
    with pytest.raises(gate.RunSafetyError):
        gate.write_text(tmp_path / "no" / "sub", "f.txt", "ok")
    with pytest.raises(gate.RunSafetyError, match="symbolic link"):
        gate.write_text(tmp_path, "l.csv", "y")
    assert target.read_text() == "x"
