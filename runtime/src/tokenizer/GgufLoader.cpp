//===- GgufLoader.cpp - Tokenizers from GGUF metadata ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Builds the tokenizer llama.cpp (src/llama-vocab.cpp) builds from the
// tokenizer.ggml.* keys, expressed as the same pipeline as a tokenizer.json:
//  - "gpt2": byte-level BPE merged by rank; tokenizer.ggml.pre picks the
//    split regexes;
//  - "llama": SentencePiece BPE merged by token score, spaces escaped as
//    U+2581 with a leading one added to each text piece, byte fallback.
// Control, unknown and user-defined tokens are matched in the text first.
//
//===----------------------------------------------------------------------===//

#include "TokenizerImpl.h"

using namespace mlrt;
using namespace mlrt::detail;

namespace {

const char *const kSpaceMarker = "\xE2\x96\x81"; // U+2581 '▁'

/// What a tokenizer.ggml.pre value means for a "gpt2" vocabulary.
struct PreTokenizerType {
  const char *name;
  std::vector<SplitPattern> patterns;
  bool ignoreMerges;
  bool addBosByDefault;
};

const std::vector<PreTokenizerType> &preTokenizerTypes() {
  using P = SplitPattern;
  static const std::vector<PreTokenizerType> types = {
      {"default",
       {P::PunctuationRun, P::Gpt2, P::NumberRun, P::ThreeAsciiDigits},
       false,
       false},
      {"gpt-2", {P::Gpt2}, false, false},
      {"smollm", {P::SingleNumber, P::Gpt2}, false, false},
      {"llama-bpe", {P::Llama3}, true, true},
      {"llama3", {P::Llama3}, true, true},
      {"llama-v3", {P::Llama3}, true, true},
      {"qwen2", {P::Qwen2}, false, false},
  };
  return types;
}

const PreTokenizerType *findPreTokenizerType(std::string_view name) {
  // llama.cpp falls back to "default" when the key is absent.
  if (name.empty())
    name = "default";
  for (const PreTokenizerType &type : preTokenizerTypes())
    if (name == type.name)
      return &type;
  return nullptr;
}

std::string preTokenizerTypeNames() {
  std::string names;
  for (const PreTokenizerType &type : preTokenizerTypes())
    names += (names.empty() ? "" : ", ") + std::string(type.name);
  return names;
}

Status checkTokenId(const std::optional<int32_t> &id, const char *key,
                    size_t tokenCount) {
  if (id && (*id < 0 || static_cast<size_t>(*id) >= tokenCount))
    return Error() << "GGUF tokenizer.ggml." << key << " is " << *id
                   << ", but there are only " << tokenCount << " tokens";
  return Status::ok();
}

Expected<BytePairEncoding> buildByteLevelModel(const GgufTokenizerData &data,
                                               Vocabulary vocabulary,
                                               const PreTokenizerType &pre,
                                               TokenizerImpl &impl) {
  if (data.merges.empty())
    return Error("GGUF tokenizer.ggml.merges is missing or empty; a \"gpt2\" "
                 "tokenizer needs its merges");
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(data.merges.size());
  for (size_t i = 0; i < data.merges.size(); ++i) {
    // Split at the first space after the first byte, as llama.cpp does.
    const std::string &merge = data.merges[i];
    size_t space = merge.find(' ', 1);
    if (space == std::string::npos)
      return Error() << "GGUF tokenizer.ggml.merges[" << i << "] is '" << merge
                     << "'; expected two tokens separated by a space";
    merges.emplace_back(merge.substr(0, space), merge.substr(space + 1));
  }
  for (SplitPattern pattern : pre.patterns) {
    PreTokenizerStep split;
    split.kind = PreTokenizerStep::Kind::Split;
    split.pattern = pattern;
    impl.preTokenizer.push_back(split);
  }
  PreTokenizerStep toBytes;
  toBytes.kind = PreTokenizerStep::Kind::ByteLevel;
  toBytes.useRegex = false;
  impl.preTokenizer.push_back(toBytes);
  DecoderStep toText;
  toText.kind = DecoderStep::Kind::ByteLevel;
  impl.decoder = std::vector<DecoderStep>{toText};

  BytePairEncoding::Options options;
  options.ignoreMerges = pre.ignoreMerges;
  Expected<BytePairEncoding> model =
      BytePairEncoding::withMergeRanks(std::move(vocabulary), merges, options);
  if (!model)
    return Error() << "GGUF tokenizer.ggml.merges: " << model.message();
  return model;
}

Expected<BytePairEncoding>
buildSentencePieceModel(const GgufTokenizerData &data, Vocabulary vocabulary,
                        TokenizerImpl &impl) {
  if (data.scores.size() != data.tokens.size())
    return Error() << "GGUF tokenizer.ggml.scores has " << data.scores.size()
                   << " entries for " << data.tokens.size()
                   << " tokens; a \"llama\" tokenizer needs one per token";
  bool addSpacePrefix = data.addSpacePrefix.value_or(true);
  if (addSpacePrefix)
    impl.normalizer.push_back(
        {NormalizerStep::Kind::Prepend, "", kSpaceMarker});
  impl.normalizer.push_back({NormalizerStep::Kind::Replace, " ", kSpaceMarker});

  std::vector<DecoderStep> decoder(3);
  decoder[0] = {DecoderStep::Kind::Replace, kSpaceMarker, " "};
  decoder[1].kind = DecoderStep::Kind::ByteFallback;
  decoder[2].kind = DecoderStep::Kind::Fuse;
  if (addSpacePrefix) {
    DecoderStep strip{DecoderStep::Kind::Strip, "", " "};
    strip.stripStart = 1;
    decoder.push_back(strip);
  }
  impl.decoder = std::move(decoder);

  BytePairEncoding::Options options;
  options.byteFallback = true;
  options.unknownId = data.unknownId.value_or(0);
  Expected<BytePairEncoding> model =
      BytePairEncoding::withScores(std::move(vocabulary), data.scores, options);
  if (!model)
    return Error() << "GGUF tokenizer.ggml.scores: " << model.message();
  return model;
}

} // namespace

