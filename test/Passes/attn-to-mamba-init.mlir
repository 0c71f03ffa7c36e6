// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba=ratio=0.5 2>/dev/null | FileCheck %s --check-prefix=M2
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" 2>/dev/null | FileCheck %s --check-prefix=M1
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba1 d-state=8 dt-rank=2" 2>/dev/null | FileCheck %s --check-prefix=M1S
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba="ratio=0.5 init=random" 2>/dev/null | FileCheck %s --check-prefix=RANDOM
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba=ratio=0.5 2>/dev/null > %t.a
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba=ratio=0.5 2>/dev/null > %t.b
// RUN: diff %t.a %t.b

// Tests the weight reuse and the new parameters' init rules on the 2-layer
// example (hidden 64, 4 heads of 16, 2 key/value heads): Mamba-2 takes
// C <- q, B <- k, x <- v, out <- o as the same SSA values, with heads = 4,
// d_state = head_dim = 16, groups = kv_heads = 2; new weights follow
// PyTorch's defaults (Linear and Conv1d U(+-1/sqrt(fan_in))) and Mamba's
// (dt bias, A_log, D = 1, norm = 1). The output is deterministic.

// M2: %[[Q:.+]] = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
// M2: %[[K:.+]] = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<32x64xbf16>
// M2: %[[V:.+]] = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<32x64xbf16>
// M2: %[[O:.+]] = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<64x64xbf16>
// M2: %[[Z:.+]] = llm.weight "model.layers.0.mamba.z_proj.weight" init <uniform(-0.125, 0.125)> seed 42000000 : tensor<64x64xbf16>
// M2: %[[DT:.+]] = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-0.125, 0.125)> seed 42000001 : tensor<4x64xbf16>
// M2: %[[CW:.+]] = llm.weight "model.layers.0.mamba.conv1d.weight" init <uniform(-0.5, 0.5)> seed 42000002 : tensor<128x4xbf16>
// M2: %[[CB:.+]] = llm.weight "model.layers.0.mamba.conv1d.bias" init <uniform(-0.5, 0.5)> seed 42000003 : tensor<128xbf16>
// M2: %[[DTB:.+]] = llm.weight "model.layers.0.mamba.dt_bias" init <dt_bias(0.001, 0.1, 0.0001)> seed 42000004 : tensor<4xbf16>
// M2: %[[A:.+]] = llm.weight "model.layers.0.mamba.A_log" init <log_uniform(1.0, 16.0)> seed 42000005 : tensor<4xbf16>
// M2: %[[D:.+]] = llm.weight "model.layers.0.mamba.D" init <ones> : tensor<4xbf16>
// M2: %[[N:.+]] = llm.weight "model.layers.0.mamba.norm.weight" init <ones> : tensor<64xbf16>
// M2: llm.mamba %{{.+}} layer 0 mamba2 d_state 16 groups 2 x %[[V]] B %[[K]] C %[[Q]] z %[[Z]] out %[[O]] conv %[[CW]], %[[CB]] dt_bias %[[DTB]] A_log %[[A]] D %[[D]] dt %[[DT]] norm %[[N]] :
// M2: llm.attention %{{.+}} layer 1

// M1: %[[Z:.+]] = llm.weight "model.layers.0.mamba.in_proj_z.weight" init <uniform(-0.125, 0.125)> seed 42000000 : tensor<64x64xbf16>
// M1: %[[DD:.+]] = llm.weight "model.layers.0.mamba.dt_proj_down.weight" init <uniform(-0.125, 0.125)> seed 42000001 : tensor<4x64xbf16>
// M1: %[[DP:.+]] = llm.weight "model.layers.0.mamba.dt_proj.weight" init <uniform(-0.5, 0.5)> seed 42000002 : tensor<64x4xbf16>
// M1: %[[DTB:.+]] = llm.weight "model.layers.0.mamba.dt_proj.bias" init <dt_bias(0.001, 0.1, 0.0001)> seed 42000003 : tensor<64xbf16>
// M1: %[[CW:.+]] = llm.weight "model.layers.0.mamba.conv1d.weight" init <uniform(-0.5, 0.5)> seed 42000004 : tensor<64x4xbf16>
// M1: %[[A:.+]] = llm.weight "model.layers.0.mamba.A_log" init <s4d_real> : tensor<64x16xbf16>
// M1: llm.mamba %{{.+}} layer 0 mamba1 d_state 16 groups 2 x %l0_v_proj B %l0_k_proj C %l0_q_proj z %[[Z]] out %l0_o_proj conv %[[CW]], %{{.+}} dt_bias %[[DTB]] A_log %[[A]] D %{{.+}} dt_down %[[DD]] dt_proj %[[DP]] :

// M1S: llm.weight "model.layers.0.mamba.dt_proj_down.weight" {{.*}} : tensor<2x64xbf16>
// M1S: llm.weight "model.layers.0.mamba.A_log" init <s4d_real> : tensor<64x8xbf16>
// M1S: llm.mamba %{{.+}} layer 0 mamba1 d_state 8 groups 4

// RANDOM-NOT: "model.layers.0.self_attn.q_proj.weight"
// RANDOM: %[[X:.+]] = llm.weight "model.layers.0.mamba.x_proj.weight" init <uniform(-0.125, 0.125)> seed 42000000 : tensor<32x64xbf16>
// RANDOM: %[[C:.+]] = llm.weight "model.layers.0.mamba.C_proj.weight" init <uniform(-0.125, 0.125)>
// RANDOM: %[[OUT:.+]] = llm.weight "model.layers.0.mamba.out_proj.weight" init <uniform(-0.125, 0.125)>
// RANDOM: llm.mamba %{{.+}} layer 0 mamba2 d_state 16 groups 2 x %[[X]] B %{{.+}} C %[[C]] z %{{.+}} out %[[OUT]]
// RANDOM: llm.weight "model.layers.1.self_attn.q_proj.weight"
