//===- Json.h - A small JSON reader and writer ------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The one JSON implementation of the project (config.json, safetensors
// headers, tokenizer.json, index files). Objects keep their key order and
// reject duplicate keys; integers are kept exactly; nesting is bounded so
// that hostile input cannot exhaust the stack.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_JSON_H
#define MLRT_JSON_H

#include "mlrt/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlrt::json {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;

class Value {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::Bool), bool_(b) {}
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(int64_t v)
      : kind_(Kind::Number), number_(static_cast<double>(v)), int_(v),
        isInt_(true) {}
  Value(uint64_t v) : Value(static_cast<int64_t>(v)) {}
  Value(double v) : kind_(Kind::Number), number_(v) {}
  Value(std::string s) : kind_(Kind::String), string_(std::move(s)) {}
  Value(const char *s) : Value(std::string(s)) {}
  Value(Array a) : kind_(Kind::Array), array_(std::move(a)) {}
  Value(Object o) : kind_(Kind::Object), object_(std::move(o)) {}

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  /// A number written without fraction or exponent that fits in int64.
  bool isInt() const { return kind_ == Kind::Number && isInt_; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  bool getBool() const { return bool_; }
  double getNumber() const { return number_; }
  int64_t getInt() const { return int_; }
  const std::string &getString() const { return string_; }
  const Array &getArray() const { return array_; }
  Array &getArray() { return array_; }
  const Object &getObject() const { return object_; }

  /// The member `key` of an object, or null when absent or not an object.
  const Value *get(std::string_view key) const;
  /// Adds or replaces member `key` of an object.
  Value &set(std::string key, Value value);

  /// A name for the kind, for error messages ("a string", "an object").
  static const char *describe(Kind kind);

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  int64_t int_ = 0;
  bool isInt_ = false;
  std::string string_;
  Array array_;
  Object object_;
};

/// Parses one JSON document; errors name the line and column.
Expected<Value> parse(std::string_view text);

/// Serialises `value`; indent > 0 pretty-prints with that many spaces.
std::string serialize(const Value &value, int indent = 0);

} // namespace mlrt::json

#endif // MLRT_JSON_H
