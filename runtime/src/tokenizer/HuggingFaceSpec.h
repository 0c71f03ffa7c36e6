//===- HuggingFaceSpec.h - Reading tokenizer.json components ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TOKENIZER_HUGGINGFACESPEC_H
#define MLRT_TOKENIZER_HUGGINGFACESPEC_H

#include "TokenizerImpl.h"

#include "mlrt/Json.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlrt::detail {

/// Reads typed members of JSON objects, keeping the first problem found so
/// that parsing can go on and report once.
class SpecReader {
public:
  explicit SpecReader(std::string file) : file_(std::move(file)) {}

  void fail(const std::string &path, const std::string &message) {
    if (!error_)
      error_ = Error() << file_ << ": " << path << " " << message;
  }
  bool failed() const { return error_.has_value(); }
  Error takeError() { return std::move(*error_); }

  /// Member `key`, or null when absent or JSON null.
  static const json::Value *member(const json::Value &object,
                                   std::string_view key) {
    const json::Value *value = object.get(key);
    return value && !value->isNull() ? value : nullptr;
  }

  /// `value` if it has `kind`; otherwise records the mismatch.
  const json::Value *expect(const json::Value *value, json::Value::Kind kind,
                            const std::string &path) {
    if (value && value->kind() != kind) {
      fail(path, std::string("must be ") + json::Value::describe(kind) +
                     ", found " + json::Value::describe(value->kind()));
      return nullptr;
    }
    return value;
  }

  bool getBool(const json::Value &object, std::string_view key, bool fallback,
               const std::string &path) {
    const json::Value *value =
        expect(member(object, key), json::Value::Kind::Bool,
               path + "." + std::string(key));
    return value ? value->getBool() : fallback;
  }

  std::optional<std::string> getString(const json::Value &object,
                                       std::string_view key,
                                       const std::string &path) {
    const json::Value *value =
        expect(member(object, key), json::Value::Kind::String,
               path + "." + std::string(key));
    if (!value)
      return std::nullopt;
    return value->getString();
  }

  /// The string member `key`; records an error when it is missing.
  std::string requireString(const json::Value &object, std::string_view key,
                            const std::string &path) {
    std::optional<std::string> value = getString(object, key, path);
    if (!value && !failed())
      fail(path + "." + std::string(key), "is missing");
    return value.value_or("");
  }

  int64_t getInt(const json::Value &object, std::string_view key,
                 int64_t fallback, const std::string &path) {
    const json::Value *value = member(object, key);
    if (value && !value->isInt()) {
      fail(path + "." + std::string(key), "must be an integer");
      return fallback;
    }
    return value ? value->getInt() : fallback;
  }

  /// The "type" of a component, which must be an object.
  std::string typeOf(const json::Value &component, const std::string &path) {
    if (!expect(&component, json::Value::Kind::Object, path))
      return "";
    return requireString(component, "type", path);
  }

  /// Records that the component at `path` has a type not in `supported`.
  void failUnsupported(const std::string &path, const std::string &type,
                       const char *supported) {
    fail(path, "has type '" + type +
                   "', which is not supported (supported: " + supported + ")");
  }

  /// The string inside a {"String": "..."} pattern.
  std::string stringPattern(const json::Value &object,
                            const std::string &path) {
    const json::Value *pattern =
        expect(member(object, "pattern"), json::Value::Kind::Object,
               path + ".pattern");
    if (!pattern) {
      if (!failed())
        fail(path + ".pattern", "is missing");
      return "";
    }
    if (!member(*pattern, "String")) {
      fail(path + ".pattern", "must be a {\"String\": ...} pattern; regex "
                              "patterns are not supported here");
      return "";
    }
    return requireString(*pattern, "String", path + ".pattern");
  }

private:
  std::string file_;
  std::optional<Error> error_;
};

/// `path[i]`, for error messages.
inline std::string indexed(const std::string &path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

/// The normalizer, pre-tokenizer, decoder and post-processor of a
/// tokenizer.json (HuggingFaceComponents.cpp). Problems go to `reader`.
std::vector<NormalizerStep> readNormalizer(SpecReader &reader,
                                           const json::Value &spec);
std::vector<PreTokenizerStep> readPreTokenizer(SpecReader &reader,
                                               const json::Value &spec);
std::vector<DecoderStep> readDecoder(SpecReader &reader,
                                     const json::Value &spec);
/// Sets impl.prefixIds and impl.suffixIds.
void readPostProcessor(SpecReader &reader, const json::Value &spec,
                       TokenizerImpl &impl);

} // namespace mlrt::detail

#endif // MLRT_TOKENIZER_HUGGINGFACESPEC_H
