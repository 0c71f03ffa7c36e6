#!/usr/bin/env python3
"""Our fused Mamba-2 decode step against mamba_ssm's selective_state_update.

    ssm_step_bench.py --ptx kernels.ptx --plan plan.txt --mamba-ssm DIR
                      [--prefix mamba_step_h32_g8_n128_x6144_k4_ng128]
                      [--batches 1,16,64,256] [--check-batch 16] [--reps 21]
                      [--graph-calls 20] [--commit SHA] [--ssm-state f32|bf16]

(or --artifact model.mlart --ml-dump build/bin/ml-dump in place of --plan.)
The PTX comes from `ml-compile --target=cuda --emit=ptx` of a Mamba-2 hybrid
at MambaInLlama-8B shapes (32 heads, head dim = d_state = 128, 8 groups: x
and B per group, C per head, conv width 4 over 6144 [x|B|C] channels, one
norm group per head); the plan is `ml-dump model.mlart --plan` of the same
model compiled without --emit (the launch geometry). Our kern.mamba_step is
two launches, `PREFIX_conv` (conv update + SiLU, in place over xbc) and a
scan (state update, y = S C + D x, y * silu(z), gated RMSNorm), f32
activations and an f32 SSM state (with --ssm-state bf16, the kernels of
`ml-compile --ssm-state=bf16`: a bf16 state, f32 math, PREFIX gets
_ssmbf16); a batch of B sequences is a y grid of B. The scan comes in
tiers `PREFIX_slicesN` (N blocks a head) and a batch takes the one the
runtime picks (mlrt::mambaStepTier; a plan from before the tiers has one
scan, `PREFIX`). Every tier is checked against the oracle.

mamba_ssm's selective_state_update (Triton, from DIR, a git-ignored stub of
mamba_ssm/ops/triton that bench/kernels/mamba_ssm_stub.sh builds:
reference/perf_anchors.md 1.5) steps the same inputs with its state
(B, 32, 128, 128) in bf16 (activations bf16, as MambaInLlama decodes) and
in f32, x and B repeated to the 32 heads, dt, A, dt_bias and D expanded
with stride 0 (its TIE_HDIM path), z fused. It does neither the conv nor
the norm, so both our scan kernel alone and our conv + scan are set
against it; a second table adds a mamba_ssm-style whole step (Mamba2.step
without causal-conv1d: the torch conv fallback, x/B repeated to heads,
selective_state_update, then layernorm_gated's rmsnorm_fn with z).

Each time is the median over --reps replays of a CUDA graph of
--graph-calls calls (CUDA events), per call, every state updated in place.
State bytes are the SSM state read and written once in its own dtype (ours:
2 * B * 32 * 128 * 128 * 4, or * 2 with a bf16 state); '% copy' divides that rate by this run's
device-to-device copy bandwidth (1 GiB torch copy, bytes read + written).
'ours / peer' is a ratio of times (below 1: ours is faster).

Before timing, at --check-batch sequences our outputs, new SSM state, new
conv state and conv outputs are checked against a float64 PyTorch
reference of the step (max |err| / max |ref|), as are selective_state_update's
y (the reference's gated y * silu(z), before the norm) and new state.
Markdown goes to stdout, the checks to stderr.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptxlaunch  # noqa: E402

HEADS, GROUPS, HEAD_DIM, D_STATE, TAPS = 32, 8, 128, 128, 4
REP = HEADS // GROUPS
X_W, B_W, C_W = GROUPS * HEAD_DIM, GROUPS * D_STATE, HEADS * D_STATE
CHANNELS = X_W + B_W + C_W  # 6144
INNER = HEADS * HEAD_DIM    # 4096
NORM_GROUP = HEAD_DIM       # one gated-RMSNorm group per head
EPS = 1e-5


def inputs(batch, gen):
    """One decode step's random inputs (Mamba-2 init ranges): the raw xbc
    row (in_proj output) per sequence, dt, z, the conv and norm weights, and
    the states before the step."""
    def rand(*shape):
        return torch.randn(*shape, generator=gen, device="cuda")

    def uniform(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(*shape, generator=gen, device="cuda")
    dt0 = torch.exp(uniform(math.log(0.001), math.log(0.1), HEADS))
    bound = 1 / math.sqrt(TAPS)  # nn.Conv1d's init, depthwise (fan_in = taps)
    return dict(
        xbc=rand(batch, CHANNELS),
        dt=0.5 * rand(batch, HEADS),
        z=rand(batch, INNER),
        conv_w=uniform(-bound, bound, CHANNELS, TAPS),
        conv_b=uniform(-bound, bound, CHANNELS),
        dt_bias=dt0 + torch.log(-torch.expm1(-dt0)),  # softplus^-1(dt0)
        a_log=torch.log(uniform(1, 16, HEADS)),
        d=1 + 0.1 * rand(HEADS),
        norm_w=1 + 0.1 * rand(INNER),
        conv_state=rand(batch, CHANNELS, TAPS - 1),
        state=0.1 * rand(batch, HEADS, HEAD_DIM, D_STATE))


def split_xbc(xbc):
    """(x (B, G, P), B (B, G, N), C (B, H, N)) of [B, 6144] conv outputs."""
    n = xbc.shape[0]
    return (xbc[:, :X_W].reshape(n, GROUPS, HEAD_DIM),
            xbc[:, X_W:X_W + B_W].reshape(n, GROUPS, D_STATE),
            xbc[:, X_W + B_W:].reshape(n, HEADS, D_STATE))


def conv_step(t, dtype):
    """The conv update in `dtype`: (SiLU outputs [B, 6144], new conv state)."""
    hist, xin = t["conv_state"].to(dtype), t["xbc"].to(dtype)
    w, bias = t["conv_w"].to(dtype), t["conv_b"].to(dtype)
    y = bias + (w[:, :TAPS - 1] * hist).sum(-1) + w[:, TAPS - 1] * xin
    return F.silu(y), torch.cat([hist[:, :, 1:], xin[:, :, None]], dim=-1)


def reference(t, dtype=torch.float64):
    """The step in `dtype`: conv outputs, gated y (before the norm), out,
    new SSM state, new conv state."""
    c = {k: v.to(dtype) for k, v in t.items()}
    conv_out, conv_state = conv_step(t, dtype)
    x, b, cc = split_xbc(conv_out)
    x = x.repeat_interleave(REP, dim=1)
    b = b.repeat_interleave(REP, dim=1)
    delta = F.softplus(c["dt"] + c["dt_bias"])            # (B, H), threshold 20
    decay = torch.exp(delta * -torch.exp(c["a_log"]))
    state = decay[:, :, None, None] * c["state"] + \
        (delta[:, :, None] * x)[..., None] * b[:, :, None, :]
    yh = torch.einsum("bhpn,bhn->bhp", state, cc) + c["d"][None, :, None] * x
    gated = yh * F.silu(c["z"].view(-1, HEADS, HEAD_DIM))
    g = gated.view(-1, INNER // NORM_GROUP, NORM_GROUP)
    out = (g * torch.rsqrt(g.pow(2).mean(-1, keepdim=True) + EPS)).reshape(-1, INNER) * c["norm_w"]
    return dict(conv_out=conv_out, gated=gated, out=out, state=state, conv_state=conv_state)


def scan_tiers(specs, prefix):
    """The scan kernels of kern.mamba_step, most slices first
    (mlrt::mambaStepScanName); a plan from before the tiers has one, PREFIX."""
    tier = prefix + "_slices"
    tiers = sorted(((int(name[len(tier):]), name) for name in specs
                    if name.startswith(tier)), reverse=True)
    return [name for _, name in tiers] or [prefix]


def step_tier(sequences, tiers):
    """mlrt::mambaStepTier: 2^i sequences take tier i (the last beyond)."""
    tier = 0
    while tier + 1 < tiers and (1 << tier) < sequences:
        tier += 1
    return tier


class Ours:
    """kern.mamba_step's conv and scan on the runtime's argument convention
    (schemas/artifact.fbs, GpuKernel): 12 memref<?xf32>, tokens, position.
    The scan is the tier the runtime launches for the batch, or `tier`."""

    def __init__(self, module, specs, prefix, t, state_dtype, tier=None):
        self.batch = t["xbc"].shape[0]
        tiers = scan_tiers(specs, prefix)
        self.scan_name = tiers[step_tier(self.batch, len(tiers)) if tier is None else tier]
        self.kernels = []
        for name in (prefix + "_conv", self.scan_name):
            grid, per_token, block, shared = specs[name]
            assert not per_token, name
            self.kernels.append((module.kernel(name, shared), (grid, self.batch, 1), block))
        self.xbc = t["xbc"].clone()  # the conv kernel overwrites it
        self.out = torch.empty(self.batch, INNER, device="cuda")
        self.conv_state = t["conv_state"].clone().contiguous()
        self.state = t["state"].to(state_dtype, copy=True).contiguous()
        self.args = [self.xbc, t["dt"].contiguous(), t["z"].contiguous(), self.out,
                     t["conv_w"].contiguous(), t["conv_b"], t["dt_bias"], t["a_log"], t["d"],
                     t["norm_w"], self.conv_state, self.state, 1, 0]

    def launch(self, which=(0, 1)):
        for i in which:
            kernel, grid, block = self.kernels[i]
            kernel(grid=grid, block=block, args=self.args)

    def conv(self):
        self.launch((0,))

    def scan(self):
        self.launch((1,))


class Peer:
    """selective_state_update on one state dtype, and a mamba_ssm-style
    whole step (Mamba2.step's torch conv fallback + SSU + gated RMSNorm)."""

    def __init__(self, ssu, rmsnorm_fn, t, dtype, conv_out):
        self.ssu, self.rmsnorm_fn = ssu, rmsnorm_fn
        n = t["xbc"].shape[0]
        x, b, c = split_xbc(conv_out.float())
        self.x = x.repeat_interleave(REP, dim=1).to(dtype).contiguous()
        self.b = b.repeat_interleave(REP, dim=1).to(dtype).contiguous()
        self.c = c.to(dtype).contiguous()
        self.z = t["z"].view(n, HEADS, HEAD_DIM).to(dtype).contiguous()
        self.dt = t["dt"].to(dtype)[:, :, None].expand(n, HEADS, HEAD_DIM)
        self.a = (-torch.exp(t["a_log"]))[:, None, None].expand(HEADS, HEAD_DIM, D_STATE)
        self.dt_bias = t["dt_bias"][:, None].expand(HEADS, HEAD_DIM)
        self.d = t["d"][:, None].expand(HEADS, HEAD_DIM)
        self.state = t["state"].to(dtype, copy=True).contiguous()  # updated in place
        # Whole step: raw xbc and a (B, D, W) conv state (Mamba2's layout:
        # the oldest column is rolled out, the new input goes last).
        self.xbc_raw = t["xbc"].to(dtype)
        self.conv_w = t["conv_w"].to(dtype)
        self.conv_b = t["conv_b"].to(dtype)
        self.conv_state = F.pad(t["conv_state"], (1, 0)).to(dtype).contiguous()
        self.z_flat = t["z"].to(dtype)
        self.norm_w = t["norm_w"].to(dtype)
        self.dtype = dtype

    def ssu_call(self):
        return self.ssu(self.state, self.x, self.dt, self.a, self.b, self.c, self.d, z=self.z,
                        dt_bias=self.dt_bias, dt_softplus=True)

    def conv_call(self):
        """Mamba2.step's conv without causal_conv1d_update."""
        s = self.conv_state
        s.copy_(torch.roll(s, shifts=-1, dims=-1))
        s[:, :, -1] = self.xbc_raw
        y = torch.sum(s * self.conv_w, dim=-1) + self.conv_b
        return F.silu(y).to(self.dtype)

    def step_call(self):
        xbc = self.conv_call()
        x, b, c = split_xbc(xbc)
        y = self.ssu(self.state, x.repeat_interleave(REP, dim=1), self.dt, self.a,
                     b.repeat_interleave(REP, dim=1), c, self.d, z=None,
                     dt_bias=self.dt_bias, dt_softplus=True)
        return self.rmsnorm_fn(y.reshape(-1, INNER), self.norm_w, None, z=self.z_flat, eps=EPS,
                               group_size=NORM_GROUP, norm_before_gate=False)


def rel(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max()).item()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ptx", required=True)
    p.add_argument("--plan", help="text of `ml-dump MODEL.mlart --plan`")
    p.add_argument("--artifact", help="the .mlart (with --ml-dump, instead of --plan)")
    p.add_argument("--ml-dump")
    p.add_argument("--mamba-ssm", required=True, help="folder holding mamba_ssm/ (the stub)")
    p.add_argument("--prefix", default="mamba_step_h32_g8_n128_x6144_k4_ng128")
    p.add_argument("--batches", default="1,16,64,256")
    p.add_argument("--check-batch", type=int, default=16)
    p.add_argument("--reps", type=int, default=21)
    p.add_argument("--graph-calls", type=int, default=20)
    p.add_argument("--commit", help="the project commit to print (default: git rev-parse)")
    p.add_argument("--ssm-state", choices=("f32", "bf16"), default="f32",
                   help="our kernels' SSM state type (ml-compile --ssm-state)")
    args = p.parse_args()
    ours_dtype = torch.bfloat16 if args.ssm_state == "bf16" else torch.float32
    ours_size = 2 if args.ssm_state == "bf16" else 4
    if args.ssm_state == "bf16" and not args.prefix.endswith("_ssmbf16"):
        args.prefix += "_ssmbf16"
    if args.plan:
        specs = ptxlaunch.plan_specs(open(args.plan).read())
    elif args.artifact and args.ml_dump:
        specs = ptxlaunch.launch_specs(args.ml_dump, args.artifact)
    else:
        p.error("give --plan, or --artifact and --ml-dump")
    sys.path.insert(0, args.mamba_ssm)
    import triton
    from mamba_ssm.ops.triton.selective_state_update import selective_state_update
    from mamba_ssm.ops.triton.layernorm_gated import rmsnorm_fn
    torch.set_grad_enabled(False)
    module = ptxlaunch.Module(open(args.ptx).read())
    bf16, f32 = torch.bfloat16, torch.float32

    def timed(fn):
        return ptxlaunch.time_ms(fn, args.reps, warmup=2, graph_calls=args.graph_calls) * 1e3

    # The oracle, at --check-batch sequences.
    gen = torch.Generator(device="cuda").manual_seed(args.check_batch)
    t = inputs(args.check_batch, gen)
    ref = reference(t)
    for tier in range(len(scan_tiers(specs, args.prefix))):
        ours = Ours(module, specs, args.prefix, t, ours_dtype, tier)
        ours.launch()
        torch.cuda.synchronize()
        print(f"check at B={args.check_batch} vs float64 reference (max |err| / max |ref|): "
              f"{ours.scan_name}: out {rel(ours.out, ref['out']):.2e}, SSM state "
              f"{rel(ours.state, ref['state']):.2e}, conv state "
              f"{rel(ours.conv_state, ref['conv_state']):.2e}, conv outputs "
              f"{rel(ours.xbc, ref['conv_out']):.2e}", file=sys.stderr)
    conv32 = conv_step(t, f32)[0]
    for dtype in (f32, bf16):
        peer = Peer(selective_state_update, rmsnorm_fn, t, dtype, conv32)
        y = peer.ssu_call()
        state_err = rel(peer.state, ref["state"])
        peer = Peer(selective_state_update, rmsnorm_fn, t, dtype, conv32)
        out = peer.step_call()
        print(f"  selective_state_update {dtype}: y (gated, before the norm) rel "
              f"{rel(y, ref['gated']):.2e}, SSM state rel {state_err:.2e}; mamba_ssm-style whole "
              f"step out rel {rel(out, ref['out']):.2e}", file=sys.stderr)
    del t, ref, ours, peer, conv32

    bw = ptxlaunch.copy_bandwidth()
    print(f"{ptxlaunch.provenance(args.commit)}, triton {triton.__version__}, copy bandwidth "
          f"{bw / 1e12:.2f} TB/s (1 GiB D2D, read + write); median of {args.reps} replays of a "
          f"CUDA graph of {args.graph_calls} calls, per call")

    rows = []
    for batch in [int(v) for v in args.batches.split(",")]:
        gen = torch.Generator(device="cuda").manual_seed(batch)
        t = inputs(batch, gen)
        ours = Ours(module, specs, args.prefix, t, ours_dtype)
        r = dict(batch=batch, scan=timed(ours.scan), conv=timed(ours.conv), step=timed(ours.launch),
                 tier=ours.scan_name[len(args.prefix) + 1:] or "one kernel")
        del ours
        conv32 = conv_step(t, f32)[0]
        for dtype, tag in ((bf16, "bf16"), (f32, "f32")):
            peer = Peer(selective_state_update, rmsnorm_fn, t, dtype, conv32)
            r["ssu_" + tag] = timed(peer.ssu_call)
            r["pconv_" + tag] = timed(peer.conv_call)
            r["pstep_" + tag] = timed(peer.step_call)
            del peer
        rows.append(r)
        del t, conv32
        torch.cuda.empty_cache()

    def state_bytes(batch, size):
        return 2 * batch * HEADS * HEAD_DIM * D_STATE * size

    def rate(batch, size, us):
        tbs = state_bytes(batch, size) / (us * 1e-6) / 1e12
        return f"{tbs:.2f} | {100 * tbs * 1e12 / bw:.0f}%"

    print()
    print("Scan vs selective_state_update (state update + y + D skip + silu(z) gate; ours adds the "
          f"gated RMSNorm). Ours: {args.ssm_state} state; SSU: bf16 and f32 state.")
    print()
    print("| B | ours scan tier | ours scan (us) | TB/s | % copy | SSU bf16 (us) | TB/s | % copy "
          "| ours / SSU bf16 | SSU f32 (us) | TB/s | % copy | ours / SSU f32 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["batch"]
        print(f"| {b} | {r['tier']} | {r['scan']:.2f} | {rate(b, ours_size, r['scan'])} | {r['ssu_bf16']:.2f} | "
              f"{rate(b, 2, r['ssu_bf16'])} | {r['scan'] / r['ssu_bf16']:.2f} | "
              f"{r['ssu_f32']:.2f} | {rate(b, 4, r['ssu_f32'])} | {r['scan'] / r['ssu_f32']:.2f} |")
    print()
    print("Whole step: ours conv + scan (two kernels) vs SSU alone and vs a mamba_ssm-style step "
          "(torch conv fallback + repeat x/B + SSU + rmsnorm_fn gated, as Mamba2.step without "
          "causal-conv1d). TB/s and % copy count the SSM state bytes only.")
    print()
    print("| B | ours conv (us) | ours conv+scan (us) | TB/s | % copy | / SSU bf16 | / SSU f32 "
          "| torch conv bf16 / f32 (us) | mamba_ssm step bf16 (us) | ours / it | "
          "mamba_ssm step f32 (us) | ours / it |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["batch"]
        print(f"| {b} | {r['conv']:.2f} | {r['step']:.2f} | {rate(b, ours_size, r['step'])} | "
              f"{r['step'] / r['ssu_bf16']:.2f} | {r['step'] / r['ssu_f32']:.2f} | "
              f"{r['pconv_bf16']:.1f} / {r['pconv_f32']:.1f} | {r['pstep_bf16']:.2f} | "
              f"{r['step'] / r['pstep_bf16']:.2f} | {r['pstep_f32']:.2f} | "
              f"{r['step'] / r['pstep_f32']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
