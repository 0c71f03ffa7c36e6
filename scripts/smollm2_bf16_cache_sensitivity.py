#!/usr/bin/env python3
"""How far SmolLM2's logits move with a bf16 KV cache when only the
attention's arithmetic changes (numpy on the CPU, no GPU needed).

    scripts/smollm2_bf16_cache_sensitivity.py STORE.safetensors [PROMPT_LEN]

STORE is the f32 store that `ml-import` writes for the SmolLM2 GGUF
(scripts/fetch_smollm2.sh). A numpy forward pass of the 30 layers, with K
and V rounded to bf16 as both backends' caches hold them, runs with the
attention in float64 (the reference), then in f32 (what the CPU backend
computes), with q and P split hi + lo over bf16 (the tensor-core prefill
kernels' products), and with q split in three. The prompt is check_cuda.py's.

Any change upstream of a layer moves some K and V elements across a bf16
rounding boundary (a 0.4% step), and 30 layers compound those steps: the
report says how far two exact-ish implementations may differ on this model.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu"))
import check_cuda  # noqa: E402

HEADS, KV_HEADS, DIM, LAYERS, EPS, THETA, VOCAB = 9, 3, 64, 30, 1e-5, 100000.0, 49152


class Store:
    """The tensors of a safetensors file of f32 weights."""

    def __init__(self, path):
        self.file = open(path, "rb")
        size = struct.unpack("<Q", self.file.read(8))[0]
        self.header = json.loads(self.file.read(size))
        self.base = 8 + size

    def __getitem__(self, name):
        entry = self.header[name]
        begin, end = entry["data_offsets"]
        self.file.seek(self.base + begin)
        return np.frombuffer(self.file.read(end - begin), dtype=np.float32).reshape(entry["shape"])


def bf16(x):
    """x rounded to bf16 (nearest even), as f32."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32)


def rope_tables(tokens):
    inv = 1.0 / THETA ** (np.arange(0, DIM, 2, dtype=np.float64) / DIM)
    angles = np.outer(np.arange(tokens), inv)
    angles = np.concatenate([angles, angles], 1)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def rope(x, cos, sin):
    """HF's rotate-half RoPE of x [tokens, heads, DIM]."""
    half = DIM // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], -1)
    return x * cos[:, None] + rotated * sin[:, None]


def rms_norm(x, gain):
    scale = np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + EPS)
    return (x / scale).astype(np.float32) * gain


def split(x, terms):
    """x as `terms` bf16 values whose sum approximates it."""
    parts = []
    for _ in range(terms):
        parts.append(bf16(x - sum(parts)) if parts else bf16(x))
    return parts


def attention(q, k, v, mode):
    """Causal GQA attention of q [T, HEADS, DIM] over bf16 k, v [T, KV, DIM]."""
    tokens = q.shape[0]
    out = np.zeros_like(q)
    causal = np.tril(np.ones((tokens, tokens), bool))
    for h in range(HEADS):
        keys, values = k[:, h // (HEADS // KV_HEADS)], v[:, h // (HEADS // KV_HEADS)]
        if mode == "f64":
            scores = q[:, h].astype(np.float64) @ keys.T.astype(np.float64)
        elif mode == "f32":
            scores = q[:, h] @ keys.T
        else:  # "hi+lo" or "q in 3": bf16 terms of q, f32 sums
            scores = sum(part @ keys.T for part in split(q[:, h], 3 if mode == "q in 3" else 2))
        scores = np.where(causal, scores / np.sqrt(DIM), -np.inf)
        weights = np.exp(scores - scores.max(1, keepdims=True))
        total = weights.sum(1, keepdims=True)
        if mode == "f64":
            o = weights @ values.astype(np.float64)
        elif mode == "f32":
            o = weights.astype(np.float32) @ values
        else:
            o = sum(part @ values for part in split(weights.astype(np.float32), 2))
        out[:, h] = (o / total).astype(np.float32)
    return out


def forward(w, ids, mode):
    """The logits of every position, the attention computed per `mode`."""
    tokens = len(ids)
    cos, sin = rope_tables(tokens)
    x = w["model.embed_tokens.weight"][ids].astype(np.float32)
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"])
        q = rope((h @ w[p + "self_attn.q_proj.weight"].T).reshape(tokens, HEADS, DIM), cos, sin)
        k = bf16(rope((h @ w[p + "self_attn.k_proj.weight"].T).reshape(tokens, KV_HEADS, DIM), cos, sin))
        v = bf16((h @ w[p + "self_attn.v_proj.weight"].T).reshape(tokens, KV_HEADS, DIM))
        a = attention(q, k, v, mode).reshape(tokens, HEADS * DIM)
        x = x + a @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"])
        gate, up = h @ w[p + "mlp.gate_proj.weight"].T, h @ w[p + "mlp.up_proj.weight"].T
        x = x + ((gate / (1 + np.exp(-gate))) * up) @ w[p + "mlp.down_proj.weight"].T
    return rms_norm(x, w["model.norm.weight"]) @ w["model.embed_tokens.weight"].T


def main():
    w = Store(sys.argv[1])
    length = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    ids = [t % VOCAB for t in check_cuda.prompt(length)]
    reference = forward(w, ids, "f64")
    print(f"SmolLM2, bf16 K and V, {length} positions; attention against float64:")
    for mode in ("f32", "hi+lo", "q in 3"):
        logits = forward(w, ids, mode)
        diff = np.abs(logits - reference).max()
        flips = int((logits.argmax(1) != reference.argmax(1)).sum())
        print(f"  {mode}: max abs logit diff {diff:.3g} ({diff / np.abs(reference).max():.3g} of the max), "
              f"argmax flips {flips}")


if __name__ == "__main__":
    main()
