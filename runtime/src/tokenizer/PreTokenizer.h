//===- PreTokenizer.h - Splitting text before BPE ---------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The pre-tokenizers of Hugging Face tokenizer.json files (ByteLevel, Digits,
// Split, Metaspace) and of llama.cpp's GGUF "pre" types. There is no regex
// engine: the few split regexes these tokenizers use are recognised by their
// text and matched by hand-written code with the same leftmost-first
// alternation semantics.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TOKENIZER_PRETOKENIZER_H
#define MLRT_TOKENIZER_PRETOKENIZER_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlrt::detail {

/// A split regex this runtime implements.
enum class SplitPattern {
  /// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
  /// ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Gpt2,
  /// Llama-3: (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Llama3,
  /// Qwen2: Llama-3 with \p{N} instead of \p{N}{1,3}.
  Qwen2,
  /// \p{N}: each number character alone.
  SingleNumber,
  /// \p{N}+
  NumberRun,
  /// [0-9][0-9][0-9]
  ThreeAsciiDigits,
  /// [\p{P}\$\+<=>\^~\|]+
  PunctuationRun,
};

/// The pattern whose regex text is `regex`, or nullopt.
std::optional<SplitPattern> findSplitPattern(std::string_view regex);

/// Names the recognised regexes, for error messages.
std::string describeSplitPatterns();

/// A piece of text on its way to the model.
struct Piece {
  std::string text;
  /// Whether the piece starts at offset 0 of the encoded text (Metaspace's
  /// prepend_scheme "first" prepends only there).
  bool atTextStart = false;
};

/// When Metaspace prepends its replacement character.
enum class PrependScheme { Always, First, Never };

/// One pre-tokenizer of a sequence.
struct PreTokenizerStep {
  enum class Kind { Split, Digits, ByteLevel, Metaspace };
  Kind kind = Kind::Split;
  SplitPattern pattern = SplitPattern::Gpt2; ///< Split.
  bool individualDigits = false;             ///< Digits.
  bool addPrefixSpace = false;               ///< ByteLevel.
  bool useRegex = true;                      ///< ByteLevel: split with Gpt2.
  std::string replacement;                   ///< Metaspace ("▁").
  PrependScheme prependScheme = PrependScheme::Always; ///< Metaspace.
  bool splitOnReplacement = false;                     ///< Metaspace.
};

/// Applies `steps` in order, each to every piece the previous ones produced
/// (as HF's Sequence does); empty pieces are dropped.
std::vector<Piece> preTokenize(Piece input,
                               const std::vector<PreTokenizerStep> &steps);

/// Every occurrence of `from` in `text` replaced by `to`.
std::string replaceAll(std::string_view text, std::string_view from,
                       std::string_view to);

} // namespace mlrt::detail

#endif // MLRT_TOKENIZER_PRETOKENIZER_H
