#!/usr/bin/env python3
"""Our chunked Mamba-2 prefill scan against mamba_ssm's SSD on one GPU.

    ssd_bench.py --ptx kernels.ptx[,other.ptx] --artifact model.mlart --ml-dump build/bin/ml-dump
                 --mamba-ssm DIR [--prefix ssm_scan_mamba2_h32_g8_n128_x6144_chunked]
                 [--lengths 2048,8192,32768]

The PTX and artifact come from ml-compile --target=cuda (--emit=ptx for the
PTX; several, comma-separated, compare variants of the kernels with the
same launch geometry) of a Mamba-2 hybrid at MambaInLlama-8B shapes (32 heads, head dim =
d_state = 128, 8 groups: x and B per group, C per head). Our scan is three
kernels (chunk states, state passing, chunk scan) on f32 activations;
mamba_ssm's mamba_chunk_scan_combined (Triton, from DIR, a git-ignored copy
of mamba_ssm/ops/triton with an empty mamba_ssm/__init__.py:
reference/perf_anchors.md 1.5) gets the same inputs in bf16 (its usual
dtype) and in f32, with x and B repeated to the 32 heads it needs, chunk 256.
Both run batch 1 from a non-zero initial state; each is timed as one CUDA
graph replay (CUDA events, median of --reps). Our output and final state
are checked against a float64 sequential scan at the first length.

--baseline names the sequential scan the chunked one replaces (one block per
head, a thread per state row walking the tokens with the state in global
memory), which the decode entry still has when the PTX comes from a plan
compiled without fusions (ml-opt --convert-llm-to-kern, then ml-compile).
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptxlaunch  # noqa: E402

HEADS, GROUPS, HEAD_DIM, D_STATE = 32, 8, 128, 128
REP = HEADS // GROUPS


def inputs(length, gen):
    """Random layer inputs: the fused xbc rows ([x | B | C] per token), the
    raw dt, dt bias, A_log, D and an initial state (Mamba-2 init ranges)."""
    def rand(*shape):
        return torch.randn(*shape, generator=gen, device="cuda")
    x = rand(length, GROUPS, HEAD_DIM)
    b = rand(length, GROUPS, D_STATE) / math.sqrt(D_STATE)
    c = rand(length, HEADS, D_STATE) / math.sqrt(D_STATE)
    dt0 = torch.exp(torch.rand(HEADS, generator=gen, device="cuda") *
                    (math.log(0.1) - math.log(0.001)) + math.log(0.001))
    return dict(
        x=x, b=b, c=c,
        dt=0.5 * rand(length, HEADS),
        dt_bias=dt0 + torch.log(-torch.expm1(-dt0)),  # softplus^-1(dt0)
        a_log=torch.log(1 + 15 * torch.rand(HEADS, generator=gen, device="cuda")),
        d=1 + 0.1 * rand(HEADS),
        state=0.1 * rand(HEADS, HEAD_DIM, D_STATE))


def reference(t):
    """float64 sequential scan (paper_spec: the recurrence), from t['state']."""
    s = t["state"].double().clone()
    a = -torch.exp(t["a_log"].double())
    delta = F.softplus(t["dt"].double() + t["dt_bias"].double())  # (L, H)
    x = t["x"].double().repeat_interleave(REP, dim=1)              # (L, H, P)
    b = t["b"].double().repeat_interleave(REP, dim=1)              # (L, H, N)
    c = t["c"].double()
    ys = []
    for i in range(x.shape[0]):
        s = s * torch.exp(delta[i] * a)[:, None, None] + \
            (delta[i][:, None] * x[i])[:, :, None] * b[i][:, None, :]
        ys.append(torch.einsum("hpn,hn->hp", s, c[i]) + t["d"].double()[:, None] * x[i])
    return torch.stack(ys), s


class Ours:
    """The three kernels of the chunked scan on the runtime's argument
    convention (schemas/artifact.fbs, GpuKernel)."""

    def __init__(self, module, specs, prefix, t):
        self.kernels = []
        for name in (prefix + "_states", prefix + "_passing", prefix):
            grid, per_token, block, shared = specs[name]
            self.kernels.append((module.kernel(name, shared), grid, per_token, block))
        length = t["x"].shape[0]
        self.length = length
        self.xbc = torch.cat([t["x"].reshape(length, -1), t["b"].reshape(length, -1),
                              t["c"].reshape(length, -1)], dim=1).contiguous()
        self.dt = t["dt"].contiguous()
        self.y = torch.empty(length, HEADS * HEAD_DIM, device="cuda")
        self.weights = [t["dt_bias"], t["a_log"], t["d"]]
        self.initial = t["state"].reshape(-1).contiguous()
        self.state = self.initial.clone()
        chunk = 128  # mlrt::kSsmScanChunk
        chunk_floats = HEADS * HEAD_DIM * D_STATE + (HEADS + 31) // 32 * 32
        self.workspace = torch.empty((length + chunk - 1) // chunk * chunk_floats,
                                     device="cuda")

    def launch(self, which=(0, 1, 2)):
        args = [self.xbc, self.dt, self.y, *self.weights, self.state,
                self.workspace, self.length, 0]
        for i in which:
            kernel, grid, per_token, block = self.kernels[i]
            kernel(grid=grid * (self.length if per_token else 1), block=block, args=args)

    def __call__(self):
        # Every run starts from the same state (the copy is timed too: 2 MiB).
        self.state.copy_(self.initial)
        self.launch()


def mamba_ssm_call(combined, t, dtype):
    x = t["x"].repeat_interleave(REP, dim=1)[None].to(dtype).contiguous()
    b = t["b"].repeat_interleave(REP, dim=1)[None].to(dtype).contiguous()
    c = t["c"][None].to(dtype).contiguous()
    dt = t["dt"][None].to(dtype).contiguous()
    a = -torch.exp(t["a_log"])
    state = t["state"][None].contiguous()
    out = {}

    def call():
        out["y"], out["state"] = combined(
            x, dt, a, b, c, 256, D=t["d"], dt_bias=t["dt_bias"], initial_states=state,
            dt_softplus=True, return_final_states=True)
    return call, out


def graph_ms(fn, reps):
    """Median ms of one CUDA graph replay of fn (eager if capture fails)."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    try:
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            fn()
        return ptxlaunch.time_ms(g.replay, reps), "graph"
    except Exception as e:  # noqa: BLE001
        print(f"  (graph capture failed: {e}; eager)", file=sys.stderr)
        return ptxlaunch.time_ms(fn, reps), "eager"


