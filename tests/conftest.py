"""Shared, seeded fixtures: small data and tiny models so the suite runs on a 2-core CPU."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under `make test` (one xdist worker per core) each worker, and every process it starts,
    # computes on one thread: TensorFlow's and OpenMP's default pools, sized to all the
    # cores in every worker, contended and spun. Measured 2026-12-06 on 2 cores, idle, on
    # test_train, test_train_small_data and test_cli: 329 s wall and 591 CPU-s with the
    # default pools, 296 s and 478 CPU-s with one thread (docs/testing.md).
    for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data" / "dream2022"
ASSETS = ROOT / "assets"


CLI = [sys.executable, "-m", "promoter_model.cli"]


def pytest_configure(config):
    """One JAX compilation cache for the session's processes (the JAX children of
    test_jax_backend, test_gpu_scale and test_schedules): a program compiled once is read
    back by the next process that builds it. Set in the controlling process, before xdist
    starts its workers, so every worker and child inherits the same folder; removed when
    the session ends. Measured 2026-12-07 on the GPU check's smoke run: 122 s without a
    cache, 110 s with an empty one (its last phase reuses the first's programs).
    """
    if os.environ.get("PYTEST_XDIST_WORKER") or "JAX_COMPILATION_CACHE_DIR" in os.environ:
        return
    import tempfile

    config._promoter_jax_cache = tempfile.mkdtemp(prefix="promoter-tests-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = config._promoter_jax_cache


def pytest_unconfigure(config):
    cache = getattr(config, "_promoter_jax_cache", None)
    if cache:
        os.environ.pop("JAX_COMPILATION_CACHE_DIR", None)
        shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(autouse=True)
def _collectable_after_each_test():
    """The dashboard freezes everything alive when it loads a model
    (``app.cache.runs.freeze_long_lived_objects``); in the test process that must not outlive the
    test, or what later tests drop would never be collected.
    """
    yield
    import gc

    gc.unfreeze()


@pytest.fixture(scope="module")
def app_env(tiny_run, tmp_path_factory):
    """The page tests' dashboard environment (``app_pages_fixture.app_environment``: a runs
    folder around a copy of ``tiny_run``), built once per test file and restored when the
    file ends.
    """
    from app_pages_fixture import app_environment

    yield from app_environment(tiny_run, tmp_path_factory)


def run_cli(*args, input=None, timeout=300):
    """``promoter-model ARGS`` as a subprocess (what a user runs); returns the completed
    process with text stdout and stderr.
    """
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True,
                          input=input, timeout=timeout)


def run_main(capsys, *args, input=None):
    """``promoter-model ARGS`` in this process: the same parser, checks, error handling and
    exit status as :func:`run_cli`, without a new interpreter importing TensorFlow (seconds
    per call). ``capsys`` is the calling test's fixture; ``input`` (text) is the standard
    input. Returns what :func:`run_cli` returns (``returncode``, text ``stdout``, ``stderr``).

    Each command keeps at least one :func:`run_cli` test, the process a user runs.
    """
    import io

    from promoter_model.cli import main

    capsys.readouterr()  # what the test printed before is not the command's
    stdin = sys.stdin
    if input is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(input.encode("utf-8")), encoding="utf-8")
    try:
        status = main([str(a) for a in args])
    finally:
        sys.stdin = stdin
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, out, err)


def random_promoters(n: int, seed: int = 0) -> list:
    """``n`` random 110 bp promoters with the DREAM plasmid flanks."""
    from promoter_model.sequence import FLANK_3, FLANK_5

    rng = np.random.default_rng(seed)
    core = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=(n, 80))]
    return [FLANK_5 + row.tobytes().decode() + FLANK_3 for row in core]


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def promoters():
    """64 random 110 bp promoters (seeded)."""
    return random_promoters(64, seed=1)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A complete run directory holding an untrained ``tiny`` model (seeded)."""
    import keras
    import pandas as pd

    from promoter_model.model.architectures import build_model, preset
    from promoter_model.model.config import RunConfig
    from promoter_model.runs import save_run

    keras.utils.set_random_seed(0)
    cfg = RunConfig(preset="tiny", model=preset("tiny"))
    model = build_model(cfg.model)
    history = pd.DataFrame({"epoch": [1, 2], "loss": [1.0, 0.8], "val_loss": [1.1, 0.9],
                            "val_r2": [0.1, 0.2], "val_pearson": [0.3, 0.45],
                            "lr": [1e-3, 1e-3], "seconds": [1.0, 1.0]})
    metrics = {"test": {"data": "synthetic", "n": 10, "r2": 0.2, "pearson_r": 0.45,
                        "spearman_r": 0.4, "mse": 0.9}}
    return save_run(tmp_path_factory.mktemp("runs") / "tiny_run", model, cfg,
                    history=history, metrics=metrics)


@pytest.fixture
def root(tmp_path):
    """An empty runs folder (tests may define their own ``root``)."""
    r = tmp_path / "runs"
    r.mkdir()
    return r


@pytest.fixture
def fresh_run(tiny_run, tmp_path):
    """A private copy of :func:`tiny_run` for a test that writes into its run (``motifs/``):
    the session fixture itself is never written, so test order cannot matter.
    """
    dst = tmp_path / "fresh_run"
    shutil.copytree(tiny_run, dst)
    return dst


@pytest.fixture
def good(tiny_run, root):
    """A copy of :func:`tiny_run` as ``root/good``, free to tamper with."""
    dst = root / "good"
    shutil.copytree(tiny_run, dst)
    return dst


@pytest.fixture(scope="session")
def train_demo_path():
    """The real DREAM training-format sample (6,369 rows), bundled or shared copy."""
    for p in (ASSETS / "data" / "train_demo.txt", SHARED_DATA / "train_demo.txt"):
        if p.exists():
            return p
    pytest.skip("train_demo.txt not available")
