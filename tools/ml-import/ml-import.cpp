//===- ml-import.cpp - Import a checkpoint into the llm dialect -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-import ./SmolLM2-135M-Instruct -o teacher.mlir
//
// Reads a Hugging Face directory (config.json + safetensors) and writes an
// llm module that references the weights in place. Nothing is written when
// the checkpoint is malformed.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlopt/Import/Import.h"
#include "mlopt/Support/Paths.h"
#include "mlrt/MappedFile.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <chrono>

using namespace mlir;
using namespace mlopt;
namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<checkpoint directory>"));
static cl::opt<std::string> outputPath("o", cl::desc("Output module"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<bool> emitBytecode("emit-bytecode",
                                  cl::desc("Write MLIR bytecode"));
static cl::opt<std::string> weightsOut(
    "weights-out", cl::value_desc("file"),
    cl::desc("Where a GGUF import writes its dequantised weights (default: "
             "the output module's name with .safetensors)"));

/// How the output module refers to `target`.
static std::string pathFromOutput(StringRef target) {
  return pathFrom(outputPath, target);
}

static int fail(const std::string &message) {
  llvm::WithColor::error(llvm::errs(), "ml-import") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "ml-import: checkpoint -> llm dialect module\n");
  auto start = std::chrono::steady_clock::now();
  MLIRContext context;
  // Imported ops are located by tensor or layer name (NameLoc): report
  // "ml-import: error: <name>: <message>" rather than a source position.
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler diagnostics(&context, [](Diagnostic &diag) {
    std::string where;
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      where = name.getName().str() + ": ";
    auto report = [&](llvm::raw_ostream &os, const Twine &message) {
      os << message << "\n";
    };
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      llvm::WithColor::error(llvm::errs(), "ml-import")
          << where << diag.str() << "\n";
    else
      report(llvm::errs(), "ml-import: note: " + where + diag.str());
    for (Diagnostic &note : diag.getNotes()) {
      std::string at;
      if (auto name = dyn_cast<NameLoc>(note.getLocation()))
        at = name.getName().str() + ": ";
      report(llvm::errs(), "ml-import: note: " + at + note.str());
    }
    return success();
  });

  std::optional<mlrt::Expected<BuiltModel>> result;
  std::string storePath;
  if (StringRef(inputPath).ends_with(".gguf")) {
    if (outputPath == "-" && weightsOut.empty())
      return fail("importing a GGUF file writes its weights beside the "
                  "module: give -o FILE or --weights-out FILE");
    storePath = weightsOut;
    if (storePath.empty()) {
      llvm::SmallString<256> p(outputPath.getValue());
      llvm::sys::path::replace_extension(p, "safetensors");
      storePath = p.str().str();
    }
    result.emplace(
        importGguf(&context, inputPath, storePath, pathFromOutput(storePath)));
  } else if (llvm::sys::fs::is_directory(inputPath)) {
    result.emplace(
        importHuggingFace(&context, inputPath, pathFromOutput(inputPath)));
  } else {
    return fail(inputPath + ": expected a Hugging Face model directory "
                            "(config.json + *.safetensors) or a .gguf file");
  }
  mlrt::Expected<BuiltModel> &built = *result;
  if (!built)
    return fail(built.message());
  auto model = *built->module->getBody()->getOps<llm::ModelOp>().begin();
  if (!built->tokenizerPath.empty())
    model.setTokenizer(pathFromOutput(built->tokenizerPath));
  else
    llvm::WithColor::warning(llvm::errs(), "ml-import")
        << "no tokenizer recorded: " << built->tokenizerProblem
        << " (the model still runs on token ids)\n";

  std::string text;
  llvm::raw_string_ostream os(text);
  if (emitBytecode) {
    if (failed(writeBytecodeToFile(*built->module, os)))
      return fail("cannot write bytecode");
  } else {
    built->module->print(os);
  }
  if (outputPath == "-") {
    llvm::outs() << text;
  } else if (mlrt::Status s = mlrt::writeFileAtomically(outputPath, text);
             s.failed()) {
    if (!storePath.empty())
      llvm::sys::fs::remove(storePath);
    return fail(s.message());
  }

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << llvm::formatv(
      "ml-import: {0} ({1} layers, hidden {2}, {3} tensors{6}) from {4} in "
      "{5:F2} s\n",
      llm::stringifyArch(model.getConfig().getArch()),
      model.getConfig().getLayers(), model.getConfig().getHidden(),
      built->usedTensors.size(), inputPath, seconds,
      built->tokenizerPath.empty() ? ""
                                   : "; tokenizer: " + built->tokenizerSummary);
  return 0;
}
