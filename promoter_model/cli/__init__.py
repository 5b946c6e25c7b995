"""``promoter-model``, the command line: one module per group of commands.

Modules
-------
command
    The parser and :func:`main`: bad input exits with status 2 and one ``error:`` line
    naming the file, line, record, position or setting; anything else is reported as a bug
    (status 1); Ctrl-C, SIGTERM and SIGHUP exit 130 after removing temporary files.
io
    Input and output every command shares: a sequence file, ``-`` or a literal sequence;
    refusing an output that is the input or lies in a missing folder; CSV output; the
    fitting notice.
data
    ``prepare`` (the DREAM training file to TFRecord shards) and ``train``.
predict
    ``predict`` (with the members' sd and a calibrated interval) and ``evaluate``.
interpret
    ``ism``, ``motifs`` (first-layer filters and their JASPAR matches) and ``scan``.
leakage
    ``leakage TRAIN TEST``: the share of test rows with a near copy in the training set,
    and the scores and coverage by that distance.
variants
    ``tile`` (80 bp windows of a long native sequence) and ``variants`` (edits of a wild
    type in the user's coordinates, or a ref/alt pairs table): effects with calibrated
    intervals and ``p_up``.
discover
    ``discover``: de novo motifs (TF-MoDISco-lite and TOMTOM), cached in ``RUN/motifs/``.
design
    ``design``: edited promoters toward a target expression.
grammar
    ``grammar position|spacing|marginalize|epistasis|necessity``: motif grammar
    (:mod:`promoter_model.grammar`), a bounded number of backgrounds or shuffles.

Every module imports the engine inside its commands, so ``promoter-model --help`` and a
refused input answer without loading TensorFlow. The console script is
``promoter_model.cli:main``; ``python -m promoter_model.cli`` (``__main__``) runs the same.
"""

from promoter_model.cli.command import build_parser, main
from promoter_model.cli.data import cmd_prepare, cmd_train, parse_overrides
from promoter_model.cli.design import cmd_design
from promoter_model.cli.discover import cmd_discover
from promoter_model.cli.interpret import cmd_ism, cmd_motifs, cmd_scan
from promoter_model.cli.predict import cmd_evaluate, cmd_predict, interval_level
from promoter_model.cli.variants import cmd_tile, cmd_variants

__all__ = ["build_parser", "cmd_design", "cmd_discover", "cmd_evaluate", "cmd_ism",
           "cmd_motifs", "cmd_predict", "cmd_prepare", "cmd_scan", "cmd_tile", "cmd_train",
           "cmd_variants",
           "interval_level", "main", "parse_overrides"]
