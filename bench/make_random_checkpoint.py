#!/usr/bin/env python3
"""Writes a Hugging Face Llama checkpoint of random bf16 weights at a given
shape (default: Llama-3-8B), sharded like transformers (5 GB shards), for
benchmarking importers and exporters without downloading a model.

  bench/make_random_checkpoint.py OUT_DIR [--preset llama3-8b|llama3-8b-layers|tiny-head128|
                                           tiny-g3-d64|tiny-g7-d80|tiny-g12-d32|tiny]
"""
import argparse
import json
import os
import struct

import numpy as np


def one_layer_gqa(heads, kv_heads, head_dim):
    """One small layer of `heads` query heads of `head_dim` over `kv_heads` KV heads."""
    return dict(vocab_size=64, hidden_size=96, intermediate_size=192, num_hidden_layers=1,
                num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=head_dim,
                max_position_embeddings=512, rope_theta=10000.0)


PRESETS = {
    "llama3-8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336,
                      num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                      head_dim=128, max_position_embeddings=8192, rope_theta=500000.0),
    # Llama-3.1-8B's layer shapes and llama3 RoPE scaling, 2 layers and a
    # small vocabulary: every kernel at 8B shapes in under 1 GB.
    "llama3-8b-layers": dict(vocab_size=1024, hidden_size=4096, intermediate_size=14336,
                             num_hidden_layers=2, num_attention_heads=32, num_key_value_heads=8,
                             head_dim=128, max_position_embeddings=131072, rope_theta=500000.0,
                             rope_scaling={"rope_type": "llama3", "factor": 8.0,
                                           "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                           "original_max_position_embeddings": 8192}),
    # One layer with heads of 128 (a Mamba-2 d_state of 128 after
    # --attn-to-mamba: the vectorised decode scan) in under 1 MB.
    "tiny-head128": dict(vocab_size=64, hidden_size=128, intermediate_size=256,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         head_dim=128, max_position_embeddings=256, rope_theta=10000.0),
    # GQA groups and head dims the tensor-core decode attention must also
    # handle (query heads as mma.sync rows): 3 heads of 64 a KV head
    # (SmolLM2's), 7 of 80 (rows 0-6 of a tile), 12 of 32 (rows 8-15 too).
    "tiny-g3-d64": one_layer_gqa(heads=6, kv_heads=2, head_dim=64),
    "tiny-g7-d80": one_layer_gqa(heads=7, kv_heads=1, head_dim=80),
    "tiny-g12-d32": one_layer_gqa(heads=12, kv_heads=1, head_dim=32),
    # A Mistral of SmolLM2's heads with a window of 40 keys: on sm_90a its
    # prefill takes the wgmma kernel, whose 128-key tiles then start
    # mid-window.
    "tiny-mistral-d64": dict(one_layer_gqa(heads=6, kv_heads=2, head_dim=64),
                             architectures=["MistralForCausalLM"], model_type="mistral",
                             sliding_window=40),
    "tiny": dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                 max_position_embeddings=256, rope_theta=10000.0),
}


def tensors(c):
    d, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    q, kv = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"]
    yield "model.embed_tokens.weight", (v, d)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (d,)
        yield p + "self_attn.q_proj.weight", (q, d)
        yield p + "self_attn.k_proj.weight", (kv, d)
        yield p + "self_attn.v_proj.weight", (kv, d)
        yield p + "self_attn.o_proj.weight", (d, q)
        yield p + "post_attention_layernorm.weight", (d,)
        yield p + "mlp.gate_proj.weight", (f, d)
        yield p + "mlp.up_proj.weight", (f, d)
        yield p + "mlp.down_proj.weight", (d, f)
    yield "model.norm.weight", (d,)
    yield "lm_head.weight", (v, d)


def write_shard(path, items, rng, sparse=False):
    header, offset = {}, 0
    for name, shape in items:
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        if sparse:
            # Headers only: the data is a hole that reads as zeros, for tools
            # that look at names and shapes (scripts/gpu/store_manifest.py).
            f.truncate(8 + len(text) + offset)
            return
        for name, shape in items:
            # bf16 bit patterns of small values (|x| in [2^-8, 2^-6)), either sign.
            bits = rng.integers(0x3b80, 0x3c80, size=shape, dtype=np.uint16)
            bits |= (rng.integers(0, 2, size=shape, dtype=np.uint16) << 15)
            f.write(bits.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--preset", default="llama3-8b", choices=PRESETS)
    ap.add_argument("--sparse", action="store_true",
                    help="write headers only; the tensors' bytes are a file hole")
    args = ap.parse_args()
    c = dict(architectures=["LlamaForCausalLM"], model_type="llama",
             hidden_act="silu", rms_norm_eps=1e-5, tie_word_embeddings=False,
             bos_token_id=1, eos_token_id=2, torch_dtype="bfloat16")
    c.update(PRESETS[args.preset])
    os.makedirs(args.out, exist_ok=True)
    json.dump(c, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    limit = 5 * 10**9
    shards, current, size = [[]], 0, 0
    for name, shape in tensors(c):
        n = int(np.prod(shape)) * 2
        if current and current + n > limit:
            shards.append([])
            current = 0
        shards[-1].append((name, shape))
        current += n
        size += n
    rng = np.random.default_rng(0)
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    weight_map = {}
    for name, items in zip(names, shards):
        write_shard(os.path.join(args.out, name), items, rng, args.sparse)
        weight_map.update({t: name for t, _ in items})
    json.dump({"metadata": {"total_size": size}, "weight_map": weight_map},
              open(os.path.join(args.out, "model.safetensors.index.json"), "w"), indent=2)
    print(f"wrote {size / 1e9:.2f} GB in {len(shards)} shards to {args.out}")


if __name__ == "__main__":
    main()
