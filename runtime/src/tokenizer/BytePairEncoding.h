//===- BytePairEncoding.h - The BPE tokenizer model -------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Turns one pre-tokenized piece into token ids by byte-pair merging, in
// either of two orders:
//  - by merge rank (HF tokenizers' BPE model, llama.cpp's "gpt2" vocab):
//    the listed pair with the lowest rank merges first;
//  - by score (llama.cpp's "llama" SentencePiece vocab): any two adjacent
//    pieces whose concatenation is a token merge, highest token score first.
// Ties go to the leftmost pair. Characters missing from the vocabulary
// become <0xXX> byte tokens (byte fallback) or the unknown token.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_TOKENIZER_BYTEPAIRENCODING_H
#define MLRT_TOKENIZER_BYTEPAIRENCODING_H

#include "mlrt/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mlrt::detail {

/// Token strings by id and ids by string. Ids may have holes.
class Vocabulary {
public:
  /// Large enough for any real vocabulary, small enough to index directly.
  static constexpr int64_t kMaxId = 1 << 24;

  /// Adds `token` as `id`; fails on a duplicate token or id.
  Status add(std::string token, int64_t id);

  std::optional<int32_t> find(std::string_view token) const;
  /// The token of `id`, or null for an id without one.
  const std::string *token(int32_t id) const;
  /// One past the largest id.
  size_t idLimit() const { return tokens_.size(); }

private:
  std::vector<std::optional<std::string>> tokens_;
  std::unordered_map<std::string, int32_t> ids_;
};

/// A run of a piece's bytes that is one token, or a character without a
/// token (id -1). Symbols form a list that merging shortens.
struct BpeSymbol {
  int32_t id;
  uint32_t begin, end;
  int32_t prev = -1, next = -1;
  bool alive = true;
};

class BytePairEncoding {
public:
  struct Options {
    /// Emit <0xXX> tokens for characters not in the vocabulary.
    bool byteFallback = false;
    /// A piece that is itself a token is emitted whole (Llama-3).
    bool ignoreMerges = false;
    /// Emitted for characters without a token; dropped when absent.
    std::optional<int32_t> unknownId;
    /// Consecutive unknown characters give one unknown token.
    bool fuseUnknown = false;
  };

  /// An empty model: every character is unknown.
  BytePairEncoding() = default;

  /// A model merging by rank: merges[i] has rank i. Every merge's parts and
  /// result must be tokens. A pair listed twice keeps its last rank, as in
  /// HF tokenizers.
  static Expected<BytePairEncoding>
  withMergeRanks(Vocabulary vocabulary,
                 const std::vector<std::pair<std::string, std::string>> &merges,
                 Options options);

  /// A model merging by score: scores[id] is the score of token id.
  static Expected<BytePairEncoding>
  withScores(Vocabulary vocabulary, std::vector<float> scores, Options options);

  /// Appends the ids of `piece` to `ids`.
  void encode(std::string_view piece, std::vector<int32_t> &ids) const;

  const Vocabulary &vocabulary() const { return vocabulary_; }

private:
  using Symbol = BpeSymbol;
  struct MergeTarget {
    uint32_t rank;
    int32_t id;
  };

  enum class MergeOrder { ByRank, ByScore };

  BytePairEncoding(Vocabulary vocabulary, MergeOrder order, Options options)
      : vocabulary_(std::move(vocabulary)), order_(order), options_(options) {}

  std::vector<Symbol> splitIntoCharacters(std::string_view piece) const;
  std::vector<Symbol> resolveUnknown(std::string_view piece,
                                     const std::vector<Symbol> &symbols) const;
  void mergeByRank(std::vector<Symbol> &symbols) const;
  void mergeByScore(std::string_view piece, std::vector<Symbol> &symbols) const;

  Vocabulary vocabulary_;
  MergeOrder order_ = MergeOrder::ByRank;
  Options options_;
  /// Merge by rank: (left id, right id) -> rank and merged id.
  std::unordered_map<uint64_t, MergeTarget> merges_;
  /// Merge by score: indexed by token id.
  std::vector<float> scores_;
  /// The <0xXX> token of each byte, when all 256 exist.
  std::optional<std::vector<int32_t>> byteTokens_;
};

} // namespace mlrt::detail

#endif // MLRT_TOKENIZER_BYTEPAIRENCODING_H
