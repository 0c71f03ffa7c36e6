//===- LLMVerify.h - Shape checks shared by llm verifiers -------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Helpers that state shape expectations in the model's terms and report a
// mismatch with a note at the weight's declaration.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECTS_LLM_LLMVERIFY_H
#define MLOPT_DIALECTS_LLM_LLMVERIFY_H

#include "mlopt/Dialect/LLM/LLMOps.h"
#include <string>

namespace mlir::llm::detail {

/// One expected weight shape: `role` names the operand ("q", "conv"), and
/// `meaning` spells the dimensions in config terms ("heads 4 x head_dim 16
/// by hidden 64").
struct WeightExpectation {
  StringRef role;
  Value weight;
  SmallVector<int64_t, 2> shape;
  std::string meaning;
};

/// Checks each expectation in order and reports the first mismatch.
LogicalResult verifyWeightShapes(Operation *op,
                                 ArrayRef<WeightExpectation> expectations);

/// Checks that `input` is batch x seq x hidden and that `result` (if given)
/// has the same type.
LogicalResult verifyHiddenState(Operation *op, ConfigAttr config, Value input,
                                Value result);

/// Returns the rows of a weight (its first dimension).
inline int64_t rows(Value weight) {
  return cast<RankedTensorType>(weight.getType()).getDimSize(0);
}

} // namespace mlir::llm::detail

#endif // MLOPT_DIALECTS_LLM_LLMVERIFY_H
