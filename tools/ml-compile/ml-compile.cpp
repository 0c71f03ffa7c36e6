//===- ml-compile.cpp - Compile an llm module into a .mlart artifact ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-compile hybrid.mlir -o hybrid.mlart
//
// Writes the artifact the runtime loads (schemas/artifact.fbs): config,
// layers, weight table (weights stay in their stores; those created by init
// rules are written to hybrid.mlart.weights.safetensors) and tokenizer.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Artifact/ArtifactWriter.h"
#include "mlopt/Tools/ModelFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<module>"));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Output artifact"),
                                       cl::value_desc("file.mlart"));

static int fail(const std::string &message) {
  llvm::WithColor::error(llvm::errs(), "ml-compile") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "ml-compile: llm module -> .mlart artifact\n");
  auto start = std::chrono::steady_clock::now();
  mlrt::Expected<std::unique_ptr<mlopt::ModelFile>> file =
      mlopt::ModelFile::open(inputPath, "compile");
  if (!file)
    return file.message().empty() ? 1 : fail(file.message());
  if (mlrt::Status s =
          mlopt::writeArtifact((*file)->model, (*file)->directory, outputPath);
      s.failed())
    return fail(s.message());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << llvm::formatv("ml-compile: wrote {0} in {1:F2} s\n",
                                outputPath, seconds);
  return 0;
}
