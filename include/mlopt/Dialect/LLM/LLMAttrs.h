//===- LLMAttrs.h - llm enums and attributes --------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_LLMATTRS_H
#define MLOPT_DIALECT_LLM_LLMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/bit.h"
#include <optional>

#include "mlopt/Dialect/LLM/LLMEnums.h.inc"

namespace mlir::llm {
/// A double usable as an attribute parameter: hashed and compared by bits, so
/// that attributes holding -0.0 and 0.0 (or two NaNs) are told apart and
/// uniqued correctly. Converts implicitly to and from double.
struct F64 {
  double value = 0.0;
  F64(double value = 0.0) : value(value) {}
  operator double() const { return value; }
  bool operator==(const F64 &other) const {
    return llvm::bit_cast<uint64_t>(value) ==
           llvm::bit_cast<uint64_t>(other.value);
  }
  bool operator==(double other) const { return *this == F64(other); }
  bool operator!=(const F64 &other) const { return !(*this == other); }
  bool operator!=(double other) const { return !(*this == F64(other)); }
  friend llvm::hash_code hash_value(const F64 &v) {
    return llvm::hash_value(llvm::bit_cast<uint64_t>(v.value));
  }
};

/// Parses a float; integers are accepted ("1" reads as 1.0).
FailureOr<F64> parseF64(AsmParser &parser);
/// The shortest decimal form of `value` that reads back to the same bits,
/// as a float literal MLIR can lex ("10000.0", "1.0e-05").
std::string formatF64(double value);
/// Prints the shortest decimal form that parses back to the same double.
void printF64(AsmPrinter &printer, double value);
/// Parses `true` or `false`.
FailureOr<bool> parseBool(AsmParser &parser);
/// Parses a bracketed list of integers: `[2, 3]`.
FailureOr<SmallVector<int64_t>> parseI64List(AsmParser &parser);
void printI64List(AsmPrinter &printer, ArrayRef<int64_t> values);
/// Parses a comma-separated list of floats (no brackets).
FailureOr<SmallVector<F64>> parseF64List(AsmParser &parser);
void printF64List(AsmPrinter &printer, ArrayRef<F64> values);
} // namespace mlir::llm

#define GET_ATTRDEF_CLASSES
#include "mlopt/Dialect/LLM/LLMAttrs.h.inc"

#endif // MLOPT_DIALECT_LLM_LLMATTRS_H
