//===- Cublas.cpp - cuBLAS, loaded at run time, and the plan's GEMMs ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "Cublas.h"

#include <cstdlib>
#include <dlfcn.h>
#include <glob.h>
#include <sys/stat.h>
#include <vector>

using namespace mlrt;
using namespace mlrt::cuda;

namespace {

constexpr const char *kLibrary = "libcublas.so.13";

/// The workspace cuBLAS's documentation recommends for Hopper and newer
/// GPUs (32 MiB; 4 MiB suffices on older ones).
constexpr size_t kWorkspaceBytes = 32u << 20;

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

bool isDirectory(const std::string &path) {
  struct stat s;
  return stat(path.c_str(), &s) == 0 && S_ISDIR(s.st_mode);
}

/// Existing files matching `pattern`, sorted.
std::vector<std::string> expand(const std::string &pattern) {
  std::vector<std::string> out;
  glob_t g;
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i)
      out.push_back(g.gl_pathv[i]);
  globfree(&g);
  return out;
}

/// The places of steps 3 and 4 (Cublas.h), in order.
std::vector<std::string> installedCandidates() {
  std::vector<std::string> out;
  for (const std::string &root : {env("CUDA_HOME"), env("CUDA_PATH")})
    if (!root.empty())
      out.push_back(root + "/lib64/" + kLibrary);
  out.push_back(std::string("/usr/local/cuda/lib64/") + kLibrary);
  out.push_back(std::string("/usr/local/cuda/targets/x86_64-linux/lib/") +
                kLibrary);
  std::vector<std::string> prefixes = {env("VIRTUAL_ENV"), env("CONDA_PREFIX"),
                                       "/opt/torch/.venv"};
  if (!env("HOME").empty())
    prefixes.push_back(env("HOME") + "/.local");
  prefixes.push_back("/usr/local");
  prefixes.push_back("/usr");
  for (const std::string &prefix : prefixes) {
    if (prefix.empty())
      continue;
    for (const char *packages : {"site-packages", "dist-packages"})
      for (const char *dir : {"cu13", "cublas"})
        for (const std::string &path :
             expand(prefix + "/lib/python3*/" + packages + "/nvidia/" + dir +
                    "/lib/" + kLibrary))
          out.push_back(path);
  }
  return out;
}

/// dlopens `path` and fills `b`; false with the reason in `why`.
bool tryLoad(const std::string &path, Cublas &b, std::string &why) {
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    why = e ? e : "dlopen failed";
    return false;
  }
#define MLRT_CUBLAS_LOAD(name)                                                 \
  b.name = reinterpret_cast<decltype(b.name)>(dlsym(lib, #name));              \
  if (!b.name) {                                                               \
    why = path + " has no " #name;                                             \
    dlclose(lib);                                                              \
    return false;                                                              \
  }
  MLRT_CUBLAS_FUNCTIONS(MLRT_CUBLAS_LOAD)
  MLRT_CUBLAS_LOAD(cublasGemmEx)
#undef MLRT_CUBLAS_LOAD
  // The resolved file, for the report of what was used.
  Dl_info info;
  b.path = dladdr(reinterpret_cast<void *>(b.cublasCreate_v2), &info) &&
                   info.dli_fname
               ? info.dli_fname
               : path;
  return true;
}

Status load(Cublas &b) {
  std::string why;
  std::string override = env("MLRT_CUBLAS");
  if (!override.empty()) {
    std::string path =
        isDirectory(override) ? override + "/" + kLibrary : override;
    if (tryLoad(path, b, why))
      return Status::ok();
    return Error() << "cuBLAS: MLRT_CUBLAS=" << override << ": " << why;
  }
  std::string tried;
  auto attempt = [&](const std::string &path) {
    if (tryLoad(path, b, why))
      return true;
    tried += "\n  " + path + ": " + why;
    return false;
  };
  if (attempt(kLibrary))
    return Status::ok();
  for (const std::string &path : installedCandidates())
    if (attempt(path))
      return Status::ok();
  if (attempt("libcublas.so.12"))
    return Status::ok();
  return Error() << "cuBLAS not found (set MLRT_CUBLAS to the path of "
                 << kLibrary << "); tried:" << tried;
}

} // namespace

Expected<const Cublas *> Cublas::get() {
  static Cublas blas;
  static Status status = load(blas);
  if (status.failed())
    return Error(status.message());
  return &blas;
}

std::string Cublas::describe(const char *call, cublasStatus_t status) const {
  std::string s = std::string(call) + " failed: ";
  const char *name = cublasGetStatusName ? cublasGetStatusName(status) : nullptr;
  s += name ? name : "status " + std::to_string(static_cast<int>(status));
  if (const char *text =
          cublasGetStatusString ? cublasGetStatusString(status) : nullptr)
    s += std::string(" (") + text + ")";
  return s;
}

