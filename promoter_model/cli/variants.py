"""``promoter-model tile`` and ``variants``: a biologist's own sequences (issues 28, 30).

``tile RUN LONG.fa --step S``: every 80 bp window of a long (native) sequence, placed
between the plasmid flanks and predicted. ``variants RUN --wt SEQ EDITS``: a list of edits
in the user's own coordinates, predicted against the wild type; ``variants RUN PAIRS``: a
table of ``ref``/``alt`` pairs. ``register(subparsers)`` adds both; bad input raises
``SequenceError``/``ValueError``, printed by :mod:`.command` as one ``error:`` line, exit 2.
"""

from __future__ import annotations

import sys

from . import io as cli_io

MAX_LENGTH_LIMIT = 1_000_000
TILE_MAX_LENGTH = 20_000


def _level(value) -> float:
    from .predict import interval_level

    return interval_level(value)


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def cmd_tile(args) -> int:
    """Run ``promoter-model tile``; return the exit status."""
    level = _level(args.interval)
    max_length = cli_io.bounded_int(args.max_length, "--max-length", 80, MAX_LENGTH_LIMIT)
    step = cli_io.bounded_int(args.step, "--step", 1, max_length)
    batch = cli_io.bounded_int(args.batch_size, "--batch-size", 1, 65_536)
    cli_io.check_output(args.output, (args.input,))
    table = cli_io.read_input(args.input, max_length=max_length)
    from ..interpret.tiling import (
        COLUMNS,
        MAX_WINDOWS,
        native_note,
        strongest_window,
        tile,
        window_starts,
    )

    total = sum(len(window_starts(len(s), step)) for s in table.sequences)  # before loading
    if total > MAX_WINDOWS:
        raise ValueError(f"{total:,} windows, over the limit of {MAX_WINDOWS:,}; use a "
                         "larger --step or fewer sequences")
    from ..predictor import load_predictor

    predictor = load_predictor(args.run)
    out = tile(predictor, table.sequences, ids=table.ids, step=step, level=level,
               batch_size=batch)
    _note(native_note(predictor.metrics))
    if predictor.calibration is None:
        from ..uncertainty.intervals import UNAVAILABLE

        _note(f"lower and upper are empty: {UNAVAILABLE}")
    else:
        _note(f"lower and upper bound a {100 * level:g}% conformal interval of the measured "
              f"value ({predictor.unit})")
    for row in strongest_window(out).itertuples():
        print(f"strongest window of {row.id}: {row.start}-{row.end} (0-based, end "
              f"exclusive), prediction {row.prediction:.3f}", file=sys.stderr)
    cli_io.write_csv(out[COLUMNS], args.output)
    return 0


def _wild_type(arg: str, max_length: int) -> str:
    table = cli_io.read_input(arg, max_length=max_length)
    if len(table) != 1:
        raise ValueError(f"--wt takes one sequence; {arg} holds {len(table)}")
    return table.sequences[0]


