// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid.mlir --target=cuda --emit=mlir -o %t/hybrid.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --input-file=%t/hybrid.gpu.mlir
// RUN: ml-compile %t/hybrid.mlir --target=cuda --emit=nvvm -o %t/hybrid.nvvm.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=NVVM --input-file=%t/hybrid.nvvm.mlir
// RUN: ml-compile %t/hybrid.mlir --target=cuda --emit=llvm -o %t/hybrid.ll 2>/dev/null
// RUN: FileCheck %s --check-prefix=LLVM --input-file=%t/hybrid.ll
// RUN: ml-compile %t/hybrid.mlir --target=cuda --emit=ptx -o %t/hybrid.ptx 2>/dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/hybrid.ptx
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-opt %t/llama.mlir --attn-to-mamba="ratio=0.5 variant=mamba1" -o %t/mamba1.mlir 2>/dev/null
// RUN: ml-compile %t/mamba1.mlir --target=cuda --emit=mlir -o %t/mamba1.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=MAMBA1 --input-file=%t/mamba1.gpu.mlir
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir --target=cuda --emit=mlir -o %t/mistral.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=WINDOW --input-file=%t/mistral.gpu.mlir
// RUN: ml-compile %t/hybrid.mlir --target=cuda -o %t/hybrid.mlart 2>&1 | FileCheck %s --check-prefix=COMPILE
// RUN: ml-dump %t/hybrid.mlart --plan | FileCheck %s --check-prefix=DUMP
// RUN: not ml-compile %t/hybrid.mlir --emit=ptx -o %t/x.ptx 2>&1 | FileCheck %s --check-prefix=NOCUDA
// RUN: not ml-compile %t/hybrid.mlir --target=tpu -o %t/x.mlart 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not ml-compile %t/hybrid.mlir --target=cuda --emit=sass -o %t/x.sass 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: not ml-compile %t/hybrid.mlir --target=cuda --gpu-chip=sm_80a -o %t/chip.mlart 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: test ! -e %t/chip.mlart

// Tests the CUDA kernels ml-compile generates for the tiny Mamba-2 hybrid
// (layer 0 Mamba-2, layer 1 attention), a Mamba-1 hybrid and a sliding
// window model, at every stage: gpu dialect kernels specialised to the
// model's shapes, NVVM, the LLVM IR given to NVPTX (libdevice linked, so no
// external math calls remain) and PTX for sm_90a. Prefill GEMMs on f32
// matrices stay library calls (matrix-kernels.mlir tests the GEMVs).

// CHECK: gpu.module @kernels
// One RoPE table for every kernel that rotates heads of 16.
// CHECK: memref.global "private" constant @rope_inv_freq_d16 : memref<8xf32> = dense<[1.000000e+00, 0.316227764, 1.000000e-01
// CHECK-NOT: memref.global
// CHECK-LABEL: gpu.func @embed_f32_h64(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>, %{{.*}}: index, %{{.*}}: index) kernel
// CHECK: memref.load %{{.*}} : memref<?xi32>
// CHECK-LABEL: gpu.func @rms_norm_w64_eps1p00em05
// CHECK-SAME: workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK: gpu.barrier
// CHECK: math.sqrt
// CHECK-LABEL: gpu.func @conv1d_c128_k4
// The conv carries the last 3 inputs of its channel through the tokens:
// runs of 16 tokens load their 16 inputs before the first output, then the
// tokens past the last run one at a time.
// CHECK: scf.for {{.*}} step %c16{{.*}} iter_args({{.*}}) -> (f32, f32, f32)
// CHECK-COUNT-16: memref.load %arg0
// CHECK: math.exp
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32)
// The chunked Mamba-2 prefill scan (mamba-kernels.mlir tests it).
// CHECK-LABEL: gpu.func @ssm_scan_mamba2_h4_g2_n16_x128_chunked_states
// CHECK: math.log1p
// CHECK-LABEL: gpu.func @gated_rms_norm_w64_g16
// CHECK-LABEL: gpu.func @add_rms_norm_w64_eps1p00em05
// CHECK-LABEL: gpu.func @swiglu_w128
// CHECK-LABEL: gpu.func @rope_q64_k32_d16
// CHECK: memref.get_global @rope_inv_freq_d16
// CHECK: math.cos
// CHECK: math.sin
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0_append
// The attention kernels' structure: attention-kernels.mlir.
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0(
// Decode: RoPE inside the append (kern-fuse-rope-attention), same table.
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0_rope_append(
// CHECK: memref.get_global @rope_inv_freq_d16
// CHECK: math.cos
// CHECK: memref.store %{{.*}}, %arg4
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0_rope_decode(

// NVVM: gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80"
// NVVM: llvm.func @rms_norm_w64_eps1p00em05
// NVVM-SAME: nvvm.kernel
// NVVM: nvvm.barrier

// LLVM: target triple = "nvptx64-nvidia-cuda"
// LLVM: define {{.*}}void @ssm_scan_mamba2_h4_g2_n16_x128_chunked(
// LLVM-NOT: declare {{.*}} @__nv_

// PTX: .version 8.0
// PTX: .target sm_90a
// PTX: .visible .entry embed_f32_h64(
// PTX: .visible .entry attention_h4_q64_kv32_win0(
// PTX: bar.sync
// PTX-NOT: .extern .func {{.*}}__nv_

// MAMBA1: gpu.func @repeat_groups_w32_g16_x2
// MAMBA1: gpu.func @ssm_scan_mamba1_h4_g2_n16_x64

// WINDOW: gpu.func @attention_h4_q64_kv32_win8(

// COMPILE: ml-compile: {{[0-9]+}} CUDA kernels for sm_90a, {{[0-9]+}} KiB of PTX, F32 matrices
// DUMP: gpu: sm_90a, {{[0-9]+}} kernels
// DUMP: kernel attention_h4_q64_kv32_win0: grid 1 per token x 1 x 1, block 256 x 1 x 1, 17024 bytes shared
// DUMP: linear %1<64 @ 64> [w2, w3, w4] -> %2<128 @ 128>  [cuda: library GEMM]
// DUMP: attention {{.*}} [cuda: attention_h4_q64_kv32_win0_append attention_h4_q64_kv32_win0]

// NOCUDA: ml-compile: error: --emit shows the stages of GPU kernels; add --target=cuda
// TARGET: ml-compile: error: unknown --target 'tpu' (expected cpu or cuda)
// STAGE: ml-compile: error: unknown --emit 'sass' (expected mlir, nvvm, llvm or ptx)
// An architecture LLVM's NVPTX backend does not know (sm_80 has no "a"
// variant) is refused before any kernel is built, and nothing is written.
// CHIP: ml-compile: error: unknown --gpu-chip 'sm_80a' (expected a CUDA architecture such as sm_90a, sm_90 or sm_80)
