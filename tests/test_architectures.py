"""The reference-family model: presets, shapes, strand symmetry, safe-mode round trip."""

import dataclasses

import keras
import numpy as np
import pytest

from promoter_model.model import layers
from promoter_model.model.architectures import PRESETS, build_model, first_conv_layer, preset
from promoter_model.model.config import ModelConfig, RunConfig, TrainConfig
from promoter_model.sequence import one_hot, reverse_complement


def test_presets_build_and_are_ordered_by_size():
    counts = {name: build_model(name).count_params() for name in PRESETS}
    assert counts["tiny"] < counts["compact"] < counts["reference"]
    assert counts["reference"] > 5_000_000


def test_no_lambda_layers_and_custom_layers_registered():
    model = build_model("tiny")
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)
    for cls in (layers.ReverseComplementConv1D, layers.PositionEmbedding,
                layers.TransformerBlock):
        name = keras.saving.get_registered_name(cls)
        assert name.startswith("promoter_model>")


def test_output_shape_and_stages_can_be_switched_off(promoters):
    X = one_hot(promoters[:3])
    for cfg in (preset("tiny"), preset("tiny", attention_blocks=0, lstm_layers=0,
                                       res_blocks=0)):
        assert build_model(cfg)(X).shape == (3, 1)


def test_rc_conv_gives_both_strands_aligned(promoters):
    keras.utils.set_random_seed(0)
    layer = layers.ReverseComplementConv1D(3, 5)
    X = one_hot(promoters[:2])
    Xrc = one_hot([reverse_complement(s) for s in promoters[:2]])
    out = np.asarray(layer(X))
    out_rc = np.asarray(layer(Xrc))
    assert out.shape == (2, 2, 110, 3)
    # the forward map of the reverse complement is the reverse map of the forward, flipped
    np.testing.assert_allclose(out_rc[:, 0], out[:, 1, ::-1], atol=1e-5)


def test_safe_mode_round_trip_gives_identical_predictions(tmp_path, promoters):
    keras.utils.set_random_seed(0)
    model = build_model("tiny")
    X = one_hot(promoters)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model(X, training=False), loaded(X, training=False))


def test_first_conv_layer_is_the_filter_bank():
    layer = first_conv_layer(build_model("tiny"))
    assert layer.name == "rc_conv" and tuple(layer.kernel.shape) == (7, 4, 8)


def test_transformer_width_must_divide_heads():
    with pytest.raises(ValueError, match="not divisible"):
        build_model(preset("tiny", model_width=9, attention_heads=2))


def test_config_json_round_trip_and_unknown_keys():
    cfg = RunConfig(preset="tiny", model=preset("tiny"), train=TrainConfig(epochs=3))
    again = RunConfig.from_json(cfg.to_json())
    assert again == cfg
    with pytest.raises(ValueError, match="unknown model setting"):
        ModelConfig.from_dict({**dataclasses.asdict(ModelConfig()), "bogus": 1})
    with pytest.raises(ValueError, match="unknown preset"):
        preset("huge")


def test_exponential_first_activation_saves_loads_safe_mode_and_predicts(tmp_path, promoters):
    keras.utils.set_random_seed(0)
    model = build_model(preset("tiny", first_activation="exp"))
    names = [layer.name for layer in model.layers]
    assert "rc_exp" in names and "rc_gelu" not in names
    act = model.get_layer("rc_exp")
    assert keras.activations.serialize(act.activation) == "exponential"
    X = one_hot(promoters)
    path = tmp_path / "exp.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    out = np.asarray(loaded(X, training=False))
    assert out.shape == (len(promoters), 1) and np.isfinite(out).all()
    np.testing.assert_array_equal(model(X, training=False), out)
    # the first layer's output is exp(BN(conv)): strictly positive
    probe = keras.Model(model.input, act.output)
    assert float(np.min(probe(X, training=False))) > 0


def test_first_activation_defaults_to_gelu_and_old_configs_load_unchanged():
    old = dataclasses.asdict(preset("tiny"))
    old.pop("first_activation")  # a config.json written before the setting existed
    cfg = ModelConfig.from_dict(old)
    assert cfg.first_activation == "gelu"
    assert "rc_gelu" in [layer.name for layer in build_model(cfg).layers]
    again = RunConfig.from_json(RunConfig(model=preset("tiny", first_activation="exp")).to_json())
    assert again.model.first_activation == "exp"
    with pytest.raises(ValueError, match="first_activation must be one of gelu, exp"):
        preset("tiny", first_activation="relu")
