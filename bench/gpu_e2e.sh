#!/usr/bin/env bash
# End-to-end batch-1 generation on the GPU machine (issue 7, item 4):
# Llama-3-8B-shaped models with random weights (the Transformer and 50% /
# 25%-attention Mamba-2 hybrids) after prompts of each context length, 64
# decoded tokens, our CUDA backend. Run bench/prepare_gpu_e2e.sh here first
# and carry .cache/gpu-e2e/{models,manifest.json} and build/bin/ml-run.
# Prints a markdown table; the weight-streaming roofline uses this run's
# device copy bandwidth when torch is there (else 4.3 TB/s).
#
#   bench/gpu_e2e.sh BIN_DIR "2048 8192"
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 contexts=${2:-"2048 8192"}
PY=python3; $PY -c "import numpy" 2>/dev/null || PY=/opt/torch/.venv/bin/python
$PY scripts/gpu/store_manifest.py regenerate .cache/gpu-e2e/manifest.json
bw=$($PY - <<'PY' 2>/dev/null || echo 4.3e12
import torch
x = torch.empty(2 << 30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
for _ in range(3): y.copy_(x)
torch.cuda.synchronize(); s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
s.record()
for _ in range(10): y.copy_(x)
e.record(); torch.cuda.synchronize()
print(2 * 10 * x.numel() / (s.elapsed_time(e) / 1e3))
PY
)
echo "copy bandwidth: $(awk -v b="$bw" 'BEGIN { printf "%.2f TB/s", b / 1e12 }')"
echo
echo "| model | context | prompt tokens/s | decode tokens/s | device weights (GB) | roofline tokens/s (f32 weights / bf16) | % of f32 roofline |"
echo "|---|---|---|---|---|---|---|"
for m in llama3-8b hybrid-50 hybrid-25; do
  for ctx in $contexts; do
    ids=$($PY -c "print(','.join(str((i * 7919) % 128000) for i in range($ctx)))")
    report=$("$bin/ml-run" ".cache/gpu-e2e/models/$m.mlart" --device cuda --tokens "$ids" -n 65 \
      --ignore-eos --print-ids --ctx $((ctx + 128)) --prefill-chunk 2048 2>&1 >/dev/null)
    p=$(echo "$report" | sed -n 's/.*prompt: .*= *\([0-9.]*\) tokens\/s/\1/p')
    d=$(echo "$report" | sed -n 's/.*decode: .*= *\([0-9.]*\) tokens\/s/\1/p')
    # Bytes streamed per token: every weight but the embedding table (one row).
    wb=$("$bin/ml-dump" ".cache/gpu-e2e/models/$m.mlart" --weights | awk '
      /^weight / { split($5, s, "x"); n = 1; for (i in s) n *= s[i]; if ($3 !~ /embed_tokens/) t += n }
      END { printf "%.0f", t }')
    awk -v p="$p" -v d="$d" -v n="$wb" -v bw="$bw" -v m="$m" -v c="$ctx" 'BEGIN {
      f32 = bw / (4 * n); bf16 = bw / (2 * n)
      printf "| %s | %d | %s | %s | %.1f | %.0f / %.0f | %.0f%% |\n", m, c, p, d, 4 * n / 1e9, f32, bf16, 100 * d / f32 }'
  done
done
