//===- Export.h - Checkpoint exporters --------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_EXPORT_EXPORT_H
#define MLOPT_EXPORT_EXPORT_H

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlrt/Status.h"

#include <string>
#include <vector>

namespace mlopt {

/// Writes `model` as a Hugging Face directory `outDir` (created if needed):
/// config.json, model.safetensors or shards of at most `maxShardBytes` with
/// model.safetensors.index.json, and the tokenizer files found beside the
/// source weights. Returns the files written.
mlrt::Expected<std::vector<std::string>>
exportHuggingFace(mlir::llm::ModelOp model, llvm::StringRef moduleDir,
                  llvm::StringRef outDir, uint64_t maxShardBytes);

/// Writes a hybrid `model` in MambaInLlama's layout (paper_spec.md 1.5):
/// config.json of the teacher architecture, mamba_config.json with
/// attn_layers, and the state dict with each Mamba layer's parameters where
/// MambaLayout.h puts them (Mamba-2: fused in_proj [z|x|B|C|dt]).
mlrt::Expected<std::vector<std::string>>
exportMambaInLlama(mlir::llm::ModelOp model, llvm::StringRef moduleDir,
                   llvm::StringRef outDir, uint64_t maxShardBytes);

} // namespace mlopt

#endif // MLOPT_EXPORT_EXPORT_H
