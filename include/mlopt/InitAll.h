//===- InitAll.h - Register every mlopt dialect and pass --------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_INITALL_H
#define MLOPT_INITALL_H

#include "mlopt/Dialect/Kern/KernDialect.h"
#include "mlopt/Dialect/LLM/LLMDialect.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlopt {

/// Our dialects and the upstream ones they are used with.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::llm::LLMDialect, mlir::kern::KernDialect,
                  mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
}

/// Our passes and the generic upstream transforms (canonicalize, cse,
/// symbol-dce, ...).
inline void registerAllPasses() {
  mlir::registerTransformsPasses();
  registerMLOptPasses();
}

} // namespace mlopt

#endif // MLOPT_INITALL_H
