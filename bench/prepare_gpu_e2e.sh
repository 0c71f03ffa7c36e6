#!/usr/bin/env bash
# Prepares bench/gpu_e2e.sh: a Llama-3-8B-shaped checkpoint (headers only,
# random values are made on the GPU machine), the Transformer and its
# Mamba-2 hybrids keeping 50% and 25% of attention, compiled with
# --target=cuda into .cache/gpu-e2e/models/, and the stores' manifest. The
# KV caches are bf16 (as Hugging Face decodes a bf16 model) unless
# KV_CACHE=f32; PREFILL_PRECISION=bf16 compiles them with
# --prefill-precision=bf16 (the prompt's products on bf16 activations);
# GPU_CHIP=sm_90 compiles the mma.sync prefill attention instead of the
# default sm_90a's wgmma one. SSM_STATE=bf16 keeps the hybrids' SSM states
# in bf16 (as mamba_ssm decodes a bf16 model; default f32). E2E_OUT names
# the output folder (default .cache/gpu-e2e).
#
#   [KV_CACHE=bf16|f32] [PREFILL_PRECISION=f32|bf16] [GPU_CHIP=sm_90a|sm_90] \
#     [SSM_STATE=f32|bf16] [E2E_OUT=DIR] bench/prepare_gpu_e2e.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${E2E_OUT:-.cache/gpu-e2e}
rm -rf "$out" && mkdir -p "$out/models"
python3 bench/make_random_checkpoint.py "$out/llama3-8b" --sparse
"$build/bin/ml-import" "$out/llama3-8b" -o "$out/models/llama3-8b.mlir" 2>/dev/null
"$build/bin/ml-opt" "$out/models/llama3-8b.mlir" --attn-to-mamba=ratio=0.5 -o "$out/models/hybrid-50.mlir" 2>/dev/null
"$build/bin/ml-opt" "$out/models/llama3-8b.mlir" --attn-to-mamba=ratio=0.25 -o "$out/models/hybrid-25.mlir" 2>/dev/null
for m in llama3-8b hybrid-50 hybrid-25; do
  "$build/bin/ml-compile" "$out/models/$m.mlir" --target=cuda --kv-cache="${KV_CACHE:-bf16}" \
    --prefill-precision="${PREFILL_PRECISION:-f32}" --gpu-chip="${GPU_CHIP:-sm_90a}" \
    --ssm-state="${SSM_STATE:-f32}" \
    -o "$out/models/$m.mlart" 2>/dev/null
done
rm "$out"/models/*.mlir
python3 scripts/gpu/store_manifest.py dump "$out/llama3-8b" "$out/models" -o "$out/manifest.json"
rm "$out"/models/*.weights.safetensors
ls -la "$out/models" "$out/manifest.json"
