"""Benchmark the data pipeline (promoter_model.records) and write docs/benchmarks.md.

    python bench/bench_records.py            # micro-benchmarks, ~1 min
    python bench/bench_records.py --full     # + prepare of a 6.7M-row synthetic file

Updates only the ``## Data pipeline`` section of ``docs/benchmarks.md`` (other sections are
kept). Each micro-benchmark is the median of several runs. Without ``--full`` the previous
full-scale numbers are kept. Big files go under ``/tmp`` and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdoc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import make_synthetic  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Data pipeline"
FULL_START, FULL_END = "<!-- full-scale -->", "<!-- /full-scale -->"
FULL_ROWS = 6_739_258


def machine() -> str:
    model = benchdoc.cpu_model()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} cores, {model}; load average {load:.1f} at start; "
            f"{time.strftime('%Y-%m-%d %H:%M %Z')}")


def median_rate(fn, n_items: int, runs: int = 5) -> tuple[float, list]:
    """Median items/s of ``runs`` calls of ``fn`` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n_items / statistics.median(times), times


def dream_lines(n: int, seed: int = 0):
    """``n`` synthetic DREAM rows parsed into (sequences, labels)."""
    text = make_synthetic.make_chunk(np.random.default_rng(seed), n).decode()
    rows = [r.split("\t") for r in text.splitlines()]
    return [r[0] for r in rows], np.array([float(r[1]) for r in rows], dtype=np.float32)


def micro(tmp: Path) -> list:
    """Rows of (what, rate, note) for the micro-benchmarks."""
    from promoter_model import records as R
    from promoter_model import sequence as S

    out = []
    n = 200_000
    seqs, labels = dream_lines(n)

    rate, _ = median_rate(lambda: S.encode_fitted(seqs), n)
    out.append(("encode: `sequence.encode_fitted` (str -> uint8 codes, fit to 110)", rate,
                "target > 2M seq/s"))

    codes, _ = S.encode_fitted(seqs)
    rate, _ = median_rate(lambda: R.split_of(codes, 0, 0.025, 0.025), n)
    out.append(("split hash: `records.split_of` on codes", rate, ""))

    shard_dir = tmp / "shards"
    shard_dir.mkdir()

    def write():
        for k in range(2):
            part = slice(k * 100_000, (k + 1) * 100_000)
            R.write_shard(str(shard_dir / f"train-{k:05d}.tfrecord"), codes[part],
                          labels[part])

    rate, _ = median_rate(write, n)
    out.append(("write: `records.write_shard`, 2 shards of 100k (incl. sha256)", rate,
                "target > 300k seq/s"))

    # a prepared folder of 400k rows for the readers
    src = tmp / "in.txt"
    make_synthetic.write_synthetic(src, 400_000, seed=1)
    runs = iter(range(100))

    def prep():
        shutil.rmtree(tmp / "prep", ignore_errors=True)
        R.prepare(src, tmp / "prep" / str(next(runs)), shard_size=100_000)

    rate, _ = median_rate(prep, 400_000, runs=3)
    out.append(("prepare: 400k-row DREAM file end to end (parse, encode, split, write)",
                rate, "incl. sha256 of the input and of each shard"))
    data = tmp / "prepared"
    m = R.prepare(src, data, shard_size=100_000)
    n_train = m["splits"]["train"]["count"]

    def drain(ds):
        k = 0
        for x, _ in ds:
            k += int(x.shape[0])
        return k

    for label, kw in (("read: `make_dataset` batch 1024, in order", {}),
                      ("read: `make_dataset` batch 1024, shuffle", {"shuffle": True}),
                      ("read: `make_dataset` batch 1024, shuffle + rc_augment",
                       {"shuffle": True, "rc_augment": True})):
        ds = R.make_dataset(data, "train", batch_size=1024, **kw)
        rate, _ = median_rate(lambda ds=ds: drain(ds), n_train, runs=3)
        out.append((label, rate, "target > 200k seq/s (one-hot float32 batches)"))

    def parse():
        for _ in S.iter_dream_chunks(src, 200_000):
            pass

    rate, _ = median_rate(parse, 400_000, runs=5)
    out.append(("parse: `sequence.iter_dream_chunks` (8 MB reads, one split per chunk)", rate,
                "the bottleneck of prepare"))
    return out