Expected<Tokenizer> Tokenizer::fromGguf(const GgufTokenizerData &data) {
  const size_t count = data.tokens.size();
  if (count == 0)
    return Error("GGUF tokenizer.ggml.tokens is missing or empty");
  if (!data.tokenTypes.empty() && data.tokenTypes.size() != count)
    return Error() << "GGUF tokenizer.ggml.token_type has "
                   << data.tokenTypes.size() << " entries for " << count
                   << " tokens";
  Vocabulary vocabulary;
  for (size_t i = 0; i < count; ++i) {
    if (data.tokens[i].empty())
      return Error() << "GGUF tokenizer.ggml.tokens[" << i << "] is empty";
    if (Status added = vocabulary.add(data.tokens[i], static_cast<int64_t>(i));
        added.failed())
      return Error() << "GGUF tokenizer.ggml.tokens: " << added.message();
  }

  auto impl = std::make_shared<TokenizerImpl>();
  std::optional<int32_t> bosId = data.bosId, eosId = data.eosId;
  bool addBos = false;
  if (data.model == "gpt2") {
    const PreTokenizerType *pre = findPreTokenizerType(data.pre);
    if (!pre)
      return Error() << "GGUF tokenizer.ggml.pre '" << data.pre
                     << "' is not supported (supported: "
                     << preTokenizerTypeNames() << ")";
    Expected<BytePairEncoding> model =
        buildByteLevelModel(data, std::move(vocabulary), *pre, *impl);
    if (!model)
      return model.takeError();
    impl->model = std::move(*model);
    addBos = data.addBos.value_or(pre->addBosByDefault);
  } else if (data.model == "llama") {
    Expected<BytePairEncoding> model =
        buildSentencePieceModel(data, std::move(vocabulary), *impl);
    if (!model)
      return model.takeError();
    impl->model = std::move(*model);
    // llama.cpp's defaults for SentencePiece vocabularies.
    bosId = bosId.value_or(1);
    eosId = eosId.value_or(2);
    addBos = data.addBos.value_or(true);
  } else {
    return Error() << "GGUF tokenizer.ggml.model '" << data.model
                   << "' is not supported (supported: gpt2, llama)";
  }

  for (auto [id, key] :
       {std::pair(bosId, "bos_token_id"), std::pair(eosId, "eos_token_id"),
        std::pair(data.eotId, "eot_token_id"),
        std::pair(data.unknownId, "unknown_token_id"),
        std::pair(data.paddingId, "padding_token_id")})
    MLRT_RETURN_IF_ERROR(checkTokenId(id, key, count));
  if (addBos && !bosId)
    return Error("GGUF tokenizer.ggml.add_bos_token is set but there is no "
                 "tokenizer.ggml.bos_token_id");
  if (data.addEos.value_or(false) && !eosId)
    return Error("GGUF tokenizer.ggml.add_eos_token is set but there is no "
                 "tokenizer.ggml.eos_token_id");

  for (size_t i = 0; i < count; ++i) {
    int32_t type = data.tokenTypes.empty() ? GgufTokenizerData::Normal
                                           : data.tokenTypes[i];
    if (type != GgufTokenizerData::Control &&
        type != GgufTokenizerData::Unknown &&
        type != GgufTokenizerData::UserDefined)
      continue;
    AddedToken token;
    token.content = data.tokens[i];
    token.id = static_cast<int32_t>(i);
    // llama.cpp always splits off user-defined tokens, the others only when
    // parsing special tokens.
    token.special = type != GgufTokenizerData::UserDefined;
    impl->addedTokens.push_back(std::move(token));
  }
  impl->indexAddedTokens();

  if (addBos)
    impl->prefixIds.push_back(*bosId);
  if (data.addEos.value_or(false))
    impl->suffixIds.push_back(*eosId);
  impl->bosId = bosId;
  for (std::optional<int32_t> id : {eosId, data.eotId})
    if (id && (impl->eosIds.empty() || impl->eosIds[0] != *id))
      impl->eosIds.push_back(*id);
  if (!data.chatTemplate.empty())
    impl->setChatTemplate(data.chatTemplate,
                          bosId ? data.tokens[*bosId] : std::string(),
                          eosId ? data.tokens[*eosId] : std::string());
  return Tokenizer(std::move(impl));
}
