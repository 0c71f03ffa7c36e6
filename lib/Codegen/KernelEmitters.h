//===- KernelEmitters.h - The kernel emitters of each op family -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Kernels.cpp dispatches each kern op to the emitter of its family: row
// kernels (embed, norms, elementwise), attention (RoPE, KV append,
// attention), Mamba (conv1d, scans) and GEMV (linear, lm_head). Each
// emitter mirrors its CPU kernel in runtime/src/cpu and is checked against
// it on the GPU machine. Activations are `tokens x width` f32 rows, so row
// t of a buffer starts at t * width. Shapes are constants of each kernel.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_KERNELEMITTERS_H
#define MLOPT_LIB_CODEGEN_KERNELEMITTERS_H

#include "KernelBuilder.h"

#include "mlopt/Codegen/GpuCodegen.h"
#include "mlopt/Dialect/Kern/KernOps.h"

namespace mlopt::codegen {

/// Threads per block of the row kernels.
constexpr int64_t kThreads = 256;

using KernelSpecs = mlrt::Expected<std::vector<GpuKernelSpec>>;

/// The width of a kern buffer value.
int64_t widthOf(mlir::Value buffer);
/// The type of the weight `name` refers to from `op`.
mlir::RankedTensorType weightType(mlir::Operation *op,
                                  mlir::FlatSymbolRefAttr name);

/// A launch of `blocksPerToken` blocks per token.
GpuKernelSpec perToken(std::string name, int64_t blocksPerToken = 1,
                       int64_t threads = kThreads, int64_t sharedFloats = 0);
/// A launch of one thread per element of `width`-wide token rows, kThreads
/// a block (KernelBuilder::eachElement).
GpuKernelSpec perElement(std::string name, int64_t width);
/// A launch of `blocks` blocks whatever the token count.
GpuKernelSpec fixedGrid(std::string name, int64_t blocks, int64_t threads,
                        int64_t sharedFloats = 0);
/// `spec` for a kernel that steps several sequences at once (blockIdx.y;
/// KernelBuilder::sequence): the runtime launches a y block per sequence of
/// a batched call.
GpuKernelSpec perSequence(GpuKernelSpec spec);
/// `spec` for a kernel that takes the sequences' positions as its last
/// memref (KernelBuilder::sequencePosition).
GpuKernelSpec withPositions(GpuKernelSpec spec);
/// eps as part of a kernel name: 1e-05 -> 1p00em05.
std::string epsName(double eps);
/// A power of two at most `n` and `limit`.
int64_t powerOfTwoAtMost(int64_t n, int64_t limit);

/// Adds kernel `name` with `memrefs` f32 memref arguments (and the ids when
/// `ids`) to `module` and builds its body.
void buildKernel(mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                 unsigned memrefs, bool ids, int64_t sharedFloats,
                 llvm::function_ref<void(KernelBuilder &)> body);
/// The same with a memref<?xT> argument per element type of `memrefs`.
void buildKernel(mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                 llvm::ArrayRef<mlir::Type> memrefs, bool ids,
                 int64_t sharedFloats,
                 llvm::function_ref<void(KernelBuilder &)> body);
/// The element type of the SSM state of Mamba state `state` that `op`
/// names (f32 or bf16).
mlir::Type ssmStateType(mlir::Operation *op, mlir::FlatSymbolRefAttr state);
/// `count` memref element types, f32 but `type` at `at`.
llvm::SmallVector<mlir::Type> memrefTypes(mlir::MLIRContext *ctx,
                                          unsigned count, unsigned at,
                                          mlir::Type type);
/// The element type of the KV cache `attention` reads (f32 or bf16).
mlir::Type kvElementType(mlir::kern::AttentionOp attention);

/// rms_norm, add_rms_norm, add, swiglu, gated_rms_norm, repeat_groups.
KernelSpecs emitRowKernels(mlir::Operation *op, llvm::StringRef name,
                           mlir::gpu::GPUModuleOp module);
/// What ends the kernel key of an attention op of a step entry (@decode):
/// its kernels split the keys over a fixed grid (a CUDA graph replays it).
constexpr llvm::StringLiteral kDecodeSuffix = "_decode";
/// What ends the kernel key of an attention op with `bf16_inputs`.
constexpr llvm::StringLiteral kBf16InputsSuffix = "_bf16in";
/// rope, attention (KV append, then the tiled prefill kernel, or the
/// split-KV decode kernel and its merge).
/// The prefill kernel is the wgmma one where `target` has it.
KernelSpecs emitAttentionKernels(mlir::Operation *op, llvm::StringRef name,
                                 mlir::kern::ProgramOp program,
                                 const GpuTarget &target,
                                 mlir::gpu::GPUModuleOp module);
/// The key of embed, linear and lm_head kernels for matrices of
/// `matrixType` (empty: the op is a library GEMM).
std::string matrixKernelKey(mlir::Operation *op, mlrt::DType matrixType);
/// embed, and linear / lm_head: GEMV in step entries, bf16 staging of the
/// input for the library GEMM in others.
KernelSpecs emitMatrixKernels(mlir::Operation *op, llvm::StringRef name,
                              mlrt::DType matrixType,
                              mlir::gpu::GPUModuleOp module);
/// The memref arguments of a causal conv1d + SiLU kernel body.
struct Conv1dArgs {
  unsigned in, out, weight, bias, state;
};
/// The body of a conv1d kernel: one thread per channel walks the tokens,
/// holding the last width - 1 inputs (from and back to the conv state);
/// blockIdx.y picks the sequence (rows, then states, one after another).
void conv1d(KernelBuilder &k, const Conv1dArgs &args, int64_t channels,
            int64_t width);
/// conv1d, ssm_scan (Mamba-2 and Mamba-1).
KernelSpecs emitMambaKernels(mlir::Operation *op, llvm::StringRef name,
                             mlir::gpu::GPUModuleOp module);
/// mamba_step: the fused Mamba-2 step (MambaStepKernel.cpp).
KernelSpecs emitMambaStepKernel(mlir::kern::MambaStepOp op,
                                llvm::StringRef name, const GpuTarget &target,
                                mlir::gpu::GPUModuleOp module);

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_KERNELEMITTERS_H
