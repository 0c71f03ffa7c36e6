#!/usr/bin/env bash
# Prepares the GPU suite at Llama-3.1-8B layer shapes (hidden 4096, 32
# heads, 8 KV heads of 128, FFN 14336, llama3 RoPE; Mamba-2 with d_state 128
# and 8 groups, Mamba-1 with d_state 16): a random 2-layer checkpoint, the
# Transformer and one hybrid per variant (layer 0 converted), compiled with
# --target=cuda into .cache/gpu-8b/models/ (the Transformer also with bf16
# KV caches, and with bf16 prefill inputs; the hybrids also with a bf16 SSM
# state, the Mamba-2 one also with bf16 prefill inputs). The weight stores are too large
# to carry, so only their headers travel (.cache/gpu-8b/manifest.json);
# scripts/gpu/store_manifest.py regenerates them on the GPU machine.
#
#   scripts/gpu/prepare_8b_check.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=.cache/gpu-8b
rm -rf "$out" && mkdir -p "$out/models"
python3 bench/make_random_checkpoint.py "$out/llama3-8b-layers" --preset llama3-8b-layers
"$build/bin/ml-import" "$out/llama3-8b-layers" -o "$out/models/8b-base.mlir" 2>/dev/null
for variant in mamba2 mamba1; do
  "$build/bin/ml-opt" "$out/models/8b-base.mlir" --attn-to-mamba="layers=0 variant=$variant" \
    -o "$out/models/8b-hybrid-$variant.mlir" 2>/dev/null
done
for m in 8b-base 8b-hybrid-mamba2 8b-hybrid-mamba1; do
  "$build/bin/ml-compile" "$out/models/$m.mlir" --target=cuda -o "$out/models/$m.mlart" 2>/dev/null
done
# The Transformer once more with bf16 KV caches (both backends round K, V).
"$build/bin/ml-compile" "$out/models/8b-base.mlir" --target=cuda --kv-cache=bf16 \
  -o "$out/models/8b-base-kvbf16.mlart" 2>/dev/null
# The hybrids with a bf16 SSM state (both backends round it).
for variant in mamba2 mamba1; do
  "$build/bin/ml-compile" "$out/models/8b-hybrid-$variant.mlir" --target=cuda --ssm-state=bf16 \
    -o "$out/models/8b-hybrid-$variant-ssmbf16.mlart" 2>/dev/null
done
# And with the prompt's products on bf16 activations (both backends round).
"$build/bin/ml-compile" "$out/models/8b-base.mlir" --target=cuda --kv-cache=bf16 \
  --prefill-precision=bf16 -o "$out/models/8b-base-bf16in.mlart" 2>/dev/null
# And the Mamba-2 hybrid so: the tensor-core SSD scan at MambaInLlama-8B
# shapes (check_cuda.py's looser --ssd-rtol for names ending -ssd).
"$build/bin/ml-compile" "$out/models/8b-hybrid-mamba2.mlir" --target=cuda --kv-cache=bf16 \
  --prefill-precision=bf16 -o "$out/models/8b-hybrid-mamba2-ssd.mlart" 2>/dev/null
rm "$out"/models/*.mlir
# The artifacts whose logits the CPU oracle cannot bound at check_cuda.py's
# --rtol (1e-4), and why.
cat > "$out/models/tolerances.txt" <<'EOF'
8b-base-bf16in 5e-3 bf16 prefill inputs: the bf16 GEMMs of 4096-wide rows sum in another order than the CPU's (9.1e-4 to 1.2e-3 of the max since session 5)
EOF
python3 scripts/gpu/store_manifest.py dump "$out/llama3-8b-layers" "$out/models" -o "$out/manifest.json"
rm "$out"/models/*.weights.safetensors
ls -la "$out/models" "$out/manifest.json"
