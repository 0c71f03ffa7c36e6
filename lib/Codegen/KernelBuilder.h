//===- KernelBuilder.h - Building specialised gpu.func kernels --*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A thin layer over ImplicitLocOpBuilder for kernel bodies: index and f32
// arithmetic, block-stride loops, guarded regions and a shared-memory block
// reduction, so each kernel reads close to its math.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_KERNELBUILDER_H
#define MLOPT_LIB_CODEGEN_KERNELBUILDER_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <functional>

namespace mlopt::codegen {

/// A kernel under construction: its arguments are memrefs (f32 buffers,
/// weights and states; bf16 matrices), optionally an i32 memref of token
/// ids, then `tokens` and `position`.
class KernelBuilder {
public:
  /// Adds `gpu.func @name` with `f32Memrefs` memref<?xf32> arguments (and
  /// one memref<?xi32> when `withIds`) to `module`, and a workgroup buffer
  /// of `sharedFloats` floats when non-zero.
  KernelBuilder(mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                unsigned f32Memrefs, bool withIds, int64_t sharedFloats);
  /// The same with a memref<?xT> argument per element type of `memrefs`
  /// (f32 buffers and states, bf16 matrices).
  KernelBuilder(mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                llvm::ArrayRef<mlir::Type> memrefs, bool withIds,
                int64_t sharedFloats);

  mlir::ImplicitLocOpBuilder &b() { return builder; }
  mlir::Value memref(unsigned i) { return func.getArgument(i); }
  mlir::Value ids() { return func.getArgument(numMemrefs); }
  mlir::Value tokens() { return func.getArgument(func.getNumArguments() - 2); }
  mlir::Value position() {
    return func.getArgument(func.getNumArguments() - 1);
  }
  mlir::Value blockId() { return blockIdx; }
  /// blockIdx.y: the sequence of kernels that can step several sequences
  /// (a grid of y blocks over a batch: GpuKernel::perSequence).
  mlir::Value sequence();
  /// The block's row of token t of its sequence: sequence() * tokens() + t.
  mlir::Value sequenceRow(mlir::Value t);
  /// The first element of the block's sequence's slice of a state array
  /// that holds gridDim.y equal slices (its size divided by gridDim.y).
  mlir::Value sequenceSlice(mlir::Value memref);
  /// The position of the first token of the block's sequence, from the
  /// sequences' positions: the last memref argument, i64 (kernels of
  /// GpuKernel::positions).
  mlir::Value sequencePosition();
  mlir::Value threadId() { return threadIdx; }

  // Index arithmetic.
  mlir::Value idx(int64_t v);
  mlir::Value add(mlir::Value a, mlir::Value b);
  mlir::Value sub(mlir::Value a, mlir::Value b);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::Value div(mlir::Value a, mlir::Value b);
  mlir::Value rem(mlir::Value a, mlir::Value b);
  mlir::Value lt(mlir::Value a, mlir::Value b);
  /// a == b (index).
  mlir::Value eq(mlir::Value a, mlir::Value b);
  mlir::Value minIndex(mlir::Value a, mlir::Value b);
  mlir::Value maxIndex(mlir::Value a, mlir::Value b);

  // f32 arithmetic.
  mlir::Value f32(double v);
  mlir::Value fadd(mlir::Value a, mlir::Value b);
  mlir::Value fsub(mlir::Value a, mlir::Value b);
  mlir::Value fmul(mlir::Value a, mlir::Value b);
  mlir::Value fdiv(mlir::Value a, mlir::Value b);
  mlir::Value fmax(mlir::Value a, mlir::Value b);
  mlir::Value exp(mlir::Value a);
  /// 2^x by ex2.approx.ftz (relative error ~2^-22; 0 for -inf and far
  /// below).
  mlir::Value exp2Approx(mlir::Value x);
  /// a b + c, rounded once.
  mlir::Value fma(mlir::Value a, mlir::Value b, mlir::Value c);
  mlir::Value silu(mlir::Value x);
  /// torch's softplus (threshold 20).
  mlir::Value softplus(mlir::Value x);
  /// RMSNorm's scale 1 / sqrt(sumSquares / n + eps), as the CPU computes it.
  mlir::Value rmsScale(mlir::Value sumSquares, int64_t n, double eps);
  mlir::Value toF32(mlir::Value index);
  /// `v` as f32 (extf from bf16/f16; f32 as is).
  mlir::Value widen(mlir::Value v);
  /// f32 `v` as `element` (truncf, round to nearest even; f32 as is).
  mlir::Value narrow(mlir::Value v, mlir::Type element);

