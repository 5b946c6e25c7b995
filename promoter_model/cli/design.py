"""``promoter-model design``: propose edited promoters toward a target expression.

``register(subparsers)`` adds the command to the main parser (``promoter_model.cli``). Bad
input raises ``ValueError``/``SequenceError``/``RunError``, which the main CLI prints as one
``error: ...`` line with exit status 2.
"""

from __future__ import annotations

import os
import sys

from . import io as cli_io

FITTED = "; positions refer to the fitted sequence"


def _objective(args):
    from .. import bounds
    from ..design.objective import Objective

    for flag, value in (("--target", args.target), ("--tolerance", args.tolerance),
                        ("--uncertainty", args.uncertainty)):
        if value is not None:
            bounds.finite(flag, value, lo=0.0 if flag != "--target" else None)
    kind = "target" if args.target is not None else ("minimize" if args.minimize
                                                     else "maximize")
    return Objective(kind, target=args.target, tolerance=args.tolerance,
                     uncertainty=args.uncertainty)


def _constraints(args):
    from ..design.constraints import GOLDEN_GATE, Constraints, parse_positions

    forbid = list(args.forbid or []) + (list(GOLDEN_GATE.values()) if args.golden_gate else [])
    gc = None
    if args.gc_min is not None or args.gc_max is not None:
        gc = (args.gc_min if args.gc_min is not None else 0.0,
              args.gc_max if args.gc_max is not None else 1.0)
    return Constraints(max_mutations=args.max_mutations, keep=parse_positions(args.keep),
                       forbid=tuple(forbid), gc_range=gc, max_homopolymer=args.max_homopolymer)


