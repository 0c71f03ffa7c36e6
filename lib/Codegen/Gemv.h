//===- Gemv.h - The shapes of the generated GEMVs ---------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// What the GEMV kernels of a projection (linear, linear_swiglu, lm_head)
// are specialised to, shared by the GEMV of one row per warp
// (MatrixKernels.cpp) and the tensor-core GEMV of several rows
// (BatchedGemv.cpp), which take the same arguments.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_GEMV_H
#define MLOPT_LIB_CODEGEN_GEMV_H

#include "KernelBuilder.h"
#include "mlopt/Codegen/GpuCodegen.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlopt::codegen {

/// Output rows of one GEMV computed from the same matrices: plain rows
/// (one matrix, + bias) or SwiGLU rows (gate and up: silu(g) * u).
struct GemvSegment {
  llvm::SmallVector<unsigned> matrices; ///< memref arguments of the weights
  int64_t rows = 0;
  unsigned out = 0;   ///< memref argument of the output
  int64_t column = 0; ///< first column of the rows there
  int64_t outWidth = 0;
  std::optional<unsigned> bias; ///< memref argument of the bias
};

/// The shape of one GEMV: segments of output rows in grid order, `cols`
/// inputs, `memrefs` arguments (in first).
struct GemvShape {
  llvm::SmallVector<GemvSegment> segments;
  int64_t cols = 0, inWidth = 0;
  /// Whether the input rows are 16-byte aligned (vector loads of x).
  bool alignedInput = false;
  unsigned in = 0;
  /// Which memref arguments are matrices (the rest are f32).
  llvm::SmallVector<bool> isMatrix;
  /// The input's RMSNorm weight (the last memref) and eps, if any.
  std::optional<unsigned> norm;
  double eps = 0;
  /// Whether results are added to the outputs.
  bool accumulate = false;
  /// Appends the input norm of `op` (its last memref argument).
  template <typename Op> void normOf(Op op) {
    if (!op.getNorm())
      return;
    norm = isMatrix.size();
    isMatrix.push_back(false);
    eps = op.getEps()->convertToDouble();
  }
  int64_t totalRows() const {
    int64_t n = 0;
    for (const GemvSegment &g : segments)
      n += g.rows;
    return n;
  }
};

/// Whether the tensor-core GEMV of several rows handles `s` on matrices of
/// `element`: bf16 matrices, columns a multiple of 32, 16-byte aligned input
/// rows, and segments of whole 16-row tiles.
bool batchedGemvApplies(const GemvShape &s, mlir::Type element);
/// Emits it into `module`, a kernel per tier of mlrt::kBatchedGemvTiers
/// (mlrt::batchedGemvKernelName of `name`), and returns their launches.
std::vector<GpuKernelSpec> emitBatchedGemvs(const GemvShape &s,
                                            llvm::StringRef name,
                                            mlir::gpu::GPUModuleOp module);

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_GEMV_H
