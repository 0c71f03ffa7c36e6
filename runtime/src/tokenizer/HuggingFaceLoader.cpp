//===- HuggingFaceLoader.cpp - Tokenizers from tokenizer.json -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Reads a Hugging Face tokenizer.json (its BPE model and added tokens here,
// the other components in HuggingFaceComponents.cpp) and the bos/eos tokens
// and chat template of tokenizer_config.json.
//
//===----------------------------------------------------------------------===//

#include "HuggingFaceSpec.h"

using namespace mlrt;
using namespace mlrt::detail;

namespace {

std::optional<BytePairEncoding> readModel(SpecReader &reader,
                                          const json::Value &model) {
  const std::string path = "model";
  std::string type = reader.getString(model, "type", path).value_or("BPE");
  if (type != "BPE") {
    reader.failUnsupported(path, type, "BPE");
    return std::nullopt;
  }
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (!reader.getString(model, key, path).value_or("").empty())
      reader.fail(path + "." + key, "is not supported");
  if (const json::Value *dropout = SpecReader::member(model, "dropout"))
    if (!dropout->isNumber() || dropout->getNumber() != 0)
      reader.fail(path + ".dropout", "must be null: BPE dropout is random");

  Vocabulary vocabulary;
  const json::Value *vocab =
      reader.expect(SpecReader::member(model, "vocab"),
                    json::Value::Kind::Object, path + ".vocab");
  if (!vocab && !reader.failed())
    reader.fail(path + ".vocab", "is missing");
  for (const auto &[token, id] : vocab ? vocab->getObject() : json::Object()) {
    if (!id.isInt()) {
      reader.fail(path + ".vocab", "maps '" + token + "' to a non-integer");
      break;
    }
    if (Status added = vocabulary.add(token, id.getInt()); added.failed()) {
      reader.fail(path + ".vocab", "is invalid: " + added.message());
      break;
    }
  }

  std::vector<std::pair<std::string, std::string>> merges;
  const json::Value *list =
      reader.expect(SpecReader::member(model, "merges"),
                    json::Value::Kind::Array, path + ".merges");
  for (size_t i = 0; list && i < list->getArray().size(); ++i) {
    const json::Value &merge = list->getArray()[i];
    if (merge.isString()) {
      // The legacy "left right" form; "#version" lines are comments.
      const std::string &line = merge.getString();
      if (line.compare(0, 8, "#version") == 0)
        continue;
      size_t space = line.find(' ');
      if (space != std::string::npos &&
          line.find(' ', space + 1) == std::string::npos) {
        merges.emplace_back(line.substr(0, space), line.substr(space + 1));
        continue;
      }
    } else if (merge.isArray() && merge.getArray().size() == 2 &&
               merge.getArray()[0].isString() &&
               merge.getArray()[1].isString()) {
      merges.emplace_back(merge.getArray()[0].getString(),
                          merge.getArray()[1].getString());
      continue;
    }
    reader.fail(indexed(path + ".merges", i),
                "must be \"left right\" or [\"left\", \"right\"]");
    break;
  }

  BytePairEncoding::Options options;
  options.byteFallback = reader.getBool(model, "byte_fallback", false, path);
  options.ignoreMerges = reader.getBool(model, "ignore_merges", false, path);
  options.fuseUnknown = reader.getBool(model, "fuse_unk", false, path);
  if (std::optional<std::string> unknown =
          reader.getString(model, "unk_token", path)) {
    options.unknownId = vocabulary.find(*unknown);
    if (!options.unknownId)
      reader.fail(path + ".unk_token",
                  "'" + *unknown + "' is not in the vocabulary");
  }
  if (reader.failed())
    return std::nullopt;
  Expected<BytePairEncoding> bpe =
      BytePairEncoding::withMergeRanks(std::move(vocabulary), merges, options);
  if (!bpe) {
    reader.fail(path + ".merges", "is invalid: " + bpe.message());
    return std::nullopt;
  }
  return std::move(*bpe);
}

std::vector<AddedToken> readAddedTokens(SpecReader &reader,
                                        const json::Value &list) {
  std::vector<AddedToken> tokens;
  for (size_t i = 0; i < list.getArray().size(); ++i) {
    const json::Value &entry = list.getArray()[i];
    std::string path = indexed("added_tokens", i);
    if (!reader.expect(&entry, json::Value::Kind::Object, path))
      break;
    AddedToken token;
    token.content = reader.requireString(entry, "content", path);
    int64_t id = reader.getInt(entry, "id", -1, path);
    token.special = reader.getBool(entry, "special", false, path);
    token.lstrip = reader.getBool(entry, "lstrip", false, path);
    token.rstrip = reader.getBool(entry, "rstrip", false, path);
    token.singleWord = reader.getBool(entry, "single_word", false, path);
    token.normalized =
        reader.getBool(entry, "normalized", !token.special, path);
    if ((id < 0 || id >= Vocabulary::kMaxId) && !reader.failed())
      reader.fail(path + ".id", "must be a token id below " +
                                    std::to_string(Vocabulary::kMaxId));
    token.id = static_cast<int32_t>(id);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

/// A token named in tokenizer_config.json: a string or {"content": ...}.
std::optional<std::string> configToken(const json::Value &config,
                                       std::string_view key) {
  const json::Value *value = SpecReader::member(config, key);
  if (value && value->isObject())
    value = SpecReader::member(*value, "content");
  if (!value || !value->isString())
    return std::nullopt;
  return value->getString();
}

/// tokenizer_config.json: bos/eos and the chat template.
Status readConfig(std::string_view text, TokenizerImpl &impl) {
  Expected<json::Value> config = json::parse(text);
  if (!config)
    return Error() << "tokenizer_config.json: " << config.message();
  if (!config->isObject())
    return Error() << "tokenizer_config.json: expected an object, found "
                   << json::Value::describe(config->kind());
  std::string names[2];
  for (int i = 0; i < 2; ++i) {
    const char *key = i == 0 ? "bos_token" : "eos_token";
    std::optional<std::string> name = configToken(*config, key);
    if (!name)
      continue;
    std::optional<int32_t> id = impl.findToken(*name);
    if (!id)
      return Error() << "tokenizer_config.json: " << key << " '" << *name
                     << "' is not a token of tokenizer.json";
    names[i] = *name;
    if (i == 0)
      impl.bosId = id;
    else
      impl.eosIds.push_back(*id);
  }
  // The template is a string, or a list of named ones of which "default" is
  // the chat template.
  const json::Value *source = SpecReader::member(*config, "chat_template");
  if (source && source->isArray()) {
    const json::Value *named = nullptr;
    for (const json::Value &entry : source->getArray())
      if (entry.isObject() && entry.get("name") &&
          entry.get("name")->isString() &&
          entry.get("name")->getString() == "default")
        named = SpecReader::member(entry, "template");
    source = named;
  }
  if (source && source->isString())
    impl.setChatTemplate(source->getString(), names[0], names[1]);
  return Status::ok();
}

} // namespace

Expected<Tokenizer>
Tokenizer::fromHuggingFace(std::string_view tokenizerJson,
                           std::string_view tokenizerConfigJson) {
  Expected<json::Value> spec = json::parse(tokenizerJson);
  if (!spec)
    return Error() << "tokenizer.json: " << spec.message();
  if (!spec->isObject())
    return Error() << "tokenizer.json: expected an object, found "
                   << json::Value::describe(spec->kind());

  SpecReader reader("tokenizer.json");
  auto impl = std::make_shared<TokenizerImpl>();
  const json::Value *model = reader.expect(SpecReader::member(*spec, "model"),
                                           json::Value::Kind::Object, "model");
  if (!model)
    return reader.failed() ? reader.takeError()
                           : Error("tokenizer.json: model is missing");
  if (std::optional<BytePairEncoding> bpe = readModel(reader, *model))
    impl->model = std::move(*bpe);
  if (const json::Value *added =
          reader.expect(SpecReader::member(*spec, "added_tokens"),
                        json::Value::Kind::Array, "added_tokens"))
    impl->addedTokens = readAddedTokens(reader, *added);
  if (const json::Value *normalizer = SpecReader::member(*spec, "normalizer"))
    impl->normalizer = readNormalizer(reader, *normalizer);
  if (const json::Value *pre = SpecReader::member(*spec, "pre_tokenizer"))
    impl->preTokenizer = readPreTokenizer(reader, *pre);
  if (const json::Value *post = SpecReader::member(*spec, "post_processor"))
    readPostProcessor(reader, *post, *impl);
  if (const json::Value *decoder = SpecReader::member(*spec, "decoder"))
    impl->decoder = readDecoder(reader, *decoder);
  if (reader.failed())
    return reader.takeError();

  impl->indexAddedTokens();
  for (const auto *ids : {&impl->prefixIds, &impl->suffixIds})
    for (int32_t id : *ids)
      if (!impl->tokenText(id))
        return Error() << "tokenizer.json: post_processor adds token id " << id
                       << ", which is not in the vocabulary";
  if (!tokenizerConfigJson.empty())
    MLRT_RETURN_IF_ERROR(readConfig(tokenizerConfigJson, *impl));
  return Tokenizer(std::move(impl));
}
