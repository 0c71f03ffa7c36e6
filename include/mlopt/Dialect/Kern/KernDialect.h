//===- KernDialect.h - The kern execution-plan dialect ----------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_KERN_KERNDIALECT_H
#define MLOPT_DIALECT_KERN_KERNDIALECT_H

#include "mlopt/Dialect/LLM/LLMDialect.h"

#include "mlir/IR/Dialect.h"

#include "mlopt/Dialect/Kern/KernDialect.h.inc"

#endif // MLOPT_DIALECT_KERN_KERNDIALECT_H
