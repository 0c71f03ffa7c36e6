//===- DeviceWeights.h - A plan's weights in device memory ------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Every weight and bias a plan's ops name, uploaded once, converted to f32
// on the host (kCudaWeightsAsF32): exact, and what the generated kernels'
// memref<?xf32> weight parameters and the fp32 cuBLAS GEMMs read. bf16
// tensor-core GEMMs on bf16 weights come with the fast kernels (issue 7).
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CUDA_DEVICEWEIGHTS_H
#define MLRT_SRC_CUDA_DEVICEWEIGHTS_H

#include "CudaDevice.h"

#include "mlrt/Artifact.h"

#include <memory>
#include <unordered_map>

namespace mlrt::cuda {

/// The element type of every weight on the device: f32, whatever the
/// artifact stores (schemas/artifact.fbs, GpuKernel, relies on it).
constexpr bool kCudaWeightsAsF32 = true;

class DeviceWeights {
public:
  /// Uploads the weights named by the ops of both entries of `plan`.
  static Expected<std::unique_ptr<DeviceWeights>>
  upload(const CudaDevice &device, const Plan &plan);

  /// The f32 copy of `w`; 0 for null.
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
