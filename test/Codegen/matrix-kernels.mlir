// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-compile %t/llama.mlir --target=cuda --emit=mlir -o %t/llama.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --input-file=%t/llama.gpu.mlir
// RUN: ml-compile %t/llama.mlir --target=cuda --emit=ptx -o %t/llama.ptx 2>/dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/llama.ptx
// RUN: FileCheck %s --check-prefix=ROWS-PTX --input-file=%t/llama.ptx
// RUN: ml-compile %t/llama.mlir --target=cuda -o %t/llama.mlart 2>&1 | FileCheck %s --check-prefix=COMPILE
// RUN: ml-dump %t/llama.mlart --plan | FileCheck %s --check-prefix=DUMP
// RUN: ml-dump %t/llama.mlart --plan | FileCheck %s --check-prefix=ROWS-DUMP
// RUN: ml-compile %t/llama.mlir --target=cuda --gpu-weights=f32 -o %t/llama-f32.mlart 2>&1 | FileCheck %s --check-prefix=F32
// RUN: ml-dump %t/llama-f32.mlart --plan | FileCheck %s --check-prefix=F32-DUMP
// RUN: ml-import %inputs/tiny/tiny-qwen2 -o %t/qwen2.mlir 2>/dev/null
// RUN: ml-compile %t/qwen2.mlir --target=cuda --emit=mlir -o %t/qwen2.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=QWEN2 --input-file=%t/qwen2.gpu.mlir
// RUN: ml-compile %t/qwen2.mlir --target=cuda --gpu-weights=bf16 -o %t/qwen2.mlart 2>&1 | FileCheck %s --check-prefix=ROUNDED
// RUN: not ml-compile %t/qwen2.mlir --target=cuda --gpu-weights=fp8 -o %t/x.mlart 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: test ! -e %t/x.mlart
// RUN: %python %S/../../bench/make_random_checkpoint.py %t/l8b --preset llama3-8b-layers --sparse > /dev/null
// RUN: ml-import %t/l8b -o %t/l8b.mlir 2>/dev/null
// RUN: ml-compile %t/l8b.mlir --target=cuda -o %t/l8b.mlart 2>/dev/null
// RUN: ml-dump %t/l8b.mlart --plan | FileCheck %s --check-prefix=SPLITS

// The kernels that read the large matrices (embed, linear, lm_head). tiny-llama
// stores bf16 weights, so by default its matrices stay bf16 on the GPU: decode
// projections are generated GEMVs (one warp per output row, 16-byte weight
// loads, f32 activations and sums), and prefill rounds each projection's input
// to bf16 for the library's tensor-core GEMM. In decode, q, k and v are one
// GEMV with three outputs (kern-fuse-projections), gate/up/SwiGLU one GEMV
// over both matrices (kern-fuse-linear-swiglu), the RMSNorms are folded into
// the GEMVs that read them and the residual adds into those that feed them
// (kern-fuse-norm-projection).

