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
#include "mlrt/Tokenizer.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlopt;

void mlopt::checkTokenizer(llvm::StringRef path, int64_t vocab,
                           BuiltModel &model) {
  mlrt::Expected<mlrt::Tokenizer> tokenizer =
      mlrt::Tokenizer::fromFile(path.str());
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
