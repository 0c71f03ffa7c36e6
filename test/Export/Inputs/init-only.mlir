// A one-layer Llama whose weights all come from init rules (no store).
llm.model @init_only config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, tie_embeddings = true> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" init <normal(0.0, 0.02)> seed 1 : tensor<32x8xbf16>
  %h = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %n = llm.weight "model.layers.0.input_layernorm.weight" init <constant(0.5)> : tensor<8xf32>
  %x = llm.rms_norm %h, %n : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %q = llm.weight "model.layers.0.self_attn.q_proj.weight" init <uniform(-0.25, 0.25)> seed 2 : tensor<8x8xbf16>
  %k = llm.weight "model.layers.0.self_attn.k_proj.weight" init <uniform(-0.25, 0.25)> seed 3 : tensor<4x8xbf16>
  %v = llm.weight "model.layers.0.self_attn.v_proj.weight" init <uniform(-0.25, 0.25)> seed 4 : tensor<4x8xbf16>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" init <uniform(-0.25, 0.25)> seed 5 : tensor<8x8xbf16>
  %a = llm.attention %x layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %r = llm.add %h, %a : tensor<?x?x8xf32>
  %p = llm.weight "model.layers.0.post_attention_layernorm.weight" init <ones> : tensor<8xf32>
  %y = llm.rms_norm %r, %p : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %g = llm.weight "model.layers.0.mlp.gate_proj.weight" init <zeros> : tensor<16x8xbf16>
  %u = llm.weight "model.layers.0.mlp.up_proj.weight" init <zeros> : tensor<16x8xbf16>
  %d = llm.weight "model.layers.0.mlp.down_proj.weight" init <zeros> : tensor<8x16xbf16>
  %m = llm.mlp %y gate %g up %u down %d : (tensor<?x?x8xf32>, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<?x?x8xf32>
  %z = llm.add %r, %m : tensor<?x?x8xf32>
  %f = llm.weight "model.norm.weight" init <ones> : tensor<8xf32>
  %fn = llm.rms_norm %z, %f : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %logits = llm.lm_head %fn, %emb : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}
