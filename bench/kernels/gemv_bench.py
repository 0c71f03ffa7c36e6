#!/usr/bin/env python3
"""Decode projections: our generated GEMV kernels against torch, at
Llama-3-8B layer shapes, batch 1 (issue 7; the weight reads are what decode
streams).

    gemv_bench.py KERNELS.ptx [--reps 20]

KERNELS.ptx comes from `ml-compile model.mlir --target=cuda --emit=ptx` of
a bf16 Llama-3-8B-shaped model (bench/prepare_gpu_e2e.sh makes one). For
each projection shape it times our `linear_gemv_bf16_*` kernel (f32
activations and sums, bf16 weights) and torch's bf16 `x @ W^T` (all bf16,
what HF runs), both replayed from CUDA graphs so launch costs drop out, and
prints the weight bytes per second against this run's copy bandwidth.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptxlaunch  # noqa: E402

SHAPES = [  # name, rows, cols
    ("q_proj / o_proj", 4096, 4096),
    ("k_proj / v_proj", 1024, 4096),
    ("gate_proj / up_proj", 14336, 4096),
    ("down_proj", 4096, 14336),
    ("lm_head", 128256, 4096),
]
WARPS = 8  # rows per block (lib/Codegen/MatrixKernels.cpp, kGemvWarps)


def copy_bandwidth():
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    ms = ptxlaunch.time_ms(lambda: y.copy_(x), reps=10)
    return 2 * x.numel() / (ms / 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ptx")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    module = ptxlaunch.Module(open(args.ptx).read())
    bw = copy_bandwidth()
    print(f"{torch.cuda.get_device_name()}, copy bandwidth {bw / 1e12:.2f} TB/s")
    print("| projection | rows x cols | ours (us) | ours GB/s | % of copy | torch bf16 (us) | torch GB/s | ours vs torch |")
    print("|---|---|---|---|---|---|---|---|")
    torch.manual_seed(0)
    for name, rows, cols in SHAPES:
        kname = "lm_head" if name == "lm_head" else "linear"
        kname += f"_gemv_bf16_{rows}x{cols}_in{cols}_out{rows}_a16"
        kernel = module.kernel(kname)
        w = (torch.randn(rows, cols, device="cuda") * 0.02).to(torch.bfloat16)
        x = torch.randn(cols, device="cuda")
        out = torch.empty(rows, device="cuda")
        operands = [x, out, w] if kname.startswith("linear") else [x, w, out]
        grid = (rows + WARPS - 1) // WARPS

        def ours():
            kernel(grid=grid, block=32 * WARPS, args=operands + [1, 0])
        ours()
        ref = w.float() @ x
        err = ((out - ref).abs().max() / ref.abs().max()).item()
        if err > 1e-5:
            raise SystemExit(f"{kname}: relative error {err:.2e} against torch fp32")
        xb = x.to(torch.bfloat16).unsqueeze(0)
        t_ours = ptxlaunch.time_ms(ours, args.reps, graph_calls=20)
        t_torch = ptxlaunch.time_ms(lambda: xb @ w.t(), args.reps, graph_calls=20)
        nbytes = rows * cols * 2
        print(f"| {name} | {rows} x {cols} | {t_ours * 1e3:.1f} | {nbytes / t_ours / 1e6:.0f} | "
              f"{100 * nbytes / (t_ours / 1e3) / bw:.0f}% | {t_torch * 1e3:.1f} | "
              f"{nbytes / t_torch / 1e6:.0f} | {t_torch / t_ours:.2f}x |")


if __name__ == "__main__":
    main()
