"""``promoter-model prepare`` and ``train``: from the DREAM training file to a run folder.

The parser of both is in :mod:`.command`.
"""

from __future__ import annotations

import json
import sys


def cmd_prepare(args) -> int:
    from .. import records

    manifest = records.prepare(
        args.input, args.out, val_fraction=args.val_fraction, test_fraction=args.test_fraction,
        seed=args.seed, shard_size=args.shard_size, test_input=args.test_input,
        max_length=args.max_length, split=args.split,
        progress=(lambda msg: print(msg, file=sys.stderr)) if not args.quiet else None)
    counts = {k: v["count"] for k, v in manifest["splits"].items()}
    print(json.dumps({"out": str(args.out), "counts": counts,
                      "split": manifest.get("split", {"method": "hash"})}, indent=2))
    return 0


def parse_overrides(pairs):
    """``--set key=value`` pairs as a dict (values read as JSON where they parse)."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def cmd_train(args) -> int:
    from ..train import init_multi_host

    init_multi_host(force=args.multi_host)  # before anything touches JAX
    if args.cpu_devices:
        from ..train import split_cpu

        split_cpu(args.cpu_devices)
    from ..model.architectures import preset
    from ..model.config import RunConfig, TrainConfig
    from ..train import train

    overrides = parse_overrides(args.set)
    if args.first_activation is not None:
        overrides["first_activation"] = args.first_activation
    if args.init_from and (overrides or args.preset):
        raise ValueError("--init-from takes the architecture of the run it starts from; "
                         "leave out --preset, --set and --first-activation")
    name = args.preset or "compact"
    model_cfg = preset(name, **overrides)  # replaced by the source run's with --init-from
    train_cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                            learning_rate=args.lr, lr_schedule=args.lr_schedule,
                            warmup_fraction=args.warmup, precision=args.precision,
                            rc_augment=not args.no_rc_augment, seed=args.seed,
                            steps_per_epoch=args.steps_per_epoch,
                            early_stopping_patience=args.patience,
                            init_from=args.init_from, init_member=args.init_member,
                            finetune=args.finetune)
    config = RunConfig(preset=name, model=model_cfg, train=train_cfg,
                       strategy=args.strategy, unit=args.unit)
    import contextlib

    def report(line):
        print(f"train: {line}", file=sys.stderr, flush=True)

    # Keras writes progress to stdout; keep stdout for the result so it can be piped
    with contextlib.redirect_stdout(sys.stderr):
        metrics = train(args.data, args.out, config, tpu=args.tpu,
                        verbose=1 if sys.stderr.isatty() else 2, report=report)
    print(json.dumps(metrics, indent=2))
    return 0
