//===- MambaScan.h - Shared facts of the Mamba-2 scan kernels ---*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_MAMBASCAN_H
#define MLOPT_LIB_CODEGEN_MAMBASCAN_H

#include "KernelEmitters.h"

namespace mlopt::codegen {

/// A Mamba-2 scan's shape and the layout of its xbc rows: x of `groups`
/// groups of headDim, then B of `groups` groups and C of `heads` heads,
/// d_state each.
struct ScanShape {
  int64_t heads, groups, headDim, dState;

  int64_t xbcWidth() const {
    return groups * headDim + groups * dState + heads * dState;
  }
  int64_t bOffset() const { return groups * headDim; }
  int64_t cOffset() const { return bOffset() + groups * dState; }
};

/// The arguments of the Mamba-2 scan kernels: buffers, weights, then the
/// state arrays (schemas/artifact.fbs, GpuKernel). Mamba-1 has one buffer
/// more (bc) before them.
enum ScanArg : unsigned { Xbc, Dt, Y, DtBias, ALog, Skip, State, Workspace };
constexpr unsigned kScanArgs = Workspace + 1;
/// The f32 chunked Mamba-2 prefill scan (ChunkedScan.cpp): three launches,
/// chunk states, their passing, then each chunk's outputs.
std::vector<GpuKernelSpec> emitChunkedScan(mlir::gpu::GPUModuleOp module,
                                           llvm::StringRef name,
                                           const ScanShape &shape,
                                           bool bf16Inputs,
                                           mlir::Type stateType);

/// Whether the tensor-core SSD scan (SsdScan.cpp) takes these shapes: head
/// dims in 32-row slices, d_state in multiples of 32, shared memory within
/// a block's.
bool ssdScanApplies(int64_t heads, int64_t groups, int64_t headDim,
                    int64_t dState);
/// The Mamba-2 prefill scan of `bf16_inputs` ops on bf16 tensor cores, one
/// launch: a block per (head, 32 state rows), a y block per sequence.
GpuKernelSpec emitSsdScan(mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                          int64_t heads, int64_t groups, int64_t headDim,
                          int64_t dState, mlir::Type stateType);
} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_MAMBASCAN_H
