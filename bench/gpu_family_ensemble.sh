#!/usr/bin/env bash
# Train the family-split demo ensemble's members on one GPU (Keras 3 on JAX), all at once,
# and hand them back as archives (the device machine returns at most 8 files from $OUT):
#
#   here, once:   bash bench/gpu_wheels.sh          # .whl/: Keras for the JAX-only image
#   on the GPU:   bash bench/gpu_family_ensemble.sh [MEMBERS] [BUDGET_S] [make_demo_ensemble options]
#                 (device run with carry [".whl"]; MEMBERS default 0,1,2,3,4, BUDGET_S 480)
#   here, after:  tar xzf FILES_AT/family_members.tgz -C assets/family_ensemble
#                 tar xzf FILES_AT/family_work.tgz -C build/ensemble   # unfinished members
#                 python scripts/make_demo_ensemble.py --finalize-only
#
# Each member is `scripts/make_demo_ensemble.py --members i --no-finalize` with the script's
# own settings (compact, 20 epochs, batch 128, peak rate 2e-3, cosine), on the split shipped
# in assets/family_ensemble/split.tsv.gz; members already in assets/family_ensemble/members
# are skipped. A member still training at BUDGET_S is stopped; its work folder (the
# checkpoint of its last finished epoch) comes back in family_work.tgz, so `make
# demo-ensemble` here, or the next GPU run, resumes it. Finalising (calibration, scores on
# the test families, the card) needs no GPU and runs here.
set -euo pipefail
out=${OUT:?run this on the device machine, where \$OUT is the folder that comes back}
members=${1:-0,1,2,3,4}
budget=${2:-480}
shift $(( $# < 2 ? $# : 2 ))
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/gpu-site .whl/*.whl
    export PYTHONPATH=/tmp/gpu-site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=${KERAS_BACKEND:-jax} XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
python=${PYTHON:-python3}
ens=${ENSEMBLE_DIR:-/tmp/family_ensemble}
work=${WORK_DIR:-/tmp/family_work}
mkdir -p "$ens" "$work"
cp assets/family_ensemble/split.tsv.gz "$ens/"
if [[ -d assets/family_ensemble/members ]]; then
    cp -r assets/family_ensemble/members "$ens/"
fi
nvidia-smi --query-gpu=name,memory.total --format=csv > "$out/nvidia-smi.csv" 2>/dev/null || true
start=$(date +%s)
$python scripts/make_demo_ensemble.py --out "$ens" --work "$work" --prepare-only "$@" \
    > "$out/prepare.log" 2>&1
left=$(( budget - ($(date +%s) - start) ))
pids=()
for i in ${members//,/ }; do
    timeout --signal=INT --kill-after=20 "$left" \
        $python scripts/make_demo_ensemble.py --out "$ens" --work "$work" --members "$i" \
        --no-finalize "$@" > "$out/member$i.log" 2>&1 &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=$?; done
echo "members ${members}: last exit status ${status}, $(( $(date +%s) - start )) s" \
    | tee "$out/summary.txt"
mkdir -p "$ens/members" "$work/members"
tar czf "$out/family_members.tgz" -C "$ens" members
# unfinished members' work folders (history and checkpoint), not the prepared shards
unfinished=()
for i in ${members//,/ }; do
    if [[ ! -f "$ens/members/fold-$i/checksums.json" && -d "$work/members/fold-$i" ]]; then
        unfinished+=("members/fold-$i")
    fi
done
if (( ${#unfinished[@]} )); then
    tar czf "$out/family_work.tgz" -C "$work" "${unfinished[@]}"
fi
ls -l "$out"
