//===- Tokenizer.cpp - Encoding text into token ids -----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The encode pipeline of HF tokenizers: split off added tokens in the raw
// text, normalize what is left, split off added tokens matched in normalized
// form, pre-tokenize, run the BPE model, add the post-processor's tokens.
//
//===----------------------------------------------------------------------===//

#include "TokenizerImpl.h"

#include "Unicode.h"

#include <algorithm>

using namespace mlrt;
using namespace mlrt::detail;

//===----------------------------------------------------------------------===//
// Added tokens
//===----------------------------------------------------------------------===//

void AddedTokenMatcher::add(std::string pattern, size_t token) {
  if (pattern.empty())
    return;
  auto &bucket = byFirstByte_[static_cast<uint8_t>(pattern[0])];
  bucket.emplace_back(std::move(pattern), token);
  std::stable_sort(bucket.begin(), bucket.end(),
                   [](const auto &a, const auto &b) {
                     return a.first.size() > b.first.size();
                   });
}

std::optional<AddedTokenMatcher::Match>
AddedTokenMatcher::findFirst(std::string_view text, size_t from) const {
  for (size_t i = from; i < text.size(); ++i)
    for (const auto &[pattern, token] :
         byFirstByte_[static_cast<uint8_t>(text[i])])
      if (text.compare(i, pattern.size(), pattern) == 0)
        return Match{i, i + pattern.size(), token};
  return std::nullopt;
}

namespace {

/// A stretch of text, or an added token found in it.
struct Segment {
  std::string_view text;
  std::optional<int32_t> id;
  size_t offset; ///< Of `text` in the string that was split.
};

/// The character that ends just before byte `end`.
char32_t charBefore(std::string_view text, size_t end) {
  size_t begin = end - 1;
  while (begin > 0 && end - begin < 4 &&
         (static_cast<uint8_t>(text[begin]) & 0xC0) == 0x80)
    --begin;
  unicode::DecodedChar c = unicode::decodeUtf8(text, begin);
  return begin + c.length == end ? c.codepoint : unicode::kReplacementChar;
}

/// Where the whitespace that ends at `end` starts, looking no further back
/// than `limit`.
size_t whitespaceStartBefore(std::string_view text, size_t limit, size_t end) {
  size_t start = end;
  for (size_t i = limit; i < end;) {
    unicode::DecodedChar c = unicode::decodeUtf8(text, i);
    if (!unicode::isWhitespace(c.codepoint))
      start = end;
    else if (start == end)
      start = i;
    i += c.length;
  }
  return start;
}

/// Where the whitespace that starts at `begin` ends.
size_t whitespaceEndAfter(std::string_view text, size_t begin) {
  while (begin < text.size()) {
    unicode::DecodedChar c = unicode::decodeUtf8(text, begin);
    if (!unicode::isWhitespace(c.codepoint))
      break;
    begin += c.length;
  }
  return begin;
}

/// Splits `text` at the added tokens `matcher` finds, honouring their
/// special, single_word, lstrip and rstrip flags (HF's
/// AddedVocabulary::find_matches).
std::vector<Segment> splitOnAddedTokens(const TokenizerImpl &impl,
                                        const AddedTokenMatcher &matcher,
                                        std::string_view text,
                                        bool parseSpecial) {
  std::vector<Segment> segments;
  size_t done = 0;
  for (size_t from = 0;;) {
    std::optional<AddedTokenMatcher::Match> match =
        matcher.findFirst(text, from);
    if (!match)
      break;
    const AddedToken &token = impl.addedTokens[match->token];
    size_t begin = match->begin, end = match->end;
    // A rejected match still consumes its text, as in HF.
    from = end;
    if (token.special && !parseSpecial)
      continue;
    if (token.singleWord &&
        ((begin > 0 && unicode::isWordChar(charBefore(text, begin))) ||
         (end < text.size() &&
          unicode::isWordChar(unicode::decodeUtf8(text, end).codepoint))))
      continue;
    if (token.lstrip)
      begin = whitespaceStartBefore(text, done, begin);
    if (token.rstrip)
      from = end = whitespaceEndAfter(text, end);
    if (done < begin)
      segments.push_back({text.substr(done, begin - done), std::nullopt, done});
    segments.push_back({text.substr(begin, end - begin), token.id, begin});
    done = end;
  }
  if (done < text.size())
    segments.push_back({text.substr(done), std::nullopt, done});
  return segments;
}

} // namespace

