#!/usr/bin/env bash
# Builds the stub mamba_ssm package the kernel benchmarks import
# (ssd_bench.py: mamba_chunk_scan_combined; ssm_step_bench.py:
# selective_state_update) from a git directory of state-spaces/mamba,
# without the package's __init__.py, which pulls selective_scan_interface,
# Mamba3 and transformers (reference/perf_anchors.md 1.5).
#
#   bench/kernels/mamba_ssm_stub.sh GITDIR OUTDIR [REV]
#
# GITDIR is a (bare) git directory of state-spaces/mamba, e.g.
# /work/.mirror/state-spaces+mamba/repo; REV defaults to HEAD (the anchors
# were measured at e9594ce). OUTDIR (e.g. .cache/mamba_ssm_stub, which git
# ignores) is replaced; it receives mamba_ssm/ with the Triton files
# extracted by `git show` and empty __init__.py files, so
# `sys.path.insert(0, OUTDIR)` makes them importable. Upstream code: keep
# OUTDIR out of commits.
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 GITDIR OUTDIR [REV]" >&2
  exit 2
fi
gitdir=$1 out=$2 rev=${3:-HEAD}
files=(
  # mamba_chunk_scan_combined (SSD prefill)
  ops/triton/ssd_combined.py
  ops/triton/ssd_bmm.py
  ops/triton/ssd_chunk_scan.py
  ops/triton/ssd_chunk_state.py
  ops/triton/ssd_state_passing.py
  ops/triton/layernorm_gated.py
  ops/triton/k_activations.py
  ops/triton/softplus.py
  utils/torch.py
  utils/determinism.py
  # selective_state_update (decode step; also needs softplus.py)
  ops/triton/selective_state_update.py
)
# Empty: the package's own (the stub) and the subpackages' (empty upstream).
inits=(__init__.py ops/__init__.py ops/triton/__init__.py utils/__init__.py)

commit=$(git --git-dir="$gitdir" rev-parse --verify "$rev^{commit}")
rm -rf "$out"
for f in "${files[@]}"; do
  mkdir -p "$(dirname "$out/mamba_ssm/$f")"
  git --git-dir="$gitdir" show "$commit:mamba_ssm/$f" >"$out/mamba_ssm/$f"
done
for f in "${inits[@]}"; do
  mkdir -p "$(dirname "$out/mamba_ssm/$f")"
  : >"$out/mamba_ssm/$f"
done
echo "$commit" >"$out/COMMIT"
echo "mamba_ssm stub at $out: ${#files[@]} files + ${#inits[@]} empty __init__.py from ${commit:0:7}"
