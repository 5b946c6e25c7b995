#!/usr/bin/env bash
# The GPU check, on one GPU under Keras 3 on JAX, in one command (about 9 minutes):
#
#   bash bench/gpu_wheels.sh                 # once, here: Keras wheels for the GPU image
#   bash bench/gpu_check.sh OUTDIR [--budget-s 540] [gpu_scale.py options...]
#   python bench/gpu_report.py bench/results/gpu_check-DATE.json   # here, afterwards
#
# Runs bench/gpu_scale.py: the reference preset with train's defaults at batch 2048 and
# 256 and compact at 1024 on the demo ensemble's fold 0 (each epoch's validation R², steady
# sequences/s, TFLOP/s and % of bf16 peak), the stages' profile, and one epoch of 6.4M
# synthetic DREAM rows read from prepared shards (prepared on the host's CPU meanwhile;
# prepare needs no TensorFlow). Writes OUTDIR/gpu_check-DATE.json and
# OUTDIR/benchmarks-section.md. The folds are prepared there too: nothing to carry but
# .whl/ (Keras and its pure-Python needs, for an image that has JAX but not Keras).
#
#   bash bench/gpu_check.sh --ensemble OUTDIR [FOLDS] [BUDGET_S] [gpu_check.py options...]
# is the ensemble issue's check (all members of a phase at once; bench/gpu_check.py) on the
# old hash folds, kept to reproduce the 2026-12-01 measurement; the family-split ensemble's
# members are trained by bench/gpu_family_ensemble.sh.
set -euo pipefail
mode=scale
if [[ "${1:-}" == "--ensemble" ]]; then mode=ensemble; shift; fi
out=${1:?usage: gpu_check.sh [--ensemble] OUTDIR ...}
shift
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/gpu-site .whl/*.whl
    export PYTHONPATH=/tmp/gpu-site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export TF_CPP_MIN_LOG_LEVEL=2
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv \
    > "$out/nvidia-smi.csv" 2>/dev/null || true
python3 -c "import jax, keras; print('backend', keras.backend.backend(), jax.devices())"
if [[ $mode == ensemble ]]; then
    folds=${1:-.gpu/folds}
    budget=${2:-480}
    shift $(( $# < 2 ? $# : 2 ))
    python3 bench/gpu_check.py --out "$out" --work "$folds" --budget-s "$budget" "$@"
else
    python3 bench/gpu_scale.py --out "$out" --work /tmp/gpu-scale-work "$@"
fi
