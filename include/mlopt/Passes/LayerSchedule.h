//===- LayerSchedule.h - Which layers keep attention ------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The layer choices of "The Mamba in the Llama" (paper_spec.md section 2).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_PASSES_LAYERSCHEDULE_H
#define MLOPT_PASSES_LAYERSCHEDULE_H

#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace mlopt {

/// k for a ratio of 1/k, 0 for ratio 0, nullopt when `ratio` is neither.
std::optional<int64_t> attentionPeriod(double ratio);

/// Whether layer `i` keeps attention when every `period`-th layer does
/// ((i + 1) mod period == 0); period 0 keeps none.
inline bool keepsAttention(int64_t i, int64_t period) {
  return period > 0 && (i + 1) % period == 0;
}

/// The order in which the stepwise schedule converts the layers of an
/// `n`-layer model: the layers 50% conversion takes (even), then those
/// 25% adds ((i + 1) mod 4 == 2), then 12.5% ((i + 1) mod 8 == 4), and so on;
/// for 32 layers 0, 2, ..., 30, 1, 5, ..., 29, 3, 11, 19, 27, 7, 23, 15, 31.
llvm::SmallVector<int64_t> stepwiseOrder(int64_t n);

} // namespace mlopt

#endif // MLOPT_PASSES_LAYERSCHEDULE_H
