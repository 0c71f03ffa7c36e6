//===- Paths.cpp - How written files refer to each other ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Support/Paths.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlopt;

static llvm::SmallString<256> absolute(llvm::StringRef path) {
  llvm::SmallString<256> p(path);
  llvm::sys::fs::make_absolute(p);
  llvm::sys::path::remove_dots(p, /*remove_dot_dot=*/true);
  return p;
}

std::string mlopt::pathFrom(llvm::StringRef fromFile, llvm::StringRef target) {
  llvm::SmallString<256> to = absolute(target);
  if (fromFile == "-")
    return to.str().str();
  llvm::SmallString<256> base = absolute(fromFile);
  llvm::sys::path::remove_filename(base);
  // Walk up from the file's directory to a common prefix.
  std::string up;
  while (!llvm::StringRef(to).starts_with((base + "/").str()) && base != "/") {
    llvm::sys::path::remove_filename(base);
    up += "../";
  }
  if (base == "/")
    return to.str().str();
  return up + llvm::StringRef(to).drop_front(base.size() + 1).str();
}
