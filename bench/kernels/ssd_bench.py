#!/usr/bin/env python3
"""Our Mamba-2 prefill scan against mamba_ssm's SSD on one GPU.

    ssd_bench.py --ptx kernels.ptx[,other.ptx] --artifact model.mlart --ml-dump build/bin/ml-dump
                 --mamba-ssm DIR [--prefix ssm_scan_mamba2_h32_g8_n128_x6144_chunked_bf16in]
                 [--lengths 2048,8192,32768] [--batches 1,8]

The PTX and artifact come from ml-compile --target=cuda (--emit=ptx for the
PTX; several, comma-separated, compare variants of the kernels with the
same launch geometry) of a Mamba-2 hybrid at MambaInLlama-8B shapes (32 heads, head dim =
d_state = 128, 8 groups: x and B per group, C per head). Our scan takes f32
activations: with --prefill-precision=bf16 (kernel names ending _bf16in) it
is the tensor-core SSD of lib/Codegen/SsdScan.cpp, one launch that rounds
x, B and C to bf16; without, three f32 kernels (chunk states, state
passing, chunk scan; batch 1 only). mamba_ssm's mamba_chunk_scan_combined
(Triton, from DIR, a git-ignored copy of mamba_ssm/ops/triton with an
empty mamba_ssm/__init__.py: reference/perf_anchors.md 1.5) gets the same
inputs in bf16 (its usual dtype) and in f32, with x and B repeated to the
32 heads it needs, chunk 256. Both run from a non-zero initial state; each
is timed as one CUDA graph replay (CUDA events, median of --reps). Our
output and final state are checked against a float64 sequential scan at
the first length, batch 1.

The bound: the bytes our scan must move (f32 x, B, C, dt in, y out, the
state in and out) at this run's copy bandwidth. mamba_ssm's bf16 inputs
are half those bytes.

--baseline names the sequential scan the chunked one replaced (one block per
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


def inputs(batch, length, gen):
    """Random layer inputs of `batch` sequences: x, B, C, the raw dt, dt
    bias, A_log, D and an initial state (Mamba-2 init ranges)."""
    def rand(*shape):
        return torch.randn(*shape, generator=gen, device="cuda")
    dt0 = torch.exp(torch.rand(HEADS, generator=gen, device="cuda") *
                    (math.log(0.1) - math.log(0.001)) + math.log(0.001))
    return dict(
        x=rand(batch, length, GROUPS, HEAD_DIM),
        b=rand(batch, length, GROUPS, D_STATE) / math.sqrt(D_STATE),
        c=rand(batch, length, HEADS, D_STATE) / math.sqrt(D_STATE),
        dt=0.5 * rand(batch, length, HEADS),
        dt_bias=dt0 + torch.log(-torch.expm1(-dt0)),  # softplus^-1(dt0)
        a_log=torch.log(1 + 15 * torch.rand(HEADS, generator=gen, device="cuda")),
        d=1 + 0.1 * rand(HEADS),
        state=0.1 * rand(batch, HEADS, HEAD_DIM, D_STATE))


def reference(t):
    """float64 sequential scan of sequence 0 (paper_spec: the recurrence)."""
    s = t["state"][0].double().clone()
    a = -torch.exp(t["a_log"].double())
    delta = F.softplus(t["dt"][0].double() + t["dt_bias"].double())  # (L, H)
    x = t["x"][0].double().repeat_interleave(REP, dim=1)              # (L, H, P)
    b = t["b"][0].double().repeat_interleave(REP, dim=1)              # (L, H, N)
    c = t["c"][0].double()
    ys = []
    for i in range(x.shape[0]):
        s = s * torch.exp(delta[i] * a)[:, None, None] + \
            (delta[i][:, None] * x[i])[:, :, None] * b[i][:, None, :]
        ys.append(torch.einsum("hpn,hn->hp", s, c[i]) + t["d"].double()[:, None] * x[i])
    return torch.stack(ys), s


def moved_bytes(batch, length):
    """f32 x, B, C, dt in and y out per token, the f32 state in and out."""
    per_token = GROUPS * HEAD_DIM + GROUPS * D_STATE + HEADS * D_STATE + HEADS + HEADS * HEAD_DIM
    return 4 * batch * (length * per_token + 2 * HEADS * HEAD_DIM * D_STATE)


class Ours:
    """Our scan's kernels on the runtime's argument convention
    (schemas/artifact.fbs, GpuKernel): the prefix alone (tensor-core SSD,
    a y block per sequence) or its three chunked f32 kernels."""

    def __init__(self, module, specs, prefix, t):
        names = [prefix + "_states", prefix + "_passing", prefix]
        if names[0] not in specs:
            names = [prefix]
        self.kernels = []
        for name in names:
            grid, per_token, block, shared = specs[name]
            self.kernels.append((module.kernel(name, shared), grid, per_token, block))
        batch, length = t["x"].shape[:2]
        self.batch, self.length = batch, length
        self.xbc = torch.cat([t["x"].reshape(batch * length, -1),
                              t["b"].reshape(batch * length, -1),
                              t["c"].reshape(batch * length, -1)], dim=1).contiguous()
        self.dt = t["dt"].reshape(batch * length, HEADS).contiguous()
        self.y = torch.empty(batch * length, HEADS * HEAD_DIM, device="cuda")
        self.weights = [t["dt_bias"], t["a_log"], t["d"]]
        self.initial = t["state"].reshape(-1).contiguous()
        self.state = self.initial.clone()
        chunk = 128  # mlrt::kSsmScanChunk
        chunk_floats = HEADS * HEAD_DIM * D_STATE + (HEADS + 31) // 32 * 32
        self.workspace = torch.empty(
            (length + chunk - 1) // chunk * chunk_floats if len(names) > 1 else 1,
            device="cuda")

    def launch(self, which=None):
        args = [self.xbc, self.dt, self.y, *self.weights, self.state,
                self.workspace, self.length, 0]
        for i in which if which is not None else range(len(self.kernels)):
            kernel, grid, per_token, block = self.kernels[i]
            kernel(grid=(grid * (self.length if per_token else 1), self.batch, 1),
                   block=block, args=args)

    def __call__(self):
        # Every run starts from the same state (the copy is timed too).
        self.state.copy_(self.initial)
        self.launch()


def mamba_ssm_call(combined, t, dtype):
    x = t["x"].repeat_interleave(REP, dim=2).to(dtype).contiguous()
    b = t["b"].repeat_interleave(REP, dim=2).to(dtype).contiguous()
    c = t["c"].to(dtype).contiguous()
    dt = t["dt"].to(dtype).contiguous()
    a = -torch.exp(t["a_log"])
    state = t["state"].contiguous()
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


def check(variants, t, baseline, combined):
    """Errors against the float64 sequential scan (sequence 0)."""
    length = t["x"].shape[1]
    y_ref, s_ref = reference(t)
    for name, variant in variants.items():
        variant()
        y = variant.y[:length].view(length, HEADS, HEAD_DIM)
        state = variant.state[:HEADS * HEAD_DIM * D_STATE].view(HEADS, HEAD_DIM, D_STATE)
        print(f"check {name} at L={length} vs float64 sequential scan: y rel "
              f"{rel(y, y_ref):.2e}, final state rel {rel(state, s_ref):.2e}", file=sys.stderr)
    if baseline:
        ours = next(iter(variants.values()))
        ours.state.copy_(ours.initial)
        baseline(grid=HEADS, block=HEAD_DIM,
                 args=[ours.xbc, ours.dt, ours.y, *ours.weights, ours.state,
                       ours.workspace, length, 0])
        print(f"  sequential before: y rel {rel(ours.y.view(length, HEADS, HEAD_DIM), y_ref):.2e}, "
              f"final state rel {rel(ours.state.view(HEADS, HEAD_DIM, D_STATE), s_ref):.2e}",
              file=sys.stderr)
    for dtype in (torch.bfloat16, torch.float32):
        call, out = mamba_ssm_call(combined, t, dtype)
        call()
        print(f"  mamba_ssm {dtype}: y rel {rel(out['y'][0], y_ref):.2e}, "
              f"final state rel {rel(out['state'][0], s_ref):.2e}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    ptxlaunch.add_kernel_arguments(p)
    p.add_argument("--mamba-ssm", required=True, help="folder holding mamba_ssm/")
    p.add_argument("--prefix", default="ssm_scan_mamba2_h32_g8_n128_x6144_chunked_bf16in")
    p.add_argument("--lengths", default="2048,8192,32768")
    p.add_argument("--batches", default="1",
                   help="sequences a call (more than 1: the tensor-core SSD only)")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--parts", action="store_true",
                   help="also time each of the chunked f32 scan's kernels alone")
    p.add_argument("--baseline", default="",
                   help="the sequential scan kernel in --ptx ('' for none), e.g. "
                   "ssm_scan_mamba2_h32_g8_n128_x6144")
    args = p.parse_args()
    sys.path.insert(0, args.mamba_ssm)
    from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined
    specs = ptxlaunch.launch_specs(args.ml_dump, args.artifact)
    modules = {os.path.basename(path): ptxlaunch.Module(open(path).read())
               for path in args.ptx.split(",")}
    first = next(iter(modules.values()))
    baseline = first.kernel(args.baseline) if args.baseline else None
    bandwidth = ptxlaunch.copy_bandwidth()
    print(f"{ptxlaunch.provenance(args.commit)}, copy bandwidth {bandwidth / 1e12:.2f} TB/s")
    print("| B | L | PTX | ours (ms) | M tok/s | % of bound | parts (ms, each alone) "
          "| mamba_ssm bf16 (ms) | M tok/s | bf16 ms / ours ms | mamba_ssm f32 (ms) "
          "| f32 ms / ours ms | sequential before (ms) | before / ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    checked = False
    for batch in [int(v) for v in args.batches.split(",")]:
        for length in [int(v) for v in args.lengths.split(",")]:
            gen = torch.Generator(device="cuda").manual_seed(length)
            t = inputs(batch, length, gen)
            variants = {name: Ours(m, specs, args.prefix, t) for name, m in modules.items()}
            if not checked:
                check(variants, t, baseline, mamba_chunk_scan_combined)
                checked = True
            timed = {}
            for name, variant in variants.items():
                total, mode = graph_ms(variant, args.reps)
                parts = []
                if args.parts and len(variant.kernels) > 1:
                    for i in range(len(variant.kernels)):
                        variant.state.copy_(variant.initial)
                        parts.append(graph_ms(lambda i=i: variant.launch((i,)), args.reps)[0])
                timed[name] = (total, mode, parts)
            results = {}
            for dtype in (torch.bfloat16, torch.float32):
                call, _ = mamba_ssm_call(mamba_chunk_scan_combined, t, dtype)
                results[dtype] = graph_ms(call, args.reps)[0]
            bf16, f32 = results[torch.bfloat16], results[torch.float32]
            before = float("nan")
            if baseline and batch == 1:
                ours = next(iter(variants.values()))
                launch_args = [ours.xbc, ours.dt, ours.y, *ours.weights, ours.state,
                               ours.workspace, length, 0]
                before = ptxlaunch.time_ms(
                    lambda: baseline(grid=HEADS, block=HEAD_DIM, args=launch_args),
                    max(3, args.reps // 4), warmup=1)
            tokens = batch * length
            bound_ms = moved_bytes(batch, length) / bandwidth * 1e3
            for name, (ours_ms, mode, parts) in timed.items():
                print(f"| {batch} | {length} | {name} | {ours_ms:.3f} ({mode}) | "
                      f"{tokens / ours_ms / 1e3:.1f} | {100 * bound_ms / ours_ms:.0f}% | "
                      f"{' / '.join(f'{v:.3f}' for v in parts) or '-'} | {bf16:.3f} | "
                      f"{tokens / bf16 / 1e3:.1f} | {bf16 / ours_ms:.2f}x | {f32:.3f} | "
                      f"{f32 / ours_ms:.2f}x | {before:.2f} | {before / ours_ms:.0f}x |",
                      flush=True)
            del variants, t
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
