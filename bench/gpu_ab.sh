#!/usr/bin/env bash
# On the GPU machine, after bench/prepare_ab.sh: the GPU suite on the
# change's artifacts (the tiny models and Llama-3-8B layer shapes: GPU vs
# CPU logits, decode graphs vs eager, batched vs single), then
# bench/gpu_e2e.sh with the change's and the baseline's end-to-end models
# back to back. Reports go to $OUT (default /tmp/ab).
#
#   [RUNS=2] [BATCHES="1"] bench/gpu_ab.sh ["2048 32768"]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/ab} contexts=${1:-"2048 32768"}
mkdir -p "$out"
MODELS=.cache/ab/check OUT=$out scripts/gpu/run_gpu_suite.sh .cache/ab/new/bin /nonexistent > "$out/suite.log" 2>&1
echo "GPU suite (tiny artifacts): exit $?"
grep -E "PASSED|FAILED" "$out/cuda-tests.txt"
python3 scripts/gpu/store_manifest.py regenerate .cache/gpu-8b/manifest.json
MLRT_CUDA_TEST_ARTIFACTS=$(ls .cache/gpu-8b/models/*.mlart | tr '\n' ':') \
  .cache/ab/new/bin/mlrt-cuda-tests --gtest_filter='CudaModels.*' > "$out/cuda-tests-8b.txt" 2>&1
echo "model tests at 8B layer shapes: exit $?"
python3 scripts/gpu/check_cuda.py --bin .cache/ab/new/bin --models .cache/gpu-8b/models \
  --report "$out/8b-report.md" > "$out/8b.log" 2>&1
echo "check_cuda at 8B layer shapes: exit $?"
for side in new base; do
  E2E=.cache/ab/e2e-$side COMMIT=$side RUNS=${RUNS:-2} bench/gpu_e2e.sh .cache/ab/$side/bin "$contexts" \
    2>&1 | tee -a "$out/e2e.md"
done
