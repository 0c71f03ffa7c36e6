//===- NoCuda.cpp - The CUDA backend of a build without CUDA headers ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Built instead of the other files of this directory when cuda.h was not
// found at configure time: "cuda" then says so, and "auto" runs on the CPU.
//
//===----------------------------------------------------------------------===//

#include "CudaBackend.h"

using namespace mlrt;

static Error noCuda() {
  return Error() << "this build has no CUDA support (cuda.h was not found "
                    "when it was configured; install the CUDA toolkit's "
                    "headers and rebuild)";
}

bool mlrt::cuda::compiledIn() { return false; }

Status mlrt::cuda::available() { return noCuda(); }

Expected<std::unique_ptr<Backend>>
mlrt::cuda::createCudaBackend(const Artifact &, const SessionOptions &) {
  return noCuda();
}
