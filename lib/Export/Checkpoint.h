//===- Checkpoint.h - Shared pieces of the exporters ---------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_EXPORT_CHECKPOINT_H
#define MLOPT_LIB_EXPORT_CHECKPOINT_H

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlopt/Export/ModelWeights.h"
#include "mlopt/Import/HFConfig.h"
#include "mlrt/Json.h"

namespace mlopt {

/// Recovers from the graph what config.json and mamba_config.json need
/// beyond #llm.config: attention biases, sliding-window layers, and the
/// Mamba mixer of each converted layer.
ModelDescription describeModel(mlir::llm::ModelOp model);

/// Writes a checkpoint directory `outDir` (created if needed): `tensors` as
/// model.safetensors or shards of at most `maxShardBytes` with an index,
/// config.json for `desc`, the `extraJson` files, and the tokenizer and
/// generation files found beside the source weights. Returns the files
/// written.
mlrt::Expected<std::vector<std::string>> writeCheckpoint(
    llvm::StringRef outDir, const std::vector<mlrt::TensorToWrite> &tensors,
    uint64_t maxShardBytes, const ModelDescription &desc,
    const ModelWeights &weights,
    llvm::ArrayRef<std::pair<std::string, mlrt::json::Value>> extraJson = {});

} // namespace mlopt

#endif // MLOPT_LIB_EXPORT_CHECKPOINT_H
