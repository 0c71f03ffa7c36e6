//===- ModelStructure.h - The decoder layers of an llm.model ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The layer-by-layer view of a model that consumers of the graph (the
// artifact writer, and next the llm -> kern conversion) share: embed, then
// per layer norm -> mixer -> residual -> norm -> MLP -> residual, then final
// norm -> lm_head -> return.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_MODELSTRUCTURE_H
#define MLOPT_DIALECT_LLM_MODELSTRUCTURE_H

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlrt/Status.h"

namespace mlopt {

/// One decoder layer.
struct DecoderLayer {
  mlir::llm::RMSNormOp inputNorm, postNorm;
  /// An llm.attention or llm.mamba op.
  mlir::Operation *mixer = nullptr;
  mlir::llm::MLPOp mlp;
};

struct ModelStructure {
  mlir::llm::EmbedOp embed;
  llvm::SmallVector<DecoderLayer> layers;
  mlir::llm::RMSNormOp finalNorm;
  mlir::llm::LMHeadOp lmHead;
};

/// Finds the structure of `model`, or says where it deviates from it.
mlrt::Expected<ModelStructure> analyzeModelStructure(mlir::llm::ModelOp model);

} // namespace mlopt

#endif // MLOPT_DIALECT_LLM_MODELSTRUCTURE_H
