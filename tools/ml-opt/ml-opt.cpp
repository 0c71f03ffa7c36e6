//===- ml-opt.cpp - The mlopt optimizer driver ----------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt for llm modules: our dialects and passes plus the upstream
// dialects and generic transforms they are used with.
//
//===----------------------------------------------------------------------===//

#include "mlopt/InitAll.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlopt::registerAllDialects(registry);
  mlopt::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "ml-opt: Transformer -> hybrid Mamba optimizer\n", registry));
}
