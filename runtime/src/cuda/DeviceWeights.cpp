//===- DeviceWeights.cpp - A plan's weights in device memory --------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "DeviceWeights.h"

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
DeviceWeights::upload(const CudaDevice &device, const Plan &plan) {
  static_assert(kCudaWeightsAsF32, "only f32 device weights are implemented");
  // Distinct weights in the order the plan first names them; a tied
  // embedding and LM head are one weight.
  std::vector<const WeightRef *> order;
  std::unordered_map<const WeightRef *, uint64_t> offsets;
  uint64_t total = 0;
  auto add = [&](const WeightRef *w) -> Status {
    if (!w || offsets.count(w))
      return Status::ok();
    if (!isFloat(w->dtype))
      return Error() << "weight '" << w->name << "' is "
                     << dtypeName(w->dtype)
                     << ", the CUDA backend takes float weights";
    offsets[w] = total;
    order.push_back(w);
    // 256-byte aligned, as cuMemAlloc's own allocations.
    total += (numElements(*w) * sizeof(float) + 255) / 256 * 256;
    return Status::ok();
  };
  for (const PlanEntry *entry : {&plan.prefill, &plan.decode})
    for (const PlanOp &op : entry->ops) {
      for (const WeightRef *w : op.weights)
        MLRT_RETURN_IF_ERROR(add(w));
      for (const WeightRef *w : op.biases)
        MLRT_RETURN_IF_ERROR(add(w));
    }
  std::unique_ptr<DeviceWeights> out(new DeviceWeights());
  Expected<DeviceBuffer> memory = DeviceBuffer::allocate(device, total);
  if (!memory)
    return Error() << "the weights as f32: " << memory.message();
  out->memory = std::move(*memory);
  std::vector<float> staging;
  for (const WeightRef *w : order) {
    size_t n = static_cast<size_t>(numElements(*w));
    staging.resize(n);
    convertToF32(w->dtype, w->data, staging.data(), n);
    uint64_t offset = offsets[w];
    if (Status s = out->memory.upload(staging.data(), n * sizeof(float),
                                      offset);
        s.failed())
      return Error() << "uploading weight '" << w->name
                     << "': " << s.message();
    out->where[w] = out->memory.get() + offset;
  }
  return {std::move(out)};
}
