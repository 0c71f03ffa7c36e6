//===- DeviceWeights.cpp - A plan's weights in device memory --------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "DeviceWeights.h"

#include "mlrt/GpuConventions.h"

#include <vector>

using namespace mlrt;
using namespace mlrt::cuda;

int64_t mlrt::cuda::numElements(const WeightRef &w) {
  int64_t n = 1;
  for (int64_t d : w.shape)
    n *= d;
  return n;
}

Expected<std::unique_ptr<DeviceWeights>>
DeviceWeights::upload(const CudaDevice &device, const Plan &plan,
                      DType matrixType) {
  // Distinct weights in the order the plan first names them, with their
  // device type; a tied embedding and LM head are one weight.
  std::vector<std::pair<const WeightRef *, DType>> order;
  std::unordered_map<const WeightRef *, uint64_t> offsets;
  uint64_t total = 0;
  auto add = [&](const WeightRef *w, DType type) -> Status {
    if (!w || offsets.count(w))
      return Status::ok();
    if (!isFloat(w->dtype))
      return Error() << "weight '" << w->name << "' is "
                     << dtypeName(w->dtype)
                     << ", the CUDA backend takes float weights";
    offsets[w] = total;
    order.emplace_back(w, type);
    // 256-byte aligned, as cuMemAlloc's own allocations.
    total += (numElements(*w) * dtypeSize(type) + 255) / 256 * 256;
    return Status::ok();
  };
  for (const PlanEntry *entry : {&plan.prefill, &plan.decode})
    for (const PlanOp &op : entry->ops) {
      DType type = isDeviceMatrix(op.kind) ? matrixType : DType::F32;
      for (const WeightRef *w : op.weights)
        MLRT_RETURN_IF_ERROR(add(w, type));
      for (const WeightRef *w : op.biases)
        MLRT_RETURN_IF_ERROR(add(w, DType::F32));
      MLRT_RETURN_IF_ERROR(add(op.norm, DType::F32));
    }
  std::unique_ptr<DeviceWeights> out(new DeviceWeights());
  Expected<DeviceBuffer> memory = DeviceBuffer::allocate(device, total);
  if (!memory)
    return Error() << "the weights (" << total / (1 << 20)
                   << " MiB): " << memory.message();
  out->memory = std::move(*memory);
  std::vector<float> f32;
  std::vector<uint16_t> bf16;
  for (auto [w, type] : order) {
    size_t n = static_cast<size_t>(numElements(*w));
    const void *bytes = w->data;
    if (type != w->dtype) {
      f32.resize(n);
      convertToF32(w->dtype, w->data, f32.data(), n);
      bytes = f32.data();
      if (type == DType::BF16) {
        bf16.resize(n);
        convertFromF32(DType::BF16, f32.data(), bf16.data(), n);
        bytes = bf16.data();
      }
    }
    uint64_t offset = offsets[w];
    if (Status s = out->memory.upload(bytes, n * dtypeSize(type), offset);
        s.failed())
      return Error() << "uploading weight '" << w->name
                     << "': " << s.message();
    out->where[w] = out->memory.get() + offset;
  }
  return {std::move(out)};
}
