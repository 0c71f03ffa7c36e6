#!/usr/bin/env python3
"""An independent float64 reference of a MambaInLlama hybrid's forward pass,
written from ../shared/reference/paper_spec.md sections 1.0-1.2 (not from
our C++), for checking the runtime on hybrids.

    reference_hybrid.py CHECKPOINT_DIR --ids 1,2,3 -o logits.f32

CHECKPOINT_DIR holds config.json, mamba_config.json and *.safetensors in
MambaInLlama's layout (ml-export writes it). Attention layers are HF Llama
layers (default RoPE, GQA, causal); Mamba-2 layers read the fused in_proj
[z | x | B | C | dt]; Mamba-1 layers in_proj_x, B_proj, C_proj, in_proj_z,
dt_proj_down, dt_proj (+bias, added twice). Needs numpy only.
"""
import argparse
import glob
import json
import os
import struct

import numpy as np


def load_safetensors(directory):
    tensors = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.safetensors"))):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            raw = data[b:e]
            if info["dtype"] == "F32":
                a = np.frombuffer(raw, "<f4")
            elif info["dtype"] == "F16":
                a = np.frombuffer(raw, "<f2")
            elif info["dtype"] == "BF16":
                a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                raise SystemExit(f"unsupported dtype {info['dtype']}")
            tensors[name] = a.astype(np.float64).reshape(info["shape"])
    return tensors


def rms_norm(x, w, eps):
    return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def silu(x):
    return x / (1 + np.exp(-x))


def softplus(x):
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


