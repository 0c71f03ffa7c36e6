//===- LayerSchedule.cpp - Which layers keep attention --------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Passes/LayerSchedule.h"

#include <cmath>

using namespace mlopt;

std::optional<int64_t> mlopt::attentionPeriod(double ratio) {
  if (ratio == 0)
    return 0;
  if (!(ratio > 0 && ratio <= 1))
    return std::nullopt;
  double k = 1.0 / ratio;
  int64_t rounded = std::llround(k);
  if (std::fabs(k - static_cast<double>(rounded)) > 1e-9 * k)
    return std::nullopt;
  return rounded;
}

llvm::SmallVector<int64_t> mlopt::stepwiseOrder(int64_t n) {
  llvm::SmallVector<int64_t> order;
  // Layer i is converted when the period first exceeds the largest power of
  // two dividing i + 1: period 2 takes odd i + 1, period 4 takes
  // i + 1 = 2 mod 4, and so on; the last layers are those divisible by the
  // largest powers.
  for (int64_t period = 2; static_cast<int64_t>(order.size()) < n; period *= 2)
    for (int64_t i = 0; i < n; ++i)
      if ((i + 1) % period == period / 2)
        order.push_back(i);
  return order;
}
