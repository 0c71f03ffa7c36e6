//===- KernOps.h - kern dialect types and operations ------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_KERN_KERNOPS_H
#define MLOPT_DIALECT_KERN_KERNOPS_H

#include "mlopt/Dialect/Kern/KernDialect.h"
#include "mlopt/Dialect/LLM/LLMAttrs.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

#define GET_TYPEDEF_CLASSES
#include "mlopt/Dialect/Kern/KernTypes.h.inc"

#define GET_OP_CLASSES
#include "mlopt/Dialect/Kern/KernOps.h.inc"

namespace mlir::kern {
/// The kernel op that runs after `op` in its entry (kern.buffer ops only
/// place buffers and are skipped); null at the end.
Operation *nextKernel(Operation *op);
/// The kernel op that runs before `op` in its entry; null at the start.
Operation *previousKernel(Operation *op);

/// Whether an op after `op` in its entry reads or writes `buffer`.
bool usedAfter(Operation *op, Value buffer);

/// The ops of the kinds `OpTys` in the step entries (`@decode`) under
/// `root`, in order; collected first, so that a fusion may erase ops.
template <typename... OpTys>
llvm::SmallVector<Operation *> opsInStepEntries(Operation *root) {
  llvm::SmallVector<Operation *> ops;
  root->walk([&](EntryOp entry) {
    if (entry.getStep())
      for (Operation &op : entry.getBody().front())
        if (isa<OpTys...>(op))
          ops.push_back(&op);
  });
  return ops;
}

/// How the arena floats of two buffer values relate.
enum class Overlap { Disjoint, Same, Partial };
Overlap overlap(Value x, Value y);
} // namespace mlir::kern

#endif // MLOPT_DIALECT_KERN_KERNOPS_H
