//===- ModelWeights.h - The values of an llm model's weights ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Every tool that materialises weights (export, compile) gets them here:
// from the model's weight store, memory mapped, or, for weights a pass
// created, from their init rule and seed.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_EXPORT_MODELWEIGHTS_H
#define MLOPT_EXPORT_MODELWEIGHTS_H

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlrt/Safetensors.h"

#include <memory>
#include <optional>

namespace mlopt {

/// The dtype of an llm weight's element type (bf16, f16, f32).
std::optional<mlrt::DType> weightDType(mlir::Type elementType);

class ModelWeights {
public:
  /// Opens `model`'s store; a relative store path is resolved against
  /// `moduleDir`, the directory of the module's file. A model without a store
  /// is fine as long as every weight has an init rule.
  static mlrt::Expected<ModelWeights> open(mlir::llm::ModelOp model,
                                           llvm::StringRef moduleDir);

  /// Describes `weight` as a tensor to write under `name`. Store tensors are
  /// written in place when their dtype matches and converted otherwise.
  mlrt::Expected<mlrt::TensorToWrite> tensor(mlir::llm::WeightOp weight,
                                             std::string name) const;

  /// The directory of the store when it is a directory, else empty.
  const std::string &storeDir() const { return storeDir_; }
  /// The store's resolved path; empty when the model names none.
  const std::string &storePath() const { return storePath_; }

private:
  std::unique_ptr<mlrt::WeightStore> store_;
  std::string storePath_, storeDir_;
};

} // namespace mlopt

#endif // MLOPT_EXPORT_MODELWEIGHTS_H
