//===- Cublas.h - cuBLAS, loaded at run time, and the plan's GEMMs -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// cuBLAS is dlopen'd like the driver, so that the runtime starts where it is
// absent. Cublas::get() looks for it, once per process, in this order:
//   1. $MLRT_CUBLAS: the library file, or a directory holding
//      libcublas.so.13 (only this is tried when the variable is set);
//   2. libcublas.so.13 through the dynamic loader (LD_LIBRARY_PATH, the
//      ldconfig cache, the executable's run path);
//   3. the CUDA toolkit: $CUDA_HOME/lib64, $CUDA_PATH/lib64,
//      /usr/local/cuda/lib64, /usr/local/cuda/targets/x86_64-linux/lib;
//   4. the NVIDIA wheels PyTorch installs (nvidia-cublas):
//      <prefix>/lib/python3*/{site,dist}-packages/nvidia/{cu13,cublas}/lib
//      for the prefixes $VIRTUAL_ENV, $CONDA_PREFIX, /opt/torch/.venv,
//      $HOME/.local, /usr/local and /usr;
//   5. libcublas.so.12 through the dynamic loader.
//
// Gemm computes the plan's Linear and LMHead ops with cublasSgemm in full
// fp32 (no TF32) on f32 matrices, and with cublasGemmEx on bf16 tensor
// cores (fp32 accumulation) on bf16 matrices. Its handle has a
// workspace of its own, so that cuBLAS allocates nothing while a CUDA graph
// is captured (DecodeGraph.h) and picks the same kernels in and out of one.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_CUBLAS_H
#define MLRT_SRC_CUDA_CUBLAS_H

#include "CudaDevice.h"

#include "mlrt/DType.h"

#include <cublas_api.h>

#include <memory>
#include <string>

namespace mlrt::cuda {

/// The cuBLAS entry points the runtime uses.
#define MLRT_CUBLAS_FUNCTIONS(X)                                               \
  X(cublasCreate_v2)                                                           \
  X(cublasDestroy_v2)                                                          \
  X(cublasSetStream_v2)                                                        \
  X(cublasSetMathMode)                                                         \
  X(cublasSetWorkspace_v2)                                                     \
  X(cublasGetStatusName)                                                       \
  X(cublasGetStatusString)                                                     \
  X(cublasSgemm_v2)

struct Cublas {
#define MLRT_CUBLAS_DECLARE(name) decltype(&::name) name = nullptr;
  MLRT_CUBLAS_FUNCTIONS(MLRT_CUBLAS_DECLARE)
#undef MLRT_CUBLAS_DECLARE
  /// Overloaded in C++ (a legacy cudaDataType compute type): named here.
  cublasStatus_t (*cublasGemmEx)(cublasHandle_t, cublasOperation_t,
                                 cublasOperation_t, int, int, int,
                                 const void *, const void *, cudaDataType,
                                 int, const void *, cudaDataType, int,
                                 const void *, void *, cudaDataType, int,
                                 cublasComputeType_t,
                                 cublasGemmAlgo_t) = nullptr;

  /// The file that was loaded.
  std::string path;

  /// Finds and loads cuBLAS once per process (the order above); the places
  /// tried when it is nowhere.
  static Expected<const Cublas *> get();

  /// "cublasXxx failed: CUBLAS_STATUS_NAME (description)".
  std::string describe(const char *call, cublasStatus_t status) const;
  Status check(cublasStatus_t status, const char *call) const {
    if (status == CUBLAS_STATUS_SUCCESS)
      return Status::ok();
    return Error(describe(call, status));
  }
};

/// A cuBLAS handle on a device's stream.
class Gemm {
public:
  /// `maxTokens`: the most rows a call with a bias may have.
  static Expected<std::unique_ptr<Gemm>> create(const CudaDevice &device,
                                                int64_t maxTokens);
  ~Gemm();
  Gemm(const Gemm &) = delete;
  Gemm &operator=(const Gemm &) = delete;

  const Cublas &library() const { return *blas; }

  /// out[t][r] = sum_k in[t][k] w[r][k] (+ bias[r]) for t < tokens, r < n,
  /// k < k: row-major with row strides in elements, w dense n x k, bias n
  /// floats or 0, out f32. `in` and `w` are f32 (full fp32 sgemm) or both
  /// bf16 (tensor cores, fp32 accumulation). With `accumulate`, adds to
  /// `out` instead. Queued on the device's stream.
  Status linear(CUdeviceptr in, int64_t inStride, int64_t tokens,
                CUdeviceptr w, int64_t n, int64_t k, CUdeviceptr bias,
                CUdeviceptr out, int64_t outStride, DType type = DType::F32,
                bool accumulate = false);

private:
  explicit Gemm(const Cublas &blas) : blas(&blas) {}

  const Cublas *blas;
  cublasHandle_t handle = nullptr;
  /// maxTokens ones: the bias is added as the rank-1 product bias * ones^T.
  DeviceBuffer ones;
  /// cuBLAS's workspace (cublasSetWorkspace).
  DeviceBuffer workspace;
  int64_t maxTokens = 0;
};

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_CUBLAS_H
