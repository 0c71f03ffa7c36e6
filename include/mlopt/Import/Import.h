//===- Import.h - Checkpoint importers --------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_IMPORT_IMPORT_H
#define MLOPT_IMPORT_IMPORT_H

#include "mlopt/Import/ModelBuilder.h"
#include "mlrt/DType.h"

namespace mlopt {

/// The element type MLIR uses for a weight dtype, or null for dtypes that
/// are not weight types (integers, bool).
mlir::Type weightElementType(mlir::MLIRContext *context, mlrt::DType dtype);

/// Imports a Hugging Face model directory: config.json and model.safetensors
/// or a sharded model.safetensors.index.json. The weights stay where they
/// are; the model records `weightsPath` (how the module's readers find the
/// directory). Every store tensor must be used, and every weight must be in
/// the store with the shape the config implies.
mlrt::Expected<BuiltModel> importHuggingFace(mlir::MLIRContext *context,
                                             llvm::StringRef dir,
                                             llvm::StringRef weightsPath);

/// Imports a GGUF file (architectures llama and qwen2): the config from its
/// metadata, every tensor dequantised to f32 under its Hugging Face name (q
/// and k rows back in HF order) and written to the safetensors file
/// `storePath`, which the model records as `weightsPath`. Nothing is written
/// when the file is malformed or unsupported.
mlrt::Expected<BuiltModel> importGguf(mlir::MLIRContext *context,
                                      llvm::StringRef ggufPath,
                                      llvm::StringRef storePath,
                                      llvm::StringRef weightsPath);

} // namespace mlopt

#endif // MLOPT_IMPORT_IMPORT_H
