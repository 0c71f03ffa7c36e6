//===- BytePairEncoding.cpp - The BPE tokenizer model ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "BytePairEncoding.h"

#include "Unicode.h"

#include <cmath>
#include <cstdio>
#include <queue>

using namespace mlrt;
using namespace mlrt::detail;

Status Vocabulary::add(std::string token, int64_t id) {
  if (id < 0 || id >= kMaxId)
    return Error() << "token id " << id << " of '" << token
                   << "' is outside the supported range [0, " << kMaxId << ")";
  if (static_cast<size_t>(id) >= tokens_.size())
    tokens_.resize(id + 1);
  if (tokens_[id])
    return Error() << "token id " << id << " is given to both '" << *tokens_[id]
                   << "' and '" << token << "'";
  auto [it, inserted] = ids_.emplace(token, static_cast<int32_t>(id));
  if (!inserted)
    return Error() << "token '" << token << "' appears twice, as ids "
                   << it->second << " and " << id;
  tokens_[id] = std::move(token);
  return Status::ok();
}

std::optional<int32_t> Vocabulary::find(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  if (it == ids_.end())
    return std::nullopt;
  return it->second;
}

const std::string *Vocabulary::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !tokens_[id])
    return nullptr;
  return &*tokens_[id];
}

namespace {

using Symbol = BpeSymbol;

/// Merges adjacent symbols while `lookup(left, right)` names a merge, the
/// smallest priority first and the leftmost on ties; returns the survivors.
/// `lookup` gives an optional (priority, merged id).
template <typename Priority, typename Lookup>
std::vector<Symbol> mergeAdjacent(std::vector<Symbol> symbols, Lookup lookup) {
  struct Candidate {
    Priority priority;
    int32_t left;
    int32_t id;
  };
  auto runsLater = [](const Candidate &a, const Candidate &b) {
    return a.priority != b.priority ? a.priority > b.priority : a.left > b.left;
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(runsLater)>
      queue(runsLater);
  auto consider = [&](int32_t left) {
    if (left < 0 || symbols[left].next < 0)
      return;
    if (auto merge = lookup(symbols[left], symbols[symbols[left].next]))
      queue.push({merge->first, left, merge->second});
  };

  int32_t count = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[i].prev = i - 1;
    symbols[i].next = i + 1 < count ? i + 1 : -1;
  }
  for (int32_t i = 0; i + 1 < count; ++i)
    consider(i);

  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.left];
    if (!left.alive || left.next < 0)
      continue;
    Symbol &right = symbols[left.next];
    // An entry is stale once either side has merged with something else.
    auto current = lookup(left, right);
    if (!current || current->second != top.id)
      continue;
    left.id = top.id;
    left.end = right.end;
    left.next = right.next;
    right.alive = false;
    if (left.next >= 0)
      symbols[left.next].prev = top.left;
    consider(left.prev);
    consider(top.left);
  }

  std::vector<Symbol> survivors;
  for (const Symbol &symbol : symbols)
    if (symbol.alive)
      survivors.push_back(symbol);
  return survivors;
}

uint64_t pairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
         static_cast<uint32_t>(right);
}

/// The ids of the <0xXX> tokens, -1 where missing.
std::vector<int32_t> findByteTokens(const Vocabulary &vocabulary) {
  std::vector<int32_t> ids(256, -1);
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    ids[byte] = vocabulary.find(name).value_or(-1);
  }
  return ids;
}

} // namespace

Expected<BytePairEncoding> BytePairEncoding::withMergeRanks(
    Vocabulary vocabulary,
    const std::vector<std::pair<std::string, std::string>> &merges,
    Options options) {
  BytePairEncoding model(std::move(vocabulary), MergeOrder::ByRank, options);
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto &[left, right] = merges[rank];
    std::string merged = left + right;
    std::optional<int32_t> leftId = model.vocabulary_.find(left);
    std::optional<int32_t> rightId = model.vocabulary_.find(right);
    std::optional<int32_t> mergedId = model.vocabulary_.find(merged);
    const std::string *missing = !leftId     ? &left
                                 : !rightId  ? &right
                                 : !mergedId ? &merged
                                             : nullptr;
    if (missing)
      return Error() << "merge " << rank << " ('" << left << " " << right
                     << "') needs '" << *missing
                     << "', which is not in the vocabulary";
    // Later duplicates overwrite earlier ones, as in HF's merge map.
    model.merges_[pairKey(*leftId, *rightId)] = {static_cast<uint32_t>(rank),
                                                 *mergedId};
  }
  if (options.byteFallback)
    model.byteTokens_ = findByteTokens(model.vocabulary_);
  return model;
}

