//===- GpuModule.h - The artifact's PTX kernels on a device -----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Loads the PTX of an artifact (ml-compile --target=cuda) once, resolves
// its kernels by name and launches them with the parameter convention of
// schemas/artifact.fbs: a memref descriptor of five 8-byte fields
// (allocated pointer, aligned pointer, offset, size, stride) per array, then
// the `tokens` and `position` indices.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_GPUMODULE_H
#define MLRT_SRC_CUDA_GPUMODULE_H

#include "CudaDevice.h"

#include "mlrt/Plan.h"

#include <memory>
#include <string>
#include <vector>

namespace mlrt::cuda {

/// The parameters of one launch.
class KernelArgs {
public:
  /// A memref<?xT> of `size` elements at `ptr` (offset 0, stride 1).
  void memref(CUdeviceptr ptr, int64_t size);
  /// An `index` (int64) parameter.
  void index(int64_t value);
  /// Replaces the last parameter (the position, by the convention above).
  void setLast(int64_t value) { values.back() = static_cast<uint64_t>(value); }
  /// Drops the last `n` parameters.
  void pop(size_t n) { values.resize(values.size() - n); }
  /// Replaces the one before it (the tokens).
  void setTokens(int64_t value) {
    values[values.size() - 2] = static_cast<uint64_t>(value);
  }
  int64_t last() const { return static_cast<int64_t>(values.back()); }
  void clear() { values.clear(); }
  size_t count() const { return values.size(); }
  /// cuLaunchKernel's kernelParams: one pointer per parameter, valid until
  /// the next change.
  void **pointers();

private:
  std::vector<uint64_t> values;
  std::vector<void *> ptrs;
};

/// Whether the entry `name` of `ptx` names its last parameter anywhere in
/// its body (up to the next .entry). True when the PTX cannot be read that
/// way (no such entry, an array parameter): a kernel is only taken not to
/// read its position when its PTX says so.
bool namesLastParam(const std::string &ptx, const std::string &name);

/// Whether PTX for `target` runs on a GPU of compute capability
/// `capability` (10 major + minor): sm_XY on XY and newer, the
/// arch-specific sm_XYa (wgmma) on XY alone. The error names the
/// --gpu-chip to compile for.
Status checkTarget(const std::string &target, int capability,
                   const std::string &deviceName);

class GpuModule {
public:
  /// Loads `code.ptx` (the driver compiles it for the device) and resolves
  /// every kernel of `code`.
  static Expected<std::unique_ptr<GpuModule>> load(const CudaDevice &device,
                                                   const GpuCode &code);
  ~GpuModule();
  GpuModule(const GpuModule &) = delete;
  GpuModule &operator=(const GpuModule &) = delete;

  /// Checks that kernel `index` takes `params` 8-byte parameters (when the
  /// driver can tell: cuFuncGetParamInfo, CUDA 12.4).
  Status checkParams(int index, size_t params) const;

  /// The `tokens` parameter of kernel `index` in a call on `count` tokens
  /// of each of `sequences` sequences: `count` for a kernel that takes the
  /// sequences as its y blocks (GpuKernel::perSequence), else every row.
  int64_t tokensOf(int index, int64_t count, int64_t sequences) const {
    return code.kernels[index].perSequence ? count : count * sequences;
  }

  /// The launch of kernel `index` for a call on `count` tokens of each of
  /// `sequences` sequences: grid[0] times its tokensOf() when the kernel is
  /// per token, grid[1] times `sequences` when it is per sequence. No
  /// parameters are set (kernelParams is null); a null func means there is
  /// nothing to run.
  Expected<CUDA_KERNEL_NODE_PARAMS> launchParams(int index, int64_t count,
                                                 int64_t sequences) const;

  /// Queues kernel `index` for such a call on the device's stream; `args`
  /// end with its tokens (tokensOf) and the position.
  Status launch(int index, int64_t count, int64_t sequences,
                KernelArgs &args) const;

  /// Whether kernel `index` may read its last parameter, the position:
  /// false only when its PTX shows that it does not (DecodeGraph updates
  /// the position of the others at each step).
  bool readsPosition(int index) const { return readsPosition_[index]; }

  const GpuKernel &kernel(int index) const { return code.kernels[index]; }
  /// The index of the kernel called `name`; -1 when there is none.
  int find(const std::string &name) const;

private:
  GpuModule(const CudaDevice &device, const GpuCode &code)
      : device(device), code(code) {}

  const CudaDevice &device;
  const GpuCode &code;
  CUmodule module = nullptr;
  std::vector<CUfunction> functions;
  /// Shared bytes asked for at launch: the kernel's shared_bytes less what
  /// its PTX declares statically (the generated kernels declare all of it).
  std::vector<unsigned> dynamicShared;
  std::vector<bool> readsPosition_;
};

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_GPUMODULE_H