Expected<std::unique_ptr<Gemm>> Gemm::create(const CudaDevice &device,
                                             int64_t maxTokens) {
  Expected<const Cublas *> blas = Cublas::get();
  if (!blas)
    return blas.takeError();
  const Cublas &b = **blas;
  std::unique_ptr<Gemm> gemm(new Gemm(b));
  MLRT_RETURN_IF_ERROR(device.makeCurrent());
  MLRT_RETURN_IF_ERROR(
      b.check(b.cublasCreate_v2(&gemm->handle), "cublasCreate_v2"));
  MLRT_RETURN_IF_ERROR(
      b.check(b.cublasSetStream_v2(gemm->handle, device.stream()),
              "cublasSetStream_v2"));
  // After cublasSetStream_v2, which resets the workspace to cuBLAS's pool.
  Expected<DeviceBuffer> workspace =
      DeviceBuffer::allocate(device, kWorkspaceBytes);
  if (!workspace)
    return workspace.takeError();
  gemm->workspace = std::move(*workspace);
  MLRT_RETURN_IF_ERROR(b.check(
      b.cublasSetWorkspace_v2(gemm->handle,
                              reinterpret_cast<void *>(gemm->workspace.get()),
                              gemm->workspace.bytes()),
      "cublasSetWorkspace_v2"));
  // Plain fp32: CUBLAS_DEFAULT_MATH never uses TF32 for cublasSgemm.
  MLRT_RETURN_IF_ERROR(b.check(
      b.cublasSetMathMode(gemm->handle, CUBLAS_DEFAULT_MATH),
      "cublasSetMathMode"));
  Expected<DeviceBuffer> ones =
      DeviceBuffer::allocate(device, maxTokens * sizeof(float));
  if (!ones)
    return ones.takeError();
  gemm->ones = std::move(*ones);
  gemm->maxTokens = maxTokens;
  const unsigned one = 0x3f800000u; // 1.0f
  MLRT_RETURN_IF_ERROR(device.check(
      device.driver().cuMemsetD32Async(gemm->ones.get(), one, maxTokens,
                                       device.stream()),
      "cuMemsetD32Async"));
  return {std::move(gemm)};
}

Gemm::~Gemm() {
  if (handle)
    blas->cublasDestroy_v2(handle);
}

Status Gemm::linear(CUdeviceptr in, int64_t inStride, int64_t tokens,
                    CUdeviceptr w, int64_t n, int64_t k, CUdeviceptr bias,
                    CUdeviceptr out, int64_t outStride, DType type,
                    bool accumulate) {
  if (tokens == 0 || n == 0)
    return Status::ok();
  if (bias && tokens > maxTokens)
    return Error() << "gemm: " << tokens << " rows with a bias, more than the "
                   << maxTokens << " this handle was made for";
  // cuBLAS is column-major: the row-major out[T x N] is a column-major
  // N x T matrix, so out^T = W * in^T with W (row-major N x K) read as the
  // transpose of a column-major K x N matrix.
  const float one = 1.0f, zero = 0.0f;
  const float &beta = accumulate ? one : zero;
  auto f = [](CUdeviceptr p) { return reinterpret_cast<float *>(p); };
  auto v = [](CUdeviceptr p) { return reinterpret_cast<void *>(p); };
  if (type == DType::BF16)
    MLRT_RETURN_IF_ERROR(blas->check(
        blas->cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, int(n),
                           int(tokens), int(k), &one, v(w), CUDA_R_16BF,
                           int(k), v(in), CUDA_R_16BF, int(inStride), &beta,
                           v(out), CUDA_R_32F, int(outStride),
                           CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx (bf16)"));
  else
    MLRT_RETURN_IF_ERROR(blas->check(
        blas->cublasSgemm_v2(handle, CUBLAS_OP_T, CUBLAS_OP_N, int(n),
                             int(tokens), int(k), &one, f(w), int(k), f(in),
                             int(inStride), &beta, f(out), int(outStride)),
        "cublasSgemm_v2"));
  if (!bias)
    return Status::ok();
  // out += bias * ones^T: one rounding per element, as in the CPU kernel's
  // sum + bias.
  return blas->check(
      blas->cublasSgemm_v2(handle, CUBLAS_OP_N, CUBLAS_OP_N, int(n),
                           int(tokens), 1, &one, f(bias), int(n), f(ones.get()),
                           1, &one, f(out), int(outStride)),
      "cublasSgemm_v2 (bias)");
}