void TokenizerImpl::indexAddedTokens() {
  addedTokenById.clear();
  rawMatcher = normalizedMatcher = AddedTokenMatcher();
  for (size_t i = 0; i < addedTokens.size(); ++i) {
    AddedToken &token = addedTokens[i];
    addedTokenById[token.id] = i;
    token.decodedForm =
        token.normalized ? normalize(token.content, normalizer) : token.content;
    if (token.normalized)
      normalizedMatcher.add(token.decodedForm, i);
    else
      rawMatcher.add(token.content, i);
  }
}

std::string detail::normalize(std::string_view text,
                              const std::vector<NormalizerStep> &steps) {
  std::string result(text);
  for (const NormalizerStep &step : steps) {
    switch (step.kind) {
    case NormalizerStep::Kind::Prepend:
      if (!result.empty())
        result.insert(0, step.content);
      break;
    case NormalizerStep::Kind::Replace:
      result = replaceAll(result, step.pattern, step.content);
      break;
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

std::optional<int32_t> TokenizerImpl::findToken(std::string_view text) const {
  for (const AddedToken &token : addedTokens)
    if (token.content == text)
      return token.id;
  return model.vocabulary().find(text);
}

const std::string *TokenizerImpl::tokenText(int32_t id) const {
  auto it = addedTokenById.find(id);
  if (it != addedTokenById.end())
    return &addedTokens[it->second].decodedForm;
  return model.vocabulary().token(id);
}

bool TokenizerImpl::isSpecial(int32_t id) const {
  auto it = addedTokenById.find(id);
  return it != addedTokenById.end() && addedTokens[it->second].special;
}

size_t TokenizerImpl::idLimit() const {
  size_t limit = model.vocabulary().idLimit();
  for (const AddedToken &token : addedTokens)
    limit = std::max(limit, static_cast<size_t>(token.id) + 1);
  return limit;
}

void TokenizerImpl::setChatTemplate(std::string_view source,
                                    const std::string &bosToken,
                                    const std::string &eosToken) {
  Expected<ChatTemplate> recognized =
      ChatTemplate::recognize(source, bosToken, eosToken);
  if (!recognized) {
    chatTemplateError = recognized.takeError().message();
    return;
  }
  chatTemplate = std::move(*recognized);
  std::optional<int32_t> endOfTurn = findToken(chatTemplate->endOfTurnToken());
  if (endOfTurn &&
      std::find(eosIds.begin(), eosIds.end(), *endOfTurn) == eosIds.end())
    eosIds.push_back(*endOfTurn);
}

//===----------------------------------------------------------------------===//
// Tokenizer
//===----------------------------------------------------------------------===//

std::vector<int32_t> Tokenizer::encode(std::string_view text,
                                       const EncodeOptions &options) const {
  const TokenizerImpl &impl = *impl_;
  std::vector<int32_t> ids;
  if (options.addSpecialTokens)
    ids = impl.prefixIds;
  for (const Segment &segment : splitOnAddedTokens(
           impl, impl.rawMatcher, text, options.parseSpecialTokens)) {
    if (segment.id) {
      ids.push_back(*segment.id);
      continue;
    }
    std::string normalized = normalize(segment.text, impl.normalizer);
    for (const Segment &inner :
         splitOnAddedTokens(impl, impl.normalizedMatcher, normalized,
                            options.parseSpecialTokens)) {
      if (inner.id) {
        ids.push_back(*inner.id);
        continue;
      }
      Piece piece{std::string(inner.text),
                  segment.offset == 0 && inner.offset == 0};
      for (const Piece &part : preTokenize(std::move(piece), impl.preTokenizer))
        impl.model.encode(part.text, ids);
    }
  }
  if (options.addSpecialTokens)
    ids.insert(ids.end(), impl.suffixIds.begin(), impl.suffixIds.end());
  return ids;
}

Expected<std::string>
Tokenizer::applyChatTemplate(const std::vector<ChatMessage> &messages,
                             bool addGenerationPrompt) const {
  if (!impl_->chatTemplate)
    return Error(impl_->chatTemplateError);
  return impl_->chatTemplate->render(messages, addGenerationPrompt);
}

std::optional<int32_t> Tokenizer::tokenId(std::string_view token) const {
  return impl_->findToken(token);
}

std::optional<int32_t> Tokenizer::bosId() const { return impl_->bosId; }

std::vector<int32_t> Tokenizer::eosIds() const { return impl_->eosIds; }

size_t Tokenizer::vocabSize() const { return impl_->idLimit(); }
