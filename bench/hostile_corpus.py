"""The generic hostile corpus (issue 29): the same attacks against every surface, generated.

    python bench/hostile_corpus.py         # ~1-2 min on 2 cores; prints the totals
    (tests/test_hostile_corpus.py runs it in ``make test``)

The probes are derived, not listed, so a new command or a new file of a run is covered
the day it is added:

* **every float option of every CLI subcommand** (read from the parser) given ``nan`` and
  ``inf``: exit 2, one ``error:`` line naming the option, nothing run;
* **every output option** (``--output``/``-o``, ``--trajectories``, ``--held-out``) of
  every subcommand with an input: the input itself, a link to the input, a file in a
  folder that does not exist: exit 2, the input intact, no folder created;
* **every file of a run and of an ensemble** (``CHECKSUMMED``, ``ENSEMBLE_CHECKSUMMED``,
  ``checksums.json``) planted as a link to a server file, a link to nothing, JSON nested
  100,000 deep, a JSON list, a sparse file over its cap, NaN text; re-checksummed as a
  planter would: the picker's check raises a ``RunError`` (never another exception), a
  locked scan gives the one fixed reason;
* **the page inputs** sized by a visitor: a huge range of positions, a huge budget, NaN
  knobs: a ``ValueError`` naming the bound.

A probe is *handled* when it ends as above; its peak is the traced Python and numpy
allocation during it (``tracemalloc``), in-process, above the TensorFlow import.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEMO = ROOT / "assets" / "demo_model"
DEMO_ENSEMBLE = ROOT / "assets" / "demo_ensemble"
SEQ = "TGCATTTTTTTCACATC" + "ACGTTGCA" * 10 + "GGTTACGGCTGTT"
OUTPUT_FLAGS = ("--output", "--trajectories", "--held-out")
INPUTS = ("input", "sequence", "start")
NESTED = b"[" * 100_000 + b"]" * 100_000


def _cli(argv) -> tuple:
    """``(status, stderr)`` of ``promoter-model ARGV`` run in-process."""
    from promoter_model.cli.command import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, err.getvalue()


def _one_error(code, err, word: str = "") -> bool:
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    return code == 2 and "Traceback" not in err and len(lines) == 1 and word in lines[0]


def _subcommands(parser=None, prefix=()) -> dict:
    """``{"grammar position": parser, ...}``: every leaf subcommand, nested ones too."""
    from promoter_model.cli.command import build_parser

    parser = parser or build_parser()
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.update(_subcommands(sub, prefix + (name,)) or {" ".join(prefix + (name,)):
                                                                   sub})
    return out


def _base_argv(name: str, sub, fa: Path, probed=None) -> list | None:
    """The subcommand with its required arguments filled in (run: the demo model, inputs:
    ``fa``), or None when a required option has no generic value.
    """
    argv = name.split()
    for a in sub._actions:
        if a.option_strings or a.dest == "help" or isinstance(a, argparse._SubParsersAction):
            continue
        if a.nargs == "?":
            if a.dest in INPUTS:
                argv.append(fa)
            continue
        argv.append(DEMO if a.dest == "run" else fa)
    for a in sub._actions:
        if a.option_strings and a.required:
            if a.dest == "max_mutations":
                argv += [a.option_strings[0], "2"]
            elif isinstance(a, argparse._StoreTrueAction):
                continue
            else:
                return None
    groups = getattr(sub, "_mutually_exclusive_groups", [])
    for g in groups:
        if g.required and probed not in g._group_actions:
            first = g._group_actions[-1]
            argv.append(first.option_strings[0])
    return argv


def cli_probes(w: Path):
    """``(name, callable -> bool)`` for every float option and every output option."""
    fa = w / "in.fa"
    fa.write_text(f">a\n{SEQ}\n")
    keep = fa.read_bytes()
    link = w / "link.fa"
    link.symlink_to(fa)
    for name, sub in sorted(_subcommands().items()):
        base = _base_argv(name, sub, fa)
        if base is None:
            continue
        for a in sub._actions:
            if a.type is float:
                flag = a.option_strings[0]
                for value in ("nan", "inf"):
                    yield (f"cli {name} {flag} {value}",
                           lambda argv=_base_argv(name, sub, fa, a) + [flag, value],
                           f=flag: _one_error(*_cli(argv), f))
        has_input = any(not a.option_strings and a.dest not in ("run", "help")
                        for a in sub._actions)
        for a in sub._actions:
            flag = next((o for o in a.option_strings if o in OUTPUT_FLAGS), None)
            if flag is None or not has_input:
                continue
            for what, out in (("= input", fa), ("-> link to input", link),
                              ("in a missing folder", w / "nowhere" / "out.csv")):
                def probe(argv=base + [flag, out]):
                    code, err = _cli(argv)
                    return (_one_error(code, err) and fa.read_bytes() == keep
                            and not (w / "nowhere").exists())
                yield f"cli {name} {flag} {what}", probe


def _finite_json(value) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


def _resum(folder: Path, name: str) -> None:
    sums_file = folder / "checksums.json"
    if sums_file.is_symlink() or not sums_file.is_file():
        return
    try:
        sums = json.loads(sums_file.read_text())
    except ValueError:
        return
    f = folder / name
    small = f.is_file() and not f.is_symlink() and f.stat().st_size < 1 << 24
    sums[name] = hashlib.sha256(f.read_bytes()).hexdigest() if small else "0" * 64
    sums_file.unlink()
    sums_file.write_text(json.dumps(sums))


def _attacks(secret: Path):
    """File name -> ``[(attack, plant(file))]``: the generic attacks for its kind."""
    def link_secret(f):
        f.symlink_to(secret)

    def link_missing(f):
        f.symlink_to(secret.parent / "no-such-file")

    def sparse(f):
        with open(f, "wb") as fh:
            fh.truncate(5 << 30)

    every = [("link to a server file", link_secret), ("link to nothing", link_missing),
             ("sparse 5 GB", sparse)]
    by_kind = {
        ".json": [("JSON nested 100,000 deep", lambda f: f.write_bytes(NESTED)),
                  ("a JSON list", lambda f: f.write_bytes(b"[1, 2]")),
                  ("NaN text", lambda f: f.write_bytes(b'{"x": NaN, "levels": [NaN]}'))],
        ".md": [],  # free text: only the attacks on every file
    }
    garbage = [("garbage bytes", lambda f: f.write_bytes(b"\x00\x01garbage\n" * 10))]
    return lambda name: every + by_kind.get(Path(name).suffix, garbage)


def file_probes(w: Path):
    """``(name, callable -> bool)`` for every file of a run and an ensemble x attack."""
    from promoter_model.runs import (
        CHECKSUMMED,
        ENSEMBLE_CHECKSUMMED,
        RunError,
        check_folder,
        read_metrics,
    )
    from promoter_model.runs.catalog import FIXED_REASON, scan

    secret = w / "server-secret"
    secret.write_text("root:x:0:0:SECRET\n")
    base = w / "base-ensemble"
    if not base.exists():
        shutil.copytree(DEMO_ENSEMBLE, base, ignore=shutil.ignore_patterns("motifs"))
    kinds = [("run", base / "members" / "fold-0", CHECKSUMMED + ("checksums.json",)),
             ("ensemble", base, ENSEMBLE_CHECKSUMMED + ("checksums.json",))]
    attacks = _attacks(secret)
    n = 0
    for kind, src, names in kinds:
        for name in names:
            for attack, plant in attacks(name):
                n += 1

                def probe(src=src, name=name, plant=plant, n=n, kind=kind):
                    root = w / f"root-{n}"
                    dst = root / "x"
                    shutil.copytree(base if kind == "ensemble" else src, dst,
                                    copy_function=os.link)
                    target = dst / name
                    if target.exists() or target.is_symlink():
                        target.unlink()
                    plant(target)
                    if name != "checksums.json":
                        _resum(dst, name)
                    try:
                        check_folder(dst)
                        # offered: only where what is read holds no non-finite number
                        ok = name == "metrics.json" and _finite_json(read_metrics(dst))
                    except RunError:
                        entries = scan(root, detail=False)
                        ok = [e.problem for e in entries] == [FIXED_REASON]
                    shutil.rmtree(root)
                    return ok
                yield f"{kind} {name}: {attack}", probe


def page_probes():
    """The page inputs a visitor sizes, through the functions the pages call."""
    from promoter_model.design.constraints import Constraints, parse_positions
    from promoter_model.design.objective import Objective

    def refused(fn) -> bool:
        try:
            fn()
        except ValueError as exc:
            return "limit" in str(exc) or "finite" in str(exc) or "whole" in str(exc)
        return False

    for text in ("1-30000000", "1-10000000000", "1-" + "9" * 40, "70-" + "9" * 19):
        yield f"page keep {text[:20]}", lambda t=text: refused(lambda: parse_positions([t]))
    for budget in (10_000, 10 ** 12, float("nan")):
        yield (f"page budget {budget}",
               lambda b=budget: refused(lambda: Constraints(max_mutations=b)))
    for field in ("target", "tolerance", "uncertainty"):
        for value in (float("nan"), float("inf")):
            yield (f"page {field} {value}",
                   lambda f=field, v=value: refused(
                       lambda: Objective("target", **{"target": 1.0, f: v})))


def run_corpus(w: Path | None = None) -> list:
    """``[(probe, handled, peak bytes)]`` of every probe."""
    own = w is None
    w = Path(tempfile.mkdtemp(prefix="hostile-corpus-")) if own else Path(w)
    import promoter_model.cli.command  # noqa: F401  (the imports are not a probe's cost)
    import promoter_model.predictor  # noqa: F401

    out = []
    try:
        for name, probe in [*cli_probes(w), *file_probes(w), *page_probes()]:
            tracemalloc.start()
            try:
                handled = bool(probe())
            except Exception as exc:  # noqa: BLE001 - an unhandled probe, reported
                handled = False
                name = f"{name} ({type(exc).__name__}: {str(exc)[:80]})"
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out.append((name, handled, peak))
    finally:
        if own:
            shutil.rmtree(w, ignore_errors=True)
    return out


def summary(results) -> str:
    handled = sum(h for _, h, _ in results)
    worst = max(results, key=lambda r: r[2])
    return (f"{len(results)} probes, {handled} handled, {len(results) - handled} not; "
            f"worst peak {worst[2] / 2**20:.1f} MB ({worst[0]})")


if __name__ == "__main__":
    res = run_corpus()
    for name, handled, peak in res:
        if not handled:
            print(f"NOT HANDLED: {name}")
    print(summary(res))
