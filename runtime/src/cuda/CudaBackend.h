//===- CudaBackend.h - The plan interpreter on a GPU ------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// What Session.cpp sees of the CUDA backend. It includes no CUDA header, so
// that a build without the CUDA toolkit (NoCuda.cpp) provides the same
// functions.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_CUDABACKEND_H
#define MLRT_SRC_CUDA_CUDABACKEND_H

#include "mlrt/Session.h"

namespace mlrt::cuda {

/// Whether this build has the CUDA backend (cuda.h was found at configure
/// time).
bool compiledIn();

/// Whether a GPU can be used now; the reason when not ("no NVIDIA driver:
/// dlopen(libcuda.so.1) failed: ...", "no CUDA device: ...", "this build
/// has no CUDA support ...").
Status available();

/// Runs the plan on GPU 0: the artifact's PTX kernels for every op that has
/// them, cuBLAS for Linear and LMHead. Fails with the reason when there is
/// no GPU or an op has no GPU implementation.
Expected<std::unique_ptr<Backend>>
createCudaBackend(const Artifact &model, const SessionOptions &options);

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_CUDABACKEND_H
