// RUN: rm -rf %t && mkdir -p %t
// RUN: ml-import %inputs/tiny/tiny-llama -o %t/llama.mlir 2>/dev/null
// RUN: ml-compile %t/llama.mlir --target=cuda --emit=mlir -o %t/llama.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --input-file=%t/llama.gpu.mlir
// RUN: ml-compile %t/llama.mlir --target=cuda --emit=ptx -o %t/llama.ptx 2>/dev/null
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/llama.ptx
// RUN: ml-compile %t/llama.mlir --target=cuda -o %t/llama.mlart 2>/dev/null
// RUN: ml-dump %t/llama.mlart --plan | FileCheck %s --check-prefix=DUMP
// RUN: %python %S/../../bench/make_random_checkpoint.py %t/head128 --preset tiny-head128 > /dev/null
// RUN: ml-import %t/head128 -o %t/head128.mlir 2>/dev/null
// RUN: ml-compile %t/head128.mlir --target=cuda --emit=mlir -o %t/head128.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=RUNS --input-file=%t/head128.gpu.mlir
// RUN: ml-compile %t/head128.mlir --target=cuda --kv-cache=bf16 --emit=mlir -o %t/head128-kvbf16.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=WGMMA --input-file=%t/head128-kvbf16.gpu.mlir
// RUN: ml-compile %t/head128.mlir --target=cuda --kv-cache=bf16 --gpu-chip=sm_90 --emit=mlir -o %t/head128-sm90.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=SM90 --input-file=%t/head128-sm90.gpu.mlir
// RUN: ml-compile %t/llama.mlir --target=cuda --kv-cache=bf16 --emit=mlir -o %t/llama-kvbf16.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=KVBF16 --input-file=%t/llama-kvbf16.gpu.mlir
// RUN: ml-compile %t/llama.mlir --target=cuda --kv-cache=bf16 -o %t/llama-kvbf16.mlart 2>/dev/null
// RUN: ml-dump %t/llama-kvbf16.mlart --plan | FileCheck %s --check-prefix=KVBF16-DUMP
// RUN: not ml-compile %t/llama.mlir --kv-cache=fp8 -o %t/x.mlart 2>&1 | FileCheck %s --check-prefix=KV-BAD
// RUN: test ! -e %t/x.mlart
// RUN: not ml-compile %t/llama.mlir --target=cuda --kv-cache=bf16 --gpu-chip=sm_75 -o %t/old.mlart 2>&1 | FileCheck %s --check-prefix=OLD-CHIP
// RUN: test ! -e %t/old.mlart
// RUN: ml-compile %t/llama.mlir --target=cuda --kv-cache=bf16 --prefill-precision=bf16 --emit=mlir -o %t/llama-bf16in.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=BF16IN --input-file=%t/llama-bf16in.gpu.mlir
// RUN: not ml-compile %t/llama.mlir --target=cuda --prefill-precision=bf16 -o %t/f32cache.mlart 2>&1 | FileCheck %s --check-prefix=BF16IN-F32CACHE
// RUN: not ml-compile %t/llama.mlir --target=cuda --kv-cache=bf16 --prefill-precision=bf16 --gpu-weights=f32 -o %t/f32cache.mlart 2>&1 | FileCheck %s --check-prefix=BF16IN-F32W
// RUN: test ! -e %t/f32cache.mlart
// RUN: ml-import %inputs/tiny/tiny-mistral -o %t/mistral.mlir 2>/dev/null
// RUN: ml-compile %t/mistral.mlir --target=cuda --emit=mlir -o %t/mistral.gpu.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=WINDOW --input-file=%t/mistral.gpu.mlir

// Tests the structure of the attention kernels of a GQA model (4 heads, 2
// KV heads of 16): prefill stages K/V tiles in dynamic shared memory between
// barriers and keeps register tiles of scores and outputs with an online
// softmax; decode splits the keys over a fixed grid of 64 blocks per head
// block and merges the splits' partials from the workspace (the 7th memref).

