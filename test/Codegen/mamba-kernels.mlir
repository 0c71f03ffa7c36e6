// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-opt %s --attn-to-mamba="layers=0" -o %t/wide.mlir 2>/dev/null
// RUN: ml-compile %t/wide.mlir --target=cuda --emit=mlir -o %t/wide.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --input-file=%t/wide.gpu.mlir
// RUN: ml-compile %t/wide.mlir --target=cuda --emit=ptx -o %t/wide.ptx 2>/dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/wide.ptx
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/tiny.mlir 2>/dev/null
// RUN: ml-compile %t/tiny.mlir --target=cuda --emit=mlir -o %t/tiny.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=TINY --input-file=%t/tiny.gpu.mlir
// RUN: ml-compile %t/tiny.mlir --target=cuda -o %t/tiny.mlart 2>/dev/null
// RUN: ml-dump %t/tiny.mlart --plan | FileCheck %s --check-prefix=DUMP
// RUN: ml-compile %t/wide.mlir --target=cuda --kv-cache=bf16 --prefill-precision=bf16 --emit=mlir -o %t/wide-ssd.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=SSD --input-file=%t/wide-ssd.gpu.mlir
// RUN: ml-compile %t/tiny.mlir --target=cuda --kv-cache=bf16 --prefill-precision=bf16 --gpu-weights=bf16 -o %t/tiny-bf16in.mlart 2>/dev/null
// RUN: ml-dump %t/tiny-bf16in.mlart --plan | FileCheck %s --check-prefix=FALLBACK-DUMP
// RUN: ml-compile %t/tiny.mlir --target=cuda --kv-cache=bf16 --prefill-precision=bf16 --gpu-weights=bf16 --emit=mlir -o %t/tiny-bf16in.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=FALLBACK --input-file=%t/tiny-bf16in.gpu.mlir

// Tests the chunked Mamba-2 prefill scan: pass 1 (each chunk's state from
// zero and its decay), pass 2 (the chunks chained from the SSM state, one
// thread per state value) and pass 3 (each chunk again from its initial
// state, writing y), on a one-layer model whose Mamba-2 layer has head dim
// and d_state 128 (a thread holds 4 rows x 16 columns of the state; the 8
// threads sharing rows sum y by shuffles) and on tiny-hybrid-mamba2
// (d_state 16: a row per thread).

// Pass 1: B and x of a tile staged in shared memory, 16-byte B and x loads,
// one FMA per state value and token into 64 registers, stored as vectors.
// CHECK-LABEL: gpu.func @ssm_scan_mamba2_h2_g1_n128_x512_chunked_states(
// CHECK-SAME: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index) kernel
// CHECK: gpu.dynamic_shared_memory
// CHECK: gpu.barrier
// CHECK: math.log1p
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<{{[0-9]+}}xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: math.fma
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// The chunk's decay, exp(A * its deltas), written once per (chunk, head).
// CHECK: math.exp
// CHECK: memref.store
// Pass 2: the running state, 8 chunks' loads ahead.
// CHECK-LABEL: gpu.func @ssm_scan_mamba2_h2_g1_n128_x512_chunked_passing(
// CHECK: scf.for {{.*}} step %c8 iter_args(%{{.*}}) -> (f32)
// CHECK: math.fma
// CHECK: arith.select
// Pass 3: state from the workspace, B and C from shared memory, y summed
// over the 8 threads of a row.
// CHECK-LABEL: gpu.func @ssm_scan_mamba2_h2_g1_n128_x512_chunked(
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} : memref<{{[0-9]+}}xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32{{.*}} : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c4_i32, %c32_i32{{.*}} : f32
// CHECK-NOT: %c8_i32
// CHECK: memref.store

// PTX: .visible .entry ssm_scan_mamba2_h2_g1_n128_x512_chunked_states(
// PTX: ld.shared.v4.b32
// PTX: st.global.v4.b32
// PTX: .visible .entry ssm_scan_mamba2_h2_g1_n128_x512_chunked(
// PTX: ld.global.v4.b32
// PTX: ld.shared.v4.b32
// PTX: shfl.sync.bfly.b32

// TINY-LABEL: gpu.func @ssm_scan_mamba2_h4_g2_n16_x128_chunked_states(
// TINY-LABEL: gpu.func @ssm_scan_mamba2_h4_g2_n16_x128_chunked_passing(
// TINY-LABEL: gpu.func @ssm_scan_mamba2_h4_g2_n16_x128_chunked(
// TINY-NOT: gpu.shuffle
// TINY: gpu.return

// tiny: 16 threads, a row of the head's 16 each; the shared tile holds B
// and C (32 tokens x 16), x (32 x 16), delta and decay (32): 1600 floats.
// Pass 2: a thread per value of the 4 x 16 x 16 state.
// DUMP: kernel ssm_scan_mamba2_h4_g2_n16_x128_chunked_states: grid 1 per token x 1 x 1, block 16 x 1 x 1, 6400 bytes shared
// DUMP: kernel ssm_scan_mamba2_h4_g2_n16_x128_chunked_passing: grid 4 x 1 x 1, block 256 x 1 x 1, 0 bytes shared
// DUMP: kernel ssm_scan_mamba2_h4_g2_n16_x128_chunked: grid 1 per token x 1 x 1, block 16 x 1 x 1, 6400 bytes shared
// DUMP: ssm_scan {{.*}} [cuda: ssm_scan_mamba2_h4_g2_n16_x128_chunked_states ssm_scan_mamba2_h4_g2_n16_x128_chunked_passing ssm_scan_mamba2_h4_g2_n16_x128_chunked]

