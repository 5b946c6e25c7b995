#!/usr/bin/env bash
# The GPU check of the ensemble issue, on one GPU under Keras 3 on JAX (well under 15 min).
#
#   python scripts/make_demo_ensemble.py --prepare-only --work .gpu/folds   # where TF is
#   bash bench/gpu_check.sh OUTDIR [FOLDS] [BUDGET_S] [gpu_check.py options...]
#
# Trains the demo ensemble's compact members (its own settings), then reference-preset
# members on the same folds, each phase's members at once on the GPU, and writes
# OUTDIR/gpu_check.json (throughput, % of peak, validation and public scores; see
# bench/gpu_check.py) plus one log per member. A machine without TensorFlow reads the
# prepared folds with numpy (promoter_model.records.arrays). Wheels in .whl/ (Keras and its
# pure-Python needs, for an image that has JAX but not Keras) are installed first.
set -euo pipefail
out=${1:?usage: gpu_check.sh OUTDIR [FOLDS] [BUDGET_S]}
folds=${2:-.gpu/folds}
budget=${3:-480}
shift $(( $# < 3 ? $# : 3 ))
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/gpu-site .whl/*.whl
    export PYTHONPATH=/tmp/gpu-site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export TF_CPP_MIN_LOG_LEVEL=2
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv \
    > "$out.nvidia-smi.csv" 2>/dev/null || true
python3 -c "import jax, keras; print('backend', keras.backend.backend(), jax.devices())"
python3 bench/gpu_check.py --out "$out" --work "$folds" --budget-s "$budget" "$@"
