//===- ml-export.cpp - Write an llm module as a checkpoint ----------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-export model.mlir -o out/ [--max-shard-size=5GB]
//
// Writes a Hugging Face directory that transformers loads: config.json,
// safetensors (sharded above the size limit) and the tokenizer files found
// beside the source weights. Weights with init rules are materialised.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Export/Export.h"
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
static cl::opt<std::string> outputDir("o", cl::Required,
                                      cl::desc("Output directory"),
                                      cl::value_desc("dir"));
enum class Format { Auto, HF, MambaInLlama };
static cl::opt<Format>
    format("format", cl::init(Format::Auto), cl::desc("Checkpoint layout"),
           cl::values(clEnumValN(Format::Auto, "auto",
                                 "mamba-in-llama for hybrids, hf otherwise"),
                      clEnumValN(Format::HF, "hf",
                                 "Hugging Face Llama/Mistral/Qwen2 directory"),
                      clEnumValN(Format::MambaInLlama, "mamba-in-llama",
                                 "MambaInLlama hybrid (mamba_config.json)")));
static cl::opt<std::string> maxShardSize(
    "max-shard-size", cl::init("5GB"),
    cl::desc("Largest safetensors file before sharding (e.g. 500MB, 5GB)"));

static int fail(const std::string &message) {
  llvm::WithColor::error(llvm::errs(), "ml-export") << message << "\n";
  return 1;
}

/// Parses "5GB", "500MB", "40KB" or a byte count (decimal units, as
/// transformers' max_shard_size).
static std::optional<uint64_t> parseSize(StringRef text) {
  uint64_t scale = 1;
  for (auto [suffix, factor] :
       {std::pair<StringRef, uint64_t>{"GB", 1000000000},
        {"MB", 1000000},
        {"KB", 1000},
        {"B", 1}}) {
    if (text.consume_back(suffix)) {
      scale = factor;
      break;
    }
  }
  uint64_t value;
  if (text.getAsInteger(10, value) || value == 0)
    return std::nullopt;
  return value * scale;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv, "ml-export: llm module -> Hugging Face checkpoint\n");
  auto start = std::chrono::steady_clock::now();
  std::optional<uint64_t> shardBytes = parseSize(maxShardSize);
  if (!shardBytes)
    return fail("--max-shard-size: expected a size such as 5GB, 500MB or "
                "40KB, found '" +
                maxShardSize + "'");

  mlrt::Expected<std::unique_ptr<mlopt::ModelFile>> file =
      mlopt::ModelFile::open(inputPath, "export");
  if (!file)
    return file.message().empty() ? 1 : fail(file.message());
  llm::ModelOp model = (*file)->model;
  StringRef moduleDir = (*file)->directory;
  bool hybrid = false;
  model.walk([&](llm::MambaOp) { hybrid = true; });
  bool asMambaInLlama =
      format == Format::MambaInLlama || (format == Format::Auto && hybrid);
  mlrt::Expected<std::vector<std::string>> files =
      asMambaInLlama
          ? mlopt::exportMambaInLlama(model, moduleDir, outputDir, *shardBytes)
          : mlopt::exportHuggingFace(model, moduleDir, outputDir, *shardBytes);
  if (!files)
    return fail(files.message());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << llvm::formatv(
      "ml-export: wrote {0} files to {1} in {2:F2} s\n", files->size(),
      outputDir, seconds);
  return 0;
}
