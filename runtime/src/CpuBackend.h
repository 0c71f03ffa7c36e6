//===- CpuBackend.h - The plan interpreter on the CPU kernels ---*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CPUBACKEND_H
#define MLRT_SRC_CPUBACKEND_H

#include "mlrt/Session.h"

namespace mlrt::cpu {

/// The reference backend: runs each plan op with its kernel from
/// mlrt/cpu/Kernels.h on an f32 arena.
std::unique_ptr<Backend> createCpuBackend(const Artifact &model,
                                          const SessionOptions &options);

} // namespace mlrt::cpu

#endif // MLRT_SRC_CPUBACKEND_H