Expected<BytePairEncoding>
BytePairEncoding::withScores(Vocabulary vocabulary, std::vector<float> scores,
                             Options options) {
  if (scores.size() != vocabulary.idLimit())
    return Error() << "expected one score per token (" << vocabulary.idLimit()
                   << "), found " << scores.size();
  for (size_t id = 0; id < scores.size(); ++id)
    if (!std::isfinite(scores[id]))
      return Error() << "the score of token " << id << " is not a number";
  BytePairEncoding model(std::move(vocabulary), MergeOrder::ByScore, options);
  model.scores_ = std::move(scores);
  if (options.byteFallback)
    model.byteTokens_ = findByteTokens(model.vocabulary_);
  return model;
}

std::vector<Symbol>
BytePairEncoding::splitIntoCharacters(std::string_view piece) const {
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < piece.size();) {
    size_t length = unicode::decodeUtf8(piece, i).length;
    int32_t id = vocabulary_.find(piece.substr(i, length)).value_or(-1);
    symbols.push_back(
        {id, static_cast<uint32_t>(i), static_cast<uint32_t>(i + length)});
    i += length;
  }
  return symbols;
}

std::vector<Symbol>
BytePairEncoding::resolveUnknown(std::string_view piece,
                                 const std::vector<Symbol> &symbols) const {
  std::vector<Symbol> resolved;
  bool lastWasUnknownToken = false;
  for (const Symbol &symbol : symbols) {
    if (symbol.id >= 0) {
      resolved.push_back(symbol);
      lastWasUnknownToken = false;
      continue;
    }
    std::string_view bytes =
        piece.substr(symbol.begin, symbol.end - symbol.begin);
    bool haveAllBytes = byteTokens_.has_value();
    for (size_t i = 0; haveAllBytes && i < bytes.size(); ++i)
      haveAllBytes = (*byteTokens_)[static_cast<uint8_t>(bytes[i])] >= 0;
    if (haveAllBytes) {
      for (size_t i = 0; i < bytes.size(); ++i) {
        uint32_t at = symbol.begin + static_cast<uint32_t>(i);
        resolved.push_back(
            {(*byteTokens_)[static_cast<uint8_t>(bytes[i])], at, at + 1});
      }
      lastWasUnknownToken = false;
    } else if (options_.unknownId) {
      if (lastWasUnknownToken && options_.fuseUnknown)
        resolved.back().end = symbol.end;
      else
        resolved.push_back({*options_.unknownId, symbol.begin, symbol.end});
      lastWasUnknownToken = true;
    }
    // Without byte tokens or an unknown token the character is dropped, as
    // HF tokenizers does.
  }
  return resolved;
}

void BytePairEncoding::mergeByRank(std::vector<Symbol> &symbols) const {
  symbols = mergeAdjacent<uint32_t>(
      std::move(symbols),
      [&](const Symbol &left,
          const Symbol &right) -> std::optional<std::pair<uint32_t, int32_t>> {
        auto it = merges_.find(pairKey(left.id, right.id));
        if (it == merges_.end())
          return std::nullopt;
        return std::pair(it->second.rank, it->second.id);
      });
}

void BytePairEncoding::mergeByScore(std::string_view piece,
                                    std::vector<Symbol> &symbols) const {
  // Higher scores merge first: order by the negated score.
  symbols = mergeAdjacent<float>(
      std::move(symbols),
      [&](const Symbol &left,
          const Symbol &right) -> std::optional<std::pair<float, int32_t>> {
        std::optional<int32_t> id =
            vocabulary_.find(piece.substr(left.begin, right.end - left.begin));
        if (!id)
          return std::nullopt;
        return std::pair(-scores_[*id], *id);
      });
}

void BytePairEncoding::encode(std::string_view piece,
                              std::vector<int32_t> &ids) const {
  if (piece.empty())
    return;
  if (options_.ignoreMerges) {
    if (std::optional<int32_t> id = vocabulary_.find(piece)) {
      ids.push_back(*id);
      return;
    }
  }
  std::vector<Symbol> symbols = splitIntoCharacters(piece);
  if (order_ == MergeOrder::ByRank) {
    // HF replaces unknown characters before merging ...
    symbols = resolveUnknown(piece, symbols);
    mergeByRank(symbols);
  } else {
    // ... llama.cpp's SentencePiece tokenizer after.
    mergeByScore(piece, symbols);
    symbols = resolveUnknown(piece, symbols);
  }
  for (const Symbol &symbol : symbols)
    ids.push_back(symbol.id);
}
