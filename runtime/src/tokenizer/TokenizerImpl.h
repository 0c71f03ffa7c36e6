//===- TokenizerImpl.h - The parts of a loaded tokenizer --------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A tokenizer as the pipeline of HF tokenizers: added tokens, normalizer,
// pre-tokenizer, BPE model, post-processor (prefix/suffix ids) and decoder.
// Both loaders (tokenizer.json and GGUF) fill this one structure.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TOKENIZER_TOKENIZERIMPL_H
#define MLRT_TOKENIZER_TOKENIZERIMPL_H

#include "BytePairEncoding.h"
#include "PreTokenizer.h"

#include "mlrt/Tokenizer.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mlrt::detail {

/// A token matched in the text before the model runs (HF's AddedToken;
/// GGUF's control, unknown and user-defined tokens).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  /// Matched only when special tokens are parsed; skipped by decode when
  /// asked to.
  bool special = false;
  /// Also takes the whitespace on its left / right.
  bool lstrip = false, rstrip = false;
  /// Matched only when not inside a word.
  bool singleWord = false;
  /// Matched in the normalized text rather than the input.
  bool normalized = false;
  /// What the decoder is given for the token: its content, normalized when
  /// it is matched normalized (as HF tokenizers >= 0.22 decodes).
  std::string decodedForm;
};

/// Finds added tokens leftmost-longest, as HF's Aho-Corasick matcher does.
class AddedTokenMatcher {
public:
  struct Match {
    size_t begin, end;
    size_t token; ///< Index into TokenizerImpl::addedTokens.
  };

  void add(std::string pattern, size_t token);
  std::optional<Match> findFirst(std::string_view text, size_t from) const;

private:
  /// Patterns by first byte, longest first.
  std::array<std::vector<std::pair<std::string, size_t>>, 256> byFirstByte_;
};

/// One normalizer of a sequence.
struct NormalizerStep {
  enum class Kind { Prepend, Replace };
  Kind kind;
  std::string pattern; ///< Replace: the text replaced.
  std::string content; ///< Prepended / replacement text.
};

/// One decoder of a sequence; each maps the list of token strings.
struct DecoderStep {
  enum class Kind { ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace };
  Kind kind = Kind::Fuse;
  std::string pattern; ///< Replace: the text replaced.
  std::string content; ///< Replace: the replacement. Strip: the character
                       ///< removed. Metaspace: the replacement character.
  size_t stripStart = 0, stripStop = 0; ///< Strip: how many at each end.
  /// Metaspace: whether the first token's markers are dropped rather than
  /// turned into spaces (prepend_scheme other than "never").
  bool dropFirstMarkers = false;
};

struct TokenizerImpl {
  BytePairEncoding model;
  std::vector<AddedToken> addedTokens;
  std::unordered_map<int32_t, size_t> addedTokenById;
  AddedTokenMatcher rawMatcher, normalizedMatcher;
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> preTokenizer;
  /// Absent: tokens are joined with spaces, as HF does without a decoder.
  std::optional<std::vector<DecoderStep>> decoder;
  /// What addSpecialTokens puts around the text.
  std::vector<int32_t> prefixIds, suffixIds;
  std::optional<int32_t> bosId;
  std::vector<int32_t> eosIds;
  std::optional<ChatTemplate> chatTemplate;
  /// Why there is no chatTemplate.
  std::string chatTemplateError = "the tokenizer has no chat template";

  /// Indexes addedTokens for matching and lookup; call once they are final.
  void indexAddedTokens();
  /// Recognises the chat template `source` and adds its end-of-turn token
  /// to eosIds.
  void setChatTemplate(std::string_view source, const std::string &bosToken,
                       const std::string &eosToken);

  std::optional<int32_t> findToken(std::string_view text) const;
  /// The string the decoder is given for token `id`, or null when no token
  /// has that id.
  const std::string *tokenText(int32_t id) const;
  bool isSpecial(int32_t id) const;
  size_t idLimit() const;
};

/// Applies the normalizer steps to `text`.
std::string normalize(std::string_view text,
                      const std::vector<NormalizerStep> &steps);

} // namespace mlrt::detail

#endif // MLRT_TOKENIZER_TOKENIZERIMPL_H
