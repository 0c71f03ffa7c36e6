//===- Kernels.h - One kernel emitter per kern op ---------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_KERNELS_H
#define MLOPT_LIB_CODEGEN_KERNELS_H

#include "mlopt/Codegen/GpuCodegen.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlopt::codegen {

/// Emits the kernels of `op` into `module` (none for GEMMs) and returns
/// their specs, in launch order. Names are unique per specialisation, so a
/// caller can skip ops whose kernel already exists (see kernelKey).
/// `matrixType` is the device type of the weights of embed, linear and
/// lm_head (GpuConventions.h).
mlrt::Expected<std::vector<GpuKernelSpec>>
emitKernels(mlir::Operation *op, mlir::kern::ProgramOp program,
            mlrt::DType matrixType, const GpuTarget &target,
            mlir::gpu::GPUModuleOp module);

/// The specialisation of `op`'s kernels: equal keys, equal kernels. Empty
/// for ops without kernels (library GEMMs).
std::string kernelKey(mlir::Operation *op, mlir::kern::ProgramOp program,
                      mlrt::DType matrixType);

/// Emits the greedy-token kernel for `vocab` logits into `module`
/// (GpuConventions.h, argmaxKernelName): it belongs to no op.
mlrt::Expected<std::vector<GpuKernelSpec>>
emitArgmaxKernel(int64_t vocab, mlir::gpu::GPUModuleOp module);

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_KERNELS_H
