//===- GgufMetadata.cpp - Tokenizer keys of a GGUF file -------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Gguf.h"
#include "mlrt/Tokenizer.h"

#include <climits>
#include <tuple>

using namespace mlrt;

namespace {

/// Reads tokenizer keys, naming the key and the type found on a mismatch.
class KeyReader {
public:
  explicit KeyReader(const GgufFile &file) : file_(file) {}

  /// The value of `key` when present and of `type`; an error otherwise
  /// (absence included when `required`).
  Expected<const GgufValue *> find(const std::string &key, GgufValue::Type type,
                                   bool required) {
    const GgufValue *value = file_.get(key);
    if (!value) {
      if (required)
        return Error() << file_.path() << ": GGUF key " << key << " is missing";
      return static_cast<const GgufValue *>(nullptr);
    }
    bool matches = type == GgufValue::Type::U32 ? value->isInteger()
                   : type == GgufValue::Type::F32
                       ? value->isFloat() || value->isInteger()
                       : value->type == type;
    if (!matches)
      return Error() << file_.path() << ": GGUF key " << key << " must be "
                     << GgufValue::typeName(type) << ", found "
                     << GgufValue::typeName(value->type);
    return value;
  }

  /// The elements of array `key`, each checked against `elementType`.
  Expected<const std::vector<GgufValue> *>
  array(const std::string &key, GgufValue::Type elementType, bool required) {
    Expected<const GgufValue *> value =
        find(key, GgufValue::Type::Array, required);
    if (!value)
      return value.takeError();
    if (!*value)
      return static_cast<const std::vector<GgufValue> *>(nullptr);
    for (const GgufValue &item : (*value)->items) {
      bool matches = elementType == GgufValue::Type::I32 ? item.isInteger()
                     : elementType == GgufValue::Type::F32
                         ? item.isFloat() || item.isInteger()
                         : item.type == elementType;
      if (!matches)
        return Error() << file_.path() << ": GGUF key " << key
                       << " must be an array of "
                       << GgufValue::typeName(elementType) << ", found "
                       << GgufValue::typeName(item.type) << " elements";
    }
    return &(*value)->items;
  }

private:
  const GgufFile &file_;
};

} // namespace

Expected<GgufTokenizerData> GgufTokenizerData::read(const GgufFile &file) {
  using Type = GgufValue::Type;
  KeyReader reader(file);
  GgufTokenizerData data;

  for (auto [key, text, required] :
       {std::tuple("tokenizer.ggml.model", &data.model, true),
        std::tuple("tokenizer.ggml.pre", &data.pre, false),
        std::tuple("tokenizer.chat_template", &data.chatTemplate, false)}) {
    Expected<const GgufValue *> value =
        reader.find(key, Type::String, required);
    if (!value)
      return value.takeError();
    if (*value)
      *text = std::string((*value)->string);
  }

  for (auto [key, strings, required] :
       {std::tuple("tokenizer.ggml.tokens", &data.tokens, true),
        std::tuple("tokenizer.ggml.merges", &data.merges, false)}) {
    Expected<const std::vector<GgufValue> *> items =
        reader.array(key, Type::String, required);
    if (!items)
      return items.takeError();
    if (*items)
      for (const GgufValue &item : **items)
        strings->emplace_back(item.string);
  }
  Expected<const std::vector<GgufValue> *> types =
      reader.array("tokenizer.ggml.token_type", Type::I32, false);
  if (!types)
    return types.takeError();
  if (*types)
    for (const GgufValue &item : **types)
      data.tokenTypes.push_back(static_cast<int32_t>(item.integer));
  Expected<const std::vector<GgufValue> *> scores =
      reader.array("tokenizer.ggml.scores", Type::F32, false);
  if (!scores)
    return scores.takeError();
  if (*scores)
    for (const GgufValue &item : **scores)
      data.scores.push_back(static_cast<float>(*item.asNumber()));

  for (auto [key, id] :
       {std::pair("tokenizer.ggml.bos_token_id", &data.bosId),
        std::pair("tokenizer.ggml.eos_token_id", &data.eosId),
        std::pair("tokenizer.ggml.eot_token_id", &data.eotId),
        std::pair("tokenizer.ggml.unknown_token_id", &data.unknownId),
        std::pair("tokenizer.ggml.padding_token_id", &data.paddingId)}) {
    Expected<const GgufValue *> value = reader.find(key, Type::U32, false);
    if (!value)
      return value.takeError();
    if (!*value)
      continue;
    if ((*value)->integer < 0 || (*value)->integer > INT32_MAX)
      return Error() << file.path() << ": GGUF key " << key << " is "
                     << (*value)->integer << ", not a token id";
    *id = static_cast<int32_t>((*value)->integer);
  }
  for (auto [key, flag] :
       {std::pair("tokenizer.ggml.add_bos_token", &data.addBos),
        std::pair("tokenizer.ggml.add_eos_token", &data.addEos),
        std::pair("tokenizer.ggml.add_space_prefix", &data.addSpacePrefix)}) {
    Expected<const GgufValue *> value = reader.find(key, Type::Bool, false);
    if (!value)
      return value.takeError();
    if (*value)
      *flag = (*value)->integer != 0;
  }
  return data;
}
