#!/usr/bin/env bash
# The GPU suite in one call on the GPU machine (after the store parts of
# scripts/gpu/prepare_cuda_check.sh have been copied to $PARTS, one per
# call): reassembles SmolLM2's store, runs the CUDA runtime tests (their
# model tests on the tiny artifacts), then
# scripts/gpu/check_cuda.py on every prepared artifact; the report goes to
# $OUT/cuda-report.md.
#
#   [MODELS=DIR] scripts/gpu/run_gpu_suite.sh BIN_DIR [PARTS_DIR]
#
# MODELS (default .cache/gpu-check/models) names another folder of
# artifacts, e.g. bench/prepare_ab.sh's copy without SmolLM2.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$1 parts=${2:-/tmp/parts}
out=${OUT:-/tmp}
models=${MODELS:-.cache/gpu-check/models}
if [ -d "$parts" ]; then
  cat "$parts"/store.part-* | zstd -d -q -f -o /tmp/smollm2.safetensors
  ln -sf /tmp/smollm2.safetensors "$models/smollm2.safetensors"
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
if [ -x "$bin/mlrt-cuda-tests" ]; then
  # The model tests (GPU vs CPU, graphs vs eager, batched vs single) run on
  # the tiny artifacts; SmolLM2's take minutes there and check_cuda.py
  # covers them below.
  tiny=$(ls "$models"/tiny-*.mlart | tr '\n' ':')
  MLRT_CUDA_TEST_ARTIFACTS=$tiny "$bin/mlrt-cuda-tests" 2>&1 | tail -30 | tee "$out/cuda-tests.txt"
fi
python3 scripts/gpu/check_cuda.py --bin "$bin" --models "$models" --report "$out/cuda-report.md"