def attention(x, W, p, cfg):
    L = x.shape[0]
    H, Hk = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim") or cfg["hidden_size"] // H
    q = (x @ W[p + "self_attn.q_proj.weight"].T).reshape(L, H, D)
    k = (x @ W[p + "self_attn.k_proj.weight"].T).reshape(L, Hk, D)
    v = (x @ W[p + "self_attn.v_proj.weight"].T).reshape(L, Hk, D)
    theta = (cfg.get("rope_parameters") or {}).get("rope_theta") or cfg.get("rope_theta", 10000.0)
    inv = 1.0 / theta ** (np.arange(0, D, 2) / D)
    ang = np.arange(L)[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, -1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, -1)[:, None, :]
    rot = lambda t: np.concatenate([-t[..., D // 2:], t[..., :D // 2]], -1)
    q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
    out = np.zeros((L, H, D))
    window = cfg.get("sliding_window") or 0
    for h in range(H):
        kv = h // (H // Hk)
        s = q[:, h] @ k[:, kv].T / np.sqrt(D)
        i, j = np.arange(L)[:, None], np.arange(L)[None, :]
        mask = j <= i
        if window:
            mask &= j > i - window
        s = np.where(mask, s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        out[:, h] = (s / s.sum(-1, keepdims=True)) @ v[:, kv]
    return out.reshape(L, H * D) @ W[p + "self_attn.o_proj.weight"].T


def causal_conv_silu(x, w, b):
    """x: [L, C]; w: [C, 1, K]; zero history."""
    L, C = x.shape
    K = w.shape[-1]
    pad = np.concatenate([np.zeros((K - 1, C)), x], 0)
    y = np.stack([(pad[t:t + K] * w[:, 0, :].T).sum(0) for t in range(L)]) + b
    return silu(y)


def mamba2(u, W, p, mc):
    """paper_spec 1.2."""
    L = u.shape[0]
    N = mc["ssm_cfg"]["d_state"]
    d_inner, d_xb = mc["d_inner"], mc["d_xb"]
    H = W[p + "mamba.dt_bias"].shape[0]
    P = d_inner // H
    G = d_xb // P                     # kv groups of x and B
    proj = u @ W[p + "mamba.in_proj.weight"].T
    z = proj[:, :d_inner]
    xbc = proj[:, d_inner:d_inner + 2 * d_xb + d_inner]
    dt = proj[:, d_inner + 2 * d_xb + d_inner:]
    xbc = causal_conv_silu(xbc, W[p + "mamba.conv1d.weight"], W[p + "mamba.conv1d.bias"])
    x, B, C = xbc[:, :d_xb], xbc[:, d_xb:2 * d_xb], xbc[:, 2 * d_xb:]
    A = -np.exp(W[p + "mamba.A_log"])
    delta = softplus(dt + W[p + "mamba.dt_bias"])
    y = np.zeros((L, H, P))
    for h in range(H):
        g = h // (H // G)
        xh, Bh, Ch = x[:, g * P:(g + 1) * P], B[:, g * N:(g + 1) * N], C[:, h * N:(h + 1) * N]
        S = np.zeros((P, N))
        for t in range(L):
            S = np.exp(delta[t, h] * A[h]) * S + delta[t, h] * np.outer(xh[t], Bh[t])
            y[t, h] = S @ Ch[t] + W[p + "mamba.D"][h] * xh[t]
    g = y.reshape(L, d_inner) * silu(z)
    g = g.reshape(L, H, P)
    g = g / np.sqrt((g * g).mean(-1, keepdims=True) + 1e-5)
    g = g.reshape(L, d_inner) * W[p + "mamba.norm.weight"]
    return g @ W[p + "mamba.out_proj.weight"].T


def mamba1(u, W, p, mc):
    """paper_spec 1.1: x repeated GQA-style before the conv, double dt bias."""
    L = u.shape[0]
    N = mc["ssm_cfg"]["d_state"]
    d_inner, d_xb = mc["d_inner"], mc["d_xb"]
    r = (d_inner // N) // (d_xb // N)
    xv = u @ W[p + "mamba.in_proj_x.weight"].T
    d = np.arange(d_inner)
    xhat = xv[:, N * (d // (N * r)) + d % N]
    x = causal_conv_silu(xhat, W[p + "mamba.conv1d.weight"], W[p + "mamba.conv1d.bias"])
    z = u @ W[p + "mamba.in_proj_z.weight"].T
    Bv = u @ W[p + "mamba.B_proj.weight"].T
    Cv = u @ W[p + "mamba.C_proj.weight"].T
    b = W[p + "mamba.dt_proj.bias"]
    delta = softplus((u @ W[p + "mamba.dt_proj_down.weight"].T) @ W[p + "mamba.dt_proj.weight"].T + b + b)
    A = -np.exp(W[p + "mamba.A_log"])
    y = np.zeros((L, d_inner))
    h = np.zeros((d_inner, N))
    for t in range(L):
        g = d // N
        Bt = Bv[t].reshape(-1, N)[g // r]      # [d_inner, N]
        Ct = Cv[t].reshape(-1, N)[g]
        h = np.exp(delta[t][:, None] * A) * h + delta[t][:, None] * Bt * x[t][:, None]
        y[t] = (h * Ct).sum(-1) + W[p + "mamba.D"] * x[t]
    return (y * silu(z)) @ W[p + "mamba.out_proj.weight"].T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--ids", required=True)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    cfg = json.load(open(os.path.join(args.checkpoint, "config.json")))
    mc_path = os.path.join(args.checkpoint, "mamba_config.json")
    mc = json.load(open(mc_path)) if os.path.exists(mc_path) else {"attn_layers": list(range(cfg["num_hidden_layers"]))}
    W = load_safetensors(args.checkpoint)
    ids = [int(t) for t in args.ids.split(",")]
    eps = cfg["rms_norm_eps"]
    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, W[p + "input_layernorm.weight"], eps)
        if i in mc["attn_layers"]:
            h = h + attention(x, W, p, cfg)
        elif p + "mamba.in_proj.weight" in W:
            h = h + mamba2(x, W, p, mc)
        else:
            h = h + mamba1(x, W, p, mc)
        x = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        mlp = (silu(x @ W[p + "mlp.gate_proj.weight"].T) * (x @ W[p + "mlp.up_proj.weight"].T))
        h = h + mlp @ W[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, W["model.norm.weight"], eps)
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    (h @ head.T).astype("<f4").tofile(args.output)


if __name__ == "__main__":
    main()