// CHECK-LABEL: gpu.func @embed_bf16_h64(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xi32>
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK-LABEL: gpu.func @to_bf16_w64(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xbf16>
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// q|k|v: the input, three outputs, three matrices, then the input norm's
// weight; the sum of x^2 rides along the dot products and scales them; row r
// of the grid writes q below 64, k below 96, v below 128. One loop serves
// the three: the warp's matrix and row within it are selected first.
// CHECK-LABEL: gpu.func @linear_gemv_bf16_64_32_32x64_in64_out64_32_32_a16_norm1p00em05
// CHECK-SAME: (%[[X:.+]]: memref<?xf32>, %[[Q:.+]]: memref<?xf32>, %[[K:.+]]: memref<?xf32>, %[[V:.+]]: memref<?xf32>, %[[WQ:.+]]: memref<?xbf16>, %[[WK:.+]]: memref<?xbf16>, %[[WV:.+]]: memref<?xbf16>, %[[NORM:.+]]: memref<?xf32>, %{{.*}}: index, %{{.*}}: index) workgroup(%{{.*}} : memref<24xf32, #gpu.address_space<workgroup>>) kernel
// CHECK: %[[ISK:.+]] = arith.cmpi uge, %{{.*}}, %c64
// CHECK: %[[QK:.+]] = arith.select %[[ISK]], %[[WK]], %[[WQ]] : memref<?xbf16>
// CHECK: %[[ISV:.+]] = arith.cmpi uge, %{{.*}}, %c96
// CHECK: %[[W:.+]] = arith.select %[[ISV]], %[[WV]], %[[QK]] : memref<?xbf16>
// CHECK: arith.cmpi ult, %{{.*}}, %c128
// CHECK: %[[XV:.+]] = vector.load %[[X]]
// CHECK: vector.fma %[[XV]], %[[XV]]
// CHECK: vector.load %[[NORM]]
// CHECK: vector.load %[[W]]
// CHECK-NOT: vector.load %[[WK]]
// CHECK: arith.cmpi ult, %{{.*}}, %c64
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[Q]]
// CHECK: arith.cmpi ult, %{{.*}}, %c96
// CHECK: memref.store %{{.*}}, %[[K]]
// CHECK: arith.cmpi ult, %{{.*}}, %c128
// CHECK: memref.store %{{.*}}, %[[V]]
// Decode: 8 bf16 weights per 16-byte load, four loads in flight per step;
// o_proj adds its rows into the residual stream (memref 1). A matrix of few
// rows (all of tiny-llama's) gives each pair of rows two warps, each taking
// every other column step; their sums (2 rows x 8 warps) meet in shared
// memory, where the first warp adds its partner's.
// CHECK-LABEL: gpu.func @linear_gemv_bf16_64x64_in64_out64_a16_acc
// CHECK-SAME: (%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xbf16>, %{{.*}}: index, %{{.*}}: index) workgroup(%[[SUMS:.+]] : memref<16xf32, #gpu.address_space<workgroup>>) kernel
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// CHECK: gpu.shuffle  xor
// CHECK: memref.store %{{.*}}, %[[SUMS]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[SUMS]]
// CHECK: memref.load %[[SUMS]]
// CHECK: %[[OLD:.+]] = memref.load %arg1
// CHECK: arith.addf %[[OLD]]
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: gpu.barrier
// gate and up: one x load feeds both matrices; silu(g) * u is stored.
// CHECK-LABEL: gpu.func @linear_swiglu_gemv_bf16_128x64_in64_out128_a16_norm1p00em05
// CHECK-SAME: (%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %[[G:.+]]: memref<?xbf16>, %[[U:.+]]: memref<?xbf16>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index) workgroup(%{{.*}} : memref<24xf32, #gpu.address_space<workgroup>>) kernel
// CHECK: %[[XG:.+]] = arith.mulf %{{.*}} : vector<8xf32>
// CHECK: vector.load %[[G]]
// CHECK: vector.fma %{{.*}}, %[[XG]]
// CHECK: vector.load %[[U]]
// CHECK: vector.fma %{{.*}}, %[[XG]]
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK: memref.store %{{.*}}, %arg1
// The LM head writes the backend's logits (the third memref), with the final
// norm's weight last.
// CHECK-LABEL: gpu.func @lm_head_gemv_bf16_256x64_in64_out256_a16_norm1p00em05(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>
// The greedy token on the device: first maximum, (value, index) pairs
// reduced by shuffles, then across warps through shared memory.
// Each thread reads its logits 16 bytes at a time (4 such loads in flight
// per step for vocabularies past 16384).
// CHECK-LABEL: gpu.func @argmax_v256(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>, %{{.*}}: index, %{{.*}}: index) workgroup(%{{.*}} : memref<64xf32, #gpu.address_space<workgroup>>)
// CHECK: vector.load %arg0[%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// CHECK: arith.cmpf ogt
// CHECK: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK: arith.fptosi %{{.*}} : f32 to i32

// At Llama-3-8B's shapes, q|k|v (3072 warps of two rows) and gate|up
// (14336 warps) have rows enough; o_proj and down_proj (2048 warps) and this
// small LM head split their columns in two.
// SPLITS: kernel linear_gemv_bf16_4096_1024_1024x4096_in4096_out4096_1024_1024_a16_norm1p00em05: grid 384 x 1 x 1, block 256 x 1 x 1, 0 bytes shared
// SPLITS: kernel linear_gemv_bf16_4096x4096_in4096_out4096_a16_acc: grid 512 x 1 x 1, block 256 x 1 x 1, 64 bytes shared
// SPLITS: kernel linear_swiglu_gemv_bf16_14336x4096_in4096_out14336_a16_norm1p00em05: grid 1792 x 1 x 1, block 256 x 1 x 1, 0 bytes shared
// SPLITS: kernel linear_gemv_bf16_4096x14336_in14336_out4096_a16_acc: grid 512 x 1 x 1, block 256 x 1 x 1, 64 bytes shared
// SPLITS: kernel lm_head_gemv_bf16_1024x4096_in4096_out1024_a16_norm1p00em05: grid 128 x 1 x 1, block 256 x 1 x 1, 96 bytes shared

// PTX: .visible .entry linear_gemv_bf16_64x64_in64_out64_a16_acc(
// PTX: ld.global.v4.b32
// PTX: .visible .entry argmax_v256(

