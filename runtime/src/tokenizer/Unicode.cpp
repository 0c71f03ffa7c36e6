//===- Unicode.cpp - UTF-8 and character classes for tokenizers -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "Unicode.h"
#include "mlrt/Utf8.h"

#include <algorithm>
#include <array>

using namespace mlrt;
using namespace mlrt::unicode;

DecodedChar unicode::decodeUtf8(std::string_view text, size_t offset) {
  auto byteAt = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t lead = byteAt(offset);
  if (lead < 0x80)
    return {lead, 1, true};
  // Table 3-7 of the Unicode standard: the range of the second byte depends
  // on the lead byte; later bytes are 80..BF.
  size_t length;
  char32_t codepoint;
  uint8_t low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, codepoint = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, codepoint = lead & 0x0F;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, codepoint = lead & 0x07;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return {kReplacementChar, 1, false};
  }
  for (size_t i = 1; i < length; ++i) {
    if (offset + i >= text.size())
      return {kReplacementChar, i, false};
    uint8_t next = byteAt(offset + i);
    if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF))
      return {kReplacementChar, i, false};
    codepoint = (codepoint << 6) | (next & 0x3F);
  }
  return {codepoint, length, true};
}

bool unicode::isValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    DecodedChar c = decodeUtf8(text, i);
    if (!c.valid)
      return false;
    i += c.length;
  }
  return true;
}

std::string unicode::toValidUtf8(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    DecodedChar c = decodeUtf8(bytes, i);
    if (c.valid)
      text.append(bytes.substr(i, c.length));
    else
      mlrt::appendUtf8(text, kReplacementChar);
    i += c.length;
  }
  return text;
}

Category unicode::categoryOf(char32_t c) {
  const CategoryRange *end = kCategoryRanges + kCategoryRangeCount;
  const CategoryRange *it = std::upper_bound(
      kCategoryRanges, end, c,
      [](char32_t value, const CategoryRange &r) { return value < r.first; });
  if (it == kCategoryRanges)
    return Category::Other;
  --it;
  return c <= it->last ? it->category : Category::Other;
}

bool unicode::isWhitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool unicode::isPythonSpace(char32_t c) {
  return isWhitespace(c) || (c >= 0x1C && c <= 0x1F);
}

bool unicode::isWordChar(char32_t c) {
  Category category = categoryOf(c);
  return category == Category::Letter || category == Category::Mark ||
         category == Category::Number || c == '_' || c == 0x203F ||
         c == 0x2040 || c == 0x2054 || c == 0xFE33 || c == 0xFE34 ||
         (c >= 0xFE4D && c <= 0xFE4F) || c == 0xFF3F;
}

namespace {
/// Both directions of GPT-2's byte map, built once.
struct ByteCharMap {
  std::array<char32_t, 256> byteToChar{};
  std::array<int16_t, 324> charToByte{}; // Mapped chars are all < U+0144.

  ByteCharMap() {
    charToByte.fill(-1);
    auto keepsItsValue = [](unsigned b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
             (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      byteToChar[b] = keepsItsValue(b) ? b : next++;
      charToByte[byteToChar[b]] = static_cast<int16_t>(b);
    }
  }
};
const ByteCharMap &byteCharMap() {
  static const ByteCharMap map;
  return map;
}
} // namespace

char32_t unicode::byteToChar(uint8_t byte) {
  return byteCharMap().byteToChar[byte];
}

int unicode::charToByte(char32_t c) {
  const auto &table = byteCharMap().charToByte;
  return c < table.size() ? table[c] : -1;
}
