#!/usr/bin/env python3
"""Our generated attention kernels against PyTorch SDPA on one GPU.

    attention_bench.py --ptx kernels.ptx --artifact model.mlart --ml-dump build/bin/ml-dump
                       [--kv-cache f32|bf16] [--prefix attention_h32_q4096_kv1024_win0]

The PTX and artifact come from ml-compile --target=cuda (--emit=ptx for the
PTX) of a model at Llama-3-8B attention shapes (32 heads, 8 KV heads, head
dim 128; with --kv-cache=bf16 for the bf16-cache kernels). Decode: one
query at KV lengths 4K/32K/128K (our split-KV kernel and its merge, f32 math
over an f32 or bf16 cache) against torch SDPA with GQA in f32 and bf16;
prefill: 2K/8K/32K causal tokens from position 0 (our tiled f32 kernel over an f32
cache; over a bf16 cache, the tensor-core kernel the PTX holds: wgmma for
--gpu-chip=sm_90a, the default, mma.sync for sm_90; q and P split hi + lo, or
with --bf16-inputs rounded to bf16, as --prefill-precision=bf16 compiles it).
With a bf16 cache our results are checked against f32 SDPA over the same
bf16-rounded K and V.
Medians of CUDA-event timings in one process (decode: replays of a CUDA
graph of 20 calls, so host launch costs are not counted); decode also as a fraction of
this run's device copy bandwidth (bytes of K and V read once). Each of our
results is checked against f32 SDPA.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptxlaunch  # noqa: E402

HEADS, KV_HEADS, DIM = 32, 8, 128


def sdpa(q, k, v, causal):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)


# Beyond this many prefill tokens f32 SDPA runs out of memory.
F32_SDPA_TOKENS = 8192
CHECK_ROWS = 256


def causal_tail(tq, tk, tv):
    """f32 attention of the last CHECK_ROWS queries over all keys (the last
    query sees every key), as [rows, heads * dim]."""
    tokens = tq.shape[2]
    q = tq[:, :, -CHECK_ROWS:]
    rows = torch.arange(tokens - CHECK_ROWS, tokens, device=tq.device)
    mask = torch.arange(tokens, device=tq.device)[None, :] <= rows[:, None]
    out = F.scaled_dot_product_attention(q, tk, tv, attn_mask=mask, enable_gqa=True)
    return out.transpose(1, 2).reshape(CHECK_ROWS, -1)


def main():
    p = argparse.ArgumentParser()
    ptxlaunch.add_kernel_arguments(p)
    p.add_argument("--kv-cache", choices=("f32", "bf16"), default="f32")
    p.add_argument("--prefix", default=None,
                   help="kernel name prefix (default: attention_h32_q4096_kv1024_win0, "
                        "+ _kvbf16 with --kv-cache=bf16)")
    p.add_argument("--decode", default="4096,32768,131072")
    p.add_argument("--prefill", default="2048,8192,32768")
    p.add_argument("--bf16-inputs", action="store_true",
                   help="time the prefill kernel of --prefill-precision=bf16 "
                        "(q and P in bf16; its reference rounds q too)")
    args = p.parse_args()
    bf16_cache = args.kv_cache == "bf16"
    if args.prefix is None:
        args.prefix = "attention_h32_q4096_kv1024_win0" + ("_kvbf16" if bf16_cache else "")
    element = 2 if bf16_cache else 4
    specs = ptxlaunch.launch_specs(args.ml_dump, args.artifact)
    module = ptxlaunch.Module(open(args.ptx).read())

    def kernel(name):
        grid, per_token, block, shared = specs[name]
        return module.kernel(name, shared), grid, per_token, block

    # With RoPE fused into the append (kern-fuse-rope-attention) the decode
    # kernels carry a _rope infix.
    decode_name = args.prefix + "_decode"
    if decode_name not in specs:
        decode_name = args.prefix + "_rope_decode"
    decode, decode_grid, _, decode_block = kernel(decode_name)
    merge, merge_grid, _, merge_block = kernel(decode_name + "_merge")
    prefill, prefill_grid, _, prefill_block = kernel(
        args.prefix + ("_bf16in" if args.bf16_inputs else ""))
    bandwidth = ptxlaunch.copy_bandwidth()
    print(f"{ptxlaunch.provenance(args.commit)}, "
          f"copy bandwidth {bandwidth / 1e12:.2f} TB/s")
    kv_width, q_width = KV_HEADS * DIM, HEADS * DIM
    capacity = max(int(n) for n in (args.decode + "," + args.prefill).split(","))
    torch.manual_seed(0)
    k_cache = torch.randn(capacity, kv_width, device="cuda")
    v_cache = torch.randn(capacity, kv_width, device="cuda")
    if bf16_cache:  # what our kernels read; the f32 references see the same values
        k_cache, v_cache = k_cache.bfloat16(), v_cache.bfloat16()
    workspace = torch.empty(HEADS * 64 * (DIM + 2), device="cuda")
    unused = torch.empty(1, device="cuda")  # the step's k and v rows

    def positions(first):  # the sequence's position (GpuKernel.positions)
        return torch.tensor([first], dtype=torch.int64, device="cuda")

    print(f"\n| decode, KV length | ours, {args.kv_cache} cache (us) | SDPA f32 (us) | SDPA bf16 (us) | "
          "ours / SDPA f32 | ours / SDPA bf16 | ours: % of copy bandwidth | "
          "SDPA bf16: % | max abs diff vs f32 SDPA |")
    print("|---|---|---|---|---|---|---|---|---|")
    for length in (int(n) for n in args.decode.split(",")):
        q = torch.randn(q_width, device="cuda")
        out = torch.empty(q_width, device="cuda")
        at = positions(length - 1)

        def ours():
            a = [q, unused, unused, out, k_cache, v_cache, workspace, at, 1, length - 1]
            decode(decode_grid, decode_block, a)
            merge(merge_grid, merge_block, a)

        tq = q.view(1, HEADS, 1, DIM)
        tk = k_cache[:length].float().view(1, length, KV_HEADS, DIM).transpose(1, 2).contiguous()
        tv = v_cache[:length].float().view(1, length, KV_HEADS, DIM).transpose(1, 2).contiguous()
        bq, bk, bv = tq.bfloat16(), tk.bfloat16(), tv.bfloat16()
        t_ours = ptxlaunch.time_ms(ours, 21, graph_calls=20)
        t_f32 = ptxlaunch.time_ms(lambda: sdpa(tq, tk, tv, False), 21, graph_calls=20)
        t_bf16 = ptxlaunch.time_ms(lambda: sdpa(bq, bk, bv, False), 21, graph_calls=20)
        ours()
        diff = (out.view(HEADS, DIM) - sdpa(tq, tk, tv, False).view(HEADS, DIM)).abs().max().item()
        kv_bytes = 2 * length * kv_width  # elements of K and V
        print(f"| {length} | {t_ours * 1e3:.1f} | {t_f32 * 1e3:.1f} | {t_bf16 * 1e3:.1f} | "
              f"{t_ours / t_f32:.2f} | {t_ours / t_bf16:.2f} | "
              f"{100 * kv_bytes * element / (t_ours / 1e3) / bandwidth:.0f}% | "
              f"{100 * kv_bytes * 2 / (t_bf16 / 1e3) / bandwidth:.0f}% | {diff:.2e} |")
        del tk, tv, bk, bv

    print(f"\n| prefill, tokens | ours, {args.kv_cache} cache (ms) | SDPA f32 (ms) | SDPA bf16 (ms) | "
          "ours / SDPA f32 | ours / SDPA bf16 | ours TFLOP/s | max abs diff vs f32 SDPA |")
    print("|---|---|---|---|---|---|---|---|")
    for tokens in (int(n) for n in args.prefill.split(",")):
        q = torch.randn(tokens, q_width, device="cuda")
        out = torch.empty(tokens, q_width, device="cuda")

        def ours():
            prefill(prefill_grid * tokens, prefill_block,
                    [q, unused, unused, out, k_cache, v_cache, workspace, positions(0),
                     tokens, 0])

        tq = q.view(1, tokens, HEADS, DIM).transpose(1, 2).contiguous()
        if args.bf16_inputs:  # the reference sees the q our kernel reads
            tq = tq.bfloat16().float()
        tk = k_cache[:tokens].float().view(1, tokens, KV_HEADS, DIM).transpose(1, 2).contiguous()
        tv = v_cache[:tokens].float().view(1, tokens, KV_HEADS, DIM).transpose(1, 2).contiguous()
        bq, bk, bv = tq.bfloat16(), tk.bfloat16(), tv.bfloat16()
        t_ours = ptxlaunch.time_ms(ours, 5)
        t_bf16 = ptxlaunch.time_ms(lambda: sdpa(bq, bk, bv, True), 5)
        ours()
        if tokens <= F32_SDPA_TOKENS:
            t_f32 = ptxlaunch.time_ms(lambda: sdpa(tq, tk, tv, True), 5)
            ref = sdpa(tq, tk, tv, True).transpose(1, 2).reshape(tokens, q_width)
            diff = (out - ref).abs().max().item()
        else:
            # f32 SDPA would materialise the whole score matrix: time only
            # bf16 SDPA, and check the last rows (they see every key).
            t_f32 = float("nan")
            diff = (out[-CHECK_ROWS:] - causal_tail(tq, tk, tv)).abs().max().item()
        flops = 4 * HEADS * DIM * tokens * tokens / 2  # causal: half of QK^T and PV
        print(f"| {tokens} | {t_ours:.2f} | {t_f32:.2f} | {t_bf16:.2f} | "
              f"{t_ours / t_f32:.2f} | {t_ours / t_bf16:.2f} | "
              f"{flops / (t_ours / 1e3) / 1e12:.1f} | {diff:.2e} |")
        del tq, tk, tv, bq, bk, bv

if __name__ == "__main__":
    main()
