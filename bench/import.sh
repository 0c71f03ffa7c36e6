#!/usr/bin/env bash
# Import time and peak memory (median of N runs) of ml-import on:
#   - SmolLM2-135M-Instruct's Q4_1 GGUF (dequantised to an f32 store),
#   - an 8B-shaped Hugging Face checkpoint of random bf16 weights (16 GB,
#     bench/make_random_checkpoint.py), referenced in place,
#   - the tiny HF fixture, as the baseline the 8B import's memory must match.
# Appends a Markdown table to bench/RESULTS.md.
#
#   bench/import.sh [BUILD_DIR] [RUNS]
source "$(dirname "$0")/common.sh"
[ -f "$work/llama3-8b/config.json" ] || python3 bench/make_random_checkpoint.py "$work/llama3-8b"

measure() { # name, command...: prints "name | median s | median peak RSS MiB"
  local name=$1; shift
  local times=() rss=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null 2>&1
    read -r t m < "$work/time.txt"
    times+=("$t"); rss+=("$m")
  done
  local mt mr
  mt=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
  mr=$(printf '%s\n' "${rss[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
  printf '| %s | %s | %.1f |\n' "$name" "$mt" "$(echo "$mr / 1024" | bc -l)"
}

{
  echo
  echo "## ml-import ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo
  echo "Command: \`bench/import.sh $build $runs\` (median of $runs runs; page cache warm after the first)."
  echo
  echo "| input | seconds | peak RSS (MiB) |"
  echo "|---|---|---|"
  measure "SmolLM2-135M Q4_1 GGUF (98 MB) -> f32 store (538 MB)" \
    "$build/bin/ml-import" "$gguf" -o "$work/smollm2.mlir"
  measure "Llama-3-8B-shaped HF dir, random bf16 (16.1 GB, 4 shards)" \
    "$build/bin/ml-import" "$work/llama3-8b" -o "$work/llama3-8b.mlir"
  measure "tiny-llama HF fixture (0.2 MB), baseline" \
    "$build/bin/ml-import" test/Inputs/tiny/tiny-llama -o "$work/tiny.mlir"
} | tee -a bench/RESULTS.md