def cmd_variants(args) -> int:
    """Run ``promoter-model variants``; return the exit status."""
    from ..sequence import check_offset, has_pair_columns, parse_pairs, read_variant_list

    level = _level(args.interval)
    max_length = cli_io.bounded_int(args.max_length, "--max-length", 1, MAX_LENGTH_LIMIT)
    batch = cli_io.bounded_int(args.batch_size, "--batch-size", 1, 65_536)
    offset = check_offset(args.offset)
    cli_io.check_output(args.output, (args.input,))
    text, source = cli_io.read_text(args.input)
    if args.wt is not None:
        wt = _wild_type(args.wt, max_length)
        variants = read_variant_list(text, wt, offset, source=source, max_length=max_length)
        pairs = None
    else:
        if args.offset:
            raise ValueError("--offset numbers the edits of a wild type: give --wt too")
        if not has_pair_columns(text):
            raise ValueError(f"{source}: without --wt, variants reads a pairs table with "
                             "'ref' and 'alt' columns, and this input has none (give --wt "
                             "SEQUENCE to read a list of edits)")
        pairs = parse_pairs(text, source=source, max_length=max_length)
    from ..interpret.variant_lists import PAIR_COLUMNS, WT_COLUMNS, pair_effects, wt_effects
    from ..predictor import load_predictor

    predictor = load_predictor(args.run)
    if pairs is None:
        cli_io.fit_notice([wt], predictor.input_length, " (the wild type)")
        result = wt_effects(predictor, wt, variants.sequences, ids=variants.ids,
                            labels=variants.labels, level=level, batch_size=batch)
        spread = ("" if result.reference_sd != result.reference_sd
                  else f", members' sd {result.reference_sd:.3f}")
        print(f"wild type ({len(wt)} bp): prediction {result.reference_prediction:.3f}"
              f"{spread} ({predictor.unit})", file=sys.stderr)
        columns = WT_COLUMNS
    else:
        cli_io.fit_notice(pairs.refs + pairs.alts, predictor.input_length)
        result = pair_effects(predictor, pairs.refs, pairs.alts, ids=pairs.ids, level=level,
                              batch_size=batch)
        columns = PAIR_COLUMNS + ["p_up"]  # as the Variant list page's pairs CSV
    for note in result.notes:
        _note(note)
    cli_io.write_csv(result.table[columns], args.output)
    return 0


def register(subparsers) -> None:
    """Add ``tile`` and ``variants`` to an argparse subparsers object."""
    from ..sequence import NOTATION

    p = subparsers.add_parser(
        "tile", help="predict every 80 bp window of a long (native) sequence, each placed "
                     "between the plasmid flanks")
    p.add_argument("run", help="run or ensemble folder")
    p.add_argument("input", help="FASTA, GenBank, plain sequence file, a sequence, or - "
                                 "for stdin; each sequence at least 80 bp")
    p.add_argument("--step", type=int, required=True,
                   help="bases between window starts (at least 1); a last window ending at "
                        "the 3' end is always added")
    p.add_argument("--output", "-o", help="CSV file (default: stdout): id, start (0-based), "
                                          "end (exclusive), prediction, sd, lower, upper")
    p.add_argument("--interval", default="0.9", metavar="LEVEL",
                   help="level of the calibrated interval (default 0.9)")
    p.add_argument("--max-length", type=int, default=TILE_MAX_LENGTH,
                   help=f"longest input sequence in bp (default {TILE_MAX_LENGTH:,})")
    p.add_argument("--batch-size", type=int, default=1024)
    p.set_defaults(func=cmd_tile)

    p = subparsers.add_parser(
        "variants", help="effects of edits of a wild type (--wt), or of a table of "
                         "ref/alt pairs")
    p.add_argument("run", help="run or ensemble folder")
    p.add_argument("input", help=f"with --wt: edits, one variant a line ({NOTATION}; an id "
                                 "and a TAB or comma may come first; a whole sequence is "
                                 "also a variant), or - for stdin. Without --wt: a CSV/TSV "
                                 "with 'ref' and 'alt' columns ('id' kept)")
    p.add_argument("--wt", help="the wild type: a sequence, or a file holding one")
    p.add_argument("--offset", type=int, default=0,
                   help="the user's coordinate of a wild-type base is its 1-based position "
                        "plus OFFSET (default 0; -601 numbers a 600 bp upstream region "
                        "-600..-1 from the TSS)")
    p.add_argument("--output", "-o",
                   help="CSV file (default: stdout). With --wt: id, edits, prediction, "
                        "effect, effect_lower, effect_upper, p_up; pairs: id, "
                        "ref_prediction, alt_prediction, effect, effect_sd, effect_lower, "
                        "effect_upper, p_up")
    p.add_argument("--interval", default="0.9", metavar="LEVEL",
                   help="level of the effect interval (default 0.9)")
    p.add_argument("--max-length", type=int, default=1000,
                   help="longest wild type or variant in bp (default 1,000)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.set_defaults(func=cmd_variants)
