# Sourced by the CPU bench scripts (convert.sh, cpu_run.sh, import.sh) with
# their arguments [BUILD_DIR] [RUNS]: runs from the repository root with
# `build`, `runs`, a work folder ($BENCH_DIR, default /tmp/mlopt-bench),
# SmolLM2's GGUF in `gguf` and `median` (of the numbers on stdin, over runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build} runs=${2:-3}
work=${BENCH_DIR:-/tmp/mlopt-bench}
mkdir -p "$work"
gguf=$(scripts/fetch_smollm2.sh)
median() { sort -g | sed -n "$(( (runs + 1) / 2 ))p"; }