def rel(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max()).item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--commit",
                   help="the project commit to print (default: git rev-parse; "
                   "the GPU machine has no git)")
    p.add_argument("--ptx", required=True)
    p.add_argument("--artifact", required=True)
    p.add_argument("--ml-dump", required=True)
    p.add_argument("--mamba-ssm", required=True, help="folder holding mamba_ssm/")
    p.add_argument("--prefix", default="ssm_scan_mamba2_h32_g8_n128_x6144_chunked")
    p.add_argument("--lengths", default="2048,8192,32768")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--baseline", default="ssm_scan_mamba2_h32_g8_n128_x6144",
                   help="the sequential scan kernel in --ptx ('' for none)")
    args = p.parse_args()
    sys.path.insert(0, args.mamba_ssm)
    from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined
    specs = ptxlaunch.launch_specs(args.ml_dump, args.artifact)
    modules = {os.path.basename(path): ptxlaunch.Module(open(path).read())
               for path in args.ptx.split(",")}
    first = next(iter(modules.values()))
    baseline = first.kernel(args.baseline) if args.baseline else None
    print(ptxlaunch.provenance(args.commit))
    print("| L | PTX | ours f32 (ms) | M tok/s | states / passing / scan (ms, each alone) "
          "| mamba_ssm bf16 (ms) | M tok/s | bf16 ms / ours ms | mamba_ssm f32 (ms) | f32 ms / ours ms "
          "| sequential before (ms) | before / ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    checked = False
    for length in [int(v) for v in args.lengths.split(",")]:
        gen = torch.Generator(device="cuda").manual_seed(length)
        t = inputs(length, gen)
        variants = {name: Ours(m, specs, args.prefix, t) for name, m in modules.items()}
        ours = next(iter(variants.values()))
        if not checked:
            y_ref, s_ref = reference(t)
            for name, variant in variants.items():
                variant()
                print(f"check {name} at L={length} vs float64 sequential scan: y rel "
                      f"{rel(variant.y.view(length, HEADS, HEAD_DIM), y_ref):.2e}, final state "
                      f"rel {rel(variant.state.view(HEADS, HEAD_DIM, D_STATE), s_ref):.2e}",
                      file=sys.stderr)
            if baseline:
                ours.state.copy_(ours.initial)
                baseline(grid=HEADS, block=HEAD_DIM,
                         args=[ours.xbc, ours.dt, ours.y, *ours.weights, ours.state,
                               ours.workspace, length, 0])
                print(f"  sequential before: y rel {rel(ours.y.view(length, HEADS, HEAD_DIM), y_ref):.2e}, "
                      f"final state rel {rel(ours.state.view(HEADS, HEAD_DIM, D_STATE), s_ref):.2e}",
                      file=sys.stderr)
            for dtype in (torch.bfloat16, torch.float32):
                call, out = mamba_ssm_call(mamba_chunk_scan_combined, t, dtype)
                call()
                print(f"  mamba_ssm {dtype}: y rel {rel(out['y'][0], y_ref):.2e}, "
                      f"final state rel {rel(out['state'][0], s_ref):.2e}", file=sys.stderr)
            del y_ref, s_ref
            checked = True
        timed = {}
        for name, variant in variants.items():
            total, mode = graph_ms(variant, args.reps)
            parts = []
            for i in range(3):
                variant.state.copy_(variant.initial)
                parts.append(graph_ms(lambda i=i: variant.launch((i,)), args.reps)[0])
            timed[name] = (total, mode, parts)
        results = {}
        for dtype in (torch.bfloat16, torch.float32):
            call, _ = mamba_ssm_call(mamba_chunk_scan_combined, t, dtype)
            results[dtype] = graph_ms(call, args.reps)[0]
        bf16, f32 = results[torch.bfloat16], results[torch.float32]
        before = float("nan")
        if baseline:
            launch_args = [ours.xbc, ours.dt, ours.y, *ours.weights, ours.state,
                           ours.workspace, length, 0]
            before = ptxlaunch.time_ms(
                lambda: baseline(grid=HEADS, block=HEAD_DIM, args=launch_args),
                max(3, args.reps // 4), warmup=1)
        for name, (ours_ms, mode, parts) in timed.items():
            print(f"| {length} | {name} | {ours_ms:.3f} ({mode}) | {length / ours_ms / 1e3:.1f} | "
                  f"{parts[0]:.3f} / {parts[1]:.3f} / {parts[2]:.3f} | {bf16:.3f} | "
                  f"{length / bf16 / 1e3:.1f} | {bf16 / ours_ms:.2f}x | {f32:.3f} | {f32 / ours_ms:.2f}x | "
                  f"{before:.2f} | {before / ours_ms:.0f}x |",
                  flush=True)
        del ours, variants, t
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
