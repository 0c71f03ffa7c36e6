//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The runtime never links libcuda: one binary must start on machines with
// and without an NVIDIA driver. CudaDriver::get() dlopens libcuda.so.1 once
// per process, looks up cuGetProcAddress_v2 and fetches every other entry
// point through it, typed by the PFN_* declarations of <cudaTypedefs.h>
// (headers only; the toolkit's libraries are never linked).
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_CUDADRIVER_H
#define MLRT_SRC_CUDA_CUDADRIVER_H

#include "mlrt/Status.h"

#include <cudaTypedefs.h>

#include <string>

namespace mlrt::cuda {

/// The driver entry points the runtime uses: X(name, version), where
/// version is the CUDA version (1000 * major + 10 * minor) whose ABI of the
/// function PFN_<name>_v<version> describes. cuGetProcAddress returns the
/// variant of that version, so a newer driver cannot change a signature
/// under us.
#define MLRT_CUDA_DRIVER_FUNCTIONS(X)                                          \
  X(cuGetErrorName, 6000)                                                      \
  X(cuGetErrorString, 6000)                                                    \
  X(cuInit, 2000)                                                              \
  X(cuDriverGetVersion, 2020)                                                  \
  X(cuDeviceGetCount, 2000)                                                    \
  X(cuDeviceGet, 2000)                                                         \
  X(cuDeviceGetName, 2000)                                                     \
  X(cuDeviceGetAttribute, 2000)                                                \
  X(cuDeviceTotalMem, 3020)                                                    \
  X(cuDevicePrimaryCtxRetain, 7000)                                            \
  X(cuDevicePrimaryCtxRelease, 11000)                                          \
  X(cuCtxSetCurrent, 4000)                                                     \
  X(cuMemAlloc, 3020)                                                          \
  X(cuMemFree, 3020)                                                           \
  X(cuMemGetInfo, 3020)                                                        \
  X(cuMemcpyHtoD, 3020)                                                        \
  X(cuMemcpyDtoH, 3020)                                                        \
  X(cuMemcpyHtoDAsync, 3020)                                                   \
  X(cuMemcpyDtoHAsync, 3020)                                                   \
  X(cuMemcpyDtoDAsync, 3020)                                                   \
  X(cuMemsetD8Async, 3020)                                                     \
  X(cuMemsetD32Async, 3020)                                                    \
  X(cuStreamCreate, 2000)                                                      \
  X(cuStreamDestroy, 4000)                                                     \
  X(cuStreamSynchronize, 2000)                                                 \
  X(cuEventCreate, 2000)                                                       \
  X(cuEventDestroy, 4000)                                                      \
  X(cuEventRecord, 2000)                                                       \
  X(cuEventSynchronize, 2000)                                                  \
  X(cuEventElapsedTime, 2000)                                                  \
  X(cuModuleLoadDataEx, 2010)                                                  \
  X(cuModuleUnload, 2000)                                                      \
  X(cuModuleGetFunction, 2000)                                                 \
  X(cuFuncGetAttribute, 2020)                                                  \
  X(cuFuncSetAttribute, 9000)                                                  \
  X(cuLaunchKernel, 4000)

/// Entry points that older drivers lack; null when absent. The graph API
/// (CudaDriver::hasGraphs) replays the decode step (DecodeGraph.h).
#define MLRT_CUDA_OPTIONAL_DRIVER_FUNCTIONS(X)                                 \
  X(cuFuncGetParamInfo, 12040)                                                 \
  X(cuStreamBeginCapture, 10010)                                               \
  X(cuStreamEndCapture, 10000)                                                 \
  X(cuStreamGetCaptureInfo, 12030)                                             \
  X(cuGraphInstantiateWithFlags, 11040)                                        \
  X(cuGraphExecKernelNodeSetParams, 12000)                                     \
  X(cuGraphLaunch, 10000)                                                      \
  X(cuGraphExecDestroy, 10000)                                                 \
  X(cuGraphDestroy, 10000)

struct CudaDriver {
#define MLRT_CUDA_DECLARE(name, version) PFN_##name##_v##version name = nullptr;
  MLRT_CUDA_DRIVER_FUNCTIONS(MLRT_CUDA_DECLARE)
  MLRT_CUDA_OPTIONAL_DRIVER_FUNCTIONS(MLRT_CUDA_DECLARE)
#undef MLRT_CUDA_DECLARE

  /// The CUDA version the driver supports (cuDriverGetVersion), e.g. 13000.
  int version = 0;

  /// Loads the driver once per process and returns the same answer to
  /// every caller: the entry points, or why there are none ("no NVIDIA
  /// driver: dlopen(libcuda.so.1) failed: ...").
  static Expected<const CudaDriver *> get();

  /// Whether the driver has every entry point of the graph API above.
  bool hasGraphs() const {
    return cuStreamBeginCapture && cuStreamEndCapture &&
           cuStreamGetCaptureInfo && cuGraphInstantiateWithFlags &&
           cuGraphExecKernelNodeSetParams && cuGraphLaunch &&
           cuGraphExecDestroy && cuGraphDestroy;
  }

  /// "cuXxx failed: CUDA_ERROR_NAME (description)".
  std::string describe(const char *call, CUresult result) const;
  /// A Status for `result`: ok for CUDA_SUCCESS, else describe()'s
  /// sentence.
  Status check(CUresult result, const char *call) const {
    if (result == CUDA_SUCCESS)
      return Status::ok();
    return Error(describe(call, result));
  }
};

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_CUDADRIVER_H
