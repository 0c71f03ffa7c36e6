//===- HuggingFaceComponents.cpp - tokenizer.json pipeline parts ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The normalizers (Prepend, Replace), pre-tokenizers (ByteLevel, Digits,
// Split with a known regex, Metaspace), post-processors (TemplateProcessing,
// ByteLevel) and decoders (ByteLevel, ByteFallback, Fuse, Replace, Strip,
// Metaspace) of tokenizer.json, each possibly in a Sequence. Anything else
// is refused by name.
//
//===----------------------------------------------------------------------===//

#include "HuggingFaceSpec.h"

using namespace mlrt;
using namespace mlrt::detail;

namespace {

/// The components of a Sequence (or the component itself) in order.
std::vector<std::pair<const json::Value *, std::string>>
flattenSequence(SpecReader &reader, const json::Value &component,
                const char *listKey, const std::string &path) {
  std::vector<std::pair<const json::Value *, std::string>> parts;
  if (reader.typeOf(component, path) != "Sequence") {
    parts.emplace_back(&component, path);
    return parts;
  }
  std::string listPath = path + "." + listKey;
  const json::Value *list =
      reader.expect(SpecReader::member(component, listKey),
                    json::Value::Kind::Array, listPath);
  if (!list)
    return parts;
  for (size_t i = 0; i < list->getArray().size(); ++i) {
    auto nested = flattenSequence(reader, list->getArray()[i], listKey,
                                  indexed(listPath, i));
    parts.insert(parts.end(), nested.begin(), nested.end());
  }
  return parts;
}

PrependScheme readPrependScheme(SpecReader &reader, const json::Value &spec,
                                const std::string &path) {
  // Files before tokenizers 0.19 have add_prefix_space instead.
  std::optional<std::string> scheme =
      reader.getString(spec, "prepend_scheme", path);
  if (!scheme)
    return reader.getBool(spec, "add_prefix_space", true, path)
               ? PrependScheme::Always
               : PrependScheme::Never;
  if (*scheme == "always")
    return PrependScheme::Always;
  if (*scheme == "first")
    return PrependScheme::First;
  if (*scheme != "never")
    reader.fail(path + ".prepend_scheme",
                "must be \"always\", \"first\" or \"never\", found \"" +
                    *scheme + "\"");
  return PrependScheme::Never;
}

} // namespace

std::vector<NormalizerStep> detail::readNormalizer(SpecReader &reader,
                                                   const json::Value &spec) {
  std::vector<NormalizerStep> steps;
  for (auto [component, path] :
       flattenSequence(reader, spec, "normalizers", "normalizer")) {
    std::string type = reader.typeOf(*component, path);
    if (type == "Prepend")
      steps.push_back({NormalizerStep::Kind::Prepend, "",
                       reader.requireString(*component, "prepend", path)});
    else if (type == "Replace")
      steps.push_back({NormalizerStep::Kind::Replace,
                       reader.stringPattern(*component, path),
                       reader.requireString(*component, "content", path)});
    else if (!reader.failed())
      reader.failUnsupported(path, type, "Prepend, Replace, Sequence");
  }
  return steps;
}

std::vector<PreTokenizerStep>
detail::readPreTokenizer(SpecReader &reader, const json::Value &spec) {
  std::vector<PreTokenizerStep> steps;
  for (auto [component, path] :
       flattenSequence(reader, spec, "pretokenizers", "pre_tokenizer")) {
    std::string type = reader.typeOf(*component, path);
    PreTokenizerStep step;
    if (type == "ByteLevel") {
      step.kind = PreTokenizerStep::Kind::ByteLevel;
      step.addPrefixSpace =
          reader.getBool(*component, "add_prefix_space", true, path);
      step.useRegex = reader.getBool(*component, "use_regex", true, path);
    } else if (type == "Digits") {
      step.kind = PreTokenizerStep::Kind::Digits;
      step.individualDigits =
          reader.getBool(*component, "individual_digits", false, path);
    } else if (type == "Split") {
      step.kind = PreTokenizerStep::Kind::Split;
      const json::Value *pattern =
          reader.expect(SpecReader::member(*component, "pattern"),
                        json::Value::Kind::Object, path + ".pattern");
      std::optional<std::string> regex;
      if (pattern)
        regex = reader.getString(*pattern, "Regex", path + ".pattern");
      std::optional<SplitPattern> known;
      if (regex)
        known = findSplitPattern(*regex);
      if (!known) {
        if (!reader.failed())
          reader.fail(path + ".pattern",
                      "is not one of the split regexes this tokenizer "
                      "implements: " +
                          describeSplitPatterns());
        continue;
      }
      step.pattern = *known;
      std::string behavior = reader.requireString(*component, "behavior", path);
      if (behavior != "Isolated" ||
          reader.getBool(*component, "invert", false, path))
        reader.fail(path, "must split with behavior \"Isolated\" and invert "
                          "false; found behavior \"" +
                              behavior + "\"");
    } else if (type == "Metaspace") {
      step.kind = PreTokenizerStep::Kind::Metaspace;
      step.replacement = reader.requireString(*component, "replacement", path);
      step.prependScheme = readPrependScheme(reader, *component, path);
      step.splitOnReplacement = reader.getBool(*component, "split", true, path);
    } else {
      if (!reader.failed())
        reader.failUnsupported(path, type,
                               "ByteLevel, Digits, Split, Metaspace, Sequence");
      continue;
    }
    steps.push_back(step);
  }
  return steps;
}

