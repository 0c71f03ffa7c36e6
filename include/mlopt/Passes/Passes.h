//===- Passes.h - mlopt transformation passes -------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_PASSES_PASSES_H
#define MLOPT_PASSES_PASSES_H

#include "mlopt/Dialect/Kern/KernDialect.h"
#include "mlopt/Dialect/LLM/LLMDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlopt {

#define GEN_PASS_DECL
#include "mlopt/Passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mlopt/Passes/Passes.h.inc"

} // namespace mlopt

#endif // MLOPT_PASSES_PASSES_H
