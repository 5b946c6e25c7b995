"""The cases of ``bench_hostile.py``, built in a work folder: the hostile CLI inputs
(:func:`cli_cases`: the command, standard input, environment and post-condition of each)
and the crafted run folders (:func:`crafted_runs`: copies of the demo run, each broken one
way, with the outcome expected).
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import shutil
import socket
import stat
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "assets" / "demo_model"
SEQ = "TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT"
CLI = [sys.executable, "-m", "promoter_model.cli"]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.crafted_runs import rewrite_archive  # noqa: E402


# ----------------------------------------------------------------------------- CLI corpus
def cli_cases(w: Path, run: Path):
    """(name, command, stdin path or None, env, post-condition) for each hostile input."""
    fa = w / "in.fa"
    fa.write_text(f">a\n{SEQ}\n>b\n{SEQ[4:]}\n")
    fa.chmod(0o644)
    keep = fa.read_bytes()
    (w / "link.csv").symlink_to(fa)
    os.link(fa, w / "hard.csv")
    (w / "two.csv").write_text(f"id,sequence,sequence\nr,{SEQ},{SEQ[:40]}\n")
    (w / "dups.fa").write_text(f">x\n{SEQ}\n>x\n{SEQ[2:]}\n>x_2\n{SEQ[3:]}\n")
    (w / "o600.csv").write_text("")
    (w / "o600.csv").chmod(0o600)
    with gzip.open(w / "bomb.txt.gz", "wb", 9) as gz:
        for _ in range(300):
            gz.write((SEQ + "\n").encode() * 10_000)  # 330 MB unpacked, ~1 MB packed
    os.mkfifo(w / "in.fifo")
    (w / "folder").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(w / "sock"))
    ro = w / "ro"
    ro.mkdir()
    ro_run = w / "ro_run"
    shutil.copytree(run, ro_run)
    (w / "measured.csv").write_text(f"sequence,expression\n{SEQ},1.0\n{SEQ[3:]},2.0\n")
    (w / "x.txt").write_text(f"{SEQ}\t1.0\n{SEQ[5:]}\t2.0\n" * 10)
    (w / "photo.fa").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (w / "empty.fa").write_bytes(b"")
    (w / "latin1.fa").write_bytes(">caf\xe9\nACGT\n".encode("latin-1"))
    (w / "trunc.fa.gz").write_bytes(gzip.compress(b">a\nACGT\n" * 50)[:-12])
    (w / "late_nul.txt").write_bytes((SEQ + "\n").encode() * 2000 + b"\x00" + b"ACGT\n")
    (w / "noseq.csv").write_text("id,dna\nr,ACGT\n")
    with open(w / "sparse.fa", "wb") as fh:
        fh.truncate(2 << 30)
    with open(w / "oneline.txt", "wb") as fh:
        fh.write(b"A" * (300 << 20))
    for tree in (run, w):  # readable by the unprivileged user of the read-only cases
        for p in [tree, *tree.rglob("*")]:
            if not p.is_symlink() and (p.is_file() or p.is_dir()):
                p.chmod(0o755 if p.is_dir() else 0o644)
    for p in [ro, ro_run, *ro_run.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    (w / "o600.csv").chmod(0o600)
    P = ["predict", run]
    unchanged = lambda: fa.read_bytes() == keep  # noqa: E731
    return [
        ("output is the input", P + [fa, "-o", fa], None, {}, unchanged),
        ("output is the input through a symlink", P + [fa, "-o", w / "link.csv"], None, {},
         unchanged),
        ("output is the input through a hard link", P + [fa, "-o", w / "hard.csv"], None, {},
         unchanged),
        ("CSV with two 'sequence' columns", P + [w / "two.csv"], None, {}, None),
        ("FASTA ids x, x, x_2", P + [w / "dups.fa", "-o", w / "dups.csv"], None, {},
         lambda: _ids(w / "dups.csv") == ["x", "x_3", "x_2"]),
        ("--output over a 0600 file", P + [fa, "-o", w / "o600.csv"], None, {},
         lambda: stat.S_IMODE((w / "o600.csv").stat().st_mode) == 0o600),
        ("--output /dev/null (as root)", P + [fa, "-o", "/dev/null"], None, {},
         lambda: stat.S_ISCHR(os.stat("/dev/null").st_mode)),
        ("--output /dev/full (full file system)", P + [fa, "-o", "/dev/full"], None, {}, None),
        ("stdin from /dev/zero", P + ["-"], "/dev/zero", {}, None),
        ("stdin `yes ACGTACGTAC` (endless)", P + ["-"], "yes", {}, None),
        ("gzip bomb (1 MB -> 330 MB)", P + [w / "bomb.txt.gz"], None, {}, None),
        ("FIFO as predict input", P + [w / "in.fifo"], None, {}, None),
        ("FIFO as prepare input", ["prepare", w / "in.fifo", "--out", w / "d1"], None, {},
         lambda: not (w / "d1").exists()),
        ("prepare /dev/zero", ["prepare", "/dev/zero", "--out", w / "d2"], None, {},
         lambda: not (w / "d2").exists()),
        ("prepare x --out x", ["prepare", w / "x.txt", "--out", w / "x.txt"], None, {}, None),
        ("FIFO as scan input", ["scan", run, w / "in.fifo", "--motif", "REB1"], None, {}, None),
        ("--output in a read-only folder", NOBODY + [*CLI, *P, fa, "-o", ro / "o.csv"], None,
         {}, None),
        ("motifs on a read-only run", NOBODY + [*CLI, "motifs", ro_run, "--no-influence",
                                                "--max-sequences", "20"], None, {}, None),
        ("evaluate --save on a read-only run",
         NOBODY + [*CLI, "evaluate", ro_run, w / "measured.csv", "--save"], None, {}, None),
        ("prepare into a read-only folder",
         NOBODY + [*CLI, "prepare", w / "x.txt", "--out", ro / "data"], None, {}, None),
        ("--output in a missing folder", P + [fa, "-o", w / "no" / "such" / "o.csv"], None,
         {}, lambda: not (w / "no").exists()),
        ("ism --output in a missing folder", ["ism", run, fa, "-o", w / "no2" / "o.csv"],
         None, {}, lambda: not (w / "no2").exists()),
        ("--output is a folder", P + [fa, "-o", w / "folder"], None, {}, None),
        ("--output is a socket", P + [fa, "-o", w / "sock"], None, {},
         lambda: stat.S_ISSOCK(os.stat(w / "sock").st_mode)),
        ("input is a folder", P + [w / "folder"], None, {}, None),
        ("input does not exist", P + [w / "missing.fa"], None, {}, None),
        ("PNG renamed .fa", P + [w / "photo.fa"], None, {}, None),
        ("empty file", P + [w / "empty.fa"], None, {}, None),
        ("Latin-1 text", P + [w / "latin1.fa"], None, {}, None),
        ("truncated gzip", P + [w / "trunc.fa.gz"], None, {}, None),
        ("NUL byte after 200 KB", P + [w / "late_nul.txt"], None, {}, None),
        ("CSV without a sequence column", P + [w / "noseq.csv"], None, {}, None),
        ("sparse 2 GB input", P + [w / "sparse.fa"], None, {}, None),
        ("one 300 MB line", P + [w / "oneline.txt"], None, {}, None),
        ("run folder does not exist", ["predict", w / "norun", fa], None, {}, None),
        ("run folder is the input file", ["predict", fa, fa], None, {}, None),
    ]


def _ids(csv: Path):
    import pandas as pd

    try:
        return pd.read_csv(csv)["id"].tolist()
    except (OSError, ValueError, KeyError):
        return None

# ----------------------------------------------------------------------------- crafted runs


def _config(run: Path) -> dict:
    with zipfile.ZipFile(run / "model.keras") as z:
        return json.loads(z.read("config.json"))


def _dense_config() -> bytes:
    import keras

    cfg = json.loads(keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)]).to_json())
    cfg["config"]["layers"][0]["config"]["batch_shape"] = [None, 30000]
    cfg["config"]["layers"][1]["config"]["units"] = 30000
    cfg["config"]["layers"][1]["build_config"]["input_shape"] = [None, 30000]
    cfg["config"]["build_input_shape"] = [None, 30000]
    cfg["build_config"]["input_shape"] = [None, 30000]
    return json.dumps(cfg).encode()


def crafted_runs(w: Path):
    """(name, run folder, expect 'refused' or 'card hidden') for each crafted run."""
    from promoter_model.runs import sha256_file, write_checksums

    out = []

    def new(name):
        d = w / name
        shutil.copytree(DEMO, d)
        shutil.rmtree(d / "motifs", ignore_errors=True)
        return d

    def link(name, file, target, listed=True, expect="refused"):
        d = new(name)
        (d / file).unlink()
        (d / file).symlink_to(target)
        if listed:
            write_checksums(d)
            if file == "MODEL_CARD.md":  # write_checksums never lists a card link: by hand
                sums = json.loads((d / "checksums.json").read_text())
                sums[file] = sha256_file(d / file)
                (d / "checksums.json").write_text(json.dumps(sums))
        elif file == "MODEL_CARD.md":  # a card the checksums do not cover
            sums = json.loads((d / "checksums.json").read_text())
            sums.pop(file, None)
            (d / "checksums.json").write_text(json.dumps(sums))
        out.append((name, d, expect))

    link("card -> /etc/passwd (checksummed)", "MODEL_CARD.md", "/etc/passwd")
    link("card -> /etc/passwd (not checksummed)", "MODEL_CARD.md", "/etc/passwd", False,
         "card hidden")
    link("model.keras -> another run's model", "model.keras", DEMO / "model.keras")
    link("config.json -> another run's config", "config.json", DEMO / "config.json")
    link("history.csv -> /etc/passwd", "history.csv", "/etc/passwd")
    link("metrics.json -> a file elsewhere", "metrics.json", DEMO / "metrics.json")
    link("checksums.json -> a file elsewhere", "checksums.json", DEMO / "checksums.json",
         False)
    d = new("Dense 30000x30000 config")
    rewrite_archive(d, {"config.json": _dense_config()})
    out.append(("Dense 30000x30000 config", d, "refused"))
    d = new("weights zip bomb")
    rewrite_archive(d, {"model.weights.h5": None})
    with zipfile.ZipFile(d / "model.keras", "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("model.weights.h5", "w", force_zip64=True) as fh:
            for _ in range(1024):  # 1 GiB of zeros, streamed
                fh.write(b"\0" * (1 << 20))
    write_checksums(d)
    out.append(("weights zip bomb (1 MB -> 1 GiB)", d, "refused"))
    d = new("extra members")
    rewrite_archive(d, {f"extra{i}.bin": b"\0" * (32 << 20) for i in range(8)})
    out.append(("8 extra archive members", d, "refused"))
    d = new("traversal member")
    rewrite_archive(d, {"../../evil.txt": b"x"})
    out.append(("archive member named ../../evil.txt", d, "refused"))
    d = new("sparse model")
    with open(d / "model.keras", "r+b") as fh:
        fh.truncate(4 << 30)
    out.append(("sparse 4 GB model.keras", d, "refused"))
    d = new("oversized weights")
    h5 = zipfile.ZipFile(d / "model.keras").read("model.weights.h5")
    rewrite_archive(d, {"model.weights.h5": h5 + os.urandom(64 << 20)})
    out.append(("weights 64 MB larger than the parameters", d, "refused"))
    for name, edit in (
            ("Lambda layer", lambda c: c["config"]["layers"][1].update(
                class_name="Lambda", config={"name": "lam"})),
            ("serialised Python function", lambda c: c["config"]["layers"][1]["config"].update(
                activation={"class_name": "__lambda__", "config": {"code": "AAAA"}})),
            ("layer class os.system", lambda c: c["config"]["layers"][1].update(
                class_name="system", module="os", registered_name=None))):
        d = new(name)
        cfg = _config(d)
        edit(cfg)
        rewrite_archive(d, {"config.json": json.dumps(cfg).encode()})
        out.append((name, d, "refused"))
    d = new("70 MB config")
    rewrite_archive(d, {"config.json": b" " * 70_000_000 + b"{}"}, zipfile.ZIP_DEFLATED)
    out.append(("config.json of 70 MB (deflated 70 KB)", d, "refused"))
    d = new("pickle")
    (d / "model.keras").write_bytes(pickle.dumps({"not": "a model"}))
    write_checksums(d)
    out.append(("model.keras that is a pickle", d, "refused"))
    d = new("fifo model")
    (d / "model.keras").unlink()
    os.mkfifo(d / "model.keras")
    out.append(("model.keras that is a FIFO", d, "refused"))
    d = new("sparse history")
    with open(d / "history.csv", "wb") as fh:
        fh.truncate(1 << 30)
    out.append(("sparse 1 GB history.csv", d, "refused"))
    return out
