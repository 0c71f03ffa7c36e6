#!/usr/bin/env bash
# End-to-end generation on the GPU machine (issue 7, item 4): Llama-3-8B-
# shaped models with random weights (the Transformer and 50% / 25%-attention
# Mamba-2 hybrids) after prompts of each context length, 64 decoded tokens
# per sequence, our CUDA backend, batches of $BATCHES sequences (default 1). Run bench/prepare_gpu_e2e.sh here first
# and carry .cache/gpu-e2e/{models,manifest.json} (or a copy with its
# manifest's paths rewritten, named by $E2E: never the sparse checkpoint,
# whose apparent size counts) and build/bin.
# Prints a markdown table; the weight-streaming roofline uses this run's
# device copy bandwidth when torch is there (else 4.3 TB/s).
#
#   [BATCHES="1 16 64"] [RUNS=3] [COMMIT=SHA] bench/gpu_e2e.sh BIN_DIR "2048 8192"
#
# Each row is the median of $RUNS runs (prompt and decode tokens/s apart).
#
# The first line names the date, the GPU and driver, and the commit ($COMMIT,
# else git's HEAD: the GPU machine has no git).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 contexts=${2:-"2048 8192"} e2e=${E2E:-.cache/gpu-e2e} runs=${RUNS:-3}
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
PY=python3; $PY -c "import numpy" 2>/dev/null || PY=/opt/torch/.venv/bin/python
$PY scripts/gpu/store_manifest.py regenerate $e2e/manifest.json
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
commit=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo 'no nvidia-smi'), commit $commit, BATCHES=\"${BATCHES:-1}\" RUNS=$runs bench/gpu_e2e.sh $bin \"$contexts\""
echo "copy bandwidth: $(awk -v b="$bw" 'BEGIN { printf "%.2f TB/s", b / 1e12 }')"
echo
echo "| model | context | batch | prompt tokens/s | decode tokens/s (all sequences) | weights streamed (GB) | KV + SSM state per step (GB) | roofline tokens/s (weights / weights+KV+state) | % of weight roofline | % of weights+KV+state roofline |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for m in llama3-8b hybrid-50 hybrid-25; do
  for ctx in $contexts; do
    # From a file: 32K ids overflow one command-line argument.
    $PY -c "print(','.join(str((i * 7919) % 128000) for i in range($ctx)))" > /tmp/e2e-ids.txt
    for batch in ${BATCHES:-1}; do
    # The prompt runs once and is copied to every sequence of the batch,
    # which then decode together (ml-run --batch). Medians of $runs runs.
    prompts="" decodes=""
    for ((r = 0; r < runs; r++)); do
      report=$("$bin/ml-run" "$e2e/models/$m.mlart" --device cuda --tokens-file /tmp/e2e-ids.txt -n 65 \
        --ignore-eos --print-ids --ctx $((ctx + 128)) --prefill-chunk 2048 --batch $batch 2>&1 >/dev/null) || {
        echo "| $m | $ctx | $batch | error: $(echo "$report" | tail -1) |"; continue 2; }
      prompts+="$(echo "$report" | sed -n 's/.*prompt: .*= *\([0-9.]*\) tokens\/s/\1/p') "
      decodes+="$(echo "$report" | sed -n 's/.*decode: .*= *\([0-9.]*\) tokens\/s.*/\1/p') "
    done
    p=$(median $prompts) d=$(median $decodes)
    # Bytes streamed per step: every weight but the embedding table (one
    # row a sequence), matrices in their device type (bf16 when stored
    # bf16: ml-compile --gpu-weights=auto), vectors in f32; plus, for each
    # sequence, its KV cache at this context in its type (ml-compile
    # --kv-cache) and its SSM and conv states read and written.
    "$bin/ml-dump" "$e2e/models/$m.mlart" --plan --weights | awk -v p="$p" -v d="$d" -v bw="$bw" -v m="$m" -v c="$ctx" -v b="$batch" '
      /^memory:/ { for (i = 1; i <= NF; i++) { if ($i == "cache") kvt = $(i + 1) * 1024; if ($i == "state") st = $(i + 1) * 1024 } }
      /^weight / { split($5, s, "x"); n = 1; k = 0; for (i in s) { n *= s[i]; k++ }
                   if ($3 !~ /embed_tokens/) t += n * ((k == 2 && $4 == "BF16") ? 2 : 4) }
      END { per = b * (kvt * c + 2 * st)
            printf "| %s | %d | %d | %s | %s | %.1f | %.2f | %.0f / %.0f | %.0f%% | %.0f%% |\n", m, c, b, p, d, t / 1e9, per / 1e9, b * bw / t, b * bw / (t + per), 100 * d * t / (b * bw), 100 * d * (t + per) / (b * bw) }'
    done
  done
done
