//===- DType.h - Element types and float conversions ------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The one place that knows element types, their safetensors names and sizes,
// and the bf16 / f16 <-> f32 conversions (round to nearest even, as PyTorch
// and ggml do).
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_DTYPE_H
#define MLRT_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace mlrt {

enum class DType : uint8_t { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

/// The safetensors spelling ("F32", "BF16", ...).
std::string_view dtypeName(DType dtype);
/// Parses a safetensors dtype name; nullopt for names we do not support.
std::optional<DType> parseDType(std::string_view name);
/// Bytes per element.
size_t dtypeSize(DType dtype);
/// Whether `dtype` is one of the float types model weights come in.
inline bool isFloat(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16 ||
         d == DType::F64;
}

inline float bf16ToF32(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t f32ToBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet, keep the sign
    return static_cast<uint16_t>((u >> 16) | 64);
  u += 0x7fffu + ((u >> 16) & 1); // round to nearest, ties to even
  return static_cast<uint16_t>(u >> 16);
}

/// `f` rounded to the nearest bf16 (ties to even), as f32.
inline float roundedToBF16(float f) { return bf16ToF32(f32ToBF16(f)); }

float f16ToF32(uint16_t bits);
uint16_t f32ToF16(float f);

/// Converts `count` elements of float type `from` at `src` to f32.
void convertToF32(DType from, const void *src, float *dst, size_t count);
/// Converts `count` f32 values to float type `to` at `dst`.
void convertFromF32(DType to, const float *src, void *dst, size_t count);

} // namespace mlrt

#endif // MLRT_DTYPE_H
