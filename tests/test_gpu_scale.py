"""The GPU check's pieces that run anywhere: peaks, the timing callback, the report, and the
whole check as a smoke run on this CPU under JAX without TensorFlow.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import gpu_report  # noqa: E402
import gpu_scale  # noqa: E402


def test_bf16_peaks_by_device_name():
    assert gpu_scale.peak_bf16("NVIDIA H100 80GB HBM3") == 989e12
    assert gpu_scale.peak_bf16("NVIDIA H100 PCIe") == 756e12
    assert gpu_scale.peak_bf16("NVIDIA H200") == 989e12
    assert gpu_scale.peak_bf16("cpu") is None


def test_timing_counts_training_batches_after_the_first_epoch():
    timer = gpu_scale.timing_callback(deadline=time.time() + 3600, batch=100)
    timer.epochs = [[0.0, 5.0, 5.1, 5.2],             # epoch 1: compilation
                    [10.0, 10.2, 10.3, 10.4, 10.5],   # 4 batches: 3 intervals of 0.1 s
                    [20.0, 20.2, 20.3, 20.4, 20.5]]
    steady = timer.steady()
    assert steady["step_ms"] == pytest.approx(100.0)
    assert steady["steady_seq_s"] == pytest.approx(1000.0)
    one = gpu_scale.timing_callback(deadline=time.time() + 3600, batch=10)
    one.epochs = [[0.0] + [1.0 + 0.01 * i for i in range(40)]]  # one epoch only
    assert one.steady()["steady_seq_s"] == pytest.approx(1000.0)


def phase(name, **kw):
    base = {"phase": name, "preset": "reference", "batch": 2048, "epochs_planned": 30,
            "epochs_done": 3, "n_train": 49646, "stopped_at_deadline": False,
            "val_r2": [0.5, 0.85, 0.91], "epoch_s": [70.0, 2.1, 2.0],
            "batches_in_epochs": [24, 24, 24], "steady_seq_s": 40000.0, "step_ms": 51.2,
            "tflop_s": 245.2, "pct_bf16_peak": 24.8, "projected_epoch_s": 1.2,
            "effective": {"precision": "mixed_bfloat16", "learning_rate": 8.49e-4,
                          "warmup_steps": 73, "total_steps": 727}}
    base.update(kw)
    return base


def test_report_states_each_phase_and_the_goals(tmp_path):
    report = {"kind": "scale", "budget_s": 540, "smoke": False, "wall_s": 531.0,
              "device": {"count": 1, "device": "NVIDIA H100 80GB HBM3", "platform": "gpu",
                         "host_cores": 16, "keras": "3.15.1", "jax": "0.11.2",
                         "date": "2026-12-07 10:00 UTC"},
              "synthetic_data": {"rows": 6739258, "generate_s": 20.0, "prepare_s": 95.0,
                                 "shards": 65},
              "phases": [phase("reference-2048"),
                         phase("reference-256", batch=256, val_r2=[0.3, 0.7, 0.88],
                               pct_bf16_peak=9.0),
                         {"phase": "compact-1024", "failed": "exit status -9"},
                         {"phase": "profile", "preset": "reference", "batch": 2048,
                          "precision": "mixed_bfloat16", "sum_ms": 40.0,
                          "reader_seq_s": 300000.0,
                          "stages": [{"stage": "convolutions", "ms": 20.0,
                                      "train_gflop": 6000.0, "tflop_s": 300.0},
                                     {"stage": "bidirectional LSTMs", "ms": 20.0,
                                      "train_gflop": 20.0, "tflop_s": 1.0}]},
                         phase("synthetic", n_train=6402295, epochs_planned=1,
                               stopped_at_deadline=True, batches_in_epochs=[900],
                               projected_epoch_s=160.1)]}
    f = tmp_path / "gpu_check-2026-12-07.json"
    f.write_text(json.dumps(report))
    text = gpu_report.render_scale([f])
    assert text.startswith(gpu_report.SCALE_SECTION)
    assert "NVIDIA H100 80GB HBM3" in text and "`bench/results/gpu_check-2026-12-07.json`" in text
    assert "| reference-2048 | reference | 2,048 | mixed_bfloat16 | 0.000849 | 73 / 727 |" in text
    assert "0.50 0.85 0.91 | 0.910 | 40,000 | 245.2 | 24.8% |" in text
    assert "`reference-2048`: best validation R² 0.910 (meets the 0.90 goal" in text
    assert "(misses the 25% goal)" in text
    assert "`reference-256`: best validation R² 0.880 (misses" in text
    assert "| compact-1024 | exit status -9 |" in text
    assert "| bidirectional LSTMs | 20.0 | 20.0 | 1.0 | 50% |" in text
    assert "300,000 one-hot sequences/s" in text
    assert "after 1,843,200 of 6,402,295 rows" in text and "160 s (projected)" in text


@pytest.mark.slow
def test_the_whole_check_runs_as_a_smoke_test_without_tensorflow(tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (pip install -e '.[jax]')")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_scale.py"), "--out",
                           str(tmp_path), "--smoke", "--no-tensorflow", "--budget-s", "1500",
                           "--phases", "reference-256,profile,synthetic"],
                          capture_output=True, text=True, timeout=2400, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(next(tmp_path.glob("gpu_check-*.json")).read_text())
    phases = {p["phase"]: p for p in report["phases"]}
    ref = phases["reference-256"]
    assert "failed" not in ref, (tmp_path / "reference-256.log").read_text()[-2000:]
    assert ref["effective"]["lr_schedule"] == "warmup_cosine" and ref["epochs_done"] == 2
    assert len(ref["val_r2"]) == 2 and ref["steady_seq_s"] > 0
    assert [s["stage"] for s in phases["profile"]["stages"]][0] == "convolutions"
    assert phases["synthetic"]["n_train"] > 10_000
    assert (tmp_path / "benchmarks-section.md").read_text().startswith(
        gpu_report.SCALE_SECTION)
