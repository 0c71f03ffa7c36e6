// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir -o %t/mistral.mlart
// RUN: ml-dump %t/mistral.mlart --weights | FileCheck %s --check-prefix=MISTRAL
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid.mlir -o %t/hybrid.mlart
// RUN: ml-dump %t/hybrid.mlart --plan | FileCheck %s --check-prefix=HYBRID
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-opt %t/llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" -o %t/converted.mlir 2>/dev/null
// RUN: ml-compile %t/converted.mlir -o %t/converted.mlart
// RUN: ml-dump %t/converted.mlart --plan | FileCheck %s --check-prefix=CONVERTED
// RUN: ml-export %t/converted.mlir -o %t/exported
// RUN: ml-weights list %t/converted.mlart.weights.safetensors > %t/generated.txt
// RUN: FileCheck %s --check-prefix=GENERATED --input-file=%t/generated.txt
// RUN: mv %t/converted.mlart %t/converted.mlart.weights.safetensors %t/exported/
// RUN: not ml-dump %t/exported/converted.mlart 2>&1 | FileCheck %s --check-prefix=MOVED

// Tests that ml-compile writes artifacts the runtime opens (ml-dump runs
// every runtime check): config and per-layer mixers, the memory report
// (f32 KV cache per token over attention layers, conv + SSM state per
// sequence over Mamba layers), weights created by init rules written to a
// sidecar store, and a clear error when a store moved away.

// MISTRAL: artifact tiny-mistral: version 5, produced by mlopt ml-compile
// MISTRAL: config: mistral, vocab 256, hidden 64, intermediate 128, 2 layers, 4 heads (2 kv) of 16, rope theta 10000, rms eps 1e-05
// MISTRAL: layer 0: attention (sliding window 8)
// MISTRAL: layer 1: attention (sliding window 8)
// MISTRAL: memory: weights 0.20 MiB, KV cache 0.5 KiB per token (2 attention layers), SSM state 0.0 KiB per sequence (0 Mamba layers)
// MISTRAL: weight 0: model.embed_tokens.weight F16 256x64

// HYBRID: layer 0: mamba2 (d_state 16, groups 2)
// HYBRID: layer 1: attention
// HYBRID: memory: weights 0.43 MiB, KV cache 0.2 KiB per token (1 attention layers), SSM state 5.5 KiB per sequence (1 Mamba layers)
// HYBRID: plan: arena of 384 floats per token, 2 states, prefill 28 ops, decode 12 ops
// HYBRID: state 0: mamba layer 0, conv 128x3, ssm 4x16x16
// HYBRID: state 1: kv_cache layer 1, 2 kv heads of 16, f32
// HYBRID: entry @prefill: 20 buffers, 28 ops
// HYBRID-NEXT: embed [w0] -> %0<64 @ 0>
// HYBRID-NEXT: rms_norm %0<64 @ 0> [w1] eps 1e-05 -> %1<64 @ 64>
// HYBRID-NEXT: linear %1<64 @ 64> [w2, w3, w4] -> %2<128 @ 128>
// HYBRID: conv1d %2<128 @ 128> [w7, w8] state 0 -> %2<128 @ 128>
// HYBRID-NEXT: ssm_scan %2<128 @ 128>, %4<4 @ 320> [w9, w10, w11] state 0 heads 4 groups 2 d_state 16 mamba2 -> %5<64 @ 64>
// HYBRID-NEXT: gated_rms_norm %5<64 @ 64>, %3<64 @ 256> [w13] group 16 -> %5<64 @ 64>
// The residual adds and the norms after them are fused (kern-fuse-add-rms-norm);
// where the norm's output took the add's dying operand's floats, one buffer.
// HYBRID-NEXT: linear %5<64 @ 64> [w6] -> %6<64 @ 128>
// HYBRID-NEXT: add_rms_norm %0<64 @ 0>, %6<64 @ 128> [w14] eps 1e-05 -> %0<64 @ 0>, %7<64 @ 64>
// HYBRID: add_rms_norm %0<64 @ 0>, %10<64 @ 64> [w18] eps 1e-05 -> %0<64 @ 0>, %10<64 @ 64>
// HYBRID: rope %11<64 @ 128>, %12<32 @ 192> head_dim 16
// HYBRID-NEXT: attention %11<64 @ 128>, %12<32 @ 192>, %13<32 @ 224> state 1 heads 4 -> %14<64 @ 64>
// HYBRID: add_rms_norm %0<64 @ 0>, %19<64 @ 64> [w27] eps 1e-05 -> %0<64 @ 0>, %0<64 @ 0>
// HYBRID-NEXT: lm_head %0<64 @ 0> [w28]
// The decode step runs the Mamba-2 conv, scan and gated norm as one op
// (kern-fuse-mamba-step), the projections of one input as one linear
// (kern-fuse-projections), gate/up/SwiGLU as one op (kern-fuse-linear-swiglu),
// folds each RMSNorm into the projection that reads it and each residual add
// into the projection that feeds it (kern-fuse-norm-projection), and RoPE
// into the attention (kern-fuse-rope-attention).
// HYBRID: entry @decode (step): 11 buffers, 12 ops
// HYBRID: linear %0<64 @ 0> [w2, w3, w4, w5, w12] norm w1 eps 1e-05 -> %1<128 @ 128>, %2<64 @ 256>, %3<4 @ 320>
// HYBRID-NEXT: mamba_step %1<128 @ 128>, %3<4 @ 320>, %2<64 @ 256> [w7, w8, w9, w10, w11, w13] state 0 heads 4 groups 2 d_state 16 group 16 -> %4<64 @ 64>
// HYBRID-NEXT: linear %4<64 @ 64> [w6] accumulate -> %0<64 @ 0>
// HYBRID-NEXT: linear_swiglu %0<64 @ 0> [w15, w16] norm w14 eps 1e-05 -> %5<128 @ 128>
// HYBRID: attention {{.*}} rope state 1 heads 4 -> 
// HYBRID: lm_head %0<64 @ 0> [w28] norm w27 eps 1e-05
// HYBRID-NOT: rms_norm
// HYBRID-NOT: {{^  rope}}
// HYBRID-NOT: conv1d
// HYBRID-NOT: ssm_scan
// HYBRID-NOT: {{^  swiglu}}

// CONVERTED: layer 0: mamba1 (d_state 16, groups 2)
// CONVERTED: store: {{.*}}tiny-llama
// CONVERTED: store: {{.*}}converted.mlart.weights.safetensors
// CONVERTED: repeat_groups %{{.*}} group 16 times 2 -> %[[XR:[0-9]+]]<64
// CONVERTED: ssm_scan %[[XR]]<64 @ {{[0-9]+}}>, %{{[0-9]+}}<96 @ {{.*}} state 0 heads 4 groups 2 d_state 16 mamba1

// GENERATED-DAG: model.layers.0.mamba.in_proj_z.weight BF16 [64,64]
// GENERATED-DAG: model.layers.0.mamba.A_log BF16 [64,16]
// GENERATED-NOT: self_attn

// MOVED: ml-dump: error: {{.*}}exported/converted.mlart: weight store {{.*}}: {{.*}}cannot open: No such file or directory
