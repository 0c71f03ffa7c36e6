#!/usr/bin/env python3
"""Builds test/Inputs/gguf/tiny-llama.gguf from the tiny-llama HF fixture with
the `gguf` package (llama.cpp's own writer and reference quantisers), and the
digests the importer must reproduce.

The file is written the way convert_hf_to_gguf.py writes a Llama: llama
metadata, ggml tensor names, dims reversed, q/k rows permuted for llama.cpp's
rope. Tensor types cover F32, F16, BF16, Q8_0, Q4_0 and Q4_1. Expected values:
exact types -> the HF weights as f32; quantised types -> gguf's numpy
dequantisation of the quantised bytes (an implementation independent of ours).

  pip install gguf numpy; python3 scripts/make_gguf_fixture.py
"""
import hashlib
import json
import os

import numpy as np

import gguf
from gguf import GGMLQuantizationType as Q

from safetensors_io import load_as_f32

ROOT = os.path.join(os.path.dirname(__file__), "..")
SRC = os.path.join(ROOT, "test/Inputs/tiny/tiny-llama")
OUT = os.path.join(ROOT, "test/Inputs/gguf")


def permute(w, n_head, n_head_kv):
    # convert_hf_to_gguf.py LlamaModel.permute
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def main():
    cfg = json.load(open(os.path.join(SRC, "config.json")))
    hf = load_as_f32(os.path.join(SRC, "model.safetensors"))
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    names = {"self_attn.q_proj": ("attn_q", Q.F32), "self_attn.k_proj": ("attn_k", Q.F32),
             "self_attn.v_proj": ("attn_v", Q.BF16), "self_attn.o_proj": ("attn_output", Q.F16),
             "mlp.gate_proj": ("ffn_gate", Q.Q4_0), "mlp.up_proj": ("ffn_up", Q.Q4_1),
             "mlp.down_proj": ("ffn_down", Q.Q8_0), "input_layernorm": ("attn_norm", Q.F32),
             "post_attention_layernorm": ("ffn_norm", Q.F32)}
    w = gguf.GGUFWriter(os.path.join(OUT, "tiny-llama.gguf"), "llama")
    w.add_name("tiny-llama")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_freq_base(cfg["rope_parameters"]["rope_theta"] if "rope_parameters" in cfg else cfg["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_vocab_size(cfg["vocab_size"])
    w.add_rope_dimension_count(cfg["head_dim"])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    expected = {}

    def add(gname, hfname, data, qtype):
        if qtype in (Q.F32, Q.F16, Q.BF16):
            raw = data.astype(np.float32)
            if qtype == Q.F16:
                stored = raw.astype(np.float16)
                value = stored.astype(np.float32)
            elif qtype == Q.BF16:
                stored = gguf.quants.quantize(raw, Q.BF16)
                value = gguf.quants.dequantize(stored, Q.BF16)
            else:
                stored = value = raw
            w.add_tensor(gname, stored, raw_dtype=qtype if qtype == Q.BF16 else None)
        else:
            stored = gguf.quants.quantize(data.astype(np.float32), qtype)
            value = gguf.quants.dequantize(stored, qtype)
            w.add_tensor(gname, stored, raw_dtype=qtype)
        return value

    emb = hf["model.embed_tokens.weight"]
    expected["model.embed_tokens.weight"] = add("token_embd.weight", None, emb, Q.Q8_0)
    for i in range(cfg["num_hidden_layers"]):
        for hfmod, (gmod, qtype) in names.items():
            name = f"model.layers.{i}.{hfmod}.weight"
            data = hf[name]
            stored = data
            if gmod == "attn_q":
                stored = permute(data, heads, heads)
            elif gmod == "attn_k":
                stored = permute(data, heads, kv)
            value = add(f"blk.{i}.{gmod}.weight", name, stored, qtype)
            if gmod in ("attn_q", "attn_k"):
                value = data  # the importer undoes the permutation
            expected[name] = value
    expected["model.norm.weight"] = add("output_norm.weight", None, hf["model.norm.weight"], Q.F32)
    expected["lm_head.weight"] = add("output.weight", None, hf["lm_head.weight"], Q.Q4_1)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    digests = {k: {"shape": list(v.shape),
                   "sha256": hashlib.sha256(np.ascontiguousarray(v, dtype="<f4").tobytes()).hexdigest()}
               for k, v in expected.items()}
    with open(os.path.join(OUT, "tiny-llama.expected.json"), "w") as f:
        json.dump(digests, f, indent=1)
        f.write("\n")


def blocks():
    """runtime/tests/Inputs/gguf/blocks.gguf: random bytes as blocks of every
    type we dequantise, with gguf's numpy dequantisation as the expectation."""
    rng = np.random.default_rng(7)
    out = os.path.join(ROOT, "runtime/tests/Inputs/gguf")
    os.makedirs(out, exist_ok=True)
    w = gguf.GGUFWriter(os.path.join(out, "blocks.gguf"), "test")
    expected = {}
    for qtype in (Q.Q4_0, Q.Q4_1, Q.Q8_0, Q.Q4_K, Q.Q6_K, Q.F16, Q.BF16):
        block, nbytes = gguf.GGML_QUANT_SIZES[qtype]
        rows, blocks_per_row = 3, 2
        raw = rng.integers(0, 256, size=(rows, blocks_per_row * nbytes), dtype=np.uint8)
        # Keep every f16/bf16 scale finite: clear the top exponent bit of
        # each 16-bit field the layout reads as a scale (and of the values).
        view = raw.reshape(rows, blocks_per_row, nbytes)
        if qtype in (Q.F16, Q.BF16):
            view[..., 1::2] &= 0x3F
        elif qtype == Q.Q6_K:
            view[..., nbytes - 1] &= 0x3F
        else:
            view[..., 1] &= 0x3F
            if qtype in (Q.Q4_1, Q.Q4_K):
                view[..., 3] &= 0x3F
        name = qtype.name.lower()
        w.add_tensor(name, raw, raw_dtype=qtype)
        value = gguf.quants.dequantize(raw, qtype)
        expected[name] = hashlib.sha256(np.ascontiguousarray(value, dtype="<f4").tobytes()).hexdigest()
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with open(os.path.join(out, "blocks.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
    blocks()
