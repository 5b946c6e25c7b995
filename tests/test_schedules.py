"""Learning-rate defaults: the warm-up + cosine schedule at known steps, the batch-size rule,
what a run resolves to, and the same rates under the TensorFlow and JAX backends.
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from promoter_model.model.config import TrainConfig
from promoter_model.train.schedules import (
    BASE_BATCH,
    MAX_SCALE,
    PRESET_LR,
    WarmupCosine,
    describe,
    make_optimizer,
    resolve_schedule,
    scaled_lr,
)

STEPS = [0, 1, 9, 10, 11, 60, 109, 110, 500]


def values(schedule, steps=STEPS):
    return np.array([float(np.asarray(schedule(s))) for s in steps])


def test_warmup_then_cosine_at_known_steps():
    s = WarmupCosine(1e-3, warmup_steps=10, total_steps=110, final_fraction=0.01)
    got = dict(zip(STEPS, values(s)))
    assert got[0] == pytest.approx(1e-4)          # (0 + 1) / 10 of the peak
    assert got[1] == pytest.approx(2e-4)
    assert got[9] == pytest.approx(1e-3)          # the warm-up's last step reaches the peak
    assert got[10] == pytest.approx(1e-3)         # cosine starts at the peak
    assert got[60] == pytest.approx(1e-3 * (0.01 + 0.99 * 0.5), rel=1e-5)  # half way
    assert got[110] == pytest.approx(1e-5)        # 1 % of the peak at the end
    assert got[500] == pytest.approx(1e-5)        # and stays there
    assert np.all(np.diff(values(s, range(10))) > 0)
    assert np.all(np.diff(values(s, range(10, 111))) <= 1e-12)


def test_without_warmup_it_is_keras_cosine_decay():
    ours = WarmupCosine(2e-3, warmup_steps=0, total_steps=100)
    keras_cos = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=100, alpha=0.01)
    np.testing.assert_allclose(values(ours), values(keras_cos), rtol=1e-6)


def test_schedule_serialises():
    s = WarmupCosine(5e-4, 100, 1000)
    back = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(s))
    assert isinstance(back, WarmupCosine) and back.get_config() == s.get_config()


def test_square_root_batch_scaling_rule():
    assert scaled_lr(5e-4, BASE_BATCH) == pytest.approx(5e-4)
    assert scaled_lr(5e-4, 1024) == pytest.approx(1e-3)
    assert scaled_lr(5e-4, 2048) == pytest.approx(5e-4 * math.sqrt(8))
    assert scaled_lr(5e-4, 64) == pytest.approx(2.5e-4)
    assert scaled_lr(5e-4, 512, "linear") == pytest.approx(1e-3)
    assert scaled_lr(5e-4, 4096, "none") == pytest.approx(5e-4)
    # the factor is bounded
    assert scaled_lr(1e-3, BASE_BATCH * 1024) == pytest.approx(1e-3 * MAX_SCALE)
    with pytest.raises(ValueError, match="unknown learning-rate scaling"):
        scaled_lr(1e-3, 256, "cubic")


def test_a_run_resolves_the_preset_default_scaled_to_its_batch():
    cfg = TrainConfig(epochs=10, batch_size=2048)
    eff = resolve_schedule(cfg, "reference", steps_per_epoch=100)
    assert eff["learning_rate"] == pytest.approx(PRESET_LR["reference"] * math.sqrt(8))
    assert eff["lr_schedule"] == "warmup_cosine"
    assert eff["total_steps"] == 1000 and eff["warmup_steps"] == 100
    assert eff["final_lr"] == pytest.approx(eff["learning_rate"] / 100)
    assert "default of the reference preset" in eff["lr_source"]
    line = describe(eff)
    assert "warm-up over 100 of 1,000 steps" in line and f"{eff['learning_rate']:.3g}" in line
    # the optimizer follows it: its first step runs at 1/100 of the peak
    opt = make_optimizer(eff)
    assert float(np.asarray(opt.learning_rate)) == pytest.approx(eff["learning_rate"] / 100)


def test_a_given_rate_wins_and_is_not_scaled():
    cfg = TrainConfig(epochs=2, batch_size=2048, learning_rate=3e-4, lr_schedule="constant")
    eff = resolve_schedule(cfg, "reference", steps_per_epoch=50)
    assert eff["learning_rate"] == 3e-4 and eff["warmup_steps"] == 0
    assert "given" in eff["lr_source"]
    assert float(np.asarray(make_optimizer(eff).learning_rate)) == pytest.approx(3e-4)
    # fine-tuning factors apply to defaults only
    assert resolve_schedule(cfg, "reference", 50, factor=0.1)["learning_rate"] == 3e-4
    default = TrainConfig(epochs=2, batch_size=256)
    assert resolve_schedule(default, "compact", 50, factor=0.1)["learning_rate"] == \
        pytest.approx(PRESET_LR["compact"] * 0.1)
    with pytest.raises(ValueError, match="unknown learning-rate schedule"):
        resolve_schedule(TrainConfig(lr_schedule="exp"), "tiny", 10)


def test_short_runs_still_warm_up_and_decay():
    eff = resolve_schedule(TrainConfig(epochs=1, batch_size=64), "tiny", steps_per_epoch=3)
    assert eff["total_steps"] == 3 and 1 <= eff["warmup_steps"] < 3


JAX_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from promoter_model.train.schedules import WarmupCosine
    s = WarmupCosine(*json.loads(sys.argv[1]))
    import keras
    print(json.dumps({"backend": keras.backend.backend(),
                      "values": [float(np.asarray(s(k))) for k in json.loads(sys.argv[2])]}))
""")


@pytest.mark.slow
def test_jax_and_tensorflow_give_the_same_schedule():
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (pip install -e '.[jax]')")
    args = [7e-4, 25, 400]
    steps = list(range(0, 420, 7))
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", JAX_CHILD, json.dumps(args),
                           json.dumps(steps)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == "jax" and keras.backend.backend() == "tensorflow"
    np.testing.assert_allclose(out["values"], values(WarmupCosine(*args), steps), rtol=1e-6)
