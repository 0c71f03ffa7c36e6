//===- InitTest.cpp - Deterministic weight initialisation -----------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Checks each rule against its distribution (Kolmogorov-Smirnov at the 99.9%
// level, closed-form moments and bounds) and the generator's determinism.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace mlrt;

namespace {

std::vector<float> draw(InitRule rule, std::vector<double> params,
                        std::vector<int64_t> shape, uint64_t seed = 42) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> out(n);
  Status s = fillInit(rule, params, seed, shape, DType::F32, out.data());
  EXPECT_TRUE(s) << (s ? "" : s.message());
  return out;
}

/// Kolmogorov-Smirnov statistic of `samples` against the CDF `cdf`.
double ksStatistic(std::vector<double> samples,
                   const std::function<double(double)> &cdf) {
  std::sort(samples.begin(), samples.end());
  double n = samples.size(), d = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    double f = cdf(samples[i]);
    d = std::max({d, (i + 1) / n - f, f - i / n});
  }
  return d;
}

constexpr int kN = 200000;
// The 99.9% critical value of the KS statistic: 1.95 / sqrt(n).
const double kCritical = 1.95 / std::sqrt(double(kN));

TEST(Init, UniformFollowsItsDistribution) {
  std::vector<float> v = draw(InitRule::Uniform, {-0.125, 0.125}, {kN});
  std::vector<double> s(v.begin(), v.end());
  for (double x : s)
    ASSERT_TRUE(x >= -0.125 && x <= 0.125) << x;
  EXPECT_LT(ksStatistic(s, [](double x) { return (x + 0.125) / 0.25; }),
            kCritical);
}

TEST(Init, NormalFollowsItsDistribution) {
  std::vector<float> v = draw(InitRule::Normal, {0.5, 0.02}, {kN});
  std::vector<double> s(v.begin(), v.end());
  EXPECT_LT(ksStatistic(s,
                        [](double x) {
                          return 0.5 * std::erfc(-(x - 0.5) /
                                                 (0.02 * std::sqrt(2.0)));
                        }),
            kCritical);
}

TEST(Init, DtBiasIsInverseSoftplusOfLogUniformDt) {
  const double dtMin = 1e-3, dtMax = 0.1, floor = 1e-4;
  std::vector<float> v = draw(InitRule::DtBias, {dtMin, dtMax, floor}, {kN});
  std::vector<double> logDt;
  for (float b : v) {
    double dt = std::log1p(std::exp(double(b))); // softplus undoes the init
    ASSERT_GE(dt, dtMin * (1 - 1e-5));
    ASSERT_LE(dt, dtMax * (1 + 1e-5));
    logDt.push_back(std::log(dt));
  }
  double lo = std::log(dtMin), hi = std::log(dtMax);
  // float32 rounding of the bias moves dt by ~1e-7 relative; the KS bound
  // is far looser than that.
  EXPECT_LT(ksStatistic(logDt,
                        [&](double x) {
                          return std::clamp((x - lo) / (hi - lo), 0.0, 1.0);
                        }),
            kCritical);
}

TEST(Init, LogUniformIsLogOfUniform) {
  std::vector<float> v = draw(InitRule::LogUniform, {1.0, 16.0}, {kN});
  std::vector<double> a;
  for (float x : v)
    a.push_back(std::exp(double(x)));
  EXPECT_LT(
      ksStatistic(
          a, [](double x) { return std::clamp((x - 1.0) / 15.0, 0.0, 1.0); }),
      kCritical);
}

TEST(Init, S4DRealAndConstants) {
  std::vector<float> a = draw(InitRule::S4DReal, {}, {3, 16});
  for (int d = 0; d < 3; ++d)
    for (int n = 0; n < 16; ++n)
      EXPECT_EQ(a[d * 16 + n], static_cast<float>(std::log(n + 1.0)));
  for (float x : draw(InitRule::Ones, {}, {5}))
    EXPECT_EQ(x, 1.0f);
  for (float x : draw(InitRule::Zeros, {}, {5}))
    EXPECT_EQ(x, 0.0f);
  for (float x : draw(InitRule::Constant, {0.25}, {5}))
    EXPECT_EQ(x, 0.25f);
}

TEST(Init, IsDeterministicPerSeedAndElement) {
  std::vector<float> a = draw(InitRule::Uniform, {-1, 1}, {4, 8}, 7);
  std::vector<float> b = draw(InitRule::Uniform, {-1, 1}, {4, 8}, 7);
  std::vector<float> c = draw(InitRule::Uniform, {-1, 1}, {4, 8}, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Element i does not depend on the tensor's size.
  std::vector<float> longer = draw(InitRule::Uniform, {-1, 1}, {64}, 7);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), longer.begin()));
  // Pinned values: the generator must never change, or conversions made
  // earlier stop being reproducible.
  EXPECT_EQ(uniformAt(42, 0), 0x1.fde9166dc253cp-2);
  EXPECT_EQ(uniformAt(42, 1), 0x1.7600b28cfef2fp-1);
  EXPECT_EQ(uniformAt(7, 123456, 1), 0x1.e998b1c7b0b1p-2);
}

TEST(Init, RejectsBadRequests) {
  std::vector<float> out(4);
  Status s = fillInit(InitRule::Uniform, {1.0}, 0, {4}, DType::F32, out.data());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "init rule takes 2 parameter(s), found 1");
  Status r = fillInit(InitRule::S4DReal, {}, 0, {4}, DType::F32, out.data());
  ASSERT_FALSE(r);
  EXPECT_FALSE(parseInitRule("xavier"));
  EXPECT_EQ(*parseInitRule("dt_bias"), InitRule::DtBias);
}

} // namespace
