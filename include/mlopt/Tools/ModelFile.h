//===- ModelFile.h - Reading the one model of a module file -----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// What the tools that consume a model (ml-export, ml-compile) share: parse
// the module file, find its single llm.model, and the directory its
// relative paths are resolved against.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TOOLS_MODELFILE_H
#define MLOPT_TOOLS_MODELFILE_H

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlopt/InitAll.h"
#include "mlrt/Status.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>

namespace mlopt {

/// A parsed module file and its single model.
class ModelFile {
public:
  /// Parses `path`; the parser reports syntax errors itself (the returned
  /// error is then empty), the other errors are returned. `verb` names what
  /// the tool does with the model ("export", "compile").
  static mlrt::Expected<std::unique_ptr<ModelFile>> open(llvm::StringRef path,
                                                         llvm::StringRef verb) {
    auto file = std::unique_ptr<ModelFile>(new ModelFile());
    file->module = mlir::parseSourceFile<mlir::ModuleOp>(path, file->sourceMgr,
                                                         &file->context);
    if (!file->module)
      return mlrt::Error();
    auto models = file->module->getBody()->getOps<mlir::llm::ModelOp>();
    if (models.empty())
      return mlrt::Error() << path.str() << ": no llm.model to " << verb.str();
    if (std::next(models.begin()) != models.end())
      return mlrt::Error() << path.str() << ": more than one llm.model; "
                           << verb.str() << " one at a time";
    file->model = *models.begin();
    llvm::SmallString<256> dir(path);
    llvm::sys::path::remove_filename(dir);
    file->directory = dir.empty() ? "." : dir.str().str();
    return file;
  }

  mlir::ModuleOp getModule() { return *module; }

  mlir::llm::ModelOp model;
  /// Where the model's relative weight and tokenizer paths start from.
  std::string directory;

private:
  ModelFile() : context(registry()), diagnostics(sourceMgr, &context) {}
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry r;
    registerAllDialects(r);
    return r;
  }
  mlir::MLIRContext context;
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace mlopt

#endif // MLOPT_TOOLS_MODELFILE_H
