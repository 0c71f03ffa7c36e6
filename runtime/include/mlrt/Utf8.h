//===- Utf8.h - UTF-8 encoding ----------------------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_UTF8_H
#define MLRT_UTF8_H

#include <string>

namespace mlrt {

/// Appends the UTF-8 encoding of `codepoint` (at most U+10FFFF) to `out`.
void appendUtf8(std::string &out, char32_t codepoint);

} // namespace mlrt

#endif // MLRT_UTF8_H
