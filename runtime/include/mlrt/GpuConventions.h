//===- GpuConventions.h - Shared by GPU codegen and runtime -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Decisions the compiler (lib/Codegen) bakes into the kernels it generates
// and the CUDA backend (runtime/src/cuda) must honour when it lays out
// device memory and passes arguments. Both include this header, so a
// change here changes both sides at once. The parameter convention itself
// is documented on GpuKernel in schemas/artifact.fbs.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_GPUCONVENTIONS_H
#define MLRT_GPUCONVENTIONS_H

#include "mlrt/DType.h"
#include "mlrt/Plan.h"

namespace mlrt {

/// Whether weights of ops of kind `user` are held on the device in the
/// artifact's matrix type (GpuCode::matrixType): the large matrices that
/// decode streams once per token (Linear, LMHead, Embed). Every other weight
/// (norms, conv, A, D, dt bias) is f32 on the device.
inline bool isDeviceMatrix(OpKind user) {
  return user == OpKind::Linear || user == OpKind::LMHead ||
         user == OpKind::Embed;
}

} // namespace mlrt

#endif // MLRT_GPUCONVENTIONS_H
