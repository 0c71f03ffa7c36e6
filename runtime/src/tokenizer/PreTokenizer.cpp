//===- PreTokenizer.cpp - Splitting text before BPE -----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "PreTokenizer.h"
#include "mlrt/Utf8.h"

#include "Unicode.h"

#include <algorithm>
#include <cstdint>

using namespace mlrt;
using namespace mlrt::detail;
using unicode::isLetter;
using unicode::isNumber;
using unicode::isWhitespace;

namespace {

struct KnownPattern {
  const char *regex;
  SplitPattern pattern;
};

// HF tokenizer.json spellings first, then llama.cpp's (llama-vocab.cpp),
// which writes (?i:...) as ASCII classes and drops GPT-2's redundant \s+.
// Both spellings match alike here, except that U+017F 'ſ' counts as 's' in
// Llama-3's contractions, as with HF's case-insensitive regex.
const KnownPattern kKnownPatterns[] = {
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
     SplitPattern::Gpt2},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     SplitPattern::Llama3},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     SplitPattern::Qwen2},
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
     SplitPattern::Gpt2},
    {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     SplitPattern::Llama3},
    {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     SplitPattern::Qwen2},
    {R"(\p{N})", SplitPattern::SingleNumber},
    {R"(\p{N}+)", SplitPattern::NumberRun},
    {R"([0-9][0-9][0-9])", SplitPattern::ThreeAsciiDigits},
    {R"([\p{P}\$\+<=>\^~\|]+)", SplitPattern::PunctuationRun},
};

using Chars = std::vector<char32_t>;

bool isLineBreak(char32_t c) { return c == '\r' || c == '\n'; }

/// [^\s\p{L}\p{N}]
bool isOther(char32_t c) {
  return !isWhitespace(c) && !isLetter(c) && !isNumber(c);
}

/// [\p{P}\$\+<=>\^~\|]
bool isPunctuationOrSymbol(char32_t c) {
  return unicode::isPunctuation(c) || c == '$' || c == '+' || c == '<' ||
         c == '=' || c == '>' || c == '^' || c == '~' || c == '|';
}

/// The number of characters from `i` on (at most `max`) that satisfy `is`.
template <typename Predicate>
size_t runLength(const Chars &s, size_t i, Predicate is,
                 size_t max = SIZE_MAX) {
  size_t n = 0;
  while (i + n < s.size() && n < max && is(s[i + n]))
    ++n;
  return n;
}

/// 's|'t|'re|'ve|'m|'ll|'d, case-insensitively for (?i:...).
size_t matchContraction(const Chars &s, size_t i, bool ignoreCase) {
  if (s[i] != '\'')
    return 0;
  auto letterAt = [&](size_t k) -> char32_t {
    if (k >= s.size())
      return 0;
    char32_t c = s[k];
    if (!ignoreCase)
      return c;
    if (c >= 'A' && c <= 'Z')
      return c - 'A' + 'a';
    return c == 0x017F ? 's' : c; // LATIN SMALL LETTER LONG S folds to s.
  };
  char32_t first = letterAt(i + 1), second = letterAt(i + 2);
  if (first == 's' || first == 't' || first == 'm' || first == 'd')
    return 2;
  if ((first == 'r' && second == 'e') || (first == 'v' && second == 'e') ||
      (first == 'l' && second == 'l'))
    return 3;
  return 0;
}

/// \s+(?!\S)|\s+ : a run of whitespace, less its last character when a
/// non-space follows (that character then goes with the next word).
size_t matchWhitespace(const Chars &s, size_t i) {
  size_t n = runLength(s, i, isWhitespace);
  return n > 1 && i + n < s.size() ? n - 1 : n;
}

size_t matchGpt2(const Chars &s, size_t i) {
  if (size_t n = matchContraction(s, i, /*ignoreCase=*/false))
    return n;
  // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional space, then a run of
  // one class.
  size_t start = i + (s[i] == ' ' ? 1 : 0);
  for (bool (*is)(char32_t) : {isLetter, isNumber, isOther})
    if (size_t n = runLength(s, start, is))
      return start - i + n;
  return matchWhitespace(s, i);
}

size_t matchLlama3(const Chars &s, size_t i, size_t maxDigits) {
  if (size_t n = matchContraction(s, i, /*ignoreCase=*/true))
    return n;
  char32_t c = s[i];
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (isLetter(c))
    return runLength(s, i, isLetter);
  if (!isLineBreak(c) && !isNumber(c) && i + 1 < s.size() && isLetter(s[i + 1]))
    return 1 + runLength(s, i + 1, isLetter);
  // \p{N}{1,3}
  if (isNumber(c))
    return runLength(s, i, isNumber, maxDigits);
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  size_t start = i + (c == ' ' ? 1 : 0);
  if (size_t n = runLength(s, start, isOther))
    return start - i + n + runLength(s, start + n, isLineBreak);
  // \s*[\r\n]+ : whitespace up to and including its last line break.
  for (size_t n = runLength(s, i, isWhitespace); n > 0; --n)
    if (isLineBreak(s[i + n - 1]))
      return n;
  return matchWhitespace(s, i);
}

