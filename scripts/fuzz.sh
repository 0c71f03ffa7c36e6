#!/usr/bin/env bash
# Builds a libFuzzer target of the runtime's parsers with clang (ASan + UBSan)
# and runs it for a bounded time on a seed corpus of the test fixtures.
#
#   scripts/fuzz.sh TARGET SECONDS [BUILD_DIR]  TARGET: json | safetensors | gguf | tokenizer
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1 seconds=$2 build=${3:-build}/fuzz
cxx=$(command -v clang++-14 || command -v clang++)
mkdir -p "$build/corpus-$target"
case $target in
  json) main=runtime/fuzz/JsonFuzzer.cpp
        seeds="test/Inputs/tiny/*/config.json test/Inputs/tiny/tiny-llama-sharded/model.safetensors.index.json" ;;
  safetensors) main=runtime/fuzz/SafetensorsFuzzer.cpp
        seeds="runtime/tests/Inputs/safetensors/*.safetensors test/Inputs/tiny/tiny-llama-sharded/model-00002-of-00007.safetensors" ;;
  gguf) main=runtime/fuzz/GgufFuzzer.cpp
        seeds="runtime/tests/Inputs/gguf/blocks.gguf test/Inputs/gguf/tiny-llama.gguf" ;;
  tokenizer) main=runtime/fuzz/TokenizerFuzzer.cpp
        seeds="runtime/tests/Inputs/tokenizer/byte-fallback-tokenizer.json runtime/tests/Inputs/tokenizer/llama3-like-tokenizer.json" ;;
  *) echo "fuzz.sh: unknown target '$target' (json, safetensors, gguf, tokenizer)" >&2; exit 2 ;;
esac
bin=$build/$target-fuzzer
srcs="runtime/src/*.cpp runtime/src/tokenizer/*.cpp"
if [ ! -x "$bin" ] || [ -n "$(find runtime/src runtime/include runtime/fuzz -newer "$bin" -print -quit)" ]; then
  "$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Iruntime/include -Iruntime/src $srcs "$main" -o "$bin"
fi
for s in $seeds; do cp -f "$s" "$build/corpus-$target/"; done
"$bin" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 -print_final_stats=1 \
  "$build/corpus-$target" 2>&1 | tail -n 12
