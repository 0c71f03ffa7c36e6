#!/usr/bin/env bash
# Prepares the GPU suite (scripts/gpu/check_cuda.py) on this machine:
# compiles the tiny fixtures, random checkpoints of other GQA shapes, SmolLM2
# and its 50% hybrids with --target=cuda (f32 and bf16 KV caches) into
# .cache/gpu-check/models/, and splits SmolLM2's f32
# store into parts small enough to carry to the GPU machine one per call
# (.cache/gpu-check/parts/). The tiny fixtures' stores are tracked files, so
# the GPU machine's copy of the tree has them.
#
#   scripts/gpu/prepare_cuda_check.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=.cache/gpu-check
rm -rf "$out" && mkdir -p "$out/models" "$out/parts" "$out/work"
for m in tiny-llama tiny-mistral tiny-qwen2 tiny-hybrid-mamba2 tiny-hybrid-mamba1; do
  "$build/bin/ml-import" "test/Inputs/tiny/$m" -o "$out/work/$m.mlir" 2>/dev/null
  "$build/bin/ml-compile" "$out/work/$m.mlir" --target=cuda -o "$out/models/$m.mlart" 2>/dev/null
done
# bf16 KV caches: the tensor-core attention, for GQA groups of 2 (one with a
# sliding window), 3, 7 and 12 and heads of 16, 64, 80 and 32; heads of 64
# prefill on wgmma (sm_90a), also with a window of 40 keys (mistral-d64),
# and on mma.sync for sm_90 (g3-d64-kvbf16-sm90).
for m in tiny-llama tiny-mistral; do
  "$build/bin/ml-compile" "$out/work/$m.mlir" --target=cuda --kv-cache=bf16 \
    -o "$out/models/$m-kvbf16.mlart" 2>/dev/null
done
for g in g3-d64 g7-d80 g12-d32 mistral-d64; do
  python3 bench/make_random_checkpoint.py "$out/models/tiny-$g" --preset "tiny-$g" > /dev/null
  "$build/bin/ml-import" "$out/models/tiny-$g" -o "$out/work/tiny-$g.mlir" 2>/dev/null
  "$build/bin/ml-compile" "$out/work/tiny-$g.mlir" --target=cuda --kv-cache=bf16 \
    -o "$out/models/tiny-$g-kvbf16.mlart" 2>/dev/null
done
"$build/bin/ml-compile" "$out/work/tiny-g3-d64.mlir" --target=cuda --kv-cache=bf16 \
  --gpu-chip=sm_90 -o "$out/models/tiny-g3-d64-kvbf16-sm90.mlart" 2>/dev/null
# Mamba-2 hybrids of two of them with --prefill-precision=bf16: the
# tensor-core SSD scan (heads of 64 in two 32-row slices, d_state 64; heads
# of 32, d_state 32).
for g in g3-d64 g12-d32; do
  "$build/bin/ml-opt" "$out/work/tiny-$g.mlir" --attn-to-mamba="layers=0 variant=mamba2" \
    -o "$out/work/tiny-$g-hybrid.mlir" 2>/dev/null
  "$build/bin/ml-compile" "$out/work/tiny-$g-hybrid.mlir" --target=cuda --kv-cache=bf16 \
    --prefill-precision=bf16 -o "$out/models/tiny-$g-hybrid-ssd.mlart" 2>/dev/null
done
gguf=$(scripts/fetch_smollm2.sh)
# The store goes where the artifacts are, so its relative path holds there.
"$build/bin/ml-import" "$gguf" -o "$out/models/smollm2.mlir" 2>/dev/null
"$build/bin/ml-compile" "$out/models/smollm2.mlir" --target=cuda -o "$out/models/smollm2.mlart" 2>/dev/null
"$build/bin/ml-compile" "$out/models/smollm2.mlir" --target=cuda --kv-cache=bf16 \
  -o "$out/models/smollm2-kvbf16.mlart" 2>/dev/null
for variant in mamba2 mamba1; do
  "$build/bin/ml-opt" "$out/models/smollm2.mlir" --attn-to-mamba="ratio=0.5 variant=$variant" \
    -o "$out/models/smollm2-hybrid-$variant.mlir" 2>/dev/null
  "$build/bin/ml-compile" "$out/models/smollm2-hybrid-$variant.mlir" --target=cuda \
    -o "$out/models/smollm2-hybrid-$variant.mlart" 2>/dev/null
done
rm "$out"/models/*.mlir
# The artifacts whose logits the CPU oracle cannot bound at check_cuda.py's
# --rtol (1e-4), and why.
cat > "$out/models/tolerances.txt" <<'EOF'
smollm2-kvbf16 1e-2 a bf16 KV cache over 30 layers: changing only the attention's arithmetic from f64 to f32 moves these logits by 3.9e-3 of the max (scripts/smollm2_bf16_cache_sensitivity.py, docs/validation.md)
EOF
# zstd halves the f32 store (Q4_1 values repeat); parts of 55 MiB leave
# room for the ~6 MiB working tree in a 64 MiB carry.
zstd -q -T0 -6 -f "$out/models/smollm2.safetensors" -o "$out/work/store.zst"
split -b 55M "$out/work/store.zst" "$out/parts/store.part-"
rm "$out/models/smollm2.safetensors" "$out/work/store.zst"
sha256sum "$out"/parts/* > "$out/parts.sha256"
ls -la "$out/models" "$out/parts"
