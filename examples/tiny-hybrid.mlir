// A hand-written 2-layer hybrid: tiny-llama.mlir with layer 0's attention
// replaced by a Mamba-2 mixer as "The Mamba in the Llama" does it (attention
// kept at odd layers, ratio 0.5). The mixer reuses the attention weights
// (C <- q, B <- k, x <- v, out <- o: 4 heads of head_dim = d_state = 16, x and
// B in 2 key/value groups); its new parameters carry the paper's init rules.
llm.model @tiny_hybrid config <arch = llama, vocab = 256, hidden = 64, intermediate = 128, layers = 2, heads = 4, kv_heads = 2, head_dim = 16, max_position = 512, rope_theta = 10000.0, rms_eps = 1.0e-05, bos = 1, eos = [2]> weights "tiny-hybrid.safetensors" {
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
  %z0 = llm.weight "model.layers.0.mamba.z_proj.weight" init <uniform(-0.125, 0.125)> seed 1 : tensor<64x64xbf16>
  %dt0 = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-0.125, 0.125)> seed 2 : tensor<4x64xbf16>
  %cw0 = llm.weight "model.layers.0.mamba.conv1d.weight" init <uniform(-0.5, 0.5)> seed 3 : tensor<128x4xbf16>
  %cb0 = llm.weight "model.layers.0.mamba.conv1d.bias" init <uniform(-0.5, 0.5)> seed 4 : tensor<128xbf16>
  %dtb0 = llm.weight "model.layers.0.mamba.dt_bias" init <dt_bias(0.001, 0.1, 0.0001)> seed 5 : tensor<4xf32>
  %alog0 = llm.weight "model.layers.0.mamba.A_log" init <log_uniform(1.0, 16.0)> seed 6 : tensor<4xf32>
  %d0 = llm.weight "model.layers.0.mamba.D" init <ones> : tensor<4xf32>
  %nw0 = llm.weight "model.layers.0.mamba.norm.weight" init <ones> : tensor<64xbf16>
  %a0 = llm.mamba %x0 layer 0 mamba2 d_state 16 groups 2 x %v0 B %k0 C %q0 z %z0 out %o0 conv %cw0, %cb0 dt_bias %dtb0 A_log %alog0 D %d0 dt %dt0 norm %nw0 : (tensor<?x?x64xf32>, tensor<32x64xbf16>, tensor<32x64xbf16>, tensor<64x64xbf16>, tensor<64x64xbf16>, tensor<64x64xbf16>, tensor<128x4xbf16>, tensor<128xbf16>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4x64xbf16>, tensor<64xbf16>) -> tensor<?x?x64xf32>
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
