// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-hybrid-mamba2 -o %t/hybrid.mlir 2>/dev/null
// RUN: ml-compile %t/hybrid.mlir --target=cuda --emit=mlir -o %t/hybrid.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --input-file=%t/hybrid.gpu.mlir
// RUN: ml-compile %t/hybrid.mlir --target=cuda --emit=ptx -o %t/hybrid.ptx 2>/dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/hybrid.ptx
// RUN: ml-compile %t/hybrid.mlir --target=cuda -o %t/hybrid.mlart 2>/dev/null
// RUN: ml-dump %t/hybrid.mlart --plan | FileCheck %s --check-prefix=DUMP
// RUN: %python %S/../../bench/make_random_checkpoint.py %t/head128 --preset tiny-head128 > /dev/null
// RUN: ml-import %t/head128 -o %t/head128.mlir 2>/dev/null
// RUN: ml-opt %t/head128.mlir --attn-to-mamba="layers=0 variant=mamba2" -o %t/head128-hybrid.mlir 2>/dev/null
// RUN: ml-compile %t/head128-hybrid.mlir --target=cuda --gpu-chip=sm_80 --emit=mlir -o %t/head128.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=WIDE --input-file=%t/head128.gpu.mlir
// RUN: ml-compile %t/head128-hybrid.mlir --target=cuda --ssm-state=bf16 --emit=mlir -o %t/head128-ssmbf16.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=SSMBF16 --input-file=%t/head128-ssmbf16.gpu.mlir
// RUN: ml-compile %t/head128-hybrid.mlir --target=cuda --ssm-state=bf16 --emit=ptx -o %t/head128-ssmbf16.ptx 2>/dev/null
// RUN: ml-opt %t/head128.mlir --attn-to-mamba="layers=0 variant=mamba1" -o %t/head128-mamba1.mlir 2>/dev/null
// RUN: ml-compile %t/head128-mamba1.mlir --target=cuda --ssm-state=bf16 --emit=mlir -o %t/head128-mamba1.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=SSMBF16-MAMBA1 --input-file=%t/head128-mamba1.gpu.mlir

// Tests the kernels of the fused ops ml-compile plans for the tiny Mamba-2
// hybrid (4 heads of 16 in 2 groups, d_state 16, conv width 4): the
// residual add + RMSNorm (one block per token: the sum written, then
// block-reduced, then the normalised row), and the Mamba-2 decode step: the
// conv update of every channel, then the scan of one sequence (the first
// of four tiers): 8 blocks per head (slices of 2 state rows, 2 warps) with the slice's x, the head's B and C, its gated rows and
// their squares in shared memory; barriers between the phases; the norm
// group of 16 rows spans the 8 slices: each slice's sum of squares by warp
// 0, then a cluster of 8 blocks (sm_90a) whose partial sums each block
// reads from the others' shared memory between cluster barriers.
// ptxas.mlir assembles the same PTX.

// CHECK-LABEL: gpu.func @add_rms_norm_w64_eps1p00em05
// CHECK-SAME: workgroup(%{{.*}} : memref<32xf32, #gpu.address_space<workgroup>>)
// The sum is stored (memref 2) inside the squares' loop, before the barrier.
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: gpu.barrier
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %arg3

// The conv update: a thread per [x|B|C] channel (128), over xbc in place
// (memref 0), its state rows (memref 10) at sequence blockIdx.y.
// CHECK-LABEL: gpu.func @mamba_step_h4_g2_n16_x128_k4_ng16_conv(
// CHECK: gpu.block_id y
// CHECK: scf.for {{.*}} to %arg12 {{.*}} iter_args
// CHECK: memref.store %{{.*}}, %arg0
// CHECK: memref.store %{{.*}}, %arg10
// CHECK: gpu.return

