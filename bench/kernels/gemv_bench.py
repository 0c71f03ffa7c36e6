#!/usr/bin/env python3
"""Decode projections: our generated GEMV kernels against torch, at
Llama-3-8B layer shapes, batch 1 (issue 7; the weight reads are what decode
streams).

    gemv_bench.py KERNELS.ptx [--reps 20] [--rows-per-warp 1|2]

KERNELS.ptx comes from `ml-compile model.mlir --target=cuda --emit=ptx` of
a bf16 Llama-3-8B-shaped model (bench/prepare_gpu_e2e.sh makes one). For
each decode projection of the compiled plan (q|k|v as one GEMV with three
outputs, gate|up with the SwiGLU, o, down, the LM head) it times our
generated kernel (f32 activations and sums, bf16 weights) and torch's bf16
`x @ W^T` over the same matrices stacked (all bf16, what HF runs, in one
matmul), both replayed from CUDA graphs so launch costs drop out, and
prints the weight bytes per second against this run's copy bandwidth.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptxlaunch  # noqa: E402

# name, kernel, rows of each matrix (one output each), cols. "linear_swiglu"
# reads gate and up and writes silu(gate x) * (up x).
PROJECTIONS = [
    ("q|k|v (kern-fuse-projections)", "linear", [4096, 1024, 1024], 4096),
    ("o_proj", "linear", [4096], 4096),
    ("gate|up + SwiGLU (kern-fuse-linear-swiglu)", "linear_swiglu", [14336, 14336], 4096),
    ("down_proj", "linear", [4096], 14336),
    ("lm_head", "lm_head", [128256], 4096),
]
WARPS = 8  # warps per block (lib/Codegen/MatrixKernels.cpp, kGemvWarps)


def kernel_name(kind, rows, cols):
    """The GEMV's name as Kernels.cpp keys it (matrixKernelKey)."""
    if kind == "linear_swiglu":
        return f"linear_swiglu_gemv_bf16_{rows[0]}x{cols}_in{cols}_out{rows[0]}_a16"
    sizes = "_".join(str(r) for r in rows)
    return f"{kind}_gemv_bf16_{sizes}x{cols}_in{cols}_out{sizes}_a16"


def rows_per_warp(kind, rows, override=None):
    """MatrixKernels.cpp rowsPerWarp: 2 for one-matrix rows, all even
    (--rows-per-warp 1 times PTX built before that)."""
    if kind == "linear_swiglu" or any(r % 2 for r in rows):
        return 1
    return override or 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commit",
                    help="the project commit to print (default: git rev-parse; "
                    "the GPU machine has no git)")
    ap.add_argument("ptx")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--rows-per-warp", type=int, default=None,
                    help="rows a warp of the one-matrix GEMVs computes in this PTX (default 2)")
    args = ap.parse_args()
    module = ptxlaunch.Module(open(args.ptx).read())
    bw = ptxlaunch.copy_bandwidth()
    print(f"{ptxlaunch.provenance(args.commit)}, copy bandwidth {bw / 1e12:.2f} TB/s")
    print("| projection | rows x cols | ours (us) | ours GB/s | % of copy | torch bf16 (us) | torch GB/s | ours vs torch |")
    print("|---|---|---|---|---|---|---|---|")
    torch.manual_seed(0)
    for name, kind, rows, cols in PROJECTIONS:
        kernel = module.kernel(kernel_name(kind, rows, cols))
        ws = [(torch.randn(r, cols, device="cuda") * 0.02).to(torch.bfloat16) for r in rows]
        x = torch.randn(cols, device="cuda")
        if kind == "linear_swiglu":
            outs = [torch.empty(rows[0], device="cuda")]
            operands = [x, outs[0]] + ws
        else:
            outs = [torch.empty(r, device="cuda") for r in rows]
            operands = [x] + outs + ws if kind == "linear" else [x] + ws + outs
        per_block = WARPS * rows_per_warp(kind, rows, args.rows_per_warp)
        grid = (rows[0] if kind == "linear_swiglu" else sum(rows)) + per_block - 1
        grid //= per_block

        def ours():
            kernel(grid=grid, block=32 * WARPS, args=operands + [1, 0])
        ours()
        if kind == "linear_swiglu":
            refs = [torch.nn.functional.silu(ws[0].float() @ x) * (ws[1].float() @ x)]
        else:
            refs = [w.float() @ x for w in ws]
        for out, ref in zip(outs, refs):
            err = ((out - ref).abs().max() / ref.abs().max()).item()
            if err > 1e-5:
                raise SystemExit(f"{name}: relative error {err:.2e} against torch fp32")
        # torch: one bf16 matmul over the stacked matrices (its best case;
        # HF runs one per projection), then SiLU and the product for SwiGLU.
        xb = x.to(torch.bfloat16).unsqueeze(0)
        stacked = torch.cat(ws)
        if kind == "linear_swiglu":
            def peer():
                gu = xb @ stacked.t()
                return torch.nn.functional.silu(gu[:, :rows[0]]) * gu[:, rows[0]:]
        else:
            def peer():
                return xb @ stacked.t()
        t_ours = ptxlaunch.time_ms(ours, args.reps, graph_calls=20)
        t_torch = ptxlaunch.time_ms(peer, args.reps, graph_calls=20)
        nbytes = sum(rows) * cols * 2
        shape = " + ".join(str(r) for r in rows) + f" x {cols}"
        print(f"| {name} | {shape} | {t_ours * 1e3:.1f} | {nbytes / t_ours / 1e6:.0f} | "
              f"{100 * nbytes / (t_ours / 1e3) / bw:.0f}% | {t_torch * 1e3:.1f} | "
              f"{nbytes / t_torch / 1e6:.0f} | {t_torch / t_ours:.2f}x |")


if __name__ == "__main__":
    main()
