"""``promoter-model discover``: de novo motifs the model uses, matched to JASPAR fungi.

``register(subparsers)`` adds the command to the main parser (``promoter_model.cli``).
Bad input (a missing run, ``--n 0``, an unreadable sequence file) raises ``ValueError`` or
``RunError``, which the main CLI prints as one ``error: ...`` line with exit status 2.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

from . import io as cli_io


def cmd_discover(args) -> int:
    run = Path(args.run)
    if not run.is_dir():  # checked before TensorFlow is imported: a typo answers at once
        raise ValueError(f"{run}: no such run or ensemble folder")
    from .. import bounds

    bounds.count("--n", args.n, 1, bounds.MAX_DISCOVER_N)
    missing = [pip for module, pip in (("modiscolite", "modisco-lite"), ("memelite", "memelite"))
               if importlib.util.find_spec(module) is None]
    if missing:
        raise ValueError(f"discover needs {' and '.join(missing)}, which are not installed: "
                         "pip install 'promoter-explorer[discover]'")
    if args.sequences is not None and args.sequences != "-" and not Path(
            args.sequences).is_file():
        raise ValueError(f"{args.sequences}: no such sequence file")
    from ..interpret.discover import DEFAULT_N, SIGNIFICANT_Q, best_significant_match, discover
    from ..predictor import load_predictor

    out = Path(args.out) if args.out else run / "motifs"
    cli_io.check_writable(out, "discover")  # before the work, not after it
    predictor = load_predictor(run)
    start = time.perf_counter()

    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:6.0f} s] {msg}", file=sys.stderr, flush=True)

    result, cached = discover(run, sequences=args.sequences, n=args.n or DEFAULT_N,
                              method=args.method, seed=args.seed, force=args.force,
                              release=args.release, out_dir=out, predictor=predictor,
                              progress=progress)
    patterns = result["patterns"]
    significant = [(p, best_significant_match(p)) for p in patterns]
    summary = {
        "run": str(run), "out": str(out / "discovered.json"), "cached": cached,
        "method": result["method"], "reference": result["reference"],
        "seconds": result["seconds"], "patterns": len(patterns),
        "significant": sum(m is not None for _, m in significant),
        f"matches_q<{SIGNIFICANT_Q}": sorted({m["name"] for p in patterns
                                              for m in p["matches"]
                                              if m["q_value"] is not None
                                              and m["q_value"] < SIGNIFICANT_Q}),
        "best": [{"pattern": p["name"], "n_seqlets": p["n_seqlets"],
                  "effect": None if p["effect"] is None else round(p["effect"], 4),
                  "match": m["name"] if m else None,
                  "q_value": float(f"{m['q_value']:.3g}") if m else None}
                 for p, m in significant]}
    print(json.dumps(summary, indent=2))
    return 0


def register(subparsers) -> None:
    """Add ``discover`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "discover", help="de novo motifs the model uses (attributions -> TF-MoDISco-lite), "
                         "matched to JASPAR fungi by TOMTOM; cached in RUN/motifs/")
    p.add_argument("run", help="run or ensemble folder")
    p.add_argument("sequences", nargs="?", default=None,
                   help="sequences to attribute (any file 'predict' reads); default: random "
                        "80 bp cores in the DREAM plasmid flanks, the training distribution")
    p.add_argument("--n", type=int, default=20_000,
                   help="number of sequences (a seeded sample of SEQUENCES when it has more)")
    p.add_argument("--method", default="saliency", choices=["saliency", "ig", "ism"],
                   help="hypothetical contributions: centred gradients (default, fastest), "
                        "integrated gradients, or in-silico mutagenesis (331 predictions per "
                        "sequence)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--release", default="JASPAR2024")
    p.add_argument("--out", help="output folder (default: RUN/motifs)")
    p.add_argument("--force", action="store_true",
                   help="recompute even when the stored result matches the model and inputs")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=cmd_discover)
