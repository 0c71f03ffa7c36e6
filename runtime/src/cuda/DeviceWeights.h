//===- DeviceWeights.h - A plan's weights in device memory ------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Every weight and bias a plan's ops name, uploaded once. The matrices of
// Linear, LMHead and Embed ops go in the artifact's matrix type (f32 or
// bf16, GpuConventions.h), everything else in f32; conversions happen on
// the host, once (bf16 -> bf16 and anything -> f32 are exact).
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_DEVICEWEIGHTS_H
#define MLRT_SRC_CUDA_DEVICEWEIGHTS_H

#include "CudaDevice.h"

#include "mlrt/Artifact.h"

#include <memory>
#include <unordered_map>

namespace mlrt::cuda {

class DeviceWeights {
public:
  /// Uploads the weights named by the ops of both entries of `plan`, the
  /// matrices as `matrixType` (F32 or BF16).
  static Expected<std::unique_ptr<DeviceWeights>>
  upload(const CudaDevice &device, const Plan &plan, DType matrixType);

  /// The device copy of `w`; 0 for null.
  CUdeviceptr at(const WeightRef *w) const {
    return w ? where.at(w) : 0;
  }
  /// Bytes of device memory the copies take.
  uint64_t bytes() const { return memory.bytes(); }

private:
  DeviceBuffer memory;
  std::unordered_map<const WeightRef *, CUdeviceptr> where;
};

/// Elements of `w` (the product of its shape).
int64_t numElements(const WeightRef &w);

} // namespace mlrt::cuda

#endif // MLRT_SRC_CUDA_DEVICEWEIGHTS_H
