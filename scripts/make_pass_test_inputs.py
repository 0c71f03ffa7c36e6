#!/usr/bin/env python3
"""Writes test/Passes/Inputs/llama-<n>.mlir: n-layer Llama modules (GQA,
hidden 8, 2 heads, 1 key/value head) for the layer-schedule tests, and
qwen2-biases.mlir (attention with q/k/v biases).

  python3 scripts/make_pass_test_inputs.py
"""
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "test/Passes/Inputs")
H = "tensor<?x?x8xf32>"


def model(name, layers, arch="llama", biases=False):
    lines = [f"// {layers}-layer {arch} for the attn-to-mamba tests (scripts/make_pass_test_inputs.py).",
             f"llm.model @{name} config <arch = {arch}, vocab = 32, hidden = 8, intermediate = 16, "
             f"layers = {layers}, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, "
             f"rope_theta = 10000.0, rms_eps = 1.0e-05, tie_embeddings = true> weights \"{name}.safetensors\" {{",
             "^bb0(%tokens: tensor<?x?xi32>):",
             '  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>',
             f"  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> {H}"]
    for i in range(layers):
        p = f"model.layers.{i}."
        w = lambda n, t: f'  %{n}{i} = llm.weight "{p}{n_map[n]}" : tensor<{t}xbf16>'
        n_map = {"in": "input_layernorm.weight", "q": "self_attn.q_proj.weight",
                 "k": "self_attn.k_proj.weight", "v": "self_attn.v_proj.weight",
                 "o": "self_attn.o_proj.weight", "post": "post_attention_layernorm.weight",
                 "g": "mlp.gate_proj.weight", "u": "mlp.up_proj.weight", "d": "mlp.down_proj.weight",
                 "qb": "self_attn.q_proj.bias", "kb": "self_attn.k_proj.bias", "vb": "self_attn.v_proj.bias"}
        lines += [w("in", "8"), w("q", "8x8"), w("k", "4x8"), w("v", "4x8"), w("o", "8x8")]
        lines.append(f"  %x{i} = llm.rms_norm %h{i}, %in{i} : ({H}, tensor<8xbf16>) -> {H}")
        bias_ops, bias_types = "", ""
        if biases:
            lines += [w("qb", "8"), w("kb", "4"), w("vb", "4")]
            bias_ops = f" q_bias %qb{i} k_bias %kb{i} v_bias %vb{i}"
            bias_types = ", tensor<8xbf16>, tensor<4xbf16>, tensor<4xbf16>"
        lines.append(f"  %a{i} = llm.attention %x{i} layer {i} q %q{i} k %k{i} v %v{i} o %o{i}{bias_ops} : "
                     f"({H}, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>{bias_types}) -> {H}")
        lines.append(f"  %r{i} = llm.add %h{i}, %a{i} : {H}")
        lines += [w("post", "8"), w("g", "16x8"), w("u", "16x8"), w("d", "8x16")]
        lines.append(f"  %y{i} = llm.rms_norm %r{i}, %post{i} : ({H}, tensor<8xbf16>) -> {H}")
        lines.append(f"  %m{i} = llm.mlp %y{i} gate %g{i} up %u{i} down %d{i} : "
                     f"({H}, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> {H}")
        lines.append(f"  %h{i + 1} = llm.add %r{i}, %m{i} : {H}")
    lines += ['  %fn = llm.weight "model.norm.weight" : tensor<8xbf16>',
              f"  %hn = llm.rms_norm %h{layers}, %fn : ({H}, tensor<8xbf16>) -> {H}",
              f"  %logits = llm.lm_head %hn, %emb : ({H}, tensor<32x8xbf16>) -> tensor<?x?x32xf32>",
              "  llm.return %logits : tensor<?x?x32xf32>", "}"]
    return "\n".join(lines) + "\n"


os.makedirs(OUT, exist_ok=True)
for n in (32, 30):
    open(os.path.join(OUT, f"llama-{n}.mlir"), "w").write(model(f"llama{n}", n))
open(os.path.join(OUT, "qwen2-biases.mlir"), "w").write(model("qwen2", 2, "qwen2", True))
