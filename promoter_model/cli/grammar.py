"""``promoter-model grammar``: position, spacing, marginalize, epistasis, necessity.

``register(subparsers)`` adds the ``grammar`` group to the main parser
(``promoter_model.cli``). Each command calls one :mod:`promoter_model.grammar` operation,
writes its table unchanged (CSV, ``--output`` or stdout) and prints the result's
provenance line on stderr. Bad input (an unknown motif, a site that does not fit, a number
past its bound) raises ``ValueError``, which the main CLI prints as one ``error: ...``
line with exit status 2.
"""

from __future__ import annotations

import sys

from . import io as cli_io

#: Upper bounds of the user-sized numbers (the work grows with each).
MAX_BACKGROUNDS = 1000
MAX_SHUFFLES = 1000
MAX_SPACING = 30
REGION_LENGTH = 80  # the variable region; windows and positions lie inside it
FITTED = "; positions refer to the fitted sequence"


def bounded(option: str, value: int, low: int, high: int) -> int:
    """``value`` if ``low <= value <= high``, else a ValueError naming the option and bounds."""
    if not low <= value <= high:
        raise ValueError(f"{option} must be between {low} and {high}, got {value}")
    return value


def _finish(df, output) -> int:
    from ..grammar import provenance

    cli_io.write_csv(df, output)
    print(f"note: {provenance(df)}", file=sys.stderr)
    return 0


def _one_sequence(arg: str) -> str:
    table = cli_io.read_input(arg, "auto", None)
    if len(table) != 1:
        raise ValueError(f"grammar takes one sequence, {arg} has {len(table)}")
    cli_io.fit_notice(table.sequences, 110, FITTED)
    return table.sequences[0]


def _backgrounds(args) -> int:
    return bounded("--backgrounds", args.backgrounds, 1, MAX_BACKGROUNDS)


# --------------------------------------------------------------------------- commands
def cmd_position(args) -> int:
    n = _backgrounds(args)
    cli_io.check_output(args.output)
    cli_io.check_run_folder(args.run)
    from ..grammar import position_scan  # after the checks: TensorFlow loads here

    df = position_scan(args.run, args.motif, n_backgrounds=n, seed=args.seed,
                       run_dir=args.run)
    return _finish(df, args.output)


def cmd_spacing(args) -> int:
    if len(args.motif) != 2:
        raise ValueError(f"spacing takes two motifs (--motif A --motif B), got "
                         f"{len(args.motif)}")
    n = _backgrounds(args)
    top = bounded("--max-spacing", args.max_spacing, 0, MAX_SPACING)
    if args.position is not None:
        bounded("--position", args.position, 0, REGION_LENGTH - 1)
    cli_io.check_output(args.output)
    cli_io.check_run_folder(args.run)
    from ..grammar import spacing_scan  # after the checks: TensorFlow loads here

    df = spacing_scan(args.run, args.motif[0], args.motif[1], spacings=range(top + 1),
                      position=args.position, n_backgrounds=n, seed=args.seed,
                      run_dir=args.run)
    return _finish(df, args.output)


def cmd_marginalize(args) -> int:
    n = _backgrounds(args)
    if args.position is not None:
        bounded("--position", args.position, 0, REGION_LENGTH - 1)
    cli_io.check_output(args.output)
    cli_io.check_run_folder(args.run)
    from ..grammar import marginalize  # after the checks: TensorFlow loads here

    df = marginalize(args.run, list(args.motif), position=args.position, strand=args.strand,
                     n_backgrounds=n, seed=args.seed, run_dir=args.run)
    return _finish(df, args.output)


def cmd_epistasis(args) -> int:
    a, b = args.window
    bounded("--window start", a, 0, REGION_LENGTH - 1)
    bounded("--window end", b, a + 1, REGION_LENGTH)
    if args.mutation and len(args.mutation) > 50:
        raise ValueError(f"--mutation may be given at most 50 times, got {len(args.mutation)}")
    cli_io.check_output(args.output, (args.sequence,))
    seq = _one_sequence(args.sequence)
    cli_io.check_run_folder(args.run)
    from ..grammar import epistasis  # after the checks: TensorFlow loads here

    df = epistasis(args.run, seq, window=(a, b), mutations=args.mutation or None,
                   alternatives=args.alternatives)
    return _finish(df, args.output)


