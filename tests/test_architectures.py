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


# ---------------------------------------------------------------------------- precision
def test_mixed_precision_keeps_float32_variables_and_a_float32_output(promoters):
    from promoter_model.model.architectures import HEAD_LAYERS, model_precision

    keras.utils.set_random_seed(0)
    model = build_model(preset("tiny"), precision="mixed_bfloat16")
    assert model_precision(model) == "mixed_bfloat16"
    assert {v.dtype for v in model.weights if "seed" not in v.path} == {"float32"}
    assert model.get_layer("coop_conv").compute_dtype == "bfloat16"
    block = model.get_layer("transformer0")
    assert block.attention.compute_dtype == block.norm1.compute_dtype == "bfloat16"
    for name in HEAD_LAYERS:  # the dense head (and so the loss) is float32
        assert model.get_layer(name).compute_dtype == "float32"
    assert keras.backend.standardize_dtype(model(one_hot(promoters[:2])).dtype) == "float32"
    # the global policy is restored after the build
    assert keras.config.dtype_policy().name == "float32"
    assert model_precision(build_model(preset("tiny"))) == "float32"
    with pytest.raises(ValueError, match="unknown precision"):
        build_model("tiny", precision="float16")


def test_mixed_precision_model_loads_in_safe_mode_and_predicts_like_float32(tmp_path,
                                                                             promoters):
    """The demo model's weights in a bfloat16 twin, saved as a run and loaded back.

    Training saves float32 copies (``train.callbacks.float32_export``); a model saved in
    mixed precision still loads, sub-layers included, and predicts as before saving.
    """
    from conftest import ASSETS

    from promoter_model.model.architectures import model_precision
    from promoter_model.runs import load_run, save_run

    demo = load_run(ASSETS / "demo_model")
    mixed = build_model(demo.config.model, precision="mixed_bfloat16")
    mixed.set_weights(demo.model.get_weights())
    cfg = RunConfig(preset="compact", model=demo.config.model,
                    effective={"precision": "mixed_bfloat16"})
    save_run(tmp_path / "mixed", mixed, cfg)
    run = load_run(tmp_path / "mixed")  # checksums, then Keras safe mode
    assert model_precision(run.model) == "mixed_bfloat16"
    assert run.config.precision == "mixed_bfloat16"
    block = run.model.get_layer("transformer0")  # sub-layers keep the block's policy
    assert block.attention.compute_dtype == "bfloat16"
    X = one_hot(promoters)
    from promoter_model.model.predict import predict

    np.testing.assert_array_equal(run.predict(X), predict(mixed, X))
    ours, twin = run.predict(X), demo.predict(X)
    assert np.std(twin) > 0.2  # a trained model: the comparison means something
    # bfloat16 arithmetic moves predictions by ~0.3 % of their spread on average (up to
    # 3 %: docs/training.md, "Mixed precision"), which is why runs are saved in float32
    assert np.abs(ours - twin).mean() < 1e-2 and np.abs(ours - twin).max() < 3e-2