// --prefill-precision=bf16 (bf16_inputs): the wide model's scan is the
// tensor-core SSD, one kernel of 4 warps (128 threads, one block an SM)
// per (head, 32 state rows). Before the chunk loop, the first chunk's
// copies; in it, a barrier, the next chunk's copies, the deltas' running
// sum (shuffles up), the wait for this chunk's copies, rounding, then
// ldmatrix and mma.sync with in-chunk decays by ex2.approx.
// SSD-LABEL: gpu.func @ssm_scan_mamba2_h2_g1_n128_x512_chunked_bf16in(
// SSD-SAME: kernel attributes {nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 1 : i32}
// SSD: gpu.dynamic_shared_memory
// SSD: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 16, cache =  cg
// SSD: nvvm.cp.async.commit.group
// SSD: scf.for {{.*}} -> (f32, f32
// SSD: gpu.barrier
// SSD: nvvm.cp.async.commit.group
// SSD: gpu.shuffle  up
// SSD: nvvm.cp.async.wait.group 1
// SSD-NEXT: gpu.barrier
// SSD: arith.truncf {{.*}} : vector<2xf32> to vector<2xbf16>
// SSD: gpu.barrier
// SSD: nvvm.ldmatrix
// SSD: nvvm.mma.sync {{.*}} shape = #nvvm.shape<m = 16, n = 8, k = 16>
// SSD: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// SSD: gpu.return
// SSD-NOT: gpu.func @ssm_scan_mamba2_h2_g1_n128_x512_chunked_bf16in_states

// Shapes the SSD kernel does not take (tiny: d_state 16) keep the three
// f32 kernels, which then round x, B and C to bf16 as they stage them.
// FALLBACK-LABEL: gpu.func @ssm_scan_mamba2_h4_g2_n16_x128_chunked_bf16in_states(
// FALLBACK: arith.truncf %{{.*}} : f32 to bf16
// FALLBACK-NEXT: arith.extf %{{.*}} : bf16 to f32
// FALLBACK-DUMP: ssm_scan {{.*}} bf16_inputs {{.*}} [cuda: ssm_scan_mamba2_h4_g2_n16_x128_chunked_bf16in_states ssm_scan_mamba2_h4_g2_n16_x128_chunked_bf16in_passing ssm_scan_mamba2_h4_g2_n16_x128_chunked_bf16in]

llm.model @wide config <arch = llama, vocab = 64, hidden = 256, intermediate = 128, layers = 1, heads = 2, kv_heads = 1, head_dim = 128, max_position = 512, rope_theta = 10000.0, rms_eps = 1.0e-05, bos = 1, eos = [2]> weights "wide.safetensors" {
^bb0(%tokens: tensor<?x?xi32>):
  %embed = llm.weight "model.embed_tokens.weight" : tensor<64x256xbf16>
  %h0 = llm.embed %tokens, %embed : (tensor<?x?xi32>, tensor<64x256xbf16>) -> tensor<?x?x256xf32>
  %in0 = llm.weight "model.layers.0.input_layernorm.weight" : tensor<256xbf16>
  %q0 = llm.weight "model.layers.0.self_attn.q_proj.weight" : tensor<256x256xbf16>
  %k0 = llm.weight "model.layers.0.self_attn.k_proj.weight" : tensor<128x256xbf16>
  %v0 = llm.weight "model.layers.0.self_attn.v_proj.weight" : tensor<128x256xbf16>
  %o0 = llm.weight "model.layers.0.self_attn.o_proj.weight" : tensor<256x256xbf16>
  %post0 = llm.weight "model.layers.0.post_attention_layernorm.weight" : tensor<256xbf16>
  %gate0 = llm.weight "model.layers.0.mlp.gate_proj.weight" : tensor<128x256xbf16>
  %up0 = llm.weight "model.layers.0.mlp.up_proj.weight" : tensor<128x256xbf16>
  %down0 = llm.weight "model.layers.0.mlp.down_proj.weight" : tensor<256x128xbf16>
  %x0 = llm.rms_norm %h0, %in0 : (tensor<?x?x256xf32>, tensor<256xbf16>) -> tensor<?x?x256xf32>
  %a0 = llm.attention %x0 layer 0 q %q0 k %k0 v %v0 o %o0 : (tensor<?x?x256xf32>, tensor<256x256xbf16>, tensor<128x256xbf16>, tensor<128x256xbf16>, tensor<256x256xbf16>) -> tensor<?x?x256xf32>
  %r0 = llm.add %h0, %a0 : tensor<?x?x256xf32>
  %y0 = llm.rms_norm %r0, %post0 : (tensor<?x?x256xf32>, tensor<256xbf16>) -> tensor<?x?x256xf32>
  %m0 = llm.mlp %y0 gate %gate0 up %up0 down %down0 : (tensor<?x?x256xf32>, tensor<128x256xbf16>, tensor<128x256xbf16>, tensor<256x128xbf16>) -> tensor<?x?x256xf32>
  %h1 = llm.add %r0, %m0 : tensor<?x?x256xf32>
  %norm = llm.weight "model.norm.weight" : tensor<256xbf16>
  %head = llm.weight "lm_head.weight" : tensor<64x256xbf16>
  %hn = llm.rms_norm %h1, %norm : (tensor<?x?x256xf32>, tensor<256xbf16>) -> tensor<?x?x256xf32>
  %logits = llm.lm_head %hn, %head : (tensor<?x?x256xf32>, tensor<64x256xbf16>) -> tensor<?x?x64xf32>
  llm.return %logits : tensor<?x?x64xf32>
}