def cmd_necessity(args) -> int:
    n = bounded("--shuffles", args.shuffles, 1, MAX_SHUFFLES)
    if not 0 < args.max_p <= 1:  # also refuses NaN
        raise ValueError(f"--max-p must be above 0 and at most 1, got {args.max_p}")
    cli_io.check_output(args.output, (args.sequence,))
    seq = _one_sequence(args.sequence)
    cli_io.check_run_folder(args.run)
    from ..grammar import necessity_sufficiency  # after the checks: TensorFlow loads here

    df = necessity_sufficiency(args.run, seq, motifs=args.motif or None, max_p=args.max_p,
                               n_shuffles=n, seed=args.seed, run_dir=args.run)
    return _finish(df, args.output)


# --------------------------------------------------------------------------- parser
MOTIF_HELP = ("a pattern discovered in this run (pos_0), a JASPAR fungi ID or TF name "
              "(MA0363.3, REB1) or a DNA/IUPAC site (TTACCCG)")


def _common(p, backgrounds: bool = True) -> None:
    p.add_argument("run", help="run or ensemble folder (a 110 bp model)")
    if backgrounds:
        p.add_argument("--backgrounds", type=int, default=100, metavar="N",
                       help=f"backgrounds the motif is inserted into (1 to "
                            f"{MAX_BACKGROUNDS:,}; default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", "-o", help="CSV file (default: stdout)")


def register(subparsers) -> None:
    """Add ``grammar`` and its five commands to an argparse subparsers object."""
    group = subparsers.add_parser(
        "grammar", help="motif grammar: position, spacing, marginal effect, epistasis, "
                        "necessity and sufficiency")
    sub = group.add_subparsers(dest="grammar_command", required=True)

    p = sub.add_parser("position", help="a motif's effect at every position, both strands")
    _common(p)
    p.add_argument("--motif", required=True, help=MOTIF_HELP)
    p.set_defaults(func=cmd_position)

    p = sub.add_parser("spacing", help="a motif pair's interaction against spacing and "
                                       "relative orientation")
    _common(p)
    p.add_argument("--motif", action="append", required=True,
                   help=MOTIF_HELP + "; give it twice (A, then B)")
    p.add_argument("--max-spacing", type=int, default=MAX_SPACING,
                   help=f"spacings 0..N bases from A's end to B's start (N at most "
                        f"{MAX_SPACING}; default {MAX_SPACING})")
    p.add_argument("--position", type=int, default=None,
                   help="A's 0-based start in the variable region (default: centred)")
    p.set_defaults(func=cmd_spacing)

    p = sub.add_parser("marginalize", help="each motif's effect inserted into many "
                                           "backgrounds")
    _common(p)
    p.add_argument("--motif", action="append", required=True,
                   help=MOTIF_HELP + "; repeat for several")
    p.add_argument("--position", type=int, default=None,
                   help="0-based start in the variable region (default: centred)")
    p.add_argument("--strand", default="+", choices=["+", "-"])
    p.set_defaults(func=cmd_marginalize)

    p = sub.add_parser("epistasis", help="pairwise interactions of one sequence's bases")
    _common(p, backgrounds=False)
    p.add_argument("sequence", help="a sequence or a file holding one")
    p.add_argument("--window", type=int, nargs=2, default=(0, REGION_LENGTH),
                   metavar=("START", "END"),
                   help=f"0-based, end-exclusive span of the variable region (within 0 and "
                        f"{REGION_LENGTH}; default the whole region)")
    p.add_argument("--mutation", action="append", metavar="POS REF>ALT",
                   help="a mutation such as 40A>G (1-based in the sequence); two or more "
                        "give the grid of these instead of the window")
    p.add_argument("--alternatives", default="strongest", choices=["strongest", "all"])
    p.set_defaults(func=cmd_epistasis)

    p = sub.add_parser("necessity", help="whether the sequence needs each motif instance "
                                         "and whether each suffices alone")
    _common(p, backgrounds=False)
    p.add_argument("sequence", help="a sequence or a file holding one")
    p.add_argument("--motif", action="append",
                   help=MOTIF_HELP + "; repeat for several (default: the run's discovered "
                                     "patterns, else the JASPAR CORE fungi motifs)")
    p.add_argument("--max-p", type=float, default=1e-4,
                   help="instances with a scan p-value below this (default 1e-4)")
    p.add_argument("--shuffles", type=int, default=100, metavar="N",
                   help=f"shuffles per test (1 to {MAX_SHUFFLES:,}; default 100)")
    p.set_defaults(func=cmd_necessity)