// COMPILE: ml-compile: {{[0-9]+}} CUDA kernels for sm_90a, {{[0-9]+}} KiB of PTX, BF16 matrices
// DUMP: entry @prefill
// DUMP: embed [w0] -> %0<64 @ 0>  [cuda: embed_bf16_h64]
// DUMP: linear %1<64 @ 64> [w2] -> %2<64 @ 128>  [cuda: to_bf16_w64]
// DUMP: lm_head {{.*}} [cuda: to_bf16_w64]
// DUMP: entry @decode
// DUMP: linear %0<64 @ 0> [w2, w3, w4] norm w1 eps 1e-05 -> %1<64 @ 128>, %2<32 @ 192>, %3<32 @ 224>  [cuda: linear_gemv_bf16_64_32_32x64_in64_out64_32_32_a16_norm1p00em05 linear_gemv_bf16_64_32_32x64_in64_out64_32_32_a16_norm1p00em05_stage {{.*}}_rows8 {{.*}}_rows16 {{.*}}_rows32 {{.*}}_rows64]
// DUMP: linear %4<64 @ 64> [w5] accumulate -> %0<64 @ 0>  [cuda: linear_gemv_bf16_64x64_in64_out64_a16_acc linear_gemv_bf16_64x64_in64_out64_a16_acc_stage {{.*}}_rows8 {{.*}}_rows64]
// DUMP: linear_swiglu %0<64 @ 0> [w7, w8] norm w6 eps 1e-05 -> %5<128 @ 128>  [cuda: linear_swiglu_gemv_bf16_128x64_in64_out128_a16_norm1p00em05 linear_swiglu_gemv_bf16_128x64_in64_out128_a16_norm1p00em05_stage {{.*}}_rows8 {{.*}}_rows64]
// DUMP-NOT: rms_norm
// DUMP: lm_head %0<64 @ 0> [w20] norm w19 eps 1e-05  [cuda: lm_head_gemv_bf16_256x64_in64_out256_a16_norm1p00em05 lm_head_gemv_bf16_256x64_in64_out256_a16_norm1p00em05_stage {{.*}}_rows8 {{.*}}_rows64]

// The GEMVs of several rows (a batched decode step; BatchedGemv.cpp): a
// staging kernel splits the input rows into bf16 hi and lo terms (a block
// of 1024 threads a row, 4 columns a thread a step: one 16-byte load, two
// 8-byte stores), then a kernel per tier of 8, 16, 32 and 64 rows: 16-byte weight
// loads that are the A fragments of bf16 mma.sync products with 16-byte
// loads of the staged terms, the warps' tiles summed in dynamic shared
// memory. ptxas.mlir assembles the module.
// ROWS-DUMP: kernel linear_gemv_bf16_64x64_in64_out64_a16_acc_stage: grid 1 per token x 1 x 1, block 1024 x 1 x 1, 128 bytes shared
// ROWS-DUMP: kernel linear_gemv_bf16_64x64_in64_out64_a16_acc_rows16: grid 4 x 1 x 1, block 256 x 1 x 1, 8192 bytes shared
// ROWS-PTX: .visible .entry linear_gemv_bf16_64x64_in64_out64_a16_acc_stage(
// ROWS-PTX: ld.global.v4.b32
// ROWS-PTX: st.global.v2.b32
// ROWS-PTX: st.global.v2.b32
// ROWS-PTX: .visible .entry linear_gemv_bf16_64x64_in64_out64_a16_acc_rows16(
// ROWS-PTX: ld.global.v4.b32
// ROWS-PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// ROWS-PTX: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// ROWS-PTX: bar.sync

// --gpu-weights=f32 widens them: prefill GEMMs are fp32 library calls.
// F32: F32 matrices
// F32-DUMP: entry @prefill
// F32-DUMP: linear %1<64 @ 64> [w2] -> %2<64 @ 128>  [cuda: library GEMM]
// F32-DUMP: entry @decode
// F32-DUMP: linear %0<64 @ 0> [w2, w3, w4] norm w1 eps 1e-05 -> %1<64 @ 128>, %2<32 @ 192>, %3<32 @ 224>  [cuda: linear_gemv_f32_64_32_32x64_in64_out64_32_32_a16_norm1p00em05]

// Qwen2's q/k/v biases are the GEMV's last memrefs; its f32 matrices load 4
// floats per 16 bytes.
// QWEN2-LABEL: gpu.func @linear_gemv_f32_64_32_32x64_in64_out64_32_32_a16_bias_norm1p00em05(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index)
// QWEN2: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// ROUNDED: BF16 matrices
// BAD: ml-compile: error: unknown --gpu-weights 'fp8' (expected auto, f32 or bf16)
