//===- HFConfig.h - Hugging Face config.json <-> #llm.config ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The one place that maps the fields of a transformers config.json
// (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) to the llm
// dialect's model description and back.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_IMPORT_HFCONFIG_H
#define MLOPT_IMPORT_HFCONFIG_H

#include "mlopt/Dialect/LLM/LLMAttrs.h"
#include "mlopt/Import/MambaLayout.h"
#include "mlrt/Json.h"

#include <vector>

namespace mlopt {

/// What a config.json says about a model, beyond #llm.config: the layer
/// structure the importer must build.
struct ModelDescription {
  mlir::llm::ConfigAttr config;
  /// Biases on the q, k and v projections (Qwen2, or attention_bias).
  bool qkvBias = false;
  /// A bias on the o projection (Llama/Mistral attention_bias).
  bool oBias = false;
  /// Per layer: whether its attention uses the sliding window.
  std::vector<bool> slidingLayers;
  /// Per layer, for hybrids: the Mamba mixer that replaces attention there
  /// (empty for a pure Transformer).
  std::vector<std::optional<MambaLayerSpec>> mambaLayers;
};

/// The architectures config.json may name, for error messages.
llvm::StringRef supportedArchitectures();

/// Reads a parsed config.json. Errors name the field and what was found.
mlrt::Expected<ModelDescription> parseHFConfig(const mlrt::json::Value &json,
                                               mlir::MLIRContext *context);

/// Writes a config.json that parseHFConfig reads back to `description`.
/// `dtype` is the torch dtype name of the weights ("bfloat16", ...).
mlrt::json::Value writeHFConfig(const ModelDescription &description,
                                llvm::StringRef dtype);

} // namespace mlopt

#endif // MLOPT_IMPORT_HFCONFIG_H