/// The length in characters of the match of `pattern` at `i`, 0 for none.
size_t matchAt(SplitPattern pattern, const Chars &s, size_t i) {
  switch (pattern) {
  case SplitPattern::Gpt2:
    return matchGpt2(s, i);
  case SplitPattern::Llama3:
    return matchLlama3(s, i, 3);
  case SplitPattern::Qwen2:
    return matchLlama3(s, i, 1);
  case SplitPattern::SingleNumber:
    return isNumber(s[i]) ? 1 : 0;
  case SplitPattern::NumberRun:
    return runLength(s, i, isNumber);
  case SplitPattern::ThreeAsciiDigits:
    return runLength(
               s, i, [](char32_t c) { return c >= '0' && c <= '9'; }, 3) == 3
               ? 3
               : 0;
  case SplitPattern::PunctuationRun:
    return runLength(s, i, isPunctuationOrSymbol);
  }
  return 0;
}

/// Splits `piece` into the matches of `pattern` and the text between them,
/// all kept in order (HF's "Isolated" behaviour).
void splitIsolated(const Piece &piece, SplitPattern pattern,
                   std::vector<Piece> &out) {
  Chars chars;
  std::vector<size_t> offsets; // Byte offset of each character, then the end.
  for (size_t i = 0; i < piece.text.size();) {
    unicode::DecodedChar c = unicode::decodeUtf8(piece.text, i);
    chars.push_back(c.codepoint);
    offsets.push_back(i);
    i += c.length;
  }
  offsets.push_back(piece.text.size());

  auto emit = [&](size_t from, size_t to) {
    if (from < to)
      out.push_back(
          {piece.text.substr(offsets[from], offsets[to] - offsets[from]),
           piece.atTextStart && from == 0});
  };
  size_t unmatchedFrom = 0;
  for (size_t i = 0; i < chars.size();) {
    size_t n = matchAt(pattern, chars, i);
    if (n == 0) {
      ++i;
      continue;
    }
    emit(unmatchedFrom, i);
    emit(i, i + n);
    i += n;
    unmatchedFrom = i;
  }
  emit(unmatchedFrom, chars.size());
}

std::string mapBytesToChars(std::string_view text) {
  std::string mapped;
  mapped.reserve(text.size() * 2);
  for (char byte : text)
    mlrt::appendUtf8(mapped,
                        unicode::byteToChar(static_cast<uint8_t>(byte)));
  return mapped;
}

void applyMetaspace(const PreTokenizerStep &step, const Piece &piece,
                    std::vector<Piece> &out) {
  const std::string &marker = step.replacement;
  std::string text = replaceAll(piece.text, " ", marker);
  bool prepend =
      step.prependScheme == PrependScheme::Always ||
      (step.prependScheme == PrependScheme::First && piece.atTextStart);
  if (prepend && text.compare(0, marker.size(), marker) != 0)
    text.insert(0, marker);
  if (!step.splitOnReplacement) {
    out.push_back({std::move(text), piece.atTextStart});
    return;
  }
  // Each marker starts a new piece (HF's "MergedWithNext").
  size_t begin = 0;
  for (size_t pos = text.find(marker, 1); pos != std::string::npos;
       pos = text.find(marker, pos + marker.size())) {
    out.push_back(
        {text.substr(begin, pos - begin), piece.atTextStart && begin == 0});
    begin = pos;
  }
  out.push_back({text.substr(begin), piece.atTextStart && begin == 0});
}

void applyStep(const PreTokenizerStep &step, const Piece &piece,
               std::vector<Piece> &out) {
  switch (step.kind) {
  case PreTokenizerStep::Kind::Split:
    splitIsolated(piece, step.pattern, out);
    return;
  case PreTokenizerStep::Kind::Digits:
    splitIsolated(piece,
                  step.individualDigits ? SplitPattern::SingleNumber
                                        : SplitPattern::NumberRun,
                  out);
    return;
  case PreTokenizerStep::Kind::ByteLevel: {
    Piece prefixed = piece;
    // HF prefixes every piece, not only the first of the text.
    if (step.addPrefixSpace && prefixed.text.compare(0, 1, " ") != 0)
      prefixed.text.insert(0, " ");
    size_t first = out.size();
    if (step.useRegex)
      splitIsolated(prefixed, SplitPattern::Gpt2, out);
    else
      out.push_back(std::move(prefixed));
    for (size_t i = first; i < out.size(); ++i)
      out[i].text = mapBytesToChars(out[i].text);
    return;
  }
  case PreTokenizerStep::Kind::Metaspace:
    applyMetaspace(step, piece, out);
    return;
  }
}

} // namespace

std::string detail::replaceAll(std::string_view text, std::string_view from,
                               std::string_view to) {
  if (from.empty())
    return std::string(text);
  std::string result;
  for (size_t pos = 0;;) {
    size_t next = text.find(from, pos);
    result.append(text.substr(pos, next - pos));
    if (next == std::string_view::npos)
      return result;
    result.append(to);
    pos = next + from.size();
  }
}

std::optional<SplitPattern> detail::findSplitPattern(std::string_view regex) {
  for (const KnownPattern &known : kKnownPatterns)
    if (regex == known.regex)
      return known.pattern;
  return std::nullopt;
}

std::string detail::describeSplitPatterns() {
  std::string names;
  for (const KnownPattern &known : kKnownPatterns) {
    if (!names.empty())
      names += ", ";
    names += known.regex;
  }
  return names;
}

std::vector<Piece>
detail::preTokenize(Piece input, const std::vector<PreTokenizerStep> &steps) {
  std::vector<Piece> pieces;
  if (!input.text.empty())
    pieces.push_back(std::move(input));
  for (const PreTokenizerStep &step : steps) {
    std::vector<Piece> next;
    for (const Piece &piece : pieces)
      applyStep(step, piece, next);
    next.erase(std::remove_if(next.begin(), next.end(),
                              [](const Piece &p) { return p.text.empty(); }),
               next.end());
    pieces = std::move(next);
  }
  return pieces;
}
