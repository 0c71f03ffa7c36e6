#!/usr/bin/env python3
"""Decode projections: our generated GEMV kernels against torch, at
Llama-3-8B layer shapes, batch 1 (issue 7; the weight reads are what decode
streams).

    gemv_bench.py --ptx KERNELS.ptx --artifact PLAN.txt [--reps 20]

KERNELS.ptx comes from `ml-compile model.mlir --target=cuda --emit=ptx` of
a bf16 Llama-3-8B-shaped model (bench/prepare_gpu_e2e.sh makes one) and
PLAN.txt is `ml-dump model.mlart --plan` of the same model (or the .mlart
with --ml-dump): the launch geometry comes from there, as the runtime
takes it. For each decode projection of the plan (q|k|v as one GEMV with
three outputs and the input RMSNorm, gate|up with the norm and the SwiGLU,
o and down adding to the residual, the LM head with the final norm) it
times our generated kernel (f32 activations and sums, bf16 weights) and
torch's bf16 `x @ W^T` over the same matrices stacked (all bf16, what HF
runs, in one matmul). Both are replayed from CUDA graphs over enough copies
of the weights that no call finds them in L2 (as in a decode step, where
each layer's matrices are read once), and the weight bytes per second are
printed against this run's copy bandwidth.
"""
import argparse
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptxlaunch  # noqa: E402

# name, kernel name prefix, rows of each matrix, cols, and the matrices
# each output holds side by side (None: one output a matrix).
# "linear_swiglu" reads gate and up and writes silu(gate x) * (up x).
PROJECTIONS = [
    ("q|k|v (+ RMSNorm)", "linear", [4096, 1024, 1024], 4096, None),
    ("o_proj (+= residual)", "linear", [4096], 4096, None),
    ("gate|up + SwiGLU (+ RMSNorm)", "linear_swiglu", [14336, 14336], 4096, None),
    ("down_proj (+= residual)", "linear", [4096], 14336, None),
    ("lm_head (+ RMSNorm)", "lm_head", [128256], 4096, None),
]
# The same for a hybrid's plan alone (a Transformer's has none): the Mamba-2
# in_proj (MambaInLlama-8B: x and B per group, C and z per head, dt) writes
# x|B|C into xbc, z and dt.
HYBRID_PROJECTIONS = [
    ("Mamba-2 in_proj x|B|C, z, dt (+ RMSNorm)", "linear", [1024, 1024, 4096, 4096, 32], 4096,
     [[0, 1, 2], [3], [4]]),
]
L2_BYTES = 60 << 20


def find_kernel(specs, kind, rows, cols, optional=False):
    """The step GEMV of this shape in the plan: (name, spec); (None, None)
    for an `optional` one the plan lacks."""
    sizes = "_".join(str(r) for r in (rows[:1] if kind == "linear_swiglu" else rows))
    prefix = f"{kind}_gemv_bf16_{sizes}x{cols}_"
    found = [n for n in specs if n.startswith(prefix) and not re.search(r"_stage$|_rows\d+$", n)]
    if not found and optional:
        return None, None
    if len(found) != 1:
        raise SystemExit(f"expected one kernel {prefix}* in the plan, found {found}")
    return found[0], specs[found[0]]


def main():
    ap = argparse.ArgumentParser()
    ptxlaunch.add_kernel_arguments(ap)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    module = ptxlaunch.Module(open(args.ptx).read())
    specs = ptxlaunch.launch_specs(args.ml_dump, args.artifact)
    bw = ptxlaunch.copy_bandwidth()
    print(f"{ptxlaunch.provenance(args.commit)}, copy bandwidth {bw / 1e12:.2f} TB/s")
    print("| projection | rows x cols | kernel | ours (us) | ours GB/s | % of copy | torch bf16 (us) | "
          "torch GB/s | ours vs torch |")
    print("|---|---|---|---|---|---|---|---|---|")
    torch.manual_seed(0)
    for (title, kind, rows, cols, outputs), optional in (
            [(p, False) for p in PROJECTIONS] + [(p, True) for p in HYBRID_PROJECTIONS]):
        name, spec = find_kernel(specs, kind, rows, cols, optional)
        if name is None:
            continue
        grid, _, block, shared = spec
        if outputs is None:
            outputs = [[0]] if kind == "linear_swiglu" else [[m] for m in range(len(rows))]
        kernel = module.kernel(name, shared_bytes=shared)
        nbytes = sum(rows) * cols * 2
        copies = max(1, -(-2 * L2_BYTES // nbytes))
        sets = [[(torch.randn(r, cols, device="cuda") * 0.02).to(torch.bfloat16) for r in rows]
                for _ in range(copies)]
        x = torch.randn(cols, device="cuda")
        norm = torch.rand(cols, device="cuda") + 0.5 if "_norm" in name else None
        outs = [torch.zeros(sum(rows[m] for m in held), device="cuda") for held in outputs]
        if kind == "lm_head":
            operand_sets = [[x] + ws + outs for ws in sets]
        else:
            operand_sets = [[x] + outs + ws for ws in sets]
        if norm is not None:
            operand_sets = [ops + [norm] for ops in operand_sets]

        calls = iter(range(1 << 62))

        def ours():
            ops = operand_sets[next(calls) % copies]
            kernel(grid=grid, block=block, args=ops + [1, 0])
        ours()
        xn = x
        if norm is not None:
            xn = x * torch.rsqrt(x.pow(2).mean() + 1e-5) * norm
        ws = sets[0]
        if kind == "linear_swiglu":
            refs = [torch.nn.functional.silu(ws[0].float() @ xn) * (ws[1].float() @ xn)]
        else:
            refs = [torch.cat([ws[m].float() @ xn for m in held]) for held in outputs]
        for out, ref in zip(outs, refs):
            err = ((out - ref).abs().max() / ref.abs().max()).item()
            if err > 1e-5:
                raise SystemExit(f"{title}: relative error {err:.2e} against torch fp32")
        # torch: one bf16 matmul over the stacked matrices (its best case;
        # HF runs one per projection), then SiLU and the product for SwiGLU.
        xb = x.to(torch.bfloat16).unsqueeze(0)
        stacked = [torch.cat(ws) for ws in sets]
        peer_calls = iter(range(1 << 62))
        if kind == "linear_swiglu":
            def peer():
                gu = xb @ stacked[next(peer_calls) % copies].t()
                return torch.nn.functional.silu(gu[:, :rows[0]]) * gu[:, rows[0]:]
        else:
            def peer():
                return xb @ stacked[next(peer_calls) % copies].t()
        graph_calls = 20 * copies
        t_ours = ptxlaunch.time_ms(ours, args.reps, graph_calls=graph_calls)
        t_torch = ptxlaunch.time_ms(peer, args.reps, graph_calls=graph_calls)
        shape = " + ".join(str(r) for r in rows) + f" x {cols}"
        print(f"| {title} | {shape} | grid {grid} x {block} | {t_ours * 1e3:.1f} | "
              f"{nbytes / t_ours / 1e6:.0f} | {100 * nbytes / (t_ours / 1e3) / bw:.0f}% | "
              f"{t_torch * 1e3:.1f} | {nbytes / t_torch / 1e6:.0f} | {t_torch / t_ours:.2f}x |")
        del sets, stacked, operand_sets


if __name__ == "__main__":
    main()