def cmd_design(args) -> int:
    """Run ``promoter-model design``; return the exit status."""
    from .. import atomic, bounds
    from ..design.objective import design, fasta_text, held_out_check
    from ..design.oligos import check_overhang
    from ..design.search import check_min_distance
    from ..predictor import load_predictor

    bounds.design_search(args.max_mutations, args.n_designs, args.strategy)
    for flag in ("--output", "--trajectories", "--held-out"):  # before any work
        cli_io.check_output(getattr(args, flag[2:].replace("-", "_")), (args.start,), flag)
    outputs = [o for o in (args.output, args.trajectories, args.held_out) if o]
    if len({os.path.realpath(o) for o in outputs}) < len(outputs):
        raise ValueError("--output, --trajectories and --held-out must be different files")
    objective, constraints = _objective(args), _constraints(args)
    min_distance = check_min_distance(args.min_distance, constraints.max_mutations)
    overhangs = (check_overhang(args.overhang_5, "--overhang-5"),
                 check_overhang(args.overhang_3, "--overhang-3"))
    if any(overhangs) and not args.oligos:
        raise ValueError("--overhang-5/--overhang-3 go on the oligos: give --oligos FILE too")
    for path in (args.output, args.oligos, args.trajectories, args.held_out):
        cli_io.check_output(path, (args.start,) if args.start else ())
    start = None
    if args.start is not None:
        table = cli_io.read_input(args.start, "auto", None)
        if len(table) != 1:
            raise ValueError(f"design takes one start sequence, {args.start} has {len(table)}")
        start = table.sequences[0]
    predictor = load_predictor(args.run)
    if args.held_out and not predictor.is_ensemble:
        raise ValueError("--held-out needs an ensemble folder (at least two members)")
    if start is not None:
        cli_io.fit_notice([start], predictor.input_length, FITTED)
    kwargs = dict(objective=objective, constraints=constraints, strategy=args.strategy,
                  n_designs=args.n_designs, seed=args.seed, min_distance=min_distance)
    result = design(predictor, start, **kwargs)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if not predictor.is_ensemble:
        print("note: a single run has no spread: sd, lower and upper are empty (an ensemble "
              "gives a 90% interval)", file=sys.stderr)
    print(f"{len(result.designs)} design(s) in {result.seconds:.1f} s "
          f"({result.evaluations} sequences scored)", file=sys.stderr)
    if args.fasta:
        text = fasta_text(result.table)
        if args.output:
            atomic.write_text(args.output, text)
        else:
            sys.stdout.write(text)
    else:
        cli_io.write_csv(result.table, args.output)
    if args.trajectories:
        cli_io.write_csv(result.trajectories, args.trajectories)
    if args.oligos:
        from ..design.oligos import oligos

        sheet = oligos(result.table, *overhangs, region=args.oligo_region)
        cli_io.write_csv(sheet, args.oligos)
        print(f"{len(sheet)} oligo(s) of {', '.join(map(str, sorted(set(sheet['length']))))} "
              f"nt: {len(overhangs[0])} nt 5' overhang + the {args.oligo_region} region + "
              f"{len(overhangs[1])} nt 3' overhang", file=sys.stderr)
    if args.held_out:
        check = held_out_check(predictor, start, **kwargs)
        cli_io.write_csv(check, args.held_out)
        print(f"held-out check: the left-out member agrees for {int(check['agrees'].sum())} "
              f"of {len(check)} designs", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add ``design`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "design", help="propose edited promoters toward a target expression (a hypothesis "
                       "for the bench, scored by the model)")
    p.add_argument("run", help="run folder or ensemble folder")
    p.add_argument("start", nargs="?", default=None,
                   help="start sequence, or a file holding one (default: a random "
                        "background between the plasmid flanks)")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--target", type=float, help="expression to reach (model unit)")
    goal.add_argument("--maximize", action="store_true")
    goal.add_argument("--minimize", action="store_true")
    p.add_argument("--max-mutations", type=int, required=True,
                   help="mutation budget: Hamming distance to the start")
    p.add_argument("--n-designs", type=int, default=5, help="designs returned (1-100)")
    p.add_argument("--min-distance", type=int, default=1,
                   help="designs differ from one another at this many positions at least "
                        "(default 1: distinct; at most twice --max-mutations)")
    p.add_argument("--strategy", default="greedy", choices=["greedy", "beam", "genetic"])
    p.add_argument("--forbid", nargs="+", metavar="SEQ",
                   help="subsequences never created, on either strand")
    p.add_argument("--golden-gate", action="store_true",
                   help="forbid the BsaI (GGTCTC) and BsmBI (CGTCTC) sites")
    p.add_argument("--keep", nargs="+", metavar="POS",
                   help="1-based positions (or ranges 40-60) that never change; the plasmid "
                        "flanks never change anyway")
    p.add_argument("--gc-min", type=float, help="lowest GC fraction of the variable region")
    p.add_argument("--gc-max", type=float, help="highest GC fraction of the variable region")
    p.add_argument("--max-homopolymer", type=int,
                   help="longest run of one base allowed in the variable region")
    p.add_argument("--uncertainty", type=float, default=1.0,
                   help="with an ensemble: optimise mean - this x sd (0: the mean alone)")
    p.add_argument("--tolerance", type=float, default=0.1,
                   help="a prediction this close to --target counts as reaching it")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", "-o", help="file (default: stdout); CSV with columns id, "
                                          "sequence, prediction, sd, lower, upper, "
                                          "n_mutations, mutations, score, reached "
                                          "(a calibrated ensemble adds gain, gain_lower, "
                                          "gain_upper, gain_calibrated after upper)")
    p.add_argument("--fasta", action="store_true", help="write FASTA (for ordering oligos)")
    p.add_argument("--oligos", metavar="CSV",
                   help="write an order sheet: id, oligo, length, insert, prediction, "
                        "mutations (each insert between the overhangs)")
    p.add_argument("--overhang-5", default="", metavar="SEQ",
                   help="cloning overhang added 5' of each oligo's insert (A, C, G, T)")
    p.add_argument("--overhang-3", default="", metavar="SEQ",
                   help="cloning overhang added 3' of each oligo's insert (A, C, G, T)")
    p.add_argument("--oligo-region", default="variable", choices=["variable", "full"],
                   help="the insert: the 80 bp variable region (default) or the whole "
                        "110 bp construct")
    p.add_argument("--trajectories", help="CSV of each design's steps with predictions")
    p.add_argument("--held-out", metavar="CSV",
                   help="ensemble only: design with all members but one, score with the one "
                        "left out, and write the table here")
    p.set_defaults(func=cmd_design)
