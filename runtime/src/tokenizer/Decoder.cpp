//===- Decoder.cpp - Token ids back to text -------------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// HF tokenizers' decoders. Each maps the list of token strings to a new list
// (decode_chain), so a sequence behaves exactly as in HF: e.g. Strip after
// Fuse strips the whole text once, not every token.
//
//===----------------------------------------------------------------------===//

#include "TokenizerImpl.h"

#include "Unicode.h"

using namespace mlrt;
using namespace mlrt::detail;

namespace {

using Tokens = std::vector<std::string>;

/// The byte a "<0xXX>" token stands for.
std::optional<uint8_t> byteOfToken(std::string_view token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>')
    return std::nullopt;
  auto hexDigit = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  int high = hexDigit(token[3]), low = hexDigit(token[4]);
  if (high < 0 || low < 0)
    return std::nullopt;
  return static_cast<uint8_t>(high * 16 + low);
}

/// The bytes a byte-level token stands for; a token with characters outside
/// the byte map is taken as it is.
std::string byteLevelBytes(std::string_view token) {
  std::string bytes;
  for (size_t i = 0; i < token.size();) {
    unicode::DecodedChar c = unicode::decodeUtf8(token, i);
    int byte = unicode::charToByte(c.codepoint);
    if (!c.valid || byte < 0)
      return std::string(token);
    bytes += static_cast<char>(byte);
    i += c.length;
  }
  return bytes;
}

/// Runs of byte tokens become their UTF-8 text, or one U+FFFD per byte when
/// the run is not valid UTF-8.
Tokens decodeByteFallback(Tokens tokens) {
  Tokens result;
  std::string run;
  auto flush = [&]() {
    if (run.empty())
      return;
    if (unicode::isValidUtf8(run)) {
      result.push_back(run);
    } else {
      for (size_t i = 0; i < run.size(); ++i)
        result.emplace_back("\xEF\xBF\xBD");
    }
    run.clear();
  };
  for (std::string &token : tokens) {
    if (std::optional<uint8_t> byte = byteOfToken(token)) {
      run += static_cast<char>(*byte);
      continue;
    }
    flush();
    result.push_back(std::move(token));
  }
  flush();
  return result;
}

/// Removes up to `start` leading and `stop` trailing `content` characters.
std::string strip(const std::string &token, std::string_view content,
                  size_t start, size_t stop) {
  if (content.empty())
    return token;
  size_t begin = 0, end = token.size();
  for (size_t i = 0;
       i < start && token.compare(begin, content.size(), content) == 0; ++i)
    begin += content.size();
  for (size_t i = 0;
       i < stop && end >= begin + content.size() &&
       token.compare(end - content.size(), content.size(), content) == 0;
       ++i)
    end -= content.size();
  return token.substr(begin, end - begin);
}

Tokens applyStep(const DecoderStep &step, Tokens tokens) {
  switch (step.kind) {
  case DecoderStep::Kind::ByteLevel: {
    std::string bytes;
    for (const std::string &token : tokens)
      bytes += byteLevelBytes(token);
    return {unicode::toValidUtf8(bytes)};
  }
  case DecoderStep::Kind::ByteFallback:
    return decodeByteFallback(std::move(tokens));
  case DecoderStep::Kind::Fuse: {
    std::string joined;
    for (const std::string &token : tokens)
      joined += token;
    return {joined};
  }
  case DecoderStep::Kind::Replace:
    for (std::string &token : tokens)
      token = replaceAll(token, step.pattern, step.content);
    return tokens;
  case DecoderStep::Kind::Strip:
    for (std::string &token : tokens)
      token = strip(token, step.content, step.stripStart, step.stripStop);
    return tokens;
  case DecoderStep::Kind::Metaspace:
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = replaceAll(tokens[i], step.content,
                             i == 0 && step.dropFirstMarkers ? "" : " ");
    return tokens;
  }
  return tokens;
}

} // namespace

Expected<std::string> Tokenizer::decode(const std::vector<int32_t> &ids,
                                        bool skipSpecialTokens) const {
  const TokenizerImpl &impl = *impl_;
  Tokens tokens;
  for (int32_t id : ids) {
    const std::string *text = impl.tokenText(id);
    if (!text)
      return Error() << "cannot decode token id " << id
                     << ": the vocabulary has no such id (size "
                     << impl.idLimit() << ")";
    if (!skipSpecialTokens || !impl.isSpecial(id))
      tokens.push_back(*text);
  }
  std::string separator;
  if (impl.decoder) {
    for (const DecoderStep &step : *impl.decoder)
      tokens = applyStep(step, std::move(tokens));
  } else {
    separator = " "; // HF joins the tokens with spaces without a decoder.
  }
  std::string text;
  for (size_t i = 0; i < tokens.size(); ++i)
    text += (i ? separator : "") + tokens[i];
  return text;
}

Expected<std::string> Tokenizer::tokenPiece(int32_t id) const {
  const TokenizerImpl &impl = *impl_;
  const std::string *text = impl.tokenText(id);
  if (!text)
    return Error() << "cannot decode token id " << id
                   << ": the vocabulary has no such id (size " << impl.idLimit()
                   << ")";
  std::string piece = *text;
  if (!impl.decoder)
    return piece;
  for (const DecoderStep &step : *impl.decoder) {
    switch (step.kind) {
    case DecoderStep::Kind::ByteLevel:
      piece = byteLevelBytes(piece);
      break;
    case DecoderStep::Kind::ByteFallback:
      if (std::optional<uint8_t> byte = byteOfToken(piece))
        piece = std::string(1, static_cast<char>(*byte));
      break;
    case DecoderStep::Kind::Replace:
      piece = replaceAll(piece, step.pattern, step.content);
      break;
    case DecoderStep::Kind::Metaspace:
      piece = replaceAll(piece, step.content, " ");
      break;
    case DecoderStep::Kind::Fuse:
    case DecoderStep::Kind::Strip:
      // Joining is the caller's; stripping the text's start is decode's.
      break;
    }
  }
  return piece;
}
