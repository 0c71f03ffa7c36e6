// RUN: ml-opt %s | FileCheck %s
// RUN: ml-opt %s | ml-opt | FileCheck %s
// RUN: ml-opt %s -emit-bytecode | ml-opt | FileCheck %s

// Tests that a plan with every kern op round-trips: a 2-layer hybrid of
// hidden 8 (layer 0 Mamba-2: 2 heads of 4, 1 group, d_state 4; layer 1
// attention: 2 heads, 1 kv head of 4), buffers in an arena of 80 floats per
// token, both entries.

// CHECK-LABEL: kern.program @hybrid config <arch = llama, {{.*}}> arena 80 {
// CHECK: kern.weight @embed 0 "model.embed_tokens.weight" : tensor<32x8xbf16>
// CHECK: kern.kv_cache @kv1 layer 1 kv_heads 1 head_dim 4 bf16
// CHECK: kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
// CHECK: kern.entry @prefill {
// CHECK: %[[H:.+]] = kern.buffer 0 : !kern.buffer<8>
// CHECK: kern.embed @embed -> %[[H]] : !kern.buffer<8>
// CHECK: kern.linear %{{.+}}, [@l0_x, @l0_b, @l0_c] -> %[[XBC:.+]] : !kern.buffer<8> -> !kern.buffer<16>
// CHECK: kern.conv1d %[[XBC]], @l0_conv, @l0_conv_bias state @ssm0 -> %[[XBC]] : !kern.buffer<16> -> !kern.buffer<16>
// CHECK: kern.ssm_scan mamba2 %[[XBC]], %{{.+}} dt_bias @l0_dt_bias A_log @l0_A_log D @l0_D state @ssm0 heads 2 groups 1 d_state 4 -> %{{.+}}
// CHECK: kern.repeat_groups %{{.+}} group 4 times 2 -> %{{.+}} : !kern.buffer<4> -> !kern.buffer<8>
// CHECK: kern.gated_rms_norm %{{.+}}, %{{.+}}, @l0_norm group 4 -> %{{.+}}
// CHECK: kern.linear %{{.+}}, [@l1_q] bias [@l1_qb] -> %{{.+}} : !kern.buffer<8> -> !kern.buffer<8>
// CHECK: kern.rope %{{.+}}, %{{.+}} head_dim 4 : !kern.buffer<8>, !kern.buffer<4>
// CHECK: kern.attention %{{.+}}, %{{.+}}, %{{.+}} cache @kv1 heads 2 window 16 -> %{{.+}}
// CHECK: kern.swiglu
// CHECK: kern.lm_head %{{.+}}, @embed : !kern.buffer<8>
// CHECK: kern.entry @decode step {
// CHECK: kern.linear %[[DH:.+]] norm @l0_in eps 1.000000e-05, [@l1_q, @l1_k] -> %[[Q:.+]], %{{.+}} : !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<4>
// CHECK: kern.attention %[[Q]], %{{.+}}, %{{.+}} cache @kv1 heads 2 window 16 rope -> %[[A:.+]] :
// CHECK: kern.linear %[[A]], [@l1_o] accumulate -> %[[DH]] : !kern.buffer<8> -> !kern.buffer<8>
// CHECK: kern.linear_swiglu %[[DH]] norm @norm eps 1.000000e-05, gate @l1_gate up @l1_up -> %{{.+}} : !kern.buffer<8> -> !kern.buffer<16>
// CHECK: kern.lm_head %[[DH]] norm @norm eps 1.000000e-05, @embed : !kern.buffer<8>
kern.program @hybrid config <arch = llama, vocab = 32, hidden = 8, intermediate = 16, layers = 2, heads = 2, kv_heads = 1, head_dim = 4, max_position = 64, rope_theta = 10000.0, rms_eps = 1.0e-05, tie_embeddings = true, sliding_window = 16> arena 80 {
  kern.weight @embed 0 "model.embed_tokens.weight" : tensor<32x8xbf16>
  kern.weight @l0_in 1 "model.layers.0.input_layernorm.weight" : tensor<8xbf16>
  kern.weight @l0_x 2 "model.layers.0.mamba.in_proj.weight" : tensor<4x8xbf16>
  kern.weight @l0_b 3 "model.layers.0.mamba.in_proj.weight" : tensor<4x8xbf16>
  kern.weight @l0_c 4 "model.layers.0.mamba.in_proj.weight" : tensor<8x8xbf16>
  kern.weight @l0_z 5 "model.layers.0.mamba.in_proj.weight" : tensor<8x8xbf16>
  kern.weight @l0_dt 6 "model.layers.0.mamba.in_proj.weight" : tensor<2x8xbf16>
  kern.weight @l0_conv 7 "model.layers.0.mamba.conv1d.weight" : tensor<16x4xbf16>
  kern.weight @l0_conv_bias 8 "model.layers.0.mamba.conv1d.bias" : tensor<16xbf16>
  kern.weight @l0_dt_bias 9 "model.layers.0.mamba.dt_bias" : tensor<2xbf16>
  kern.weight @l0_A_log 10 "model.layers.0.mamba.A_log" : tensor<2xbf16>
  kern.weight @l0_D 11 "model.layers.0.mamba.D" : tensor<2xbf16>
  kern.weight @l0_norm 12 "model.layers.0.mamba.norm.weight" : tensor<8xbf16>
  kern.weight @l0_out 13 "model.layers.0.mamba.out_proj.weight" : tensor<8x8xbf16>
  kern.weight @l1_q 14 "model.layers.1.self_attn.q_proj.weight" : tensor<8x8xbf16>
  kern.weight @l1_k 15 "model.layers.1.self_attn.k_proj.weight" : tensor<4x8xbf16>
  kern.weight @l1_v 16 "model.layers.1.self_attn.v_proj.weight" : tensor<4x8xbf16>
  kern.weight @l1_qb 17 "model.layers.1.self_attn.q_proj.bias" : tensor<8xbf16>
  kern.weight @l1_kb 18 "model.layers.1.self_attn.k_proj.bias" : tensor<4xbf16>
  kern.weight @l1_vb 19 "model.layers.1.self_attn.v_proj.bias" : tensor<4xbf16>
  kern.weight @l1_o 20 "model.layers.1.self_attn.o_proj.weight" : tensor<8x8xbf16>
  kern.weight @l1_gate 21 "model.layers.1.mlp.gate_proj.weight" : tensor<16x8xbf16>
  kern.weight @l1_up 22 "model.layers.1.mlp.up_proj.weight" : tensor<16x8xbf16>
  kern.weight @l1_down 23 "model.layers.1.mlp.down_proj.weight" : tensor<8x16xbf16>
  kern.weight @norm 24 "model.norm.weight" : tensor<8xbf16>
  kern.kv_cache @kv1 layer 1 kv_heads 1 head_dim 4 bf16
  kern.mamba_state @ssm0 layer 0 conv 16 x 4 ssm 2 x 4 x 4
  kern.entry @prefill {
    %h = kern.buffer 0 : !kern.buffer<8>
    %x = kern.buffer 8 : !kern.buffer<8>
    %xbc = kern.buffer 16 : !kern.buffer<16>
    %z = kern.buffer 32 : !kern.buffer<8>
    %dt = kern.buffer 40 : !kern.buffer<2>
    %y = kern.buffer 48 : !kern.buffer<8>
    kern.embed @embed -> %h : !kern.buffer<8>
    kern.rms_norm %h, @l0_in eps 1.0e-05 -> %x : !kern.buffer<8> -> !kern.buffer<8>
    kern.linear %x, [@l0_x, @l0_b, @l0_c] -> %xbc : !kern.buffer<8> -> !kern.buffer<16>
    kern.linear %x, [@l0_z] -> %z : !kern.buffer<8> -> !kern.buffer<8>
    kern.linear %x, [@l0_dt] -> %dt : !kern.buffer<8> -> !kern.buffer<2>
    kern.conv1d %xbc, @l0_conv, @l0_conv_bias state @ssm0 -> %xbc : !kern.buffer<16> -> !kern.buffer<16>
    kern.ssm_scan mamba2 %xbc, %dt dt_bias @l0_dt_bias A_log @l0_A_log D @l0_D state @ssm0 heads 2 groups 1 d_state 4 -> %y : !kern.buffer<16>, !kern.buffer<2> -> !kern.buffer<8>
    %r4 = kern.buffer 64 : !kern.buffer<4>
    %xr = kern.buffer 68 : !kern.buffer<8>
    kern.repeat_groups %r4 group 4 times 2 -> %xr : !kern.buffer<4> -> !kern.buffer<8>
    kern.gated_rms_norm %y, %z, @l0_norm group 4 -> %y : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.linear %y, [@l0_out] -> %x : !kern.buffer<8> -> !kern.buffer<8>
    kern.add %h, %x -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    %q = kern.buffer 16 : !kern.buffer<8>
    %k = kern.buffer 24 : !kern.buffer<4>
    %v = kern.buffer 28 : !kern.buffer<4>
    kern.linear %h, [@l1_q] bias [@l1_qb] -> %q : !kern.buffer<8> -> !kern.buffer<8>
    kern.linear %h, [@l1_k] bias [@l1_kb] -> %k : !kern.buffer<8> -> !kern.buffer<4>
    kern.linear %h, [@l1_v] bias [@l1_vb] -> %v : !kern.buffer<8> -> !kern.buffer<4>
    kern.rope %q, %k head_dim 4 : !kern.buffer<8>, !kern.buffer<4>
    kern.attention %q, %k, %v cache @kv1 heads 2 window 16 -> %x : !kern.buffer<8>, !kern.buffer<4>, !kern.buffer<4> -> !kern.buffer<8>
    kern.linear %x, [@l1_o] -> %y : !kern.buffer<8> -> !kern.buffer<8>
    kern.add %h, %y -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    %gate = kern.buffer 16 : !kern.buffer<16>
    %up = kern.buffer 32 : !kern.buffer<16>
    kern.linear %h, [@l1_gate] -> %gate : !kern.buffer<8> -> !kern.buffer<16>
    kern.linear %h, [@l1_up] -> %up : !kern.buffer<8> -> !kern.buffer<16>
    kern.swiglu %gate, %up -> %gate : !kern.buffer<16>, !kern.buffer<16> -> !kern.buffer<16>
    kern.linear %gate, [@l1_down] -> %y : !kern.buffer<16> -> !kern.buffer<8>
    kern.add %h, %y -> %h : !kern.buffer<8>, !kern.buffer<8> -> !kern.buffer<8>
    kern.rms_norm %h, @norm eps 1.0e-05 -> %h : !kern.buffer<8> -> !kern.buffer<8>
    kern.lm_head %h, @embed : !kern.buffer<8>
  }
  kern.entry @decode step {
    %h = kern.buffer 0 : !kern.buffer<8>
    kern.embed @embed -> %h : !kern.buffer<8>
    %q = kern.buffer 8 : !kern.buffer<8>
    %k = kern.buffer 16 : !kern.buffer<4>
    kern.linear %h norm @l0_in eps 1.0e-05, [@l1_q, @l1_k] -> %q, %k : !kern.buffer<8> -> !kern.buffer<8>, !kern.buffer<4>
    %v = kern.buffer 20 : !kern.buffer<4>
    %a = kern.buffer 40 : !kern.buffer<8>
    kern.attention %q, %k, %v cache @kv1 heads 2 window 16 rope -> %a : !kern.buffer<8>, !kern.buffer<4>, !kern.buffer<4> -> !kern.buffer<8>
    kern.linear %a, [@l1_o] accumulate -> %h : !kern.buffer<8> -> !kern.buffer<8>
    %m = kern.buffer 24 : !kern.buffer<16>
    kern.linear_swiglu %h norm @norm eps 1.0e-05, gate @l1_gate up @l1_up -> %m : !kern.buffer<8> -> !kern.buffer<16>
    kern.lm_head %h norm @norm eps 1.0e-05, @embed : !kern.buffer<8>
  }
}
