#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds with (LLVM/MLIR 22,
# FlatBuffers, GoogleTest, ninja, lld) and configures and builds it with ninja.
#
#   scripts/setup.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

packages=(cmake ninja-build lld g++ python3 python3-numpy xz-utils
          llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
          libflatbuffers-dev flatbuffers-compiler libgtest-dev
          clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's python3 (with the python3-numpy above), not whichever python3 comes
# first on PATH: lit and the test scripts run under it.
cmake -G Ninja -S . -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_USE_LINKER=lld \
  -DPython3_EXECUTABLE=/usr/bin/python3
cmake --build "$build_dir"

# The real model for the tests that need it (skipped, visibly, without it).
scripts/fetch_smollm2.sh > /dev/null ||
  echo "setup: could not fetch SmolLM2-135M-Instruct; tests that need it are skipped" >&2
