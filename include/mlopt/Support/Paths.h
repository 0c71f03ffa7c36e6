//===- Paths.h - How written files refer to each other ----------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_SUPPORT_PATHS_H
#define MLOPT_SUPPORT_PATHS_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlopt {

/// How a file written at `fromFile` should name `target`: relative to
/// fromFile's directory (so that the two can move together), or absolute
/// when they share no directory below the root or `fromFile` is "-".
std::string pathFrom(llvm::StringRef fromFile, llvm::StringRef target);

} // namespace mlopt

#endif // MLOPT_SUPPORT_PATHS_H