std::vector<DecoderStep> detail::readDecoder(SpecReader &reader,
                                             const json::Value &spec) {
  std::vector<DecoderStep> steps;
  for (auto [component, path] :
       flattenSequence(reader, spec, "decoders", "decoder")) {
    std::string type = reader.typeOf(*component, path);
    DecoderStep step;
    if (type == "ByteLevel") {
      step.kind = DecoderStep::Kind::ByteLevel;
    } else if (type == "ByteFallback") {
      step.kind = DecoderStep::Kind::ByteFallback;
    } else if (type == "Fuse") {
      step.kind = DecoderStep::Kind::Fuse;
    } else if (type == "Replace") {
      step.kind = DecoderStep::Kind::Replace;
      step.pattern = reader.stringPattern(*component, path);
      step.content = reader.requireString(*component, "content", path);
    } else if (type == "Strip") {
      step.kind = DecoderStep::Kind::Strip;
      step.content = reader.requireString(*component, "content", path);
      step.stripStart = reader.getInt(*component, "start", 0, path);
      step.stripStop = reader.getInt(*component, "stop", 0, path);
    } else if (type == "Metaspace") {
      step.kind = DecoderStep::Kind::Metaspace;
      step.content = reader.requireString(*component, "replacement", path);
      step.dropFirstMarkers =
          readPrependScheme(reader, *component, path) != PrependScheme::Never;
    } else {
      if (!reader.failed())
        reader.failUnsupported(path, type,
                               "ByteLevel, ByteFallback, Fuse, Replace, Strip, "
                               "Metaspace, Sequence");
      continue;
    }
    steps.push_back(step);
  }
  return steps;
}

void detail::readPostProcessor(SpecReader &reader, const json::Value &spec,
                               TokenizerImpl &impl) {
  for (auto [component, path] :
       flattenSequence(reader, spec, "processors", "post_processor")) {
    std::string type = reader.typeOf(*component, path);
    if (type == "ByteLevel")
      continue; // Only adjusts offsets.
    if (type != "TemplateProcessing") {
      if (!reader.failed())
        reader.failUnsupported(path, type,
                               "TemplateProcessing, ByteLevel, Sequence");
      continue;
    }
    const json::Value *single =
        reader.expect(SpecReader::member(*component, "single"),
                      json::Value::Kind::Array, path + ".single");
    const json::Value *specials =
        reader.expect(SpecReader::member(*component, "special_tokens"),
                      json::Value::Kind::Object, path + ".special_tokens");
    if (!single)
      continue;
    bool afterSequence = false;
    for (size_t i = 0; i < single->getArray().size(); ++i) {
      const json::Value &item = single->getArray()[i];
      std::string itemPath = indexed(path + ".single", i);
      if (SpecReader::member(item, "Sequence")) {
        afterSequence = true;
        continue;
      }
      const json::Value *special =
          reader.expect(SpecReader::member(item, "SpecialToken"),
                        json::Value::Kind::Object, itemPath + ".SpecialToken");
      if (!special)
        continue;
      std::string name = reader.requireString(*special, "id", itemPath);
      const json::Value *entry =
          specials ? SpecReader::member(*specials, name) : nullptr;
      const json::Value *ids =
          entry ? SpecReader::member(*entry, "ids") : nullptr;
      if (!ids || !ids->isArray()) {
        reader.fail(itemPath, "names special token '" + name +
                                  "', whose ids special_tokens does not give");
        continue;
      }
      for (const json::Value &id : ids->getArray()) {
        if (!id.isInt() || id.getInt() < 0 || id.getInt() > INT32_MAX) {
          reader.fail(path + ".special_tokens",
                      "gives '" + name + "' an invalid token id");
          break;
        }
        (afterSequence ? impl.suffixIds : impl.prefixIds)
            .push_back(static_cast<int32_t>(id.getInt()));
      }
    }
  }
}