// The scan: head blockIdx.x / 8, slice blockIdx.x % 8, sequence blockIdx.y.
// CHECK-LABEL: gpu.func @mamba_step_h4_g2_n16_x128_k4_ng16_slices8(
// CHECK-SAME: %arg11: memref<?xf32>, %arg12: index, %arg13: index) workgroup(%{{.*}} : memref<80xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: nvvm.cluster_dim = array<i32: 8, 1, 1>
// CHECK-SAME: nvvm.maxntid = array<i32: 64, 1, 1>
// CHECK: arith.divui %block_id_x, %c8
// CHECK: gpu.block_id y
// CHECK: arith.remui %block_id_x, %c8
// The token loop stages the slice's 2 x values, the head's B and C (16 each).
// CHECK: scf.for %[[T:.+]] = %c0 to %arg12
// CHECK: scf.for {{.*}} = %thread_id_x to %c2{{.*}} step %c64
// CHECK-COUNT-2: scf.for {{.*}} = %thread_id_x to %c16{{.*}} step %c64
// CHECK: gpu.barrier
// softplus(dt + dt_bias), then a warp per state row over d_state 16.
// CHECK: math.log1p
// CHECK: scf.for {{.*}} to %c16{{.*}} iter_args
// CHECK: memref.store %{{.*}}, %arg11
// CHECK: gpu.barrier
// Warp 0 sums the slice's squares (a loop, then 5 shuffles; no barrier),
// then the cluster barrier and the cluster's 8 partial sums.
// CHECK: scf.for {{.*}} to %c2{{.*}} step %c32{{.*}} iter_args
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK-NOT: gpu.barrier
// CHECK: nvvm.cluster.arrive {aligned}
// CHECK-NEXT: nvvm.cluster.wait {aligned}
// CHECK-COUNT-8: nvvm.mapa
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %arg3
// CHECK: nvvm.cluster.arrive {aligned}
// CHECK-NEXT: nvvm.cluster.wait {aligned}
// CHECK: gpu.return
// The tiers for 2, 4 and more sequences: half the slices of the one
// before (clusters of 4, then 2), down to a block per head, whose norm
// group lies within it: a tree sum, no cluster.
// CHECK-LABEL: gpu.func @mamba_step_h4_g2_n16_x128_k4_ng16_slices4(
// CHECK-SAME: nvvm.cluster_dim = array<i32: 4, 1, 1>
// CHECK-SAME: nvvm.maxntid = array<i32: 128, 1, 1>
// CHECK: gpu.return
// CHECK-LABEL: gpu.func @mamba_step_h4_g2_n16_x128_k4_ng16_slices2(
// CHECK-SAME: nvvm.cluster_dim = array<i32: 2, 1, 1>
// CHECK: gpu.return
// CHECK-LABEL: gpu.func @mamba_step_h4_g2_n16_x128_k4_ng16_slices1(
// CHECK-NOT: nvvm.cluster
// CHECK-COUNT-4: gpu.barrier
// CHECK-NOT: nvvm.cluster
// CHECK: gpu.return

// At d_state 128 (2 heads of 128, 1 group) and sm_80 (no clusters: a
// block per head, whose rows its norm group spans) each of the 8 warps takes 16
// rows in 4 groups of 4: B and C from shared memory, then per group the
// four rows' state loads, 4 floats a lane each, all before the first
// update is stored. Launch bounds: 256 threads, 4 blocks an SM.
// A single tier (no clusters to slice the norm group over).
// WIDE-NOT: mamba_step_h2_g1_n128_x512_k4_ng128_slices{{[248]}}
// WIDE-LABEL: gpu.func @mamba_step_h2_g1_n128_x512_k4_ng128_slices1(
// WIDE-SAME: nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 4 : i32
// WIDE: math.log1p
// WIDE-COUNT-2: vector.load %{{.*}} : memref<640xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// WIDE: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}} step %c1
// WIDE-COUNT-4: vector.load %arg11[%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// WIDE: vector.store %{{.*}}, %arg11
// WIDE: vector.reduction <add>
// WIDE: gpu.shuffle  xor
// WIDE: gpu.return

