//===- PlanWriter.h - Serialise a kern.program into the artifact -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_ARTIFACT_PLANWRITER_H
#define MLOPT_ARTIFACT_PLANWRITER_H

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlrt/Status.h"
#include "mlrt/artifact_generated.h"

#include "llvm/ADT/DenseMap.h"

#include <vector>

namespace mlopt {

/// Adds `program` to `builder` as the artifact's Plan table. Weight
/// symbols become weight-table indices (kern.weight's index) and state
/// symbols indices into Plan.states, in declaration order.
/// `gpuKernels`, when given, lists the GPU kernels each op launches.
mlrt::Expected<flatbuffers::Offset<mlrt::fb::Plan>>
writePlan(flatbuffers::FlatBufferBuilder &builder,
          mlir::kern::ProgramOp program,
          const llvm::DenseMap<mlir::Operation *, std::vector<int>>
              *gpuKernels = nullptr);

} // namespace mlopt

#endif // MLOPT_ARTIFACT_PLANWRITER_H
