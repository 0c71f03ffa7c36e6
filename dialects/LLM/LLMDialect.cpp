//===- LLMDialect.cpp - The llm dialect -----------------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// This file registers the llm dialect's attributes and operations.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMDialect.h"
#include "mlopt/Dialect/LLM/LLMOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::llm;

#include "mlopt/Dialect/LLM/LLMDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "mlopt/Dialect/LLM/LLMAttrs.cpp.inc"

#include "mlopt/Dialect/LLM/LLMEnums.cpp.inc"

void LLMDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "mlopt/Dialect/LLM/LLMAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "mlopt/Dialect/LLM/LLMOps.cpp.inc"
      >();
}
