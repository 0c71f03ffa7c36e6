#!/usr/bin/env bash
# CPU backend speed and memory: SmolLM2-135M-Instruct and its 50% Mamba-2
# and Mamba-1 hybrids (attn-to-mamba, untrained: speed does not depend on
# the weights' values). For each model: prompt tokens/s at 128 and 512
# tokens, decode tokens/s for 64 tokens after each prompt, peak RSS. The
# Transformer is the same-run baseline of the hybrids. Appends to
# bench/RESULTS.md.
#
#   bench/cpu_run.sh [BUILD_DIR] [RUNS]
source "$(dirname "$0")/common.sh"
[ -f "$work/smollm2.mlir" ] || "$build/bin/ml-import" "$gguf" -o "$work/smollm2.mlir" 2>/dev/null
"$build/bin/ml-compile" "$work/smollm2.mlir" -o "$work/smollm2.mlart" 2>/dev/null
for variant in mamba2 mamba1; do
  "$build/bin/ml-opt" "$work/smollm2.mlir" --attn-to-mamba="ratio=0.5 variant=$variant" -o "$work/hybrid-$variant.mlir" 2>/dev/null
  "$build/bin/ml-compile" "$work/hybrid-$variant.mlir" -o "$work/hybrid-$variant.mlart" 2>/dev/null
done

# ids PROMPT_TOKENS: a prompt of real text tokens (repeated ids would be
# equally fast, but keep it honest).
ids() { python3 -c "import sys; base=[504,3575,282,4649,314,7042,30,378,1604,3987,1479,24,26,2,1017]; n=int(sys.argv[1]); print(','.join(str(base[i % len(base)]) for i in range(n)))" "$1"; }
# run MODEL PROMPT: one ml-run; prints "prompt_tps decode_tps peak_mib".
run() {
  /usr/bin/time -f "%M" -o "$work/rss.txt" "$build/bin/ml-run" "$1" --tokens "$(ids "$2")" -n 65 --ignore-eos --ctx 1024 \
    > /dev/null 2> "$work/report.txt"
  local p d
  p=$(sed -n 's/.*prompt: .*= *\([0-9.]*\) tokens\/s/\1/p' "$work/report.txt")
  d=$(sed -n 's/.*decode: .*= *\([0-9.]*\) tokens\/s/\1/p' "$work/report.txt")
  echo "$p $d $(awk '{printf "%.0f", $1 / 1024}' "$work/rss.txt")"
}
measure() { # MODEL PROMPT -> median of each column over runs
  for _ in $(seq "$runs"); do run "$1" "$2"; done > "$work/runs.txt"
  for col in 1 2 3; do cut -d' ' -f$col "$work/runs.txt" | median; done | paste -sd' '
}

{
  echo
  echo "## CPU backend: SmolLM2-135M-Instruct and 50% hybrids ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
  echo
  echo "Command: \`bench/cpu_run.sh $build $runs\` (median of $runs runs; \`ml-run --tokens <N ids> -n 65 --ignore-eos\`,"
  echo "f32 weights dequantised from the Q4_1 GGUF, all cores). Decode: 64 single-token steps after the prompt."
  echo "Baseline: the Transformer in the same run."
  echo
  echo "| model | prompt | prompt tokens/s | decode tokens/s | peak RSS (MiB) |"
  echo "|---|---|---|---|---|"
  for model in smollm2 hybrid-mamba2 hybrid-mamba1; do
    for prompt in 128 512; do
      read -r p d m < <(measure "$work/$model.mlart" "$prompt")
      echo "| $model | $prompt | $p | $d | $m |"
    done
  done
} | tee -a bench/RESULTS.md
