// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern 2>&1 -o %t.mlir | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s --input-file=%t.mlir
// RUN: ml-opt %t.mlir -o /dev/null
// RUN: ml-opt %S/Inputs/llama-30.mlir --attn-to-mamba=ratio=0.5 2>/dev/null | ml-opt --convert-llm-to-kern -o /dev/null 2>&1 | FileCheck %s --check-prefix=HYBRID30
// RUN: ml-opt %examples/tiny-llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" 2>/dev/null | ml-opt --convert-llm-to-kern 2>/dev/null | FileCheck %s --check-prefix=MAMBA1
// RUN: ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern="ssm-state=bf16 kv-cache=bf16" 2>/dev/null | FileCheck %s --check-prefix=STATES-BF16
// RUN: not ml-opt %examples/tiny-hybrid.mlir --convert-llm-to-kern="ssm-state=fp8" -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATES-BAD

// Tests the plan of the 2-layer example hybrid (layer 0 Mamba-2 on the
// reused attention weights, layer 1 attention): the weight table in the
// artifact's order, one state per layer, both entries with the same
// kernels, and a buffer packing the kern verifier accepts (no two live
// buffers overlap). The Mamba-2 projection reads [x|B|C] = [v|k|q] in one
// GEMM, as MambaInLlama's in_proj does.

// REMARK: remark: planned @tiny_hybrid.plan: arena of 384 floats per token, 2 layer states

// CHECK: llm.model @tiny_hybrid
// CHECK-LABEL: kern.program @tiny_hybrid.plan config <{{.*}}> arena 384 {
// CHECK: kern.weight @w0 0 "model.embed_tokens.weight" : tensor<256x64xbf16>
// CHECK: kern.weight @w2 2 "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xbf16>
// CHECK: kern.weight @w3 3 "model.layers.0.self_attn.k_proj.weight"
// CHECK: kern.weight @w4 4 "model.layers.0.self_attn.v_proj.weight"
// CHECK: kern.weight @w28 28 "lm_head.weight"
// CHECK: kern.mamba_state @ssm0 layer 0 conv 128 x 4 ssm 4 x 16 x 16
// CHECK: kern.kv_cache @kv1 layer 1 kv_heads 2 head_dim 16
// CHECK: kern.entry @prefill {
// CHECK: %[[H:.+]] = kern.buffer 0 : !kern.buffer<64>
// CHECK: kern.embed @w0 -> %[[H]]
// CHECK: kern.rms_norm %[[H]], @w1 eps {{.*}} -> %[[X:.+]] :
// CHECK: kern.linear %[[X]], [@w4, @w3, @w2] -> %[[XBC:.+]] : !kern.buffer<64> -> !kern.buffer<128>
// CHECK: kern.linear %[[X]], [@w10] -> %[[Z:.+]] : !kern.buffer<64> -> !kern.buffer<64>
// CHECK: kern.linear %[[X]], [@w11] -> %[[DT:.+]] : !kern.buffer<64> -> !kern.buffer<4>
// CHECK: kern.conv1d %[[XBC]], @w12, @w13 state @ssm0 -> %[[XBC]]
// CHECK: kern.ssm_scan mamba2 %[[XBC]], %[[DT]] dt_bias @w14 A_log @w15 D @w16 state @ssm0 heads 4 groups 2 d_state 16 -> %[[Y:.+]] :
// CHECK: kern.gated_rms_norm %[[Y]], %[[Z]], @w17 group 16 -> %[[Y]]
// CHECK: kern.linear %[[Y]], [@w5] -> %[[M:.+]] :
// CHECK: kern.add %[[H]], %[[M]] -> %[[H]]
// CHECK: kern.swiglu
// CHECK: kern.rope %[[Q:.+]], %[[K:.+]] head_dim 16
// CHECK: kern.attention %[[Q]], %[[K]], %{{.+}} cache @kv1 heads 4 -> %{{.+}}
// CHECK: kern.rms_norm %[[H]], @w27
// CHECK: kern.lm_head %[[H]], @w28 : !kern.buffer<64>
// CHECK: kern.entry @decode step {
// CHECK: kern.ssm_scan mamba2
// CHECK: kern.lm_head

// HYBRID30: remark: planned @llama30.plan: arena of {{[0-9]+}} floats per token, 30 layer states
// Mamba-1: x (from v) repeated in groups of d_state to d_inner before the
// conv; [B|C] from k and q in one GEMM; dt through its low-rank pair; the
// output gated by silu(z).
// MAMBA1: kern.mamba_state @ssm0 layer 0 conv 64 x 4 ssm 4 x 16 x 16
// MAMBA1: kern.linear %[[U:.+]], [@w4] -> %[[X:.+]] : !kern.buffer<64> -> !kern.buffer<32>
// MAMBA1: kern.repeat_groups %[[X]] group 16 times 2 -> %[[XR:.+]] : !kern.buffer<32> -> !kern.buffer<64>
// MAMBA1: kern.conv1d %[[XR]], @w14, @w15 state @ssm0 -> %[[XR]]
// MAMBA1: kern.linear %[[U]], [@w3, @w2] -> %[[BC:.+]] : !kern.buffer<64> -> !kern.buffer<96>
// MAMBA1: kern.linear %[[U]], [@w10] -> %[[Z:.+]] :
// MAMBA1: kern.linear %[[U]], [@w11] -> %[[DTL:.+]] : !kern.buffer<64> -> !kern.buffer<4>
// MAMBA1: kern.linear %[[DTL]], [@w12] -> %[[DT:.+]] : !kern.buffer<4> -> !kern.buffer<64>
// MAMBA1: kern.ssm_scan mamba1 %[[XR]] bc %[[BC]] : !kern.buffer<96>, %[[DT]] dt_bias @w13 A_log @w16 D @w17 state @ssm0 heads 4 groups 2 d_state 16 -> %[[Y:.+]] :
// MAMBA1: kern.swiglu %[[Z]], %[[Y]] -> %[[Y]]

// ssm-state=bf16 marks the Mamba states' SSM state (the conv state stays
// f32), kv-cache=bf16 the KV caches.
// STATES-BF16: kern.mamba_state @ssm0 layer 0 conv 128 x 4 ssm 4 x 16 x 16 ssm_bf16
// STATES-BF16: kern.kv_cache @kv1 layer 1 kv_heads 2 head_dim 16 bf16
// STATES-BAD: convert-llm-to-kern: ssm-state must be f32 or bf16, found 'fp8'
