//===- DTypeTest.cpp - bf16 / f16 conversions -----------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// f16 is checked exhaustively against the compiler's _Float16 conversions;
// bf16 rounding against its definition (nearest representable, ties to
// even) on random and edge-case inputs.
//
//===----------------------------------------------------------------------===//

#include "mlrt/DType.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlrt;

namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(DType, F16ToF32MatchesCompilerForAllBitPatterns) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    _Float16 ref;
    uint16_t bits = static_cast<uint16_t>(h);
    std::memcpy(&ref, &bits, 2);
    float expected = static_cast<float>(ref);
    float got = f16ToF32(bits);
    if (std::isnan(expected))
      EXPECT_TRUE(std::isnan(got)) << h;
    else
      EXPECT_EQ(bitsOf(got), bitsOf(expected)) << "f16 bits " << h;
  }
}

TEST(DType, F32ToF16MatchesCompilerRounding) {
  std::mt19937 rng(1);
  std::vector<uint32_t> inputs;
  // Every f16 value, the midpoints between neighbours (ties), and random
  // floats over the whole f16 range and beyond.
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    float a = f16ToF32(static_cast<uint16_t>(h));
    float b = f16ToF32(static_cast<uint16_t>(h + 1));
    inputs.push_back(bitsOf(a));
    inputs.push_back(bitsOf(static_cast<float>((double(a) + double(b)) / 2)));
  }
  for (int i = 0; i < 200000; ++i)
    inputs.push_back(0x30000000u + rng() % 0x18000000u);
  inputs.push_back(bitsOf(65504.0f));
  inputs.push_back(bitsOf(65520.0f));
  inputs.push_back(bitsOf(1e9f));
  inputs.push_back(0x7f800000u);
  for (uint32_t u : inputs) {
    for (uint32_t sign : {0u, 0x80000000u}) {
      float f = floatOf(u | sign);
      _Float16 ref = static_cast<_Float16>(f);
      uint16_t expected;
      std::memcpy(&expected, &ref, 2);
      EXPECT_EQ(f32ToF16(f), expected) << "f32 bits " << (u | sign);
    }
  }
}

TEST(DType, F32ToBF16RoundsToNearestEven) {
  std::mt19937 rng(2);
  for (int i = 0; i < 500000; ++i) {
    float f = floatOf(rng() & 0x7f7fffffu); // finite, positive
    uint16_t r = f32ToBF16(f);
    double got = bf16ToF32(r);
    uint16_t truncated = static_cast<uint16_t>(bitsOf(f) >> 16);
    double below = bf16ToF32(truncated);
    // IEEE rounding treats infinity as the value one step past the largest
    // finite number, 2^128.
    double above =
        truncated + 1 == 0x7f80
            ? std::ldexp(1.0, 128)
            : double(bf16ToF32(static_cast<uint16_t>(truncated + 1)));
    double dBelow = double(f) - below, dAbove = above - double(f);
    double expected = dBelow < dAbove   ? below
                      : dAbove < dBelow ? above
                      : (truncated & 1) ? above
                                        : below;
    if (expected == std::ldexp(1.0, 128))
      expected = INFINITY;
    ASSERT_EQ(got, expected) << "f32 bits " << bitsOf(f);
  }
  EXPECT_EQ(f32ToBF16(1.0f), 0x3f80);
  EXPECT_EQ(f32ToBF16(-2.0f), 0xc000);
  EXPECT_TRUE(std::isnan(bf16ToF32(f32ToBF16(std::nanf("")))));
}

TEST(DType, NamesAndSizes) {
  EXPECT_EQ(dtypeName(DType::BF16), "BF16");
  EXPECT_EQ(parseDType("F16"), DType::F16);
  EXPECT_EQ(parseDType("BOOL"), DType::Bool);
  EXPECT_FALSE(parseDType("F8_E4M3").has_value());
  EXPECT_EQ(dtypeSize(DType::I64), 8u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
}

} // namespace
