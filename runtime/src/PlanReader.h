//===- PlanReader.h - Reading and checking the artifact's plan --*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_PLANREADER_H
#define MLRT_SRC_PLANREADER_H

#include "mlrt/Artifact.h"
#include "mlrt/Plan.h"
#include "mlrt/artifact_generated.h"

#include <optional>

namespace mlrt {

/// Decodes `plan`, checking that every call's buffers lie in the arena and
/// have the widths its weights and state imply, that weights and states
/// exist and have the shapes the kernel reads, and that both entries are
/// present, and that GPU kernel indices are below `gpuKernelCount`.
/// Errors name the entry, the op index and its kind.
Expected<Plan> readPlan(const fb::Plan &plan,
                        const std::vector<WeightRef> &weights,
                        const ModelConfig &config, int gpuKernelCount);

/// The artifact's generated GPU code, if any, with launch geometry checked
/// against what a CUDA device allows and every kernel present in the PTX.
Expected<std::optional<GpuCode>> readGpuCode(const fb::Artifact &root);

} // namespace mlrt

#endif // MLRT_SRC_PLANREADER_H
