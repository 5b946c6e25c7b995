#!/usr/bin/env bash
# Keras and the pure-Python packages it needs that the GPU image lacks (it has JAX, numpy,
# pandas, scipy, h5py, ml-dtypes, rich, absl-py), as wheels in .whl/ for bench/gpu_check.sh.
# Run here, where PyPI is reachable; .whl/ is ignored by git and travels with the tree.
set -euo pipefail
keras_version=$(python3 -c "import keras; print(keras.__version__)" 2>/dev/null \
    || .venv/bin/python -c "import keras; print(keras.__version__)")
mkdir -p .whl
for spec in "keras==$keras_version" namex optree; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$spec"
done
ls -l .whl