// --ssm-state=bf16: the step's SSM state is memref<?xbf16> (argument 11);
// 16 lanes hold a row of 128 as runs of 8 (16-byte loads that widen), a
// warp updates two rows at once, the updated run rounds back as it is
// stored, and each row's sum takes 4 butterfly steps within its 16 lanes. The prefill scan's passing
// kernel reads and writes the state the same way (its chunks stay f32).
// SSMBF16-LABEL: gpu.func @ssm_scan_mamba2_h2_g1_n128_x512_ssmbf16_chunked_passing(
// SSMBF16-SAME: %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index) kernel
// SSMBF16: memref.load %arg6{{.*}} : memref<?xbf16>
// SSMBF16-NEXT: arith.extf
// SSMBF16: arith.truncf %{{.*}} : f32 to bf16
// SSMBF16-NEXT: memref.store %{{.*}}, %arg6
// The default sm_90a slices each head over 8 blocks of 16 rows (a cluster
// for the norm group of 128): each warp's two rows are one load a lane.
// SSMBF16-LABEL: gpu.func @mamba_step_h2_g1_n128_x512_k4_ng128_ssmbf16_slices8(
// SSMBF16-SAME: %arg11: memref<?xbf16>
// SSMBF16-SAME: nvvm.cluster_dim = array<i32: 8, 1, 1>
// SSMBF16: vector.load %arg11[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// SSMBF16-NOT: vector.load %arg11
// SSMBF16: arith.truncf %{{.*}} : vector<8xf32> to vector<8xbf16>
// SSMBF16-NEXT: vector.store %{{.*}}, %arg11[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// SSMBF16: gpu.shuffle  xor %{{.*}}, %c8_i32
// SSMBF16-NOT: %c16_i32
// SSMBF16: gpu.shuffle  xor %{{.*}}, %c1_i32
// Mamba-1 keeps a channel's state row in registers over the tokens and
// stores it once, rounded (argument 7: after the extra bc buffer).
// SSMBF16-MAMBA1-LABEL: gpu.func @ssm_scan_mamba1_{{.*}}_ssmbf16(
// SSMBF16-MAMBA1-SAME: %arg7: memref<?xbf16>
// SSMBF16-MAMBA1: memref.load %arg7{{.*}} : memref<?xbf16>
// SSMBF16-MAMBA1: scf.for
// SSMBF16-MAMBA1-NOT: memref.store %{{.*}}, %arg7
// SSMBF16-MAMBA1: }
// SSMBF16-MAMBA1: arith.truncf %{{.*}} : f32 to bf16
// SSMBF16-MAMBA1-NEXT: memref.store %{{.*}}, %arg7

// PTX: .entry add_rms_norm_w64_eps1p00em05(
// PTX: .entry mamba_step_h4_g2_n16_x128_k4_ng16_conv(
// PTX: .entry mamba_step_h4_g2_n16_x128_k4_ng16_slices8(
// PTX: .reqnctapercluster 8, 1, 1
// PTX: mapa.shared::cluster
// PTX: barrier.cluster.arrive.aligned
// PTX-NEXT: barrier.cluster.wait.aligned
// PTX: ld.shared::cluster.b32

// DUMP: kernel add_rms_norm_w64_eps1p00em05: grid 1 per token x 1 x 1, block 32 x 1 x 1, 128 bytes shared
// DUMP: kernel mamba_step_h4_g2_n16_x128_k4_ng16_conv: grid 1 x 1 per sequence x 1, block 256 x 1 x 1, 0 bytes shared
// DUMP: kernel mamba_step_h4_g2_n16_x128_k4_ng16_slices8: grid 32 x 1 per sequence x 1, block 64 x 1 x 1, 320 bytes shared
// DUMP: kernel mamba_step_h4_g2_n16_x128_k4_ng16_slices4: grid 16 x 1 per sequence x 1, block 128 x 1 x 1, 320 bytes shared
// DUMP: kernel mamba_step_h4_g2_n16_x128_k4_ng16_slices2: grid 8 x 1 per sequence x 1, block 256 x 1 x 1, 320 bytes shared
// DUMP: kernel mamba_step_h4_g2_n16_x128_k4_ng16_slices1: grid 4 x 1 per sequence x 1, block 256 x 1 x 1, 320 bytes shared
// DUMP: entry @decode
// DUMP: mamba_step {{.*}}  [cuda: mamba_step_h4_g2_n16_x128_k4_ng16_conv mamba_step_h4_g2_n16_x128_k4_ng16_slices8 mamba_step_h4_g2_n16_x128_k4_ng16_slices4 mamba_step_h4_g2_n16_x128_k4_ng16_slices2 mamba_step_h4_g2_n16_x128_k4_ng16_slices1]
// In decode the adds and norms live in the GEMVs (kern-fuse-norm-projection).
// DUMP-NOT: add_rms_norm
