//===- DType.cpp - Element types and float conversions --------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/DType.h"

#include <cassert>

using namespace mlrt;

namespace {
struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4},  {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::F64, "F64", 8},  {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},  {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::Bool, "BOOL", 1}};
} // namespace

std::string_view mlrt::dtypeName(DType dtype) {
  return kDTypes[static_cast<int>(dtype)].name;
}

size_t mlrt::dtypeSize(DType dtype) {
  return kDTypes[static_cast<int>(dtype)].size;
}

std::optional<DType> mlrt::parseDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (info.name == name)
      return info.dtype;
  return std::nullopt;
}

float mlrt::f16ToF32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, u;
  if (exp == 0) {
    if (mant == 0) {
      u = sign;
    } else { // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      u = sign | static_cast<uint32_t>(127 - 15 - e) << 23 |
          (mant & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    u = sign | 0x7f800000u | mant << 13;
  } else {
    u = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t mlrt::f32ToF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  uint32_t absU = u & 0x7fffffffu;
  if (absU > 0x7f800000u) // NaN
    return static_cast<uint16_t>(sign | 0x7e00 | ((absU >> 13) & 0x3ff));
  if (absU >= 0x477ff000u) // rounds to >= 65520: infinity
    return static_cast<uint16_t>(sign | 0x7c00);
  if (absU < 0x38800000u) { // below the smallest normal: subnormal or zero
    if (absU < 0x33000000u) // below half the smallest subnormal
      return static_cast<uint16_t>(sign);
    uint32_t exp = absU >> 23, mant = (absU & 0x7fffff) | 0x800000;
    // value = |f| / 2^-24 = mant * 2^(exp - 126), rounded to nearest even.
    uint32_t shift = 126 - exp;
    uint32_t value = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (value & 1)))
      ++value;
    return static_cast<uint16_t>(sign | value);
  }
  // Normal: rebias and round the 13 dropped bits to nearest even.
  uint32_t value = absU - (112u << 23);
  value += 0xfffu + ((value >> 13) & 1);
  return static_cast<uint16_t>(sign | (value >> 13));
}

void mlrt::convertToF32(DType from, const void *src, float *dst, size_t count) {
  switch (from) {
  case DType::F32:
    std::memcpy(dst, src, count * 4);
    return;
  case DType::BF16: {
    const auto *p = static_cast<const uint16_t *>(src);
    for (size_t i = 0; i < count; ++i)
      dst[i] = bf16ToF32(p[i]);
    return;
  }
  case DType::F16: {
    const auto *p = static_cast<const uint16_t *>(src);
    for (size_t i = 0; i < count; ++i)
      dst[i] = f16ToF32(p[i]);
    return;
  }
  case DType::F64: {
    const auto *p = static_cast<const double *>(src);
    for (size_t i = 0; i < count; ++i)
      dst[i] = static_cast<float>(p[i]);
    return;
  }
  default:
    assert(false && "not a float dtype");
  }
}

void mlrt::convertFromF32(DType to, const float *src, void *dst, size_t count) {
  switch (to) {
  case DType::F32:
    std::memcpy(dst, src, count * 4);
    return;
  case DType::BF16: {
    auto *p = static_cast<uint16_t *>(dst);
    for (size_t i = 0; i < count; ++i)
      p[i] = f32ToBF16(src[i]);
    return;
  }
  case DType::F16: {
    auto *p = static_cast<uint16_t *>(dst);
    for (size_t i = 0; i < count; ++i)
      p[i] = f32ToF16(src[i]);
    return;
  }
  case DType::F64: {
    auto *p = static_cast<double *>(dst);
    for (size_t i = 0; i < count; ++i)
      p[i] = src[i];
    return;
  }
  default:
    assert(false && "not a float dtype");
  }
}
