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

namespace mlopt {

/// Adds `program` to `builder` as the artifact's Plan table. Weight
/// symbols become weight-table indices (kern.weight's index) and state
/// symbols indices into Plan.states, in declaration order.
mlrt::Expected<flatbuffers::Offset<mlrt::fb::Plan>>
writePlan(flatbuffers::FlatBufferBuilder &builder,
          mlir::kern::ProgramOp program);

} // namespace mlopt

#endif // MLOPT_ARTIFACT_PLANWRITER_H