// The KV append is shared by both entries.
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0_append(
// CHECK-SAME: %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %{{.*}}: index) kernel

// Prefill: 64 queries x 32 keys a tile, Q [64][17] K [32][17] V [32][16] P [64][33] floats.
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0(
// CHECK: gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.*}} to memref<4256xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.grid_dim x
// CHECK: gpu.barrier
// The key tiles carry max, normaliser and 1 output dim for each of 4 rows.
// CHECK: scf.for {{.*}} step %c32{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// Scores: 4 rows x 2 keys a thread over the head dim.
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32)
// Row maxima over the 16 lanes of a row.
// CHECK: gpu.shuffle  xor %{{.*}}, %c8_i32
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: gpu.barrier
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0_rope_decode(
// CHECK-SAME: workgroup(%{{.*}} : memref<320xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 2
// The slice of keys of block (head block, split) follows from the position:
// a split per 256 keys, at most 64, and for a batch at most 2048 blocks
// over its sequences (gridDim.y) and 2 head blocks; blocks past them do
// nothing.
// CHECK: arith.remui %{{.*}}, %c64
// CHECK: arith.divui %{{.*}}, %c64
// CHECK: %[[WANTED:.*]] = arith.divui %{{.*}}, %c256
// CHECK: %[[SEQUENCES:.*]] = gpu.grid_dim  y
// CHECK: %[[BLOCKS:.*]] = arith.muli %[[SEQUENCES]], %c2
// CHECK: arith.divui %c2048{{.*}}, %[[BLOCKS]]
// CHECK: %[[CAP:.*]] = arith.minui %{{.*}}, %c64
// CHECK: %[[ACTIVE:.*]] = arith.minui %[[WANTED]], %[[CAP]]
// CHECK: %[[MINE:.*]] = arith.cmpi ult, %{{.*}}, %[[ACTIVE]]
// CHECK: scf.if %[[MINE]]
// The block's two query heads (one GQA group) go to shared memory after the
// merge area (8 warps x 2 heads x 18 floats); then 32 keys a warp step, a key
// a lane (8 warps: step 256): the lane's K row as vector loads against the
// queries, a max and a sum exchange per head, and P V with each lane's
// probability broadcast (shuffle idx).
// CHECK: gpu.barrier
// CHECK: scf.for {{.*}} step %c256{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32)
// CHECK: vector.load %arg4{{.*}} : memref<?xf32>, vector<4xf32>
// CHECK: vector.load %arg10[%c288{{.*}}] {{.*}} : memref<320xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: gpu.shuffle  xor
// CHECK: arith.maximumf
// CHECK: gpu.shuffle  idx
// CHECK: gpu.barrier
// The merge reads the active splits' partials (64 apart per head): a lane
// the maxima and sums of splits lane and lane + 32, then each of 8 warps the
// outputs of 8 splits, all unrolled (no loop waits on a load), each weight
// broadcast from the lane that holds it; the warps' sums meet in shared
// memory.
// CHECK-LABEL: gpu.func @attention_h4_q64_kv32_win0_rope_decode_merge(
// CHECK-SAME: workgroup(%{{.*}} : memref<128xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.divui %{{.*}}, %c256
// CHECK: gpu.grid_dim  y
// CHECK: arith.minui %{{.*}}, %c64
// CHECK: %[[SPLITS:.*]] = arith.minui
// CHECK-NOT: scf.for
// CHECK: gpu.shuffle  xor
// CHECK: arith.maximumf
// CHECK-COUNT-8: gpu.shuffle  idx
// CHECK-NOT: gpu.shuffle
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: arith.divf
// CHECK: gpu.return

// PTX: .visible .entry attention_h4_q64_kv32_win0(
// PTX: bar.sync
// PTX: .visible .entry attention_h4_q64_kv32_win0_rope_decode(
// PTX: .maxntid 256, 1, 1
// PTX: .minnctapersm 2

// DUMP: kernel attention_h4_q64_kv32_win0: grid 1 per token x 1 x 1, block 256 x 1 x 1, 17024 bytes shared
// DUMP: kernel attention_h4_q64_kv32_win0_rope_decode: grid 128 x 1 per sequence x 1, block 256 x 1 x 1, 1280 bytes shared, positions
// DUMP: kernel attention_h4_q64_kv32_win0_rope_decode_merge: grid 4 x 1 per sequence x 1, block 256 x 1 x 1, 512 bytes shared
// DUMP: attention {{.*}} [cuda: attention_h4_q64_kv32_win0_append attention_h4_q64_kv32_win0]
// DUMP: attention {{.*}} rope state {{.*}} [cuda: attention_h4_q64_kv32_win0_rope_append attention_h4_q64_kv32_win0_rope_decode attention_h4_q64_kv32_win0_rope_decode_merge]

// WINDOW: gpu.func @attention_h4_q64_kv32_win8(
// WINDOW: gpu.func @attention_h4_q64_kv32_win8_rope_decode(

// --kv-cache=bf16: the caches are memref<?xbf16> (memrefs 4 and 5); append
// rounds K and V as it stores them, prefill and decode widen what they read.
// KVBF16-LABEL: gpu.func @attention_h4_q64_kv32_win0_kvbf16_append(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi64>
// KVBF16: arith.truncf %{{.*}} : f32 to bf16
// KVBF16: memref.store %{{.*}}, %arg4
// KVBF16: arith.truncf %{{.*}} : f32 to bf16
// KVBF16: memref.store %{{.*}}, %arg5
// Prefill over a bf16 cache runs on tensor cores (FlashAttention.cpp): two
// stages of 64-key tiles, K then V as bf16 rows of 16 + 8 (2 x 2 x 64 x 48
// bytes), filled by cp.async one tile ahead (the first before q's
// fragments are split hi + lo). The key loop, which carries the 2 dim tiles x 4 accumulators of
// the output, then max and sum of two rows.
// KVBF16-LABEL: gpu.func @attention_h4_q64_kv32_win0_kvbf16(
// KVBF16-SAME: nvvm.maxntid = array<i32: 128, 1, 1>
// KVBF16: memref.view {{.*}} to memref<3072xf32, #gpu.address_space<workgroup>>
// The first tile's copies, before the loop.
// KVBF16: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 16, cache =  cg
// KVBF16: nvvm.cp.async.commit.group
// KVBF16: vector.load %arg0{{.*}} : memref<?xf32>, vector<2xf32>
// KVBF16: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// KVBF16: arith.subf
// KVBF16: llvm.bitcast %{{.*}} : vector<2xbf16> to i32
// KVBF16: scf.for {{.*}} step %c64{{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// Wait for this tile, one barrier (every warp is done with the last step's
// stage), then the next tile's copies (if any) into that stage, one group a
// step.
// KVBF16: nvvm.cp.async.wait.group 0
// KVBF16-NEXT: gpu.barrier
// KVBF16: scf.if
// KVBF16: nvvm.cp.async.shared.global
// KVBF16: nvvm.cp.async.commit.group
// Scores: K fragments by ldmatrix (one 16-dim step of 16: x2), then q_hi K
// and q_lo K into one accumulator.
// KVBF16: nvvm.ldmatrix {{.*}} layout = #nvvm.mma_layout<row>, num = 2
// KVBF16: %{{.*}} = nvvm.mma.sync A[{{.*}}] B[%[[K0:.*]], %[[K1:.*]]] C[
// KVBF16-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>
// KVBF16-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// KVBF16: nvvm.mma.sync A[{{.*}}] B[%[[K0]], %[[K1]]] C[
// Only tiles that reach the block's queries take the causal mask.
// KVBF16: scf.if %{{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// KVBF16: arith.select
// Row maxima over the 4 lanes of a quad.
// KVBF16: gpu.shuffle  xor %{{.*}}, %c2_i32
// KVBF16: gpu.shuffle  xor %{{.*}}, %c1_i32
// Weights 2^(score scale log2e - max log2e): one fma and one ex2 a score.
// KVBF16: math.fma
// KVBF16: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// P V: V fragments by transposed ldmatrix.
// KVBF16: nvvm.ldmatrix {{.*}} layout = #nvvm.mma_layout<col>, num = 4
// KVBF16-COUNT-16: nvvm.mma.sync
// KVBF16-NOT: nvvm.mma.sync
// KVBF16: gpu.barrier
// KVBF16: vector.store %{{.*}}, %arg3{{.*}} : memref<?xf32>, vector<2xf32>
// Decode over a bf16 cache runs on tensor cores too: block (KV head, split)
// takes the group's 2 query heads as rows 0 and 1 of its warps' tiles (rows
// 8 .. 15 are zero words), a split per 128 keys, three stages of 64-key tiles
// (3 x 2 x 64 x 48 bytes) two tiles ahead; warp w takes keys 16 w .. 16 w +
// 15 of a tile, masked past the split's end; then the warps' partials meet
// in the stages' memory and go to the workspace (memref 6). The step's RoPE
// and append run in this kernel (no _append launch in decode): cos and sin
// of the position go after the stages (16 floats), the last split's block
// writes its KV head's rotated k and its v to the caches (memrefs 4, 5)
// before a barrier and its copies, and each block rotates its q pairs in
// registers.
// KVBF16-LABEL: gpu.func @attention_h4_q64_kv32_win0_kvbf16_rope_decode(
// KVBF16-SAME: nvvm.maxntid = array<i32: 128, 1, 1>, nvvm.minctasm = 2
// KVBF16: memref.view {{.*}} to memref<4624xf32, #gpu.address_space<workgroup>>
// KVBF16: arith.divui %{{.*}}, %c128
// KVBF16: gpu.grid_dim  y
// KVBF16: scf.if
// KVBF16: memref.get_global @rope_inv_freq_d16
// KVBF16: math.cos
// KVBF16: math.sin
// KVBF16: gpu.barrier
// KVBF16: arith.truncf %{{.*}} : f32 to bf16
// KVBF16: memref.store %{{.*}}, %arg4
// KVBF16: arith.truncf %{{.*}} : f32 to bf16
// KVBF16: memref.store %{{.*}}, %arg5
// KVBF16: gpu.barrier
// KVBF16: nvvm.cp.async.shared.global
// KVBF16: nvvm.cp.async.commit.group
// KVBF16: scf.if
// KVBF16: nvvm.cp.async.commit.group
// KVBF16: vector.load %arg0{{.*}} : memref<?xf32>, vector<2xf32>
// KVBF16: vector.load %arg0{{.*}} : memref<?xf32>, vector<2xf32>
// KVBF16: %[[COS:.+]] = memref.load %view
// KVBF16: %[[SIN:.+]] = memref.load %view
// KVBF16: arith.mulf %{{.*}}, %[[SIN]]
// KVBF16: arith.mulf %{{.*}}, %[[COS]]
// KVBF16: arith.subf
// KVBF16: scf.for {{.*}} step %c64{{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// KVBF16: nvvm.cp.async.wait.group 1
// KVBF16-NEXT: gpu.barrier
// KVBF16: nvvm.cp.async.commit.group
// KVBF16: nvvm.ldmatrix {{.*}} layout = #nvvm.mma_layout<row>, num = 2
// KVBF16: nvvm.mma.sync A[%{{.*}}, %c0_i32{{[_0-9]*}}, %{{.*}}, %c0_i32{{[_0-9]*}}]
// KVBF16: arith.select
// KVBF16: gpu.shuffle  xor %{{.*}}, %c2_i32
// KVBF16: nvvm.ldmatrix {{.*}} layout = #nvvm.mma_layout<col>, num = 4
// KVBF16-COUNT-4: nvvm.mma.sync
// KVBF16-NOT: nvvm.mma.sync
// KVBF16: scf.yield
// KVBF16: gpu.barrier
// KVBF16: memref.store %{{.*}}, %arg6
// KVBF16-DUMP: memory: weights {{.*}}, KV cache 0.2 KiB per token
// KVBF16-DUMP: kernel attention_h4_q64_kv32_win0_kvbf16: grid 1 per token x 1 x 1, block 128 x 1 x 1, 12288 bytes shared
// KVBF16-DUMP: state 0: kv_cache layer 0, 2 kv heads of 16, bf16
// KVBF16-DUMP: attention {{.*}} rope state 0 heads 4 -> %{{.*}}  [cuda: attention_h4_q64_kv32_win0_kvbf16_rope_decode attention_h4_q64_kv32_win0_kvbf16_rope_decode_merge]
// --prefill-precision=bf16: the projections' inputs are rounded to bf16
// (hi rows only) and the tensor-core prefill takes one product for each of
// q K^T (8 key tiles) and P V (4 key steps x 2 dim tiles), with no lo terms.
// BF16IN-LABEL: gpu.func @to_bf16_hi_w64(
// BF16IN: arith.truncf %{{.*}} : f32 to bf16
// BF16IN-NEXT: memref.store
// BF16IN-NEXT: }
// BF16IN-LABEL: gpu.func @attention_h4_q64_kv32_win0_kvbf16_bf16in(
// BF16IN: arith.truncf %{{.*}} : vector<2xf32> to vector<2xbf16>
// BF16IN-NOT: arith.subf
// BF16IN: scf.for {{.*}} step %c64
// BF16IN-COUNT-8: nvvm.mma.sync
// BF16IN-NOT: nvvm.mma.sync
// BF16IN: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// BF16IN-COUNT-8: nvvm.mma.sync
// BF16IN-NOT: nvvm.mma.sync
// BF16IN: gpu.return
// BF16IN-F32CACHE: ml-compile: error: --prefill-precision=bf16 runs prefill attention on bf16 tensor cores, which read a bf16 KV cache (--kv-cache=bf16) of heads that are multiples of 16 up to 128; found an f32 cache, head dim 16
// BF16IN-F32W: ml-compile: error: --prefill-precision=bf16 runs the prefill's projections on bf16 tensor cores, which take bf16 matrices; this model's are f32 (--gpu-weights=bf16 rounds them)
// OLD-CHIP: ml-compile: error: the tensor-core attention of a bf16 KV cache needs sm_80 or newer, found sm_75
// KV-BAD: ml-compile: error: unknown --kv-cache 'fp8' (expected f32 or bf16)

// For sm_90a (the default chip), heads of 128 over a bf16 cache prefill on
// warpgroup MMA (WarpgroupAttention.cpp): two warpgroups a block, 128
// queries; shared memory holds q hi and lo (2 x 32 KiB), two stages of 128
// keys' K and V (4 x 32 KiB) and 1 KiB of slack to align the base to the
// 1024-byte swizzle atoms.
// WGMMA-LABEL: gpu.func @attention_h2_q256_kv128_win0_kvbf16(
// WGMMA-SAME: nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 1
// WGMMA: memref.view {{.*}} to memref<49408xf32, #gpu.address_space<workgroup>>
// The first tile's copies into swizzled rows (chunk ^ row % 8), then q's.
// WGMMA: arith.xori
// WGMMA: nvvm.cp.async.shared.global
// WGMMA: nvvm.cp.async.commit.group
// WGMMA: arith.subf
// WGMMA: arith.xori
// WGMMA: vector.store
// One barrier a step: the tile landed and is visible to the async proxy,
// then the next tile's copies.
// WGMMA: scf.for {{.*}} step %c128
// WGMMA: nvvm.cp.async.wait.group 0
// WGMMA-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// WGMMA-NEXT: gpu.barrier
// WGMMA: nvvm.cp.async.commit.group
// S = q_hi K^T + q_lo K^T: 2 x 8 wgmma of 16 dims on shared-memory
// descriptors (K-major: trans-b 0); the first takes no accumulator. The
// descriptors of q and K: address / 16 or'ed with 128-byte swizzle (1 << 62),
// 8-row atoms 1024 bytes apart (64 << 32) and the unused leading offset 1
// (1 << 16).
// WGMMA: nvvm.wgmma.fence.aligned
// WGMMA: arith.constant 4611686293305360384 : i64
// WGMMA: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {$0, {{.*}}, $63}, $64, $65, p, 1, 1, 0, 0;
// WGMMA-COUNT-15: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, $128, $129, p, 1, 1, 0, 0;
// WGMMA: nvvm.wgmma.commit.group.sync.aligned
// WGMMA-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// WGMMA: llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// O += P_hi V + P_lo V: A from registers, V by descriptor, transposed
// (MN-major: the 64-dim column blocks 128 keys x 128 bytes apart, 1024 << 16).
// WGMMA: nvvm.wgmma.fence.aligned
// WGMMA: arith.constant 4611686293372403712 : i64
// WGMMA-COUNT-16: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.*}}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;
// WGMMA: nvvm.wgmma.commit.group.sync.aligned
// WGMMA-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// WGMMA: scf.yield
// WGMMA: gpu.barrier
// WGMMA: vector.store %{{.*}}, %arg3
// For sm_90 the same prefill is the mma.sync kernel.
// SM90-LABEL: gpu.func @attention_h2_q256_kv128_win0_kvbf16(
// SM90-SAME: nvvm.maxntid = array<i32: 128, 1, 1>
// SM90-NOT: wgmma
// SM90: nvvm.mma.sync
// SM90: gpu.return

// Heads of 128 over an f32 cache: a lane reads its key's K row as 32 loads
// of 4 floats, and each of the step's 32 V rows as one 16-byte load of its 4
// adjacent dims.
// RUNS-LABEL: gpu.func @attention_h2_q256_kv128_win0_rope_decode(
// RUNS: scf.for {{.*}} step %c256
// RUNS-COUNT-32: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// RUNS: gpu.shuffle  xor
// RUNS: vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
// RUNS: gpu.shuffle  idx
