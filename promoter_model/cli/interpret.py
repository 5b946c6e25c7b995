"""Interpretation subcommands of ``promoter-model``: ``ism``, ``motifs``, ``scan``.

``register(subparsers)`` adds them to the main parser (``promoter_model.cli``). Each
command returns an exit status; bad input raises :class:`~promoter_model.sequence.
SequenceError`, :class:`~promoter_model.runs.RunError` or ``ValueError``, which the main
CLI prints as one ``error: ...`` line with exit status 2.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from . import io as cli_io

FITTED_POSITIONS = "; positions refer to the fitted sequence"

# --------------------------------------------------------------------------- commands
def cmd_ism(args) -> int:
    if args.sign_tol is not None and not args.sign_tol >= 0:  # also refuses NaN
        raise ValueError(f"--sign-tol must be 0 or more, got {args.sign_tol}")
    # bad input is refused in a second, before TensorFlow loads
    cli_io.check_output(args.output, (args.input,))
    table = cli_io.read_input(args.input, args.format, args.max_length)
    if len(table) == 0:
        raise ValueError(f"{args.input}: no sequences found")
    cli_io.check_run_folder(args.run)
    from ..interpret.ism import ism
    from ..interpret.ism_summary import SIGN_TOL, confident_disagreement, ism_table
    from ..predictor import load_predictor
    from ..sequence import one_hot

    predictor = load_predictor(args.run)
    length = predictor.input_length
    cli_io.fit_notice(table.sequences, length, FITTED_POSITIONS)
    X = one_hot(table.sequences, length=length)
    members, reference = ism(predictor, X, batch_size=args.batch_size, members=True,
                             reference=True)
    scores, sd, disagree = members.mean(axis=0), None, None
    if predictor.is_ensemble:
        sd = members.std(axis=0)
        if args.sign_tol is None:  # each sequence's members' noise, as the Mutagenesis page
            noise = np.maximum(np.median(sd.reshape(len(X), -1), axis=1), SIGN_TOL)
        else:
            noise = np.full(len(X), args.sign_tol)
        disagree = confident_disagreement(members, noise[:, None, None])
    lower = upper = None
    if getattr(predictor, "calibration", None) is not None:
        from ..interpret.ism_summary import ism_intervals

        lower, upper = ism_intervals(predictor.calibration, reference.mean(axis=0), scores,
                                     X)
        print("note: A_lower ... T_upper bound the 90% interval of each substitution's "
              "measured change" + (" (calibrated on measured single-base pairs)"
                                   if predictor.calibration.calibrated_pairs([1])[0]
                                   else " (Bonferroni bound: wide)"), file=sys.stderr)
    cli_io.write_csv(ism_table(table.ids, X, scores, sd=sd, disagree=disagree, lower=lower,
                               upper=upper), args.output)
    return 0


def cmd_motifs(args) -> int:
    from pathlib import Path

    from ..runs.ensemble import is_ensemble

    # refused in a second, before TensorFlow loads, and before the work, not after it
    if is_ensemble(args.run):
        raise ValueError(f"{args.run} is an ensemble; first-layer filters belong to one "
                         "model: give one of its member run folders")
    cli_io.check_run_folder(args.run)
    cli_io.check_writable(Path(args.run) / "motifs", "motifs")
    from ..interpret.filters import compute_motifs
    from ..interpret.reference import DEFAULT_N, filter_reference
    from ..predictor import load_predictor

    run = load_predictor(args.run).members[0]
    n = DEFAULT_N if args.max_sequences is None else args.max_sequences
    X, y, described = filter_reference(args.reference, n, args.seed)
    print(f"reference: {described}", file=sys.stderr)
    result = compute_motifs(run.path, X, y, threshold=args.threshold, model=run.model,
                            release=args.release, top=args.top,
                            influence=not args.no_influence, reference=described)
    if result is None:  # pragma: no cover - written just now
        raise ValueError(f"{run.path}: the motif cache could not be read back")
    from ..motifs.store import SIGNIFICANT_Q

    best = result["matches"][result["matches"]["rank"] == 1]
    summary = {
        "run": str(run.path), "cache": str(run.path / "motifs"), "reference": described,
        "filters": int(result["meta"]["filters"]),
        "significant_q": SIGNIFICANT_Q,
        "filters_matching": int((best["q_value"] < SIGNIFICANT_Q).sum()),
        # nearest motifs, significant or not (q >= significant_q: not an identification)
        "best_matches": [
            {"filter": int(r.filter), "id": r.id, "name": r.name, "score": round(r.score, 3),
             "p_value": float(f"{r.p_value:.3g}"), "q_value": float(f"{r.q_value:.3g}"),
             "significant": bool(r.q_value < SIGNIFICANT_Q),
             "sites": int(result["counts"][r.filter])}
            for r in best.sort_values("p_value").head(args.show).itertuples()]}
    print(json.dumps(summary, indent=2))
    return 0


def cmd_scan(args) -> int:
    cli_io.check_output(args.output, (args.sequence,))
    table = cli_io.read_input(args.sequence, "auto", None)
    if len(table) != 1:
        raise ValueError(f"scan takes one sequence, {args.sequence} has {len(table)}")
    cli_io.check_run_folder(args.run)
    from ..interpret.variants import motif_scan
    from ..motifs.lookup import resolve_motif
    from ..predictor import load_predictor

    try:
        motif = resolve_motif(args.motif, args.run, release=args.release)
    except ValueError:
        if not cli_io.looks_like_sequence(args.motif):
            raise
        motif = args.motif  # a literal site
    predictor = load_predictor(args.run)
    cli_io.fit_notice(table.sequences, predictor.input_length, FITTED_POSITIONS)
    df = motif_scan(predictor, table.sequences[0], motif, both_strands=args.both_strands)
    cli_io.write_csv(df, args.output)
    return 0


# --------------------------------------------------------------------------- parser
def register(subparsers) -> None:
    """Add ``ism``, ``motifs`` and ``scan`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "ism", help="in-silico mutagenesis: predicted change of every single-base variant")
    p.add_argument("run", help="run or ensemble folder")
    p.add_argument("input", help="a sequence, or any file 'predict' reads (FASTA, CSV/TSV, "
                                 "DREAM, one per line), or - for stdin")
    p.add_argument("--output", "-o", help="CSV file (default: stdout); columns id, position, "
                                          "reference, A, C, G, T (and for an ensemble "
                                          "A_sd ... T_sd, the members' sd, and "
                                          "A_disagree ... T_disagree, 1 where the mean "
                                          "effect and at least one member's, of opposite "
                                          "signs, are both beyond the members' noise)")
    p.add_argument("--format", default="auto",
                   choices=["auto", "dream", "table", "fasta", "lines"])
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--max-length", type=int, default=None)
    p.add_argument("--sign-tol", type=float, default=None,
                   help="effects smaller than this have no sign (ensembles; default: each "
                        "sequence's members' noise, the median over its cells of the "
                        "members' sd, at least 0.01)")
    p.set_defaults(func=cmd_ism)

    p = subparsers.add_parser(
        "motifs", help="analyse first-layer filters (PFMs, influence, JASPAR matches) and "
                       "cache them in RUN/motifs/")
    p.add_argument("run", help="run folder")
    p.add_argument("--reference", default=None,
                   help="sequences for activation PFMs and influence (default: the bundled "
                        "DREAM sample assets/data/train_demo.txt)")
    p.add_argument("--max-sequences", type=int, default=None,
                   help="reference sequences used (default 2000)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="fraction of each filter's maximum activation counted as a site")
    p.add_argument("--release", default="JASPAR2024")
    p.add_argument("--top", type=int, default=3, help="JASPAR matches kept per filter")
    p.add_argument("--no-influence", action="store_true",
                   help="skip filter ablation (one prediction pass per filter)")
    p.add_argument("--show", type=int, default=10, help="best matches printed")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_motifs)

    p = subparsers.add_parser(
        "scan", help="insert a motif at every position of a sequence and predict the change")
    p.add_argument("run", help="run folder")
    p.add_argument("sequence", help="a sequence or a file holding one")
    p.add_argument("--motif", required=True,
                   help="a pattern discovered in this run (e.g. pos_0, from "
                        "RUN/motifs/discovered.json), a JASPAR fungi ID or TF name (e.g. "
                        "MA0363.3, REB1) or a DNA string")
    p.add_argument("--both-strands", action="store_true")
    p.add_argument("--release", default="JASPAR2024")
    p.add_argument("--output", "-o", help="CSV file (default: stdout)")
    p.set_defaults(func=cmd_scan)
