//===- MambaLayout.h - Where MambaInLlama keeps Mamba weights ---*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The one place that knows how a MambaInLlama checkpoint (paper_spec.md
// sections 1.1, 1.2, 1.5) stores the parameters of an llm.mamba op: tensor
// names under model.layers.<i>.mamba., Mamba-2's fused in_proj row blocks
// [z | x | B | C | dt], Mamba-1's separate projections.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_IMPORT_MAMBALAYOUT_H
#define MLOPT_IMPORT_MAMBALAYOUT_H

#include "mlopt/Dialect/LLM/LLMAttrs.h"

#include <optional>
#include <string>
#include <utility>

namespace mlopt {

/// The shape-defining hyperparameters of one Mamba mixer.
struct MambaLayerSpec {
  mlir::llm::MambaVariant variant = mlir::llm::MambaVariant::Mamba2;
  int64_t dState = 0;
  /// Key/value groups of x and B.
  int64_t groups = 0;
  /// Rows of z and C (heads * head_dim); rows of x and B (groups * head_dim).
  int64_t dInner = 0, dXb = 0;
  int64_t numHeads() const { return dInner / dState; }
};

/// The operands of llm.mamba that hold weights.
enum class MambaOperand {
  X,
  B,
  C,
  Z,
  Out,
  ConvWeight,
  ConvBias,
  DtBias,
  ALog,
  D,
  Dt,
  Norm,
  DtDown,
  DtProj
};

/// A tensor of a checkpoint, or the row block [first, second) of one.
struct StoredWeight {
  std::string name;
  std::optional<std::pair<int64_t, int64_t>> rows;
};

/// Where MambaInLlama stores `operand` of the mixer of layer `layer`, or
/// nullopt when the variant has no such operand.
std::optional<StoredWeight> mambaInLlamaWeight(int64_t layer,
                                               const MambaLayerSpec &spec,
                                               MambaOperand operand);

} // namespace mlopt

#endif // MLOPT_IMPORT_MAMBALAYOUT_H
