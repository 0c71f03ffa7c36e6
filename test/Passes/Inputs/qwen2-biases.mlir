// 2-layer qwen2 for the attn-to-mamba tests (scripts/make_pass_test_inputs.py).
llm.model @qwen2 config <arch = qwen2, vocab = 32, hidden = 8, intermediate = 16, layers = 2, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, tie_embeddings = true> weights "qwen2.safetensors" {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %in0 = llm.weight "model.layers.0.input_layernorm.weight" : tensor<8xbf16>
  %q0 = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16>
  %k0 = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16>
  %v0 = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16>
  %o0 = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %x0 = llm.rms_norm %h0, %in0 : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %qb0 = llm.weight "model.layers.0.self_attn.q_proj.bias" : tensor<8xbf16>
  %kb0 = llm.weight "model.layers.0.self_attn.k_proj.bias" : tensor<4xbf16>
  %vb0 = llm.weight "model.layers.0.self_attn.v_proj.bias" : tensor<4xbf16>
  %a0 = llm.attention %x0 layer 0 q %q0 k %k0 v %v0 o %o0 q_bias %qb0 k_bias %kb0 v_bias %vb0 : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> tensor<?x?x8xf32>
  %r0 = llm.add %h0, %a0 : tensor<?x?x8xf32>
  %post0 = llm.weight "model.layers.0.post_attention_layernorm.weight" : tensor<8xbf16>
  %g0 = llm.weight "model.layers.0.mlp.gate_proj.weight" : tensor<16x8xbf16>
  %u0 = llm.weight "model.layers.0.mlp.up_proj.weight" : tensor<16x8xbf16>
  %d0 = llm.weight "model.layers.0.mlp.down_proj.weight" : tensor<8x16xbf16>
  %y0 = llm.rms_norm %r0, %post0 : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %m0 = llm.mlp %y0 gate %g0 up %u0 down %d0 : (tensor<?x?x8xf32>, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<?x?x8xf32>
  %h1 = llm.add %r0, %m0 : tensor<?x?x8xf32>
  %in1 = llm.weight "model.layers.1.input_layernorm.weight" : tensor<8xbf16>
  %q1 = llm.weight "model.layers.1.self_attn.q_proj.weight" : tensor<8x8xbf16>
  %k1 = llm.weight "model.layers.1.self_attn.k_proj.weight" : tensor<4x8xbf16>
  %v1 = llm.weight "model.layers.1.self_attn.v_proj.weight" : tensor<4x8xbf16>
  %o1 = llm.weight "model.layers.1.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %x1 = llm.rms_norm %h1, %in1 : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %qb1 = llm.weight "model.layers.1.self_attn.q_proj.bias" : tensor<8xbf16>
  %kb1 = llm.weight "model.layers.1.self_attn.k_proj.bias" : tensor<4xbf16>
  %vb1 = llm.weight "model.layers.1.self_attn.v_proj.bias" : tensor<4xbf16>
  %a1 = llm.attention %x1 layer 1 q %q1 k %k1 v %v1 o %o1 q_bias %qb1 k_bias %kb1 v_bias %vb1 : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> tensor<?x?x8xf32>
  %r1 = llm.add %h1, %a1 : tensor<?x?x8xf32>
  %post1 = llm.weight "model.layers.1.post_attention_layernorm.weight" : tensor<8xbf16>
  %g1 = llm.weight "model.layers.1.mlp.gate_proj.weight" : tensor<16x8xbf16>
  %u1 = llm.weight "model.layers.1.mlp.up_proj.weight" : tensor<16x8xbf16>
  %d1 = llm.weight "model.layers.1.mlp.down_proj.weight" : tensor<8x16xbf16>
  %y1 = llm.rms_norm %r1, %post1 : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %m1 = llm.mlp %y1 gate %g1 up %u1 down %d1 : (tensor<?x?x8xf32>, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<?x?x8xf32>
  %h2 = llm.add %r1, %m1 : tensor<?x?x8xf32>
  %fn = llm.weight "model.norm.weight" : tensor<8xbf16>
  %hn = llm.rms_norm %h2, %fn : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %logits = llm.lm_head %hn, %emb : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}
