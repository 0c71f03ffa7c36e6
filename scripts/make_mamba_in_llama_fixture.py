#!/usr/bin/env python3
"""Builds tiny MambaInLlama-layout hybrids from the tiny-llama HF fixture, the
way MambaInLlama's hybrid_wrapper.py initialises them (paper_spec.md 1.1, 1.2,
1.5): layer 1 keeps attention, layer 0 becomes a Mamba mixer whose C/B/x/out
are the layer's q/k/v/o.

  test/Inputs/tiny/tiny-hybrid-mamba2: in_proj rows [z | x<-v | B<-k | C<-q | dt],
      conv1d over x|B|C (d_xb + d_xb + d_inner channels), dt_bias, A_log, D, norm
  test/Inputs/tiny/tiny-hybrid-mamba1: in_proj_x<-v, B_proj<-k, C_proj<-q,
      in_proj_z, dt_proj_down, dt_proj (+bias), conv1d over d_inner, A_log
      (d_inner x 16), D

Weights are float32 (numpy has no bfloat16); new parameters are random.
  python3 scripts/make_mamba_in_llama_fixture.py
"""
import json
import math
import os
import shutil

import numpy as np

from safetensors_io import load_as_f32, save_f32

ROOT = os.path.join(os.path.dirname(__file__), "..")
SRC = os.path.join(ROOT, "test/Inputs/tiny/tiny-llama")


def main():
    cfg = json.load(open(os.path.join(SRC, "config.json")))
    hf = load_as_f32(os.path.join(SRC, "model.safetensors"))
    d = cfg["hidden_size"]
    d_inner = cfg["num_attention_heads"] * cfg["head_dim"]
    d_xb = cfg["num_key_value_heads"] * cfg["head_dim"]
    rng = np.random.default_rng(3)
    for variant in ("mamba2", "mamba1"):
        out = os.path.join(ROOT, f"test/Inputs/tiny/tiny-hybrid-{variant}")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        tensors = {k: v for k, v in hf.items() if not k.startswith("model.layers.0.self_attn.")}
        p, a = "model.layers.0.mamba.", "model.layers.0.self_attn."
        q, k, v, o = (hf[a + n + "_proj.weight"] for n in "qkvo")
        u = lambda *shape, s=1 / math.sqrt(d): rng.uniform(-s, s, shape).astype(np.float32)
        if variant == "mamba2":
            d_state = cfg["head_dim"]
            nheads = d_inner // d_state
            tensors[p + "in_proj.weight"] = np.concatenate([u(d_inner, d), v, k, q, u(nheads, d)])
            channels = d_inner + 2 * d_xb
            tensors[p + "dt_bias"] = np.log(np.expm1(rng.uniform(1e-3, 0.1, nheads))).astype(np.float32)
            tensors[p + "A_log"] = np.log(rng.uniform(1, 16, nheads)).astype(np.float32)
            tensors[p + "D"] = np.ones(nheads, np.float32)
            tensors[p + "norm.weight"] = np.ones(d_inner, np.float32)
            ssm = {"expand": 1, "ngroups": nheads, "d_state": d_state}
        else:
            d_state, dt_rank = 16, math.ceil(d / 16)
            tensors[p + "in_proj_x.weight"] = v
            tensors[p + "B_proj.weight"] = k
            tensors[p + "C_proj.weight"] = q
            tensors[p + "in_proj_z.weight"] = u(d_inner, d)
            tensors[p + "dt_proj_down.weight"] = u(dt_rank, d)
            tensors[p + "dt_proj.weight"] = u(d_inner, dt_rank, s=dt_rank ** -0.5)
            tensors[p + "dt_proj.bias"] = np.log(np.expm1(rng.uniform(1e-3, 0.1, d_inner))).astype(np.float32)
            tensors[p + "A_log"] = np.log(np.tile(np.arange(1, d_state + 1, dtype=np.float32), (d_inner, 1)))
            tensors[p + "D"] = np.ones(d_inner, np.float32)
            channels = d_inner
            ssm = {"expand": 1, "d_state": d_state}
        tensors[p + "conv1d.weight"] = u(channels, 1, 4, s=0.5)
        tensors[p + "conv1d.bias"] = u(channels, s=0.5)
        tensors[p + "out_proj.weight"] = o
        save_f32(os.path.join(out, "model.safetensors"), tensors)
        shutil.copy(os.path.join(SRC, "config.json"), out)
        json.dump({"d_model": d, "ssm_cfg": ssm, "rms_norm_eps": cfg["rms_norm_eps"],
                   "vocab_size": cfg["vocab_size"], "d_inner": d_inner, "d_xb": d_xb,
                   "intermediate_size": cfg["intermediate_size"], "hidden_act": "silu",
                   "n_layer": cfg["num_hidden_layers"], "attn_layers": [1]},
                  open(os.path.join(out, "mamba_config.json"), "w"), indent=4)


if __name__ == "__main__":
    main()
