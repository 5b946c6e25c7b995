"""Hostile CLI inputs and crafted run folders: how many are handled, at what peak memory.

    python bench/bench_hostile.py          # ~5 min on 2 cores; rewrites the figures block
                                           # of docs/reliability.md

Every case runs the real ``promoter-model`` (or a child that calls ``check_run`` and
``load_run``) under a fresh parent that reports the child's peak RSS. A CLI case is
*handled* when it ends within its time limit with either its documented result or exit
status 2 and exactly one ``error:`` line (no traceback), and its post-condition holds
(input intact, file mode kept, device kept, no folder created ...). A crafted run is
*refused before loading* when both ``check_run`` (the picker) and ``load_run`` raise a
``RunError`` without Keras loading the model, or, for a card link the checksums do not
``RunError`` without Keras loading the model, or, for a card link the checksums do not
cover, when the card is not shown. The cases are built by ``hostile_cases.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hostile_cases import CLI, DEMO, ROOT, cli_cases, crafted_runs

DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- hostile-figures -->", "<!-- /hostile-figures -->"
MEASURE = ("import resource, subprocess, sys\n"
           "p = subprocess.run(sys.argv[1:], stdin=sys.stdin, capture_output=True)\n"
           "sys.stdout.buffer.write(p.stdout); sys.stderr.buffer.write(p.stderr)\n"
           "print(f'PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}',"
           " file=sys.stderr)\n"
           "sys.exit(p.returncode)\n")


def env(**extra) -> dict:
    e = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    e.update({k: str(v) for k, v in extra.items()})
    return e


def measured(cmd, *, stdin=None, timeout=300, **extra):
    """(exit status or 'timeout', stdout, stderr, peak RSS MB) of ``cmd``."""
    try:
        p = subprocess.run([sys.executable, "-c", MEASURE, *map(str, cmd)], stdin=stdin,
                           capture_output=True, timeout=timeout, env=env(**extra), cwd="/")
    except subprocess.TimeoutExpired:
        return "timeout", "", "", 0
    err = p.stderr.decode(errors="replace")
    m = re.search(r"PEAK_RSS_KB=(\d+)", err)
    return p.returncode, p.stdout.decode(errors="replace"), err, int(m.group(1)) // 1024 if m \
        else 0


def one_error(code, err) -> bool:
    return code == 2 and "Traceback" not in err and sum(
        ln.startswith("error:") for ln in err.splitlines()) == 1


# ----------------------------------------------------------------------------- CLI corpus
def run_cli_corpus(w: Path, run: Path):
    rows = []
    for name, cmd, stdin, extra, post in cli_cases(w, run):
        if cmd[0] != "setpriv":
            cmd = [*CLI, *cmd]
        if stdin == "yes":
            yes = subprocess.Popen(["yes", "ACGTACGTAC"], stdout=subprocess.PIPE)
            code, out, err, peak = measured(cmd, stdin=yes.stdout, **extra)
            yes.kill()
            yes.wait()
        elif stdin:
            with open(stdin, "rb") as fh:
                code, out, err, peak = measured(cmd, stdin=fh, **extra)
        else:
            code, out, err, peak = measured(cmd, stdin=subprocess.DEVNULL, **extra)
        ok_exit = code == 0 and "Traceback" not in err
        handled = (ok_exit or one_error(code, err)) and (post is None or post())
        line = next((ln for ln in err.splitlines() if ln.startswith("error:")),
                    "exit 0" if code == 0 else f"exit {code}")
        rows.append((name, handled, peak, line))
        print(f"{'ok ' if handled else 'BAD'} {peak:6d} MB  {name}: {line[:100]}", flush=True)
    return rows


# ----------------------------------------------------------------------------- crafted runs
CHILD = """
import json, sys
from promoter_model.runs import RunError, check_run, load_run
path, expect = sys.argv[1], sys.argv[2]
res = {}
try:
    check_run(path); res['check'] = 'passed'
