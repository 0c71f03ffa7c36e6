#!/usr/bin/env python3
"""The peer baseline of bench/gpu_e2e.sh: Hugging Face transformers
`generate` (bf16, SDPA attention, greedy, KV cache) on a Llama-3-8B-shaped
model with random weights, batch 1, 64 new tokens after prompts of each
context length. Prints a markdown table.

    hf_generate_bench.py [--contexts 2048 8192] [--new-tokens 64]
"""
import argparse
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", type=int, nargs="+", default=[2048, 8192])
    ap.add_argument("--new-tokens", type=int, default=64)
    args = ap.parse_args()
    config = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                         num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                         head_dim=128, max_position_embeddings=131072, rope_theta=500000.0,
                         tie_word_embeddings=False)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16).eval()
    model.config._attn_implementation = "sdpa"
    print(f"transformers {__import__('transformers').__version__}, torch {torch.__version__}")
    print("| model | context | prompt tokens/s | decode tokens/s |")
    print("|---|---|---|---|")
    for ctx in args.contexts:
        ids = torch.tensor([[(i * 7919) % 128000 for i in range(ctx)]], device="cuda")
        with torch.no_grad():
            model.generate(ids[:, :128], max_new_tokens=4, do_sample=False)  # warm-up
            torch.cuda.synchronize()
            t0 = time.time()
            model(ids)
            torch.cuda.synchronize()
            t1 = time.time()
            out = model.generate(ids, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                                 do_sample=False)
            torch.cuda.synchronize()
            t2 = time.time()
        prefill = t1 - t0
        decode = (t2 - t1) - prefill  # generate re-runs the prefill first
        n = out.shape[1] - ctx
        print(f"| HF transformers (bf16, sdpa) | {ctx} | {ctx / prefill:.0f} | {(n - 1) / decode:.1f} |")


if __name__ == "__main__":
    main()
