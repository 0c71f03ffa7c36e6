//===- KernDialect.cpp - The kern execution-plan dialect ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernDialect.h"
#include "mlopt/Dialect/Kern/KernOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::kern;

#include "mlopt/Dialect/Kern/KernDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "mlopt/Dialect/Kern/KernTypes.cpp.inc"

void KernDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "mlopt/Dialect/Kern/KernTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "mlopt/Dialect/Kern/KernOps.cpp.inc"
      >();
}

LogicalResult BufferType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t width) {
  if (width <= 0)
    return emitError() << "expects a positive buffer width, found " << width;
  return success();
}
