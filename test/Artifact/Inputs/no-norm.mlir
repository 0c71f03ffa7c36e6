// A valid model whose layer has no input norm: ml-compile cannot lay it out.
llm.model @no_norm config <arch = qwen2, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 131072, rope_theta = 1000000.0, rope_scaling = <kind = yarn, factor = 4.0, original_max_position = 32768>, rms_eps = 1.0e-06, tie_embeddings = true, eos = [2]> {
^bb0(%tokens: tensor<?x?xi64>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi64>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16>
  %k = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16>
  %v = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %qb = llm.weight "model.layers.0.self_attn.q_proj.bias" : tensor<8xbf16>
  %kb = llm.weight "model.layers.0.self_attn.k_proj.bias" : tensor<4xbf16>
  %vb = llm.weight "model.layers.0.self_attn.v_proj.bias" : tensor<4xbf16>
  %a = llm.attention %h0 layer 0 q %q k %k v %v o %o q_bias %qb k_bias %kb v_bias %vb : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> tensor<?x?x8xf32>
  %logits = llm.lm_head %a, %emb : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}
