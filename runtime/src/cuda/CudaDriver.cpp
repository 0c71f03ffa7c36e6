//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <dlfcn.h>

using namespace mlrt;
using namespace mlrt::cuda;

namespace {

/// Loads libcuda and fills `d`; the reason on failure.
Status load(CudaDriver &d) {
  // RTLD_LOCAL: the driver's symbols stay out of the global namespace, so
  // nothing else in the process binds to them by accident.
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    return Error() << "no NVIDIA driver: dlopen(libcuda.so.1) failed: "
                   << (why ? why : "unknown error");
  }
  // cuGetProcAddress_v2 (CUDA 12.0) reports whether a symbol exists for
  // the version asked; the CUDA 11.3 variant only returns an error.
  auto v2 = reinterpret_cast<PFN_cuGetProcAddress_v12000>(
      dlsym(lib, "cuGetProcAddress_v2"));
  auto v1 = reinterpret_cast<PFN_cuGetProcAddress_v11030>(
      dlsym(lib, "cuGetProcAddress"));
  if (!v2 && !v1)
    return Error() << "no NVIDIA driver: libcuda.so.1 has no "
                      "cuGetProcAddress_v2 (the driver predates CUDA 11.3; "
                      "update it)";
  auto lookup = [&](const char *name, int version, void **fn) {
    *fn = nullptr;
    CUresult r;
    if (v2) {
      CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SUCCESS;
      r = v2(name, fn, version, CU_GET_PROC_ADDRESS_DEFAULT, &found);
      if (found != CU_GET_PROC_ADDRESS_SUCCESS)
        *fn = nullptr;
    } else {
      r = v1(name, fn, version, CU_GET_PROC_ADDRESS_DEFAULT);
    }
    if (r != CUDA_SUCCESS)
      *fn = nullptr;
    return *fn != nullptr;
  };
#define MLRT_CUDA_LOAD(name, version)                                          \
  if (!lookup(#name, version, reinterpret_cast<void **>(&d.name)))             \
    return Error() << "the NVIDIA driver has no " #name " (CUDA " << version   \
                   << "); update the driver";
  MLRT_CUDA_DRIVER_FUNCTIONS(MLRT_CUDA_LOAD)
#undef MLRT_CUDA_LOAD
#define MLRT_CUDA_LOAD_OPTIONAL(name, version)                                 \
  lookup(#name, version, reinterpret_cast<void **>(&d.name));
  MLRT_CUDA_OPTIONAL_DRIVER_FUNCTIONS(MLRT_CUDA_LOAD_OPTIONAL)
#undef MLRT_CUDA_LOAD_OPTIONAL
  // The handle stays open for the life of the process: the pointers above
  // point into it.
  return d.check(d.cuDriverGetVersion(&d.version), "cuDriverGetVersion");
}

} // namespace

Expected<const CudaDriver *> CudaDriver::get() {
  static CudaDriver driver;
  static Status status = load(driver);
  if (status.failed())
    return Error(status.message());
  return &driver;
}

std::string CudaDriver::describe(const char *call, CUresult result) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName)
    cuGetErrorName(result, &name);
  if (cuGetErrorString)
    cuGetErrorString(result, &text);
  std::string s = std::string(call) + " failed: ";
  s += name ? name : "CUDA error " + std::to_string(static_cast<int>(result));
  if (text)
    s += std::string(" (") + text + ")";
  return s;
}
