// RUN: ml-opt %s -split-input-file | FileCheck %s
// RUN: ml-opt %s -split-input-file | ml-opt -split-input-file | FileCheck %s
// RUN: ml-opt %s -split-input-file --mlir-print-op-generic | ml-opt -split-input-file | FileCheck %s

// Tests that a one-layer Llama with every dense op round-trips, and that the
// config keeps every field it was given.
// CHECK-LABEL: llm.model @llama
// CHECK-SAME: config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 500000.0, rms_eps = 1.0e-05, bos = 1, eos = [2, 3]>
// CHECK-SAME: weights "llama.safetensors"
// CHECK: ^bb0(%[[TOK:.+]]: tensor<?x?xi32>):
// CHECK: %[[EMB:.+]] = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
// CHECK: %[[H0:.+]] = llm.embed %[[TOK]], %[[EMB]] : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
// CHECK: %[[NW:.+]] = llm.weight "model.layers.0.input_layernorm.weight" : tensor<8xbf16>
// CHECK: %[[Q:.+]] = llm.weight "model.layers.0.self_attn.q_proj.weight"
// CHECK: %[[K:.+]] = llm.weight "model.layers.0.self_attn.k_proj.weight"
// CHECK: %[[V:.+]] = llm.weight "model.layers.0.self_attn.v_proj.weight"
// CHECK: %[[O:.+]] = llm.weight "model.layers.0.self_attn.o_proj.weight"
// CHECK: %[[X:.+]] = llm.rms_norm %[[H0]], %[[NW]]
// CHECK: %[[A:.+]] = llm.attention %[[X]] layer 0 q %[[Q]] k %[[K]] v %[[V]] o %[[O]] : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
// CHECK: %[[R:.+]] = llm.add %[[H0]], %[[A]] : tensor<?x?x8xf32>
// CHECK: llm.mlp %{{.+}} gate %{{.+}} up %{{.+}} down %{{.+}} : (tensor<?x?x8xf32>, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<?x?x8xf32>
// CHECK: %[[LOGITS:.+]] = llm.lm_head %{{.+}}, %{{.+}} : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
// CHECK: llm.return %[[LOGITS]] : tensor<?x?x32xf32>
llm.model @llama config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 500000.0, rms_eps = 1.0e-05, bos = 1, eos = [2, 3]> weights "llama.safetensors" {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %in = llm.weight "model.layers.0.input_layernorm.weight" : tensor<8xbf16>
  %q = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16>
  %k = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16>
  %v = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %x = llm.rms_norm %h0, %in : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %a = llm.attention %x layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %r = llm.add %h0, %a : tensor<?x?x8xf32>
  %post = llm.weight "model.layers.0.post_attention_layernorm.weight" : tensor<8xbf16>
  %gate = llm.weight "model.layers.0.mlp.gate_proj.weight" : tensor<16x8xbf16>
  %up = llm.weight "model.layers.0.mlp.up_proj.weight" : tensor<16x8xbf16>
  %down = llm.weight "model.layers.0.mlp.down_proj.weight" : tensor<8x16xbf16>
  %y = llm.rms_norm %r, %post : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %m = llm.mlp %y gate %gate up %up down %down : (tensor<?x?x8xf32>, tensor<16x8xbf16>, tensor<16x8xbf16>, tensor<8x16xbf16>) -> tensor<?x?x8xf32>
  %h1 = llm.add %r, %m : tensor<?x?x8xf32>
  %fn = llm.weight "model.norm.weight" : tensor<8xbf16>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %hn = llm.rms_norm %h1, %fn : (tensor<?x?x8xf32>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %logits = llm.lm_head %hn, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests Qwen2's q/k/v biases, tied embeddings (the LM head reads the
// embedding table) and yarn RoPE scaling.
// CHECK-LABEL: llm.model @qwen2
// CHECK-SAME: arch = qwen2
// CHECK-SAME: rope_scaling = <kind = yarn, factor = 4.0, original_max_position = 32768>
// CHECK-SAME: tie_embeddings = true
// CHECK: %[[EMB:.+]] = llm.weight "model.embed_tokens.weight"
// CHECK: %[[QB:.+]] = llm.weight "model.layers.0.self_attn.q_proj.bias" : tensor<8xbf16>
// CHECK: %[[KB:.+]] = llm.weight "model.layers.0.self_attn.k_proj.bias" : tensor<4xbf16>
// CHECK: %[[VB:.+]] = llm.weight "model.layers.0.self_attn.v_proj.bias" : tensor<4xbf16>
// CHECK: llm.attention %{{.+}} layer 0 q %{{.+}} k %{{.+}} v %{{.+}} o %{{.+}} q_bias %[[QB]] k_bias %[[KB]] v_bias %[[VB]] :
// CHECK: llm.lm_head %{{.+}}, %[[EMB]] :
llm.model @qwen2 config <arch = qwen2, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 131072, rope_theta = 1000000.0, rope_scaling = <kind = yarn, factor = 4.0, original_max_position = 32768>, rms_eps = 1.0e-06, tie_embeddings = true, eos = [2]> {
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

// -----

// Tests Mistral's sliding window and Llama-3 RoPE scaling.
// CHECK-LABEL: llm.model @mistral
// CHECK-SAME: arch = mistral
// CHECK-SAME: rope_scaling = <kind = llama3, factor = 8.0, low_freq_factor = 2.0, original_max_position = 8192>
// CHECK-SAME: sliding_window = 16
// CHECK: llm.attention %{{.+}} layer 0 q %{{.+}} k %{{.+}} v %{{.+}} o %{{.+}} sliding_window 16 :
llm.model @mistral config <arch = mistral, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rope_scaling = <kind = llama3, factor = 8.0, low_freq_factor = 2.0, high_freq_factor = 4.0, original_max_position = 8192>, rms_eps = 1.0e-05, sliding_window = 16> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xf32>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xf32>) -> tensor<?x?x8xf32>
  %q = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xf32>
  %k = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xf32>
  %v = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<4x8xf32>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xf32>
  %a = llm.attention %h0 layer 0 q %q k %k v %v o %o sliding_window 16 : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests a Mamba-2 mixer that reuses the attention weights (C <- q, B <- k,
// x <- v, out <- o) and the init rules of its new parameters.
// CHECK-LABEL: llm.model @mamba2
// CHECK-DAG: %[[Q:.+]] = llm.weight "model.layers.0.self_attn.q_proj.weight"
// CHECK-DAG: %[[K:.+]] = llm.weight "model.layers.0.self_attn.k_proj.weight"
// CHECK-DAG: %[[V:.+]] = llm.weight "model.layers.0.self_attn.v_proj.weight"
// CHECK-DAG: %[[O:.+]] = llm.weight "model.layers.0.self_attn.o_proj.weight"
// CHECK-DAG: %[[Z:.+]] = llm.weight "model.layers.0.mamba.z_proj.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 42 : tensor<8x8xbf16>
// CHECK-DAG: %[[DT:.+]] = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 43 : tensor<2x8xbf16>
// CHECK-DAG: %[[CW:.+]] = llm.weight "model.layers.0.mamba.conv1d.weight" init <uniform(-0.5, 0.5)> seed 44 : tensor<16x4xbf16>
// CHECK-DAG: %[[CB:.+]] = llm.weight "model.layers.0.mamba.conv1d.bias" init <uniform(-0.5, 0.5)> seed 45 : tensor<16xbf16>
// CHECK-DAG: %[[DTB:.+]] = llm.weight "model.layers.0.mamba.dt_bias" init <dt_bias(0.001, 0.1, 0.0001)> seed 46 : tensor<2xf32>
// CHECK-DAG: %[[AL:.+]] = llm.weight "model.layers.0.mamba.A_log" init <log_uniform(1.0, 16.0)> seed 47 : tensor<2xf32>
// CHECK-DAG: %[[D:.+]] = llm.weight "model.layers.0.mamba.D" init <ones> : tensor<2xf32>
// CHECK-DAG: %[[NW:.+]] = llm.weight "model.layers.0.mamba.norm.weight" init <ones> : tensor<8xbf16>
// CHECK: llm.mamba %{{.+}} layer 0 mamba2 d_state 4 groups 1 x %[[V]] B %[[K]] C %[[Q]] z %[[Z]] out %[[O]] conv %[[CW]], %[[CB]] dt_bias %[[DTB]] A_log %[[AL]] D %[[D]] dt %[[DT]] norm %[[NW]] :
llm.model @mamba2 config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16>
  %k = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16>
  %v = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %z = llm.weight "model.layers.0.mamba.z_proj.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 42 : tensor<8x8xbf16>
  %dt = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 43 : tensor<2x8xbf16>
  %cw = llm.weight "model.layers.0.mamba.conv1d.weight" init <uniform(-0.5, 0.5)> seed 44 : tensor<16x4xbf16>
  %cb = llm.weight "model.layers.0.mamba.conv1d.bias" init <uniform(-0.5, 0.5)> seed 45 : tensor<16xbf16>
  %dtb = llm.weight "model.layers.0.mamba.dt_bias" init <dt_bias(0.001, 0.1, 0.0001)> seed 46 : tensor<2xf32>
  %alog = llm.weight "model.layers.0.mamba.A_log" init <log_uniform(1.0, 16.0)> seed 47 : tensor<2xf32>
  %d = llm.weight "model.layers.0.mamba.D" init <ones> : tensor<2xf32>
  %nw = llm.weight "model.layers.0.mamba.norm.weight" init <ones> : tensor<8xbf16>
  %m = llm.mamba %h0 layer 0 mamba2 d_state 4 groups 1 x %v B %k C %q z %z out %o conv %cw, %cb dt_bias %dtb A_log %alog D %d dt %dt norm %nw : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<16x4xbf16>, tensor<16xbf16>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x8xbf16>, tensor<8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %m, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests weights that are row blocks of one stored tensor (a fused
// projection) and a stored conv weight read through unit dimensions.
// CHECK-LABEL: llm.model @fused
// CHECK: %[[A:.+]] = llm.weight "model.layers.0.self_attn.qkv_proj.weight" rows [0, 8] : tensor<8x8xbf16>
// CHECK: %[[B:.+]] = llm.weight "model.layers.0.self_attn.qkv_proj.weight" rows [8, 12] : tensor<4x8xbf16>
// CHECK: llm.attention %{{.+}} layer 0 q %[[A]] k %[[B]]
llm.model @fused config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "model.layers.0.self_attn.qkv_proj.weight" rows [0, 8] : tensor<8x8xbf16>
  %k = llm.weight "model.layers.0.self_attn.qkv_proj.weight" rows [8, 12] : tensor<4x8xbf16>
  %v = llm.weight "model.layers.0.self_attn.qkv_proj.weight" rows [12, 16] : tensor<4x8xbf16>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %a = llm.attention %h0 layer 0 q %q k %k v %v o %o : (tensor<?x?x8xf32>, tensor<8x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %a, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}

// -----

// Tests a Mamba-1 mixer: d_state 4 gives 2 C groups (d_inner 8) over 1 B/x
// group, a rank-1 dt projection, and S4D-real A_log.
// CHECK-LABEL: llm.model @mamba1
// CHECK-DAG: %[[AL:.+]] = llm.weight "model.layers.0.mamba.A_log" init <s4d_real> : tensor<8x4xf32>
// CHECK-DAG: %[[DD:.+]] = llm.weight "model.layers.0.mamba.dt_proj_down.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 1 : tensor<1x8xbf16>
// CHECK-DAG: %[[DP:.+]] = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-1.0, 1.0)> seed 2 : tensor<8x1xbf16>
// CHECK-DAG: %[[DZ:.+]] = llm.weight "model.layers.0.mamba.D" init <constant(1.0)> : tensor<8xf32>
// CHECK: llm.mamba %{{.+}} layer 0 mamba1 d_state 4 groups 1 x %{{.+}} B %{{.+}} C %{{.+}} z %{{.+}} out %{{.+}} conv %{{.+}}, %{{.+}} dt_bias %{{.+}} A_log %[[AL]] D %[[DZ]] dt_down %[[DD]] dt_proj %[[DP]] :
llm.model @mamba1 config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 1, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05> {
^bb0(%tokens: tensor<?x?xi32>):
  %emb = llm.weight "model.embed_tokens.weight" : tensor<32x8xbf16>
  %h0 = llm.embed %tokens, %emb : (tensor<?x?xi32>, tensor<32x8xbf16>) -> tensor<?x?x8xf32>
  %q = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<8x8xbf16>
  %k = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<4x8xbf16>
  %v = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<4x8xbf16>
  %o = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<8x8xbf16>
  %z = llm.weight "model.layers.0.mamba.in_proj_z.weight" init <normal(0.0, 0.02)> seed 0 : tensor<8x8xbf16>
  %dd = llm.weight "model.layers.0.mamba.dt_proj_down.weight" init <uniform(-0.35355339059327373, 0.35355339059327373)> seed 1 : tensor<1x8xbf16>
  %dp = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-1.0, 1.0)> seed 2 : tensor<8x1xbf16>
  %dtb = llm.weight "model.layers.0.mamba.dt_proj.bias" init <dt_bias(0.001, 0.1, 0.0001)> seed 3 : tensor<8xf32>
  %cw = llm.weight "model.layers.0.mamba.conv1d.weight" init <uniform(-0.5, 0.5)> seed 4 : tensor<8x4xbf16>
  %cb = llm.weight "model.layers.0.mamba.conv1d.bias" init <zeros> : tensor<8xbf16>
  %alog = llm.weight "model.layers.0.mamba.A_log" init <s4d_real> : tensor<8x4xf32>
  %d = llm.weight "model.layers.0.mamba.D" init <constant(1.0)> : tensor<8xf32>
  %m = llm.mamba %h0 layer 0 mamba1 d_state 4 groups 1 x %v B %k C %q z %z out %o conv %cw, %cb dt_bias %dtb A_log %alog D %d dt_down %dd dt_proj %dp : (tensor<?x?x8xf32>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x8xbf16>, tensor<8x4xbf16>, tensor<8xbf16>, tensor<8xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<1x8xbf16>, tensor<8x1xbf16>) -> tensor<?x?x8xf32>
  %head = llm.weight "lm_head.weight" : tensor<32x8xbf16>
  %logits = llm.lm_head %m, %head : (tensor<?x?x8xf32>, tensor<32x8xbf16>) -> tensor<?x?x32xf32>
  llm.return %logits : tensor<?x?x32xf32>
}
