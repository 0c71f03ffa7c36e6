#!/usr/bin/env bash
# Builds a libFuzzer target of the runtime's parsers with clang (ASan + UBSan)
# and runs it for a bounded time on a seed corpus of the test fixtures.
#
#   scripts/fuzz.sh TARGET SECONDS [BUILD_DIR]
#
# TARGET: json | safetensors | gguf | tokenizer | artifact (the artifact seeds
# are compiled from the fixtures with BUILD_DIR's ml-import and ml-compile).
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1 seconds=$2 root=$(cd "${3:-build}" && pwd) build=${3:-build}/fuzz
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
  artifact) main=runtime/fuzz/ArtifactFuzzer.cpp
        mkdir -p "$build/seeds"
        for m in tiny-mistral tiny-hybrid-mamba2; do
          "$root/bin/ml-import" "test/Inputs/tiny/$m" -o "$build/seeds/$m.mlir" 2> /dev/null
          "$root/bin/ml-compile" "$build/seeds/$m.mlir" -o "$build/seeds/$m.mlart" 2> /dev/null
        done
        seeds="$build/seeds/*.mlart"
        export MLRT_FUZZ_ARTIFACT_DIR="$build/seeds" ;;
  *) echo "fuzz.sh: unknown target '$target' (json, safetensors, gguf, tokenizer, artifact)" >&2; exit 2 ;;
esac
bin=$build/$target-fuzzer
# The readers and the tokenizer; not the session and its backends.
srcs=$(ls runtime/src/*.cpp runtime/src/tokenizer/*.cpp | grep -v -e '/Session.cpp$' -e '/CpuBackend.cpp$')
if [ ! -x "$bin" ] || [ -n "$(find runtime/src runtime/include runtime/fuzz runtime/schemas -newer "$bin" -print -quit)" ]; then
  "$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Iruntime/include -Iruntime/src -I"$root/runtime/include" $srcs "$main" -o "$bin"
fi
for s in $seeds; do cp -f "$s" "$build/corpus-$target/"; done
"$bin" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/$target-" \
  "$build/corpus-$target" 2>&1 | tail -n 12