  mlir::Value load(mlir::Value memref, mlir::Value index);
  void store(mlir::Value value, mlir::Value memref, mlir::Value index);
  /// `count` f32 at memref[index] as one vector load: `index` must be a
  /// multiple of `count` floats from a base aligned to 4 count bytes.
  llvm::SmallVector<mlir::Value> loadFloats(mlir::Value memref,
                                            mlir::Value index, int64_t count);
  /// The vector store of loadFloats.
  void storeFloats(mlir::ValueRange values, mlir::Value memref,
                   mlir::Value index);

  /// for (i = begin; i < end; i += step) body(i).
  void loop(mlir::Value begin, mlir::Value end, mlir::Value step,
            const std::function<void(mlir::Value)> &body);
  /// A loop carrying `init` values: body(i, carried) returns the next ones.
  llvm::SmallVector<mlir::Value>
  loop(mlir::Value begin, mlir::Value end, mlir::Value step,
       mlir::ValueRange init,
       const std::function<llvm::SmallVector<mlir::Value>(
           mlir::Value, mlir::ValueRange)> &body);
  /// for (i = threadId; i < end; i += threads) body(i).
  void strided(mlir::Value end, int64_t threads,
               const std::function<void(mlir::Value)> &body);
  /// body(t, c) for column c < width of token t, one a thread: blocks of
  /// `threads`, ceil(width / threads) blocks per token.
  void eachElement(int64_t width, int64_t threads,
                   const std::function<void(mlir::Value, mlir::Value)> &body);
  /// if (cond) body().
  void when(mlir::Value cond, const std::function<void()> &body);
  /// The values `then` yields where `cond` holds, else those of
  /// `otherwise` (an scf.if of `types`).
  llvm::SmallVector<mlir::Value>
  choose(mlir::Value cond, mlir::TypeRange types,
         llvm::function_ref<llvm::SmallVector<mlir::Value>()> then,
         llvm::function_ref<llvm::SmallVector<mlir::Value>()> otherwise);
  /// The sum of `value` over the block's `threads` threads (a power of two,
  /// at most the shared buffer), returned to every thread: shuffles within
  /// warps and one exchange through shared memory from 64 threads on.
  mlir::Value blockSum(mlir::Value value, int64_t threads);
  /// The sum of `value` over each aligned group of `lanes` lanes of a warp
  /// (a power of two up to 32; butterfly shuffles), returned to every lane
  /// of the group.
  mlir::Value warpSum(mlir::Value value, int32_t lanes = 32);
  /// The maximum of `value` over each group of `lanes` lanes, likewise.
  mlir::Value warpMax(mlir::Value value, int32_t lanes = 32);
  /// The launch's dynamic shared memory as `floats` floats, 16-byte
  /// aligned (static shared memory stops at 48 KiB).
  mlir::Value dynamicSharedFloats(int64_t floats);
  /// Launch bounds: at most `threads` a block, and registers few enough
  /// for `blocksPerSM` such blocks on one SM (nvvm.maxntid, nvvm.minctasm).
  void launchBounds(int64_t threads, int64_t blocksPerSM);
  /// Blocks in clusters of `blocks` along x, fixed in the kernel
  /// (nvvm.cluster_dim, sm_90+): a plain launch forms them, and the x grid
  /// must be a multiple of `blocks`.
  void clusterOf(int64_t blocks);
  /// barrier.cluster: every thread of every block of the cluster arrives
  /// (release) and waits (acquire); also a barrier of the block.
  void clusterBarrier();
  /// The float at `index` of the workgroup buffer of the cluster's block
  /// `rank` (distributed shared memory: mapa, then ld.shared::cluster).
  mlir::Value loadFromClusterBlock(mlir::Value index, mlir::Value rank);
  /// The workgroup buffer (null without one).
  mlir::Value sharedBuffer() { return shared; }

  /// Ends the kernel (gpu.return).
  void finish();

private:
  mlir::ImplicitLocOpBuilder builder;
  mlir::gpu::GPUFuncOp func;
  unsigned numMemrefs;
  mlir::Value blockIdx, threadIdx, shared;
};

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_KERNELBUILDER_H
