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
// rules are written to hybrid.mlart.weights.safetensors), tokenizer and the
// execution plan. The plan is the module's `kern.program @<model>.plan` when
// it has one (ml-opt --convert-llm-to-kern), else convert-llm-to-kern runs
// here.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Artifact/ArtifactWriter.h"
#include "mlopt/Dialect/LLM/ModelStructure.h"
#include "mlopt/Passes/Passes.h"
#include "mlopt/Tools/ModelFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
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
  mlopt::ModelFile &f = **file;
  std::string planName = (f.model.getSymName() + ".plan").str();
  auto plan = f.getModule().lookupSymbol<kern::ProgramOp>(planName);
  if (!plan) {
    // A model without the decoder structure gets the analysis's message.
    if (mlrt::Expected<mlopt::ModelStructure> s =
            mlopt::analyzeModelStructure(f.model);
        !s)
      return fail(s.message());
    // The pass's remark (arena size, states) becomes one line of output.
    ScopedDiagnosticHandler remarks(
        f.getModule()->getContext(), [](Diagnostic &d) {
          if (d.getSeverity() != DiagnosticSeverity::Remark)
            return failure();
          llvm::errs() << "ml-compile: " << d.str() << "\n";
          return success();
        });
    PassManager pm(f.getModule()->getContext());
    pm.addPass(mlopt::createConvertLLMToKernPass());
    if (failed(pm.run(f.getModule())))
      return 1; // the pass reported why
    plan = f.getModule().lookupSymbol<kern::ProgramOp>(planName);
  }
  if (mlrt::Status s =
          mlopt::writeArtifact(f.model, plan, f.directory, outputPath);
      s.failed())
    return fail(s.message());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << llvm::formatv("ml-compile: wrote {0} in {1:F2} s\n",
                                outputPath, seconds);
  return 0;
}
