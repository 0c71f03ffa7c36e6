//===- LLMOps.h - llm dialect operations ------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMOPS_H
#define MLOPT_DIALECT_LLM_LLMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlopt/Dialect/LLM/LLMAttrs.h"
#include "mlopt/Dialect/LLM/LLMDialect.h"

#include "mlopt/Dialect/LLM/LLMInterfaces.h.inc"

#define GET_OP_CLASSES
#include "mlopt/Dialect/LLM/LLMOps.h.inc"

namespace mlir::llm {
/// The config of the model `op` belongs to, or null outside a model.
ConfigAttr getModelConfig(Operation *op);
} // namespace mlir::llm

#endif // MLOPT_DIALECT_LLM_LLMOPS_H