def full(tmp: Path) -> dict:
    """Generate the 6.7M-row synthetic file and time ``prepare`` on it in a subprocess."""
    src = Path("/tmp") / "bench_records_synthetic.txt"
    out_dir = Path("/tmp") / "bench_records_prepared"
    shutil.rmtree(out_dir, ignore_errors=True)
    try:
        t = time.perf_counter()
        size = make_synthetic.write_synthetic(src, FULL_ROWS, seed=0)
        gen = time.perf_counter() - t
        code = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='2';"
                "from promoter_model.records import prepare;"
                f"m = prepare({str(src)!r}, {str(out_dir)!r});"
                "print('COUNTS', m['n_rows'], *(m['splits'][s]['count'] for s in "
                "('train','val','test')), len(m['splits']['train']['shards']))")
        cmd = [sys.executable, "-c", code]
        if Path("/usr/bin/time").exists():
            cmd = ["/usr/bin/time", "-v"] + cmd
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
        wall = time.perf_counter() - t
        if proc.returncode:
            raise RuntimeError(proc.stderr[-3000:])
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        counts = re.search(r"COUNTS (.*)", proc.stdout).group(1).split()
        shard_bytes = sum(p.stat().st_size for p in out_dir.glob("*.tfrecord"))
        return {"rows": FULL_ROWS, "input_mb": size / 1e6, "gen_s": gen, "prepare_s": wall,
                "rss_gb": int(rss.group(1)) / 1e6 if rss else float("nan"),
                "counts": counts, "shard_mb": shard_bytes / 1e6}
    finally:
        src.unlink(missing_ok=True)
        shutil.rmtree(out_dir, ignore_errors=True)


def render(rows: list, full_block: str, when: str) -> str:
    lines = [SECTION, "", f"Machine: {when}.", "",
             "`python bench/bench_records.py` (median of 3-5 runs after a warm-up; 200k "
             "synthetic DREAM-format rows for encode/write, a 400k-row prepared folder for "
             "reads). Other processes shared the 2 cores, so treat numbers as lower bounds.",
             "", "| step | sequences / s | note |", "| --- | ---: | --- |"]
    lines += [f"| {what} | {rate / 1e3:,.0f}k | {note} |" for what, rate, note in rows]
    lines += ["", full_block.strip(), ""]
    return "\n".join(lines) + "\n"


def render_full(r: dict) -> str:
    train, val, test, n_shards = r["counts"][1:]
    return "\n".join([
        FULL_START,
        f"Full scale (`python bench/bench_records.py --full`, one run): "
        f"`bench/make_synthetic.py` wrote {r['rows']:,} rows ({r['input_mb']:.0f} MB) in "
        f"{r['gen_s']:.1f} s; `records.prepare` on it took **{r['prepare_s']:.0f} s** "
        f"wall (target < 300 s) with peak RSS **{r['rss_gb']:.2f} GB** (target < 4 GB, "
        f"`/usr/bin/time -v`), giving train/val/test {int(train):,} / {int(val):,} / "
        f"{int(test):,} rows in {n_shards} train shards, {r['shard_mb']:.0f} MB of "
        "TFRecords (1 byte per base).",
        FULL_END])


def previous_full_block() -> str:
    if DOC.exists():
        m = re.search(re.escape(FULL_START) + ".*?" + re.escape(FULL_END), DOC.read_text(),
                      re.S)
        if m:
            return m.group(0)
    return f"{FULL_START}\nFull scale: not measured yet (`--full`).\n{FULL_END}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true",
                        help="also prepare a 6.7M-row synthetic file (about 1-2 min)")
    args = parser.parse_args(argv)
    when = machine()
    with tempfile.TemporaryDirectory(prefix="bench_records_") as tmp:
        rows = micro(Path(tmp))
        for what, rate, note in rows:
            print(f"{rate / 1e3:10,.0f}k/s  {what}  {note}")
        block = previous_full_block()
        if args.full:
            r = full(Path(tmp))
            print(r)
            block = render_full(r)
    benchdoc.write_section(render(rows, block, when))
    return 0


if __name__ == "__main__":
    sys.exit(main())
