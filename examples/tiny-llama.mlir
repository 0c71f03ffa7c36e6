// A hand-written 2-layer Llama with grouped-query attention (4 query heads
// sharing 2 key/value heads). Weights live in tiny-llama.safetensors under
// their Hugging Face names.
llm.model @tiny_llama config <arch = llama, vocab = 256, hidden = 64, intermediate = 128, layers = 2, heads = 4, kv_heads = 2, head_dim = 16, max_position = 512, rope_theta = 10000.0, rms_eps = 1.0e-05, bos = 1, eos = [2]> weights "tiny-llama.safetensors" {
^bb0(%tokens: tensor<?x?xi32>):
  %embed = llm.weight "model.embed_tokens.weight" : tensor<256x64xbf16>
  %h0 = llm.embed %tokens, %embed : (tensor<?x?xi32>, tensor<256x64xbf16>) -> tensor<?x?x64xf32>

  // Layer 0.
  %in0 = llm.weight "model.layers.0.input_layernorm.weight" : tensor<64xbf16>
  %q0 = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %k0 = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<32x64xbf16>
  %v0 = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<32x64xbf16>
  %o0 = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<64x64xbf16>
  %post0 = llm.weight "model.layers.0.post_attention_layernorm.weight" : tensor<64xbf16>
  %gate0 = llm.weight "model.layers.0.mlp.gate_proj.weight" : tensor<128x64xbf16>
  %up0 = llm.weight "model.layers.0.mlp.up_proj.weight" : tensor<128x64xbf16>
  %down0 = llm.weight "model.layers.0.mlp.down_proj.weight" : tensor<64x128xbf16>
  %x0 = llm.rms_norm %h0, %in0 : (tensor<?x?x64xf32>, tensor<64xbf16>) -> tensor<?x?x64xf32>
  %a0 = llm.attention %x0 layer 0 q %q0 k %k0 v %v0 o %o0 : (tensor<?x?x64xf32>, tensor<64x64xbf16>, tensor<32x64xbf16>, tensor<32x64xbf16>, tensor<64x64xbf16>) -> tensor<?x?x64xf32>
  %r0 = llm.add %h0, %a0 : tensor<?x?x64xf32>
  %y0 = llm.rms_norm %r0, %post0 : (tensor<?x?x64xf32>, tensor<64xbf16>) -> tensor<?x?x64xf32>
  %m0 = llm.mlp %y0 gate %gate0 up %up0 down %down0 : (tensor<?x?x64xf32>, tensor<128x64xbf16>, tensor<128x64xbf16>, tensor<64x128xbf16>) -> tensor<?x?x64xf32>
  %h1 = llm.add %r0, %m0 : tensor<?x?x64xf32>

  // Layer 1.
  %in1 = llm.weight "model.layers.1.input_layernorm.weight" : tensor<64xbf16>
  %q1 = llm.weight "model.layers.1.self_attn.q_proj.weight" : tensor<64x64xbf16>
  %k1 = llm.weight "model.layers.1.self_attn.k_proj.weight" : tensor<32x64xbf16>
  %v1 = llm.weight "model.layers.1.self_attn.v_proj.weight" : tensor<32x64xbf16>
  %o1 = llm.weight "model.layers.1.self_attn.o_proj.weight" : tensor<64x64xbf16>
  %post1 = llm.weight "model.layers.1.post_attention_layernorm.weight" : tensor<64xbf16>
  %gate1 = llm.weight "model.layers.1.mlp.gate_proj.weight" : tensor<128x64xbf16>
  %up1 = llm.weight "model.layers.1.mlp.up_proj.weight" : tensor<128x64xbf16>
  %down1 = llm.weight "model.layers.1.mlp.down_proj.weight" : tensor<64x128xbf16>
  %x1 = llm.rms_norm %h1, %in1 : (tensor<?x?x64xf32>, tensor<64xbf16>) -> tensor<?x?x64xf32>
  %a1 = llm.attention %x1 layer 1 q %q1 k %k1 v %v1 o %o1 : (tensor<?x?x64xf32>, tensor<64x64xbf16>, tensor<32x64xbf16>, tensor<32x64xbf16>, tensor<64x64xbf16>) -> tensor<?x?x64xf32>
  %r1 = llm.add %h1, %a1 : tensor<?x?x64xf32>
  %y1 = llm.rms_norm %r1, %post1 : (tensor<?x?x64xf32>, tensor<64xbf16>) -> tensor<?x?x64xf32>
  %m1 = llm.mlp %y1 gate %gate1 up %up1 down %down1 : (tensor<?x?x64xf32>, tensor<128x64xbf16>, tensor<128x64xbf16>, tensor<64x128xbf16>) -> tensor<?x?x64xf32>
  %h2 = llm.add %r1, %m1 : tensor<?x?x64xf32>

  // Final norm and LM head.
  %norm = llm.weight "model.norm.weight" : tensor<64xbf16>
  %head = llm.weight "lm_head.weight" : tensor<256x64xbf16>
  %hn = llm.rms_norm %h2, %norm : (tensor<?x?x64xf32>, tensor<64xbf16>) -> tensor<?x?x64xf32>
  %logits = llm.lm_head %hn, %head : (tensor<?x?x64xf32>, tensor<256x64xbf16>) -> tensor<?x?x256xf32>
  llm.return %logits : tensor<?x?x256xf32>
}