except RunError as e:
    res['check'] = 'refused: ' + str(e).split(': ', 1)[-1][:120]
try:
    run = load_run(path); res['load'] = 'loaded'
    res['card'] = run.model_card is not None and 'root:' in run.model_card
except RunError as e:
    res['load'] = 'refused'
print('RESULT=' + json.dumps(res))
"""


def run_crafted(w: Path, baseline: list):
    rows = []
    for name, d, expect in [("baseline", DEMO, "baseline"), *crafted_runs(w)]:
        code, out, err, peak = measured([sys.executable, "-c", CHILD, d, expect], timeout=300)
        m = re.search(r"RESULT=(.*)", out)
        res = json.loads(m.group(1)) if m else {}
        if expect == "baseline":
            code, out, err, peak = measured([sys.executable, "-c", CHILD, DEMO, expect])
            print(f"baseline {peak} MB: the demo run checked and loaded", flush=True)
            baseline.append(peak)
            continue
        if expect == "refused":
            ok = res.get("check", "").startswith("refused") and res.get("load") == "refused"
        else:
            ok = res.get("load") == "loaded" and res.get("card") is False
        why = res.get("check", err.strip().splitlines()[-1:] or code)
        rows.append((name, ok, peak, str(why)))
        print(f"{'ok ' if ok else 'BAD'} {peak:6d} MB  {name}: {str(why)[:100]}", flush=True)
    return rows


def write_doc(cli_rows, run_rows, baseline_mb: int):
    def table(rows, what):
        lines = [f"| {what} | handled | peak RSS (MB) | outcome |", "|---|---|---|---|"]
        for name, ok, peak, why in rows:
            why = why.replace("|", "\\|").replace("\n", " ")
            why = re.sub(r"/tmp/hostile-[^ :]*/", "…/", why)[:110]
            lines.append(f"| {name} | {'yes' if ok else '**no**'} | {peak} | {why} |")
        return "\n".join(lines)

    refused_cli = [r for r in cli_rows if r[3].startswith("error:")] or cli_rows
    worst_cli = max(refused_cli, key=lambda r: r[2])
    refused_runs = [r for r in run_rows if r[3].startswith("refused")] or run_rows
    worst_run = max(refused_runs, key=lambda r: r[2])
    block = "\n".join([
        BEGIN,
        f"**Hostile CLI inputs: {sum(r[1] for r in cli_rows)} of {len(cli_rows)} handled**; "
        f"the refusal with the highest peak RSS: {worst_cli[2]} MB ({worst_cli[0]}). "
        f"**Crafted run folders: {sum(r[1] for r in run_rows)} of {len(run_rows)} refused "
        f"before loading** (or their card hidden); the refusal with the highest peak RSS: "
        f"{worst_run[2]} MB ({worst_run[0]}), in a child that imports TensorFlow, checks "
        f"the run and tries to load it. The same child checking and loading the sound demo "
        f"run peaks at {baseline_mb} MB. Written by `python bench/bench_hostile.py`.",
        "", table(cli_rows, "hostile CLI input"), "", table(run_rows, "crafted run folder"),
        END])
    text = DOC.read_text()
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda m: block, text,
                      flags=re.S)
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text)


def main():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    w = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        w.chmod(0o755)
        run = w / "run"
        shutil.copytree(DEMO, run)
        shutil.rmtree(run / "motifs", ignore_errors=True)
        (w / "cli").mkdir()
        (w / "runs").mkdir()
        cli_rows = run_cli_corpus(w / "cli", run)
        baseline = []
        run_rows = run_crafted(w / "runs", baseline)
    finally:
        shutil.rmtree(w, ignore_errors=True)
    write_doc(cli_rows, run_rows, baseline[0])
    print(f"CLI {sum(r[1] for r in cli_rows)}/{len(cli_rows)}, "
          f"runs {sum(r[1] for r in run_rows)}/{len(run_rows)}")


if __name__ == "__main__":
    main()
