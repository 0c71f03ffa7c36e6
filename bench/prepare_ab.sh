#!/usr/bin/env bash
# Prepares bench/gpu_ab.sh: one device call that sets a change against its
# baseline in the same run. NEW_BIN and BASE_BIN hold the two builds'
# ml-import, ml-opt, ml-compile, ml-dump, ml-run and mlrt-cuda-tests (e.g.
# build/bin now, and a copy of build/bin made before the change); they are
# copied to .cache/ab/{new,base}/bin. Both compile the end-to-end models
# (bench/prepare_gpu_e2e.sh into .cache/ab/e2e-{new,base}); the change's
# build compiles the GPU suite's artifacts (scripts/gpu/prepare_cuda_check.sh
# and prepare_8b_check.sh), of which the tiny ones are copied to
# .cache/ab/check (SmolLM2's need its store's parts first: run_gpu_suite.sh).
# Then carry .cache/ab and .cache/gpu-8b.
#
#   bench/prepare_ab.sh NEW_BIN BASE_BIN
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: $0 NEW_BIN BASE_BIN" >&2
  exit 2
fi
tools=(ml-import ml-opt ml-compile ml-dump ml-run mlrt-cuda-tests)
for from in "$1" "$2"; do
  for t in "${tools[@]}"; do
    [ -x "$from/$t" ] || { echo "$0: $from/$t: expected an executable" >&2; exit 1; }
  done
done
rm -rf .cache/ab && mkdir -p .cache/ab/new/bin .cache/ab/base/bin
for t in "${tools[@]}"; do
  cp "$1/$t" .cache/ab/new/bin/
  cp "$2/$t" .cache/ab/base/bin/
done
for side in new base; do
  E2E_OUT=.cache/ab/e2e-$side bench/prepare_gpu_e2e.sh .cache/ab/$side > /dev/null
  # The manifest regenerates the checkpoint there; its sparse copy here
  # would count at its apparent size.
  rm -rf .cache/ab/e2e-$side/llama3-8b
done
scripts/gpu/prepare_cuda_check.sh .cache/ab/new > /dev/null
scripts/gpu/prepare_8b_check.sh .cache/ab/new > /dev/null
rm -rf .cache/gpu-8b/llama3-8b-layers # regenerated there from its manifest
mkdir -p .cache/ab/check
cp -r .cache/gpu-check/models/tiny-* .cache/gpu-check/models/tolerances.txt .cache/ab/check/
du -sh .cache/ab .cache/gpu-8b
