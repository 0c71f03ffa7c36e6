//===- TokenizerCheck.cpp - Check the tokenizer a checkpoint carries ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Importers record where a model's tokenizer comes from; they load it once,
// with the runtime's tokenizer, so that an unsupported one is reported at
// import time rather than when the model first runs.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Import/ModelBuilder.h"
#include "mlrt/Gguf.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlopt;

static mlrt::Expected<mlrt::Tokenizer> loadTokenizer(llvm::StringRef path) {
  if (path.ends_with(".gguf")) {
    mlrt::Expected<mlrt::GgufFile> file = mlrt::GgufFile::open(path.str());
    if (!file)
      return file.takeError();
    mlrt::Expected<mlrt::GgufTokenizerData> data =
        mlrt::GgufTokenizerData::read(*file);
    if (!data)
      return data.takeError();
    return mlrt::Tokenizer::fromGguf(*data);
  }
  mlrt::Expected<std::string> json = mlrt::readFile(path.str());
  if (!json)
    return json.takeError();
  llvm::SmallString<256> configPath(path);
  llvm::sys::path::remove_filename(configPath);
  llvm::sys::path::append(configPath, "tokenizer_config.json");
  std::string config;
  if (llvm::sys::fs::exists(configPath)) {
    mlrt::Expected<std::string> text = mlrt::readFile(configPath.str().str());
    if (!text)
      return text.takeError();
    config = std::move(*text);
  }
  return mlrt::Tokenizer::fromHuggingFace(*json, config);
}

void mlopt::checkTokenizer(llvm::StringRef path, int64_t vocab,
                           BuiltModel &model) {
  mlrt::Expected<mlrt::Tokenizer> tokenizer = loadTokenizer(path);
  if (!tokenizer) {
    model.tokenizerProblem = tokenizer.message();
    return;
  }
  // Models may pad their vocabulary beyond the tokenizer's, never the
  // reverse: a token id past the embedding table cannot be looked up.
  if (static_cast<int64_t>(tokenizer->vocabSize()) > vocab) {
    model.tokenizerProblem = llvm::formatv(
        "{0} has {1} tokens but the model's vocabulary has {2}", path,
        tokenizer->vocabSize(), vocab);
    return;
  }
  model.tokenizerPath = path.str();
  mlrt::Expected<std::string> chat =
      tokenizer->applyChatTemplate({{"user", "hi"}}, true);
  model.tokenizerSummary = llvm::formatv(
      "{0} tokens{1}", tokenizer->vocabSize(),
      chat ? ", chat template" : ", no chat template this runtime renders");
}
