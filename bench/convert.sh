#!/usr/bin/env bash
# Time of the attn-to-mamba conversion of SmolLM2-135M-Instruct (30 layers)
# at every ratio and both variants (median of N runs), and of writing the
# 50% Mamba-2 hybrid as a MambaInLlama checkpoint. Appends to
# bench/RESULTS.md.
#
#   bench/convert.sh [BUILD_DIR] [RUNS]
source "$(dirname "$0")/common.sh"
[ -f "$work/smollm2.mlir" ] || "$build/bin/ml-import" "$gguf" -o "$work/smollm2.mlir" 2>/dev/null

time_of() { # command...: median wall seconds
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" -o "$work/t.txt" "$@" > /dev/null 2>&1
    cat "$work/t.txt"
  done | median
}

{
  echo
  echo "## attn-to-mamba on SmolLM2-135M-Instruct ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores)"
  echo
  echo "Command: \`bench/convert.sh $build $runs\` (median of $runs runs). Input: the imported GGUF"
  echo "(30 layers, 272 weights). Baseline: \`ml-opt\` parsing and printing the same module with no pass."
  echo
  echo "| conversion | layers converted | seconds |"
  echo "|---|---|---|"
  echo "| none (parse + print) | 0 | $(time_of "$build/bin/ml-opt" "$work/smollm2.mlir" -o "$work/out.mlir") |"
  for variant in mamba2 mamba1; do
    for ratio in 0.5 0.25 0.125 0; do
      n=$("$build/bin/ml-opt" "$work/smollm2.mlir" --attn-to-mamba="ratio=$ratio variant=$variant" -o "$work/out.mlir" 2>&1 \
          | sed -n 's/.*converted layers \[\(.*\)\] to.*/\1/p' | tr ',' '\n' | grep -c .)
      echo "| ratio=$ratio variant=$variant | $n | $(time_of "$build/bin/ml-opt" "$work/smollm2.mlir" --attn-to-mamba="ratio=$ratio variant=$variant" -o "$work/out.mlir") |"
    done
  done
  "$build/bin/ml-opt" "$work/smollm2.mlir" --attn-to-mamba=ratio=0.5 -o "$work/hybrid.mlir" 2>/dev/null
  echo "| ml-export of the 50% Mamba-2 hybrid (MambaInLlama layout, f32, $(du -sh "$work/smollm2.safetensors" | cut -f1) store) | 15 | $(time_of "$build/bin/ml-export" "$work/hybrid.mlir" -o "$work/hybrid-out") |"
} | tee -a bench/RESULTS.md
