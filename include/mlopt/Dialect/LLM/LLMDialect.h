//===- LLMDialect.h - The llm dialect ---------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMDIALECT_H
#define MLOPT_DIALECT_LLM_LLMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "mlopt/Dialect/LLM/LLMDialect.h.inc"

#endif // MLOPT_DIALECT_LLM_LLMDIALECT_H
