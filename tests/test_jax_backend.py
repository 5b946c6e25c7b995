"""The JAX route (TPU pods, multi-host GPU): ``keras.distribution.DataParallel`` over two
host devices, fed by the same ``tf.data`` pipeline, and a saved model that loads and
predicts identically under the TensorFlow backend.

The test session has already imported Keras with the TensorFlow backend, so training runs
in a subprocess with ``KERAS_BACKEND=jax`` and
``XLA_FLAGS=--xla_force_host_platform_device_count=2`` (two CPU "devices", the same code
path as 8 TPU cores or 8 GPUs). JAX is an optional extra (``pip install -e '.[jax]'``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import random_promoters

pytestmark = pytest.mark.slow

MOTIF = "TTACCCG"

# Runs under KERAS_BACKEND=jax: train through the CLI (what a user types on a TPU VM),
# then record what was distributed, reload the run and predict fixed inputs.
CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from promoter_model import cli

    data, out, inputs, preds, info_path = sys.argv[1:6]
    rc = cli.main(["-v", "train", "--data", data, "--out", out, "--preset", "tiny",
                   "--epochs", "1", "--batch-size", "64", "--strategy", "mirrored"])
    if rc != 0:
        sys.exit(rc)

    import jax
    import keras
    from promoter_model.runs import load_run

    dist = keras.distribution.distribution()
    run = load_run(out)  # loaded under the same (global) DataParallel distribution
    kernel = run.model.get_layer("rc_conv").kernel.value
    np.save(preds, run.predict(np.load(inputs)))
    info = {"backend": keras.backend.backend(),
            "devices": [str(d) for d in jax.devices()],
            "distribution": type(dist).__name__ if dist is not None else None,
            "mesh_shape": list(dist.device_mesh.shape) if dist is not None else None,
            "mesh_axes": list(dist.device_mesh.axis_names) if dist is not None else None,
            "kernel_devices": len(kernel.sharding.device_set)}
    with open(info_path, "w") as fh:
        json.dump(info, fh)
""")


def _planted(n, seed):
    """Random promoters with 0-3 copies of TTACCCG; expression = copies + small noise."""
    rng = np.random.default_rng(seed)
    out = []
    for s, k in zip(random_promoters(n, seed), rng.integers(0, 4, size=n)):
        s = list(s)
        for j in range(k):
            start = 20 + 25 * j + int(rng.integers(0, 10))
            s[start:start + len(MOTIF)] = MOTIF
        out.append("".join(s))
    y = np.array([s.count(MOTIF) for s in out], np.float32)
    return out, y + rng.normal(scale=0.1, size=n).astype(np.float32)


@pytest.fixture(scope="module")
def planted_data(tmp_path_factory):
    from promoter_model import records

    d = tmp_path_factory.mktemp("planted_jax")
    seqs, y = _planted(1500, seed=1)
    src = d / "planted.txt"
    src.write_text("".join(f"{s}\t{v:.4f}\n" for s, v in zip(seqs, y)))
    records.prepare(src, d / "data", val_fraction=0.1, test_fraction=0.1, shard_size=400)
    return d / "data"


def _jax_env():
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "jax"
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        " --xla_force_host_platform_device_count=2").strip()
    env["JAX_PLATFORMS"] = "cpu"  # no probing for libtpu / CUDA
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def test_jax_data_parallel_training_loads_under_tensorflow(planted_data, tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (pip install -e '.[jax]'); the JAX / "
                    "DataParallel training route is untested")
    from promoter_model.runs import load_run

    out = tmp_path / "jax_run"
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(48, 110))]
    X[:4, :12] = 0.0  # 5' N padding, as for short sequences
    inputs, preds, info_path = tmp_path / "x.npy", tmp_path / "jax_pred.npy", tmp_path / "i.json"
    np.save(inputs, X)

    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(planted_data), str(out), str(inputs), str(preds),
         str(info_path)],
        env=_jax_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]

    # two devices were used: the training log, the global distribution, and the weights
    assert "2 replica(s)" in proc.stderr, proc.stderr[-3000:]
    info = json.loads(info_path.read_text())
    assert info["backend"] == "jax"
    assert len(info["devices"]) == 2
    assert info["distribution"] == "DataParallel"
    assert info["mesh_shape"] == [2] and info["mesh_axes"] == ["batch"]
    assert info["kernel_devices"] == 2  # variables replicated on both devices

    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == "jax" and config["strategy"] == "mirrored"
    hist = (out / "history.csv").read_text().splitlines()
    assert len(hist) == 2 and "nan" not in hist[1]

    # the saved model loads (safe mode, checksums) under TensorFlow and predicts the same
    run = load_run(out)
    import keras

    assert keras.backend.backend() == "tensorflow"
    tf_pred = run.predict(X)
    jax_pred = np.load(preds)
    assert jax_pred.shape == tf_pred.shape == (48,)
    assert np.isfinite(tf_pred).all()
    np.testing.assert_allclose(tf_pred, jax_pred, atol=1e-4, rtol=0)
    assert np.ptp(tf_pred) > 0  # not a constant function: the comparison means something


# Runs under KERAS_BACKEND=jax with TensorFlow unimportable (a GPU or TPU machine with JAX
# alone): the prepared folder is read by the numpy reader and the run still completes.
NO_TF_CHILD = textwrap.dedent("""
    import sys
    sys.modules["tensorflow"] = None  # `import tensorflow` now raises ImportError
    from promoter_model import cli

    rc = cli.main(["train", "--data", sys.argv[1], "--out", sys.argv[2], "--preset", "tiny",
                   "--epochs", "4", "--batch-size", "64"])
    loaded = [m for m in sys.modules if m.split(".")[0] == "tensorflow"
              and sys.modules[m] is not None]
    print("TENSORFLOW_MODULES", len(loaded))
    sys.exit(rc)
""")


def test_jax_training_without_tensorflow_installed(planted_data, tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (pip install -e '.[jax]')")
    from promoter_model.runs import load_run

    out = tmp_path / "no_tf_run"
    env = _jax_env()
    env.pop("XLA_FLAGS")
    proc = subprocess.run([sys.executable, "-c", NO_TF_CHILD, str(planted_data), str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "TENSORFLOW_MODULES 0" in proc.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == "jax"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["validation"]["n"] + metrics["test"]["n"] > 0
    assert metrics["validation"]["r2"] > 0.2  # the planted motif count is learnt
    run = load_run(out)  # loads under TensorFlow here
    assert run.predict(np.zeros((2, 110, 4), np.float32)).shape == (2,)
