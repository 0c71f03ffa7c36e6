//===- Json.cpp - A small JSON reader and writer --------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Json.h"
#include "mlrt/Utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace mlrt;
using namespace mlrt::json;

const Value *Value::get(std::string_view key) const {
  if (kind_ != Kind::Object)
    return nullptr;
  for (const Member &m : object_)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

Value &Value::set(std::string key, Value value) {
  if (kind_ != Kind::Object) {
    *this = Value(Object());
  }
  for (Member &m : object_)
    if (m.first == key) {
      m.second = std::move(value);
      return m.second;
    }
  object_.emplace_back(std::move(key), std::move(value));
  return object_.back().second;
}

const char *Value::describe(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "a boolean";
  case Kind::Number:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {
constexpr int kMaxDepth = 256;

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  Expected<Value> parseDocument() {
    Value value;
    if (!parseValue(value, 0))
      return error_;
    skipSpace();
    if (pos_ != text_.size())
      return fail("unexpected text after the JSON value"), error_;
    return value;
  }

private:
  bool fail(const std::string &what) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    error_ = Error() << "JSON error at line " << line << ", column " << column
                     << ": " << what;
    return false;
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      return false;
    pos_ += word.size();
    return true;
  }

  bool parseValue(Value &out, int depth) {
    if (depth > kMaxDepth)
      return fail("nesting deeper than 256 levels");
    skipSpace();
    if (pos_ >= text_.size())
      return fail("unexpected end of input, expected a value");
    char c = text_[pos_];
    if (c == '{')
      return parseObject(out, depth);
    if (c == '[')
      return parseArray(out, depth);
    if (c == '"') {
      std::string s;
      if (!parseString(s))
        return false;
      out = Value(std::move(s));
      return true;
    }
    if (consume("true")) {
      out = Value(true);
      return true;
    }
    if (consume("false")) {
      out = Value(false);
      return true;
    }
    if (consume("null")) {
      out = Value();
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(out);
    return fail(std::string("unexpected character '") + c + "'");
  }

  bool parseNumber(Value &out) {
    size_t start = pos_;
    if (text_[pos_] == '-')
      ++pos_;
    auto digits = [&] {
      size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
        ++pos_;
      return pos_ - begin;
    };
    if (digits() == 0)
      return fail("expected digits in a number");
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      integral = false;
      if (digits() == 0)
        return fail("expected digits after the decimal point");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      integral = false;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
      if (digits() == 0)
        return fail("expected digits in the exponent");
    }
    const char *first = text_.data() + start, *last = text_.data() + pos_;
    if (integral) {
      int64_t v;
      auto [ptr, ec] = std::from_chars(first, last, v);
      if (ec == std::errc() && ptr == last) {
        out = Value(v);
        return true;
      }
    }
    // std::from_chars for double is not in GCC 10; strtod needs a NUL.
    std::string copy(first, last);
    out = Value(std::strtod(copy.c_str(), nullptr));
    return true;
  }

  bool parseHex4(uint32_t &out) {
    if (pos_ + 4 > text_.size())
      return fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9')
        out |= c - '0';
      else if (c >= 'a' && c <= 'f')
        out |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        out |= c - 'A' + 10;
      else
        return fail("invalid hex digit in a \\u escape");
    }
    return true;
  }

  bool parseString(std::string &out) {
    ++pos_; // opening quote
    while (true) {
      if (pos_ >= text_.size())
        return fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size())
        return fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t low = 0;
          if (!consume("\\u") || !parseHex4(low) || low < 0xDC00 ||
              low >= 0xE000)
            return fail("unpaired UTF-16 surrogate in a \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return fail("unpaired UTF-16 surrogate in a \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  bool parseArray(Value &out, int depth) {
    ++pos_;
    Array items;
    skipSpace();
    if (consume("]")) {
      out = Value(std::move(items));
      return true;
    }
    while (true) {
      items.emplace_back();
      if (!parseValue(items.back(), depth + 1))
        return false;
      skipSpace();
      if (consume("]"))
        break;
      if (!consume(","))
        return fail("expected ',' or ']' in an array");
    }
    out = Value(std::move(items));
    return true;
  }

  bool parseObject(Value &out, int depth) {
    ++pos_;
    Object members;
    skipSpace();
    if (consume("}")) {
      out = Value(std::move(members));
      return true;
    }
    // Keys are checked for duplicates once the object is complete (sorted
    // copy), which keeps large objects such as a vocabulary O(n log n).
    while (true) {
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"')
        return fail("expected a string key in an object");
      std::string key;
      if (!parseString(key))
        return false;
      skipSpace();
      if (!consume(":"))
        return fail("expected ':' after an object key");
      members.emplace_back(std::move(key), Value());
      if (!parseValue(members.back().second, depth + 1))
        return false;
      skipSpace();
      if (consume("}"))
        break;
      if (!consume(","))
        return fail("expected ',' or '}' in an object");
    }
    std::vector<const std::string *> keys;
    keys.reserve(members.size());
    for (const Member &m : members)
      keys.push_back(&m.first);
    std::sort(
        keys.begin(), keys.end(),
        [](const std::string *a, const std::string *b) { return *a < *b; });
    for (size_t i = 1; i < keys.size(); ++i)
      if (*keys[i] == *keys[i - 1])
        return fail("duplicate key \"" + *keys[i] + "\" in an object");
    out = Value(std::move(members));
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  Error error_;
};
} // namespace

Expected<Value> json::parse(std::string_view text) {
  return Parser(text).parseDocument();
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

static void writeString(std::string &out, const std::string &s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
}

static void writeNumber(std::string &out, const Value &v) {
  char buf[64];
  if (v.isInt()) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.getInt());
    out.append(buf, end);
    return;
  }
  double d = v.getNumber();
  if (!std::isfinite(d)) {
    out += "null"; // JSON has no NaN or infinity
    return;
  }
  // Shortest round-trip form; "1e-05" is valid JSON and what Python writes.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d)
      break;
  }
  out += buf;
  // Keep floats recognisable as floats ("1.0", not "1").
  if (!std::strpbrk(buf, ".eEn"))
    out += ".0";
}

static void writeValue(std::string &out, const Value &v, int indent,
                       int level) {
  auto newline = [&](int lvl) {
    if (indent > 0) {
      out += '\n';
      out.append(static_cast<size_t>(indent * lvl), ' ');
    }
  };
  switch (v.kind()) {
  case Value::Kind::Null:
    out += "null";
    return;
  case Value::Kind::Bool:
    out += v.getBool() ? "true" : "false";
    return;
  case Value::Kind::Number:
    writeNumber(out, v);
    return;
  case Value::Kind::String:
    writeString(out, v.getString());
    return;
  case Value::Kind::Array: {
    out += '[';
    bool first = true;
    for (const Value &item : v.getArray()) {
      if (!first)
        out += indent > 0 ? "," : ", ";
      first = false;
      newline(level + 1);
      writeValue(out, item, indent, level + 1);
    }
    if (!v.getArray().empty())
      newline(level);
    out += ']';
    return;
  }
  case Value::Kind::Object: {
    out += '{';
    bool first = true;
    for (const Member &m : v.getObject()) {
      if (!first)
        out += indent > 0 ? "," : ", ";
      first = false;
      newline(level + 1);
      writeString(out, m.first);
      out += ": ";
      writeValue(out, m.second, indent, level + 1);
    }
    if (!v.getObject().empty())
      newline(level);
    out += '}';
    return;
  }
  }
}

std::string json::serialize(const Value &value, int indent) {
  std::string out;
  writeValue(out, value, indent, 0);
  return out;
}
