"""Starting from a trained model: choosing the source, refitting the output scale, freezing,
and ``train --init-from`` end to end.
"""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import ASSETS, random_promoters, run_main

from promoter_model import records
from promoter_model.model.architectures import HEAD_LAYERS, build_model, preset
from promoter_model.model.predict import predict
from promoter_model.runs import load_run, write_ensemble
from promoter_model.sequence import one_hot
from promoter_model.train import TrainingError
from promoter_model.train.finetune import (
    freeze,
    initial_model,
    refit_output_scale,
    source_config,
    source_run,
)

CLI = [sys.executable, "-m", "promoter_model.cli"]


def test_source_is_a_run_or_one_member_of_an_ensemble(tmp_path):
    demo = ASSETS / "demo_model"
    assert source_run(demo) == demo
    assert source_config(demo).preset == "compact"
    with pytest.raises(TrainingError, match="--init-member is for an ensemble"):
        source_run(demo, 0)
    ens = ASSETS / "demo_ensemble"
    with pytest.raises(TrainingError, match="ensemble of 5 members: choose one"):
        source_run(ens)
    with pytest.raises(TrainingError, match="choose one with --init-member 0..4"):
        source_run(ens, 7)
    assert source_run(ens, 2).name == "fold-2"
    with pytest.raises(TrainingError, match="--init-from: .*not a run directory"):
        source_run(tmp_path / "nothing")


def test_initial_model_copies_the_weights_in_the_new_precision():
    model, info = initial_model(ASSETS / "demo_model", None, "float32")
    demo = load_run(ASSETS / "demo_model")
    X = one_hot(random_promoters(16, seed=3))
    np.testing.assert_allclose(predict(model, X), demo.predict(X), atol=1e-6)
    assert info["run"].endswith("demo_model") and len(info["model_sha256"]) == 64
    assert info["source_precision"] == "float32"


def test_output_refit_learns_the_new_labels_scale_exactly():
    keras.utils.set_random_seed(0)
    model = build_model(preset("tiny"))
    X = one_hot(random_promoters(300, seed=4))
    old = predict(model, X)
    y = 7.5 * old - 2.0  # the same ranking in another unit
    batches = [(X[i:i + 64], y[i:i + 64]) for i in range(0, 300, 64)]
    refit = refit_output_scale(model, batches)
    assert refit["scale"] == pytest.approx(7.5, rel=1e-3)
    assert refit["offset"] == pytest.approx(-2.0, abs=1e-3)
    assert refit["rows"] == 300 and refit["r_before"] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(predict(model, X), y, atol=1e-4)
    # rows beyond the cap are not read
    assert refit_output_scale(model, batches, max_rows=100)["rows"] == 128


def test_head_only_freezes_every_stage_before_the_head():
    model = build_model(preset("tiny"))
    n_head = freeze(model, "head")
    expected = sum(int(np.prod(w.shape)) for name in HEAD_LAYERS
                   for w in model.get_layer(name).weights)
    assert n_head == expected < model.count_params()
    bns = [layer for layer in model.layers
           if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and not any(layer.trainable for layer in bns)  # inference-mode statistics
    assert freeze(model, "all") == sum(int(np.prod(v.shape))
                                       for v in model.trainable_variables)
    with pytest.raises(TrainingError, match="unknown fine-tuning mode"):
        freeze(model, "some")


@pytest.fixture(scope="module")
def rescaled_library(tmp_path_factory):
    """300 random promoters labelled 10 x the demo model's prediction + 3 (+ noise)."""
    d = tmp_path_factory.mktemp("library")
    seqs = random_promoters(400, seed=11)
    demo = load_run(ASSETS / "demo_model")
    y = 10 * demo.predict(one_hot(seqs)) + 3 + np.random.default_rng(0).normal(0, 0.5, 400)
    (d / "lib.txt").write_text("".join(f"{s}\t{v:.4f}\n" for s, v in zip(seqs, y)))
    records.prepare(d / "lib.txt", d / "data", val_fraction=0.25, test_fraction=0.0)
    return d / "data"


@pytest.mark.slow
def test_init_from_through_the_cli(rescaled_library, tmp_path, capsys):
    """The fine-tuning run is a real ``promoter-model train`` process; the refusal and the
    rerun go through the same ``main`` in this process (``run_main``).
    """
    out = tmp_path / "tuned"
    base = CLI + ["train", "--data", str(rescaled_library), "--out", str(out), "--epochs",
                  "1", "--batch-size", "64", "--init-from", str(ASSETS / "demo_model")]
    refused = run_main(capsys, *base[3:], "--preset", "tiny")
    assert refused.returncode == 2 and "--init-from takes the architecture" in refused.stderr
    assert not (out / "config.json").exists()
    proc = subprocess.run(base + ["--finetune", "head"], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "starting from" in proc.stderr and "output refitted as 10" in proc.stderr
    assert "x 1 for fine-tuning (head)" in proc.stderr  # the effective rate, printed
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["preset"] == "compact" and cfg["train"]["finetune"] == "head"
    init = cfg["effective"]["init"]
    assert init["output_refit"]["scale"] == pytest.approx(10, rel=0.05)
    run = load_run(out)  # a complete run, loaded in safe mode
    from promoter_model.model.architectures import HEAD_LAYERS

    head = sum(layer.count_params() for layer in run.model.layers if layer.name in HEAD_LAYERS)
    # the head of compact only (its flatten -> dense layer holds most of it)
    assert init["trainable_parameters"] == head < run.model.count_params() / 2
    # the scale was learned afresh and the head kept the ranking: the library is predicted
    assert run.metrics["validation"]["r2"] > 0.9
    # the same command again: complete, nothing retrained
    mtime = (out / "model.keras").stat().st_mtime
    again = run_main(capsys, *base[3:], "--finetune", "head")
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "model.keras").stat().st_mtime == mtime


@pytest.mark.slow
def test_init_from_an_ensemble_member(rescaled_library, tmp_path):
    from promoter_model.model.config import RunConfig, TrainConfig
    from promoter_model.train import train

    ens = tmp_path / "ens"
    import shutil

    shutil.copytree(ASSETS / "demo_model", ens / "members" / "m0")
    write_ensemble(ens, [ens / "members" / "m0"], unit="MAUDE-normalised expression")
    cfg = RunConfig(train=TrainConfig(epochs=1, batch_size=64, init_from=str(ens),
                                      init_member=0, finetune="all"))
    metrics = train(rescaled_library, tmp_path / "run", cfg, verbose=0)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["effective"]["init"]["run"].endswith("m0")
    assert saved["effective"]["lr_source"].endswith("x 0.1 for fine-tuning (all)")
    assert metrics["validation"]["r2"] > 0.8
