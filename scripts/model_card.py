"""Write a run's MODEL_CARD.md from its own config, history and metrics.

Usage: ``python scripts/model_card.py RUN_DIR [--experiments FILE.md]``. The numbers in the
card are read from the run; the experiments section, if given, is a hand-kept log of the
other configurations tried (each with the data its numbers were computed on).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SINGLE = ("all", "random", "yeast", "high", "low", "challenging")
PAIRS = ("SNVs", "motif_perturbation", "motif_tiling")
PUBLISHED = [
    # name, pearson_score, spearman_score, r2_all, data
    ("DREAM 2022 winner (Autosome.org, LegNet; 6.7M noisy training sequences)", 0.818, 0.854,
     0.946, "private leaderboard"),
    ("Camformer (published predictions)", 0.767, None, 0.928,
     "these 9,045 public-leaderboard rows"),
]


def _f(x, nd=3):
    return "n/a" if x is None else f"{x:.{nd}f}"


def render(run_dir: Path, experiments: str | None = None) -> str:
    from promoter_model.runs import load_run

    run = load_run(run_dir, verify=False)
    m = run.metrics
    d = m["dream_public_leaderboard"]
    b = m.get("build", {})
    cfg = run.config
    hist = run.history
    best = hist.loc[hist.val_r2.idxmax()] if len(hist) else None
    lines = [
        "# Model card: promoter-explorer demo model",
        "",
        "A `" + cfg.preset + "`-preset model of the reference architecture (reverse-complement "
        "convolution, strand co-operativity Conv2D, residual convolutions, transformer, "
        "bidirectional LSTM, dense head; see `docs/model.md`) that predicts the expression of a "
        "110 bp yeast promoter construct.",
        "",
        "## Training data and scale",
        "",
        "- **Data:** the DREAM 2022 challenge's high-quality test measurements "
        "(`assets/data/test_measured.tsv.gz`; Rafi et al., *Nature Biotechnology* 2024; "
        "Zenodo 10633252), measured with ~100 cells per sequence.",
        "- **Scale:** MAUDE-normalised expression (about -1.4 to 1.7), **not** the 0-17 FACS "
        "bins of the 6.7M-sequence training file. Predictions are on this scale.",
        f"- **Split:** the {b.get('n_pool', 62058):,} rows with `public_leaderboard == 0` are "
        f"the training pool: {b.get('n_train', 0):,} for training and a seeded "
        f"{b.get('n_val', 0):,}-sequence validation slice (hash of the sequence, seed "
        f"{cfg.train.seed}; identical sequences never in two splits). The "
        f"{b.get('n_test', 9045):,} public-leaderboard rows are the test set: never trained "
        "on, never used for model selection or tuning; scored once per finished run.",
        "",
        "## Model and training",
        "",
        f"- Preset `{cfg.preset}`, {b.get('parameters', run.model.count_params()):,} "
        "parameters; settings in `config.json`.",
        f"- {cfg.train.epochs} epochs, batch {cfg.train.batch_size}, Adam, learning rate "
        f"{cfg.effective.get('learning_rate', cfg.train.learning_rate):g} "
        f"({cfg.train.lr_schedule} schedule), MSE loss, random "
        f"reverse-complement augmentation: {cfg.train.rc_augment}. Best epoch by validation "
        f"R²: {int(best.epoch) if best is not None else 'n/a'} (val R² "
        f"{_f(best.val_r2 if best is not None else None)}, val Pearson r "
        f"{_f(best.val_pearson if best is not None else None)}).",
        f"- Wall time of `make demo-model` (data preparation, training, evaluation): "
        f"**{b.get('wall_seconds', 0) / 60:.0f} min** on {b.get('machine', 'n/a')}, "
        f"{b.get('date', '')} (other jobs shared the machine, so this is an upper bound).",
        "",
        "## Scores on the held-out public-leaderboard test set (n = 9,045)",
        "",
        f"Weighted **Pearson score {_f(d.get('pearson_score'))}**, weighted **Spearman score "
        f"{_f(d.get('spearman_score'))}** (challenge formula in `assets/data/README.md`; "
        "pair subsets scored on alt − ref differences).",
        "",
        "| subset | n | Pearson r² | Spearman ρ |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in SINGLE + PAIRS:
        label = name + (" (alt − ref)" if name in PAIRS else "")
        lines.append(f"| {label} | {d.get('n_' + name, 0):,} | "
                     f"{_f(d.get('pearson_r2_' + name))} | {_f(d.get('spearman_' + name))} |")
    v = m.get("validation", {})
    lines += [
        "",
        f"Over all public rows: R² (coefficient of determination) {_f(d.get('r2'))}, Pearson r "
        f"{_f(d.get('pearson_r'))}, MSE {_f(d.get('mse'), 4)}. Validation slice of the "
        f"training pool (n = {v.get('n', 0):,}): R² {_f(v.get('r2'))}, Pearson r "
        f"{_f(v.get('pearson_r'))}.",
        "",
        "### For scale",
        "",
        "| model | Pearson score | Spearman score | r²_all | scored on |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, ps, ss, r2, data in PUBLISHED:
        lines.append(f"| {name} | {_f(ps)} | {_f(ss)} | {_f(r2)} | {data} |")
    lines.append(f"| **this demo model** (62k high-quality sequences, 2-core CPU) | "
                 f"{_f(d.get('pearson_score'))} | {_f(d.get('spearman_score'))} | "
                 f"{_f(d.get('pearson_r2_all'))} | these 9,045 public-leaderboard rows |")
    lines += [
        "",
        "## Limits a biologist must know",
        "",
        "- Trained on ~59k sequences of one high-quality experiment, not on the 6.7M-sequence "
        "training set: it has seen far fewer sequence contexts than the challenge models.",
        "- One strain and one growth condition, those of the challenge's measurements; "
        "expression in other conditions or strains is not predicted.",
        "- 110 bp constructs with the fixed plasmid flanks (`TGCATTTTTTTCACATC` ... "
        "`GGTTACGGCTGTT`) at one genomic locus. A variable region of 80 bp or less is placed "
        "between these flanks; native promoters out of this context, other lengths (fitted "
        "by keeping the 3' end), or sequences far from the random-promoter distribution are "
        "extrapolation.",
        "- Single-mutation effects are the hardest part (see the SNV row): differences between "
        "close variants are predicted much less reliably than expression levels.",
        "- Predictions are on the MAUDE-normalised scale of this data set; comparing with "
        "another assay needs a calibration.",
    ]
    if experiments:
        lines += ["", experiments.strip()]
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    from promoter_model import atomic

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("run_dir")
    p.add_argument("--experiments", help="markdown file with the experiments log")
    args = p.parse_args(argv)
    run_dir = Path(args.run_dir)
    exp = Path(args.experiments).read_text() if args.experiments else None
    atomic.write_text(run_dir / "MODEL_CARD.md", render(run_dir, exp))
    print(f"wrote {run_dir / 'MODEL_CARD.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
