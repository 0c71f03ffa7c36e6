//===- ModelBuilder.h - Build an llm.model from a description ---*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Builds the llm graph of a Transformer whose weights carry Hugging Face
// names, taking each weight's type from the store it lives in. Every
// importer (HF directories, GGUF) ends here, so the graph has one shape.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_IMPORT_MODELBUILDER_H
#define MLOPT_IMPORT_MODELBUILDER_H

#include "mlopt/Import/HFConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringSet.h"

namespace mlopt {

/// The type of the tensor `name` in the weight store, or a null type when the
/// store has no such tensor.
using TensorTypeLookup =
    llvm::function_ref<mlir::RankedTensorType(llvm::StringRef name)>;

struct BuiltModel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// The store tensors the model reads.
  llvm::StringSet<> usedTensors;
  /// The tokenizer the checkpoint carries (tokenizer.json or the GGUF file),
  /// loaded once to check it: its path and a one-line summary, or why it
  /// could not be used.
  std::string tokenizerPath, tokenizerSummary, tokenizerProblem;
};

/// Loads the tokenizer at `path` (a tokenizer.json, with the
/// tokenizer_config.json beside it if any, or a GGUF file) into `model`'s
/// tokenizer fields; it must have at most `vocab` tokens.
void checkTokenizer(llvm::StringRef path, int64_t vocab, BuiltModel &model);

/// Builds `module { llm.model @name ... }` for `desc`. `storeName` names the
/// store in errors; `weightsPath` is recorded on the model.
mlrt::Expected<BuiltModel>
buildTransformer(mlir::MLIRContext *context, const ModelDescription &desc,
                 llvm::StringRef modelName, llvm::StringRef weightsPath,
                 llvm::StringRef storeName, TensorTypeLookup lookup);

} // namespace mlopt

#endif // MLOPT_IMPORT_MODELBUILDER_H
