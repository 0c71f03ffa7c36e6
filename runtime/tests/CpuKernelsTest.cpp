//===- CpuKernelsTest.cpp - The reference CPU kernels ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Every kernel against an oracle it does not share code with: naive
// double-precision loops (linear, norms, attention), properties and
// formulas written out from transformers' modeling_rope_utils (RoPE), the
// closed forms of paper_spec.md section 7 (identities 2-4: linear
// attention, decay form, Mamba-1 indexing), and sampling statistics.
// Recurrent kernels are also checked to give the same result whole and
// token by token.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Artifact.h"
#include "mlrt/cpu/Kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

using namespace mlrt;
using namespace mlrt::cpu;

namespace {

//===----------------------------------------------------------------------===//
// Test data
//===----------------------------------------------------------------------===//

std::vector<float> randomVector(std::mt19937 &rng, size_t n, float lo = -1,
                                float hi = 1) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

Matrix matrixOf(const std::vector<float> &v, int64_t rows, int64_t cols) {
  return Matrix{v.data(), DType::F32, rows, cols};
}

Matrix vectorOf(const std::vector<float> &v) {
  return matrixOf(v, 1, static_cast<int64_t>(v.size()));
}

Rows rowsOf(std::vector<float> &v, int64_t tokens, int64_t width) {
  return Rows{v.data(), tokens, width};
}

/// A weight stored in `dtype`, with the exact values it holds.
struct StoredWeight {
  StoredWeight(std::mt19937 &rng, DType dtype, int64_t rows, int64_t cols)
      : values(rows * cols) {
    std::vector<float> raw = randomVector(rng, rows * cols);
    matrix = Matrix{nullptr, dtype, rows, cols};
    if (dtype == DType::F32) {
      f32 = raw;
      matrix.data = f32.data();
      for (size_t i = 0; i < raw.size(); ++i)
        values[i] = raw[i];
      return;
    }
    half.resize(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      half[i] = dtype == DType::BF16 ? f32ToBF16(raw[i]) : f32ToF16(raw[i]);
      values[i] = dtype == DType::BF16 ? bf16ToF32(half[i]) : f16ToF32(half[i]);
    }
    matrix.data = half.data();
  }
  Matrix matrix;
  std::vector<double> values;

private:
  std::vector<float> f32;
  std::vector<uint16_t> half;
};

double silu(double x) { return x / (1 + std::exp(-x)); }
double softplus(double x) { return std::log1p(std::exp(x)); }
const double kLnEMinus1 = std::log(std::exp(1.0) - 1); // softplus^-1(1)

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

/// Runs linear on column blocks of wider buffers and checks every output
/// against a double loop, and that nothing outside the block was written.
void checkLinear(DType dtype, int64_t rows, int64_t cols, int64_t tokens,
                 bool withBias) {
  SCOPED_TRACE(std::string(dtypeName(dtype)) + " " + std::to_string(rows) +
               "x" + std::to_string(cols) + " tokens " +
               std::to_string(tokens) + (withBias ? " bias" : ""));
  std::mt19937 rng(rows * 131 + cols * 7 + tokens);
  StoredWeight w(rng, dtype, rows, cols), bias(rng, dtype, 1, rows);
  const int64_t inStride = cols + 5, inOffset = 3, outStride = rows + 4,
                outOffset = 2;
  std::vector<float> in = randomVector(rng, tokens * inStride);
  std::vector<float> out(tokens * outStride, 7.0f);
  linear(Rows{in.data() + inOffset, tokens, inStride}, w.matrix,
         withBias ? &bias.matrix : nullptr,
         Rows{out.data() + outOffset, tokens, outStride});
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < outStride; ++c) {
      float got = out[t * outStride + c];
      int64_t r = c - outOffset;
      if (r < 0 || r >= rows) {
        ASSERT_EQ(got, 7.0f) << "wrote outside the block at column " << c;
        continue;
      }
      double ref = withBias ? bias.values[r] : 0, magnitude = std::abs(ref);
      for (int64_t k = 0; k < cols; ++k) {
        double p = double(in[t * inStride + inOffset + k]) * w.values[r * cols + k];
        ref += p;
        magnitude += std::abs(p);
      }
      ASSERT_NEAR(got, ref, 1e-6 * (1 + magnitude)) << "token " << t << " row " << r;
    }
}

TEST(CpuLinear, MatchesDoubleLoopForEveryWeightType) {
  for (DType dtype : {DType::F32, DType::F16, DType::BF16})
    for (int64_t tokens : {1, 7})
      for (bool bias : {false, true}) {
        checkLinear(dtype, 37, 53, tokens, bias);
        checkLinear(dtype, 3, 5, tokens, bias);
      }
}

TEST(CpuLinear, MatchesDoubleLoopOnThreadedSizes) {
  checkLinear(DType::BF16, 517, 301, 1, true);
  checkLinear(DType::BF16, 517, 301, 13, false);
  checkLinear(DType::F32, 1030, 64, 9, true);
}

/// A token's output is the same bits whether it is alone, in a batch, or
/// computed by one thread or several.
TEST(CpuLinear, ResultDoesNotDependOnBatchOrThreads) {
  std::mt19937 rng(5);
  const int64_t rows = 300, cols = 203, tokens = 9;
  StoredWeight w(rng, DType::BF16, rows, cols);
  std::vector<float> in = randomVector(rng, tokens * cols);
  std::vector<float> batch(tokens * rows), single(rows);
  linear(rowsOf(in, tokens, cols), w.matrix, nullptr,
         rowsOf(batch, tokens, rows));
  for (int64_t t = 0; t < tokens; ++t) {
    linear(Rows{in.data() + t * cols, 1, cols}, w.matrix, nullptr,
           rowsOf(single, 1, rows));
    for (int64_t r = 0; r < rows; ++r)
      ASSERT_EQ(single[r], batch[t * rows + r]) << "token " << t << " row " << r;
  }
  for (int threads : {1, 3}) {
    setNumThreads(threads);
    EXPECT_EQ(numThreads(), threads);
    std::vector<float> out(tokens * rows);
    linear(rowsOf(in, tokens, cols), w.matrix, nullptr,
           rowsOf(out, tokens, rows));
    EXPECT_EQ(out, batch) << threads << " threads";
  }
  setNumThreads(0);
}

//===----------------------------------------------------------------------===//
// rmsNorm, gatedRmsNorm, swiglu, add, embed
//===----------------------------------------------------------------------===//

TEST(CpuNorm, RmsNormMatchesFormula) {
  std::mt19937 rng(11);
  const int64_t tokens = 5, width = 37;
  const double eps = 1e-5;
  StoredWeight w(rng, DType::BF16, 1, width);
  std::vector<float> in = randomVector(rng, tokens * width, -3, 3);
  std::vector<float> out = in; // in place
  rmsNorm(rowsOf(out, tokens, width), w.matrix, eps, rowsOf(out, tokens, width));
  for (int64_t t = 0; t < tokens; ++t) {
    double sum = 0;
    for (int64_t i = 0; i < width; ++i)
      sum += double(in[t * width + i]) * in[t * width + i];
    double scale = 1 / std::sqrt(sum / width + eps);
    for (int64_t i = 0; i < width; ++i) {
      double ref = in[t * width + i] * scale * w.values[i];
      EXPECT_NEAR(out[t * width + i], ref, 1e-5 * (1 + std::abs(ref)));
    }
  }
}

TEST(CpuNorm, GatedRmsNormGatesThenNormalisesEachGroup) {
  std::mt19937 rng(12);
  const int64_t tokens = 3, width = 12, group = 4;
  std::vector<float> y = randomVector(rng, tokens * width, -2, 2),
                     z = randomVector(rng, tokens * width, -2, 2),
                     weight = randomVector(rng, width), out(tokens * width);
  gatedRmsNorm(rowsOf(y, tokens, width), rowsOf(z, tokens, width),
               vectorOf(weight), group, rowsOf(out, tokens, width));
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t g0 = 0; g0 < width; g0 += group) {
      double gated[group], sum = 0;
      for (int64_t i = 0; i < group; ++i) {
        int64_t at = t * width + g0 + i;
        gated[i] = y[at] * silu(z[at]);
        sum += gated[i] * gated[i];
      }
      double rstd = 1 / std::sqrt(sum / group + 1e-5);
      for (int64_t i = 0; i < group; ++i) {
        double ref = gated[i] * rstd * weight[g0 + i];
        EXPECT_NEAR(out[t * width + g0 + i], ref, 1e-5 * (1 + std::abs(ref)));
      }
    }
}

TEST(CpuElementwise, SwigluAddEmbed) {
  std::mt19937 rng(13);
  const int64_t tokens = 4, width = 9, stride = 11;
  std::vector<float> gate = randomVector(rng, tokens * stride, -4, 4),
                     up = randomVector(rng, tokens * stride, -4, 4);
  std::vector<float> product = up; // out aliases up
  swiglu(rowsOf(gate, tokens, stride), rowsOf(product, tokens, stride), width,
         rowsOf(product, tokens, stride));
  std::vector<float> sum(tokens * stride, 0.0f);
  add(rowsOf(gate, tokens, stride), rowsOf(up, tokens, stride), width,
      rowsOf(sum, tokens, stride));
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t i = 0; i < stride; ++i) {
      int64_t at = t * stride + i;
      if (i >= width) {
        EXPECT_EQ(product[at], up[at]);
        EXPECT_EQ(sum[at], 0.0f);
        continue;
      }
      double ref = silu(gate[at]) * up[at];
      EXPECT_NEAR(product[at], ref, 1e-6 * (1 + std::abs(ref)));
      EXPECT_EQ(sum[at], gate[at] + up[at]);
    }

  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    StoredWeight table(rng, dtype, 10, width);
    const int32_t ids[] = {3, 0, 9, 3};
    std::vector<float> out(tokens * width);
    embed(table.matrix, ids, rowsOf(out, tokens, width));
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t i = 0; i < width; ++i)
        EXPECT_EQ(out[t * width + i], table.values[ids[t] * width + i]);
  }
}

//===----------------------------------------------------------------------===//
// RoPE
//===----------------------------------------------------------------------===//

/// Rotates one head of `x` (headDim floats) to `position`.
std::vector<float> rotated(const Rope &rope, std::vector<float> x,
                           int64_t position) {
  Rows rows{x.data(), 1, static_cast<int64_t>(x.size())};
  rope.apply(rows, 1, rows, 0, position);
  return x;
}

double dotOf(const std::vector<float> &a, const std::vector<float> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += double(a[i]) * b[i];
  return s;
}

TEST(CpuRope, RotatesPairsWithoutChangingTheirNorm) {
  RopeConfig config;
  const int64_t dim = 16, half = dim / 2, tokens = 5;
  Rope rope(config, dim, 512);
  std::mt19937 rng(21);
  std::vector<float> q = randomVector(rng, tokens * 2 * dim),
                     k = randomVector(rng, tokens * dim);
  std::vector<float> q0 = q, k0 = k;
  rope.apply(rowsOf(q, tokens, 2 * dim), 2, rowsOf(k, tokens, dim), 1, 3);
  auto checkPairs = [&](const std::vector<float> &before,
                        const std::vector<float> &after) {
    for (size_t head = 0; head < before.size() / dim; ++head)
      for (int64_t i = 0; i < half; ++i) {
        size_t a = head * dim + i, b = a + half;
        double n0 = std::hypot(before[a], before[b]),
               n1 = std::hypot(after[a], after[b]);
        EXPECT_NEAR(n1, n0, 1e-6 * (1 + n0));
      }
  };
  checkPairs(q0, q);
  checkPairs(k0, k);
  EXPECT_NE(q, q0);
}

TEST(CpuRope, PositionZeroIsTheIdentity) {
  RopeConfig config;
  Rope rope(config, 8, 64);
  std::mt19937 rng(22);
  std::vector<float> x = randomVector(rng, 8);
  EXPECT_EQ(rotated(rope, x, 0), x);
}

TEST(CpuRope, ScoresDependOnlyOnRelativePosition) {
  RopeConfig config;
  config.theta = 100000;
  Rope rope(config, 64, 8192);
  std::mt19937 rng(23);
  std::vector<float> q = randomVector(rng, 64), k = randomVector(rng, 64);
  double reference = dotOf(rotated(rope, q, 7), rotated(rope, k, 3));
  EXPECT_GT(std::abs(reference - dotOf(q, k)), 1e-3); // rotation did something
  for (int64_t shift : {1, 36, 296})
    EXPECT_NEAR(dotOf(rotated(rope, q, 7 + shift), rotated(rope, k, 3 + shift)),
                reference, 1e-3)
        << "shift " << shift;
}

TEST(CpuRope, LinearScalingIsDefaultAtPositionOverFactor) {
  RopeConfig plain, linear;
  linear.scaling = RopeScalingKind::Linear;
  linear.factor = 4;
  Rope a(plain, 32, 4096), b(linear, 32, 4096);
  std::mt19937 rng(24);
  std::vector<float> x = randomVector(rng, 32);
  for (int64_t p : {1, 5, 100, 1000})
    EXPECT_EQ(rotated(b, x, 4 * p), rotated(a, x, p)) << "position " << p;
}

/// Expected inverse frequency i of plain RoPE, in double.
double plainInvFreq(double theta, int64_t i, int64_t dim) {
  return 1 / std::pow(theta, 2.0 * i / dim);
}

void expectFrequencies(const std::vector<float> &got,
                       const std::vector<double> &expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 2e-6 * expected[i]) << "frequency " << i;
}

TEST(CpuRope, Llama3FrequenciesFollowTransformers) {
  // Llama 3.1: theta 500000, factor 8, low 1, high 4, original 8192.
  RopeConfig c;
  c.theta = 500000;
  c.scaling = RopeScalingKind::Llama3;
  c.factor = 8;
  c.lowFreqFactor = 1;
  c.highFreqFactor = 4;
  c.originalMaxPosition = 8192;
  const int64_t dim = 128;
  std::vector<double> expected;
  int kept = 0, divided = 0, smoothed = 0;
  for (int64_t i = 0; i < dim / 2; ++i) {
    double inv = plainInvFreq(c.theta, i, dim), wavelen = 2 * M_PI / inv;
    if (wavelen < 8192.0 / 4) {
      expected.push_back(inv);
      ++kept;
    } else if (wavelen > 8192.0 / 1) {
      expected.push_back(inv / 8);
      ++divided;
    } else {
      double s = (8192 / wavelen - 1) / (4 - 1);
      expected.push_back((1 - s) * inv / 8 + s * inv);
      ++smoothed;
    }
  }
  EXPECT_EQ(kept, 29);
  EXPECT_EQ(smoothed, 6);
  EXPECT_EQ(divided, 29);
  Rope rope(c, dim, 131072);
  expectFrequencies(rope.inverseFrequencies(1), expected);
  EXPECT_EQ(rope.attentionScaling(), 1.0f);
}

TEST(CpuRope, YarnFrequenciesAndAttentionFactorFollowTransformers) {
  RopeConfig c;
  c.theta = 10000;
  c.scaling = RopeScalingKind::Yarn;
  c.factor = 4;
  c.originalMaxPosition = 2048;
  const int64_t dim = 64;
  // find_correction_range(32, 1, 64, 10000, 2048), truncated: [8, 21].
  auto correctionDim = [&](double rotations) {
    return dim * std::log(2048 / (rotations * 2 * M_PI)) / (2 * std::log(10000.0));
  };
  double low = std::floor(correctionDim(32)), high = std::ceil(correctionDim(1));
  ASSERT_EQ(low, 8);
  ASSERT_EQ(high, 21);
  std::vector<double> expected;
  for (int64_t i = 0; i < dim / 2; ++i) {
    double inv = plainInvFreq(c.theta, i, dim);
    double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
    double extrapolation = 1 - ramp;
    expected.push_back(inv / 4 * (1 - extrapolation) + inv * extrapolation);
  }
  Rope rope(c, dim, 8192);
  expectFrequencies(rope.inverseFrequencies(1), expected);
  const double mscale = 0.1 * std::log(4.0) + 1;
  EXPECT_NEAR(rope.attentionScaling(), mscale, 1e-6);

  // cos and sin carry the factor: every pair's norm grows by it.
  std::vector<float> x(dim, 0.0f);
  x[3] = 1;
  std::vector<float> y = rotated(rope, x, 10);
  EXPECT_NEAR(std::hypot(y[3], y[3 + dim / 2]), mscale, 1e-6);
  EXPECT_NEAR(std::atan2(y[3 + dim / 2], y[3]),
              std::remainder(10 * expected[3], 2 * M_PI), 1e-5);

  c.attentionFactor = 0.75; // an explicit factor wins
  EXPECT_EQ(Rope(c, dim, 8192).attentionScaling(), 0.75f);
}

TEST(CpuRope, DynamicNtkRescalesBeyondTheOriginalLength) {
  RopeConfig c;
  c.scaling = RopeScalingKind::Dynamic;
  c.factor = 2;
  const int64_t dim = 16, maxPosition = 32;
  Rope rope(c, dim, maxPosition), plain(RopeConfig(), dim, maxPosition);
  EXPECT_EQ(rope.inverseFrequencies(32), plain.inverseFrequencies(32));
  // seq_len 64: base = theta * (factor * 64 / 32 - (factor - 1))^(16 / 14).
  double base = 10000 * std::pow(2.0 * 64 / 32 - 1, 16.0 / 14);
  std::vector<double> expected;
  for (int64_t i = 0; i < dim / 2; ++i)
    expected.push_back(plainInvFreq(base, i, dim));
  expectFrequencies(rope.inverseFrequencies(64), expected);

  // A call whose last position is 63 rotates with those frequencies.
  std::vector<float> x(dim, 0.0f);
  x[2] = 1;
  std::vector<float> y = rotated(rope, x, 63);
  EXPECT_NEAR(y[2], std::cos(63 * expected[2]), 1e-4);
  EXPECT_NEAR(y[2 + dim / 2], std::sin(63 * expected[2]), 1e-4);
  // Within the original length it is plain RoPE.
  EXPECT_EQ(rotated(rope, x, 20), rotated(plain, x, 20));
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

struct AttentionCase {
  static constexpr int64_t heads = 4, kvHeads = 2, headDim = 8, tokens = 7;
  std::vector<float> q, k, v;
  explicit AttentionCase(std::mt19937 &rng)
      : q(randomVector(rng, tokens * heads * headDim, -2, 2)),
        k(randomVector(rng, tokens * kvHeads * headDim, -2, 2)),
        v(randomVector(rng, tokens * kvHeads * headDim)) {}

  /// O(L^2) reference in double for query token t, head h, channel d.
  double reference(int64_t t, int64_t h, int64_t d, int64_t window) const {
    const int64_t kv = h / (heads / kvHeads), first = window ? std::max<int64_t>(0, t - window + 1) : 0;
    std::vector<double> scores;
    double max = -INFINITY;
    for (int64_t j = first; j <= t; ++j) {
      double s = 0;
      for (int64_t e = 0; e < headDim; ++e)
        s += double(q[(t * heads + h) * headDim + e]) * k[(j * kvHeads + kv) * headDim + e];
      scores.push_back(s / std::sqrt(double(headDim)));
      max = std::max(max, scores.back());
    }
    double sum = 0, out = 0;
    for (double &s : scores)
      sum += (s = std::exp(s - max));
    for (int64_t j = first; j <= t; ++j)
      out += scores[j - first] / sum * v[(j * kvHeads + kv) * headDim + d];
    return out;
  }

  /// Runs the tokens through a fresh cache (f32, or bf16) in steps of the
  /// given sizes.
  std::vector<float> run(const std::vector<int64_t> &steps, int64_t window,
                         bool bf16 = false) {
    KVCache cache(tokens, kvHeads * headDim, bf16);
    EXPECT_EQ(cache.bytes(), 2 * tokens * kvHeads * headDim * (bf16 ? 2 : 4));
    std::vector<float> out(tokens * heads * headDim);
    int64_t t = 0;
    for (int64_t n : steps) {
      const int64_t qw = heads * headDim, kw = kvHeads * headDim;
      attention(Rows{&q[t * qw], n, qw}, Rows{&k[t * kw], n, kw},
                Rows{&v[t * kw], n, kw}, cache, heads, kvHeads, headDim,
                window, Rows{&out[t * qw], n, qw});
      t += n;
    }
    EXPECT_EQ(cache.length, tokens);
    return out;
  }
};

TEST(CpuAttention, MatchesNaiveGqaWithAndWithoutWindow) {
  std::mt19937 rng(31);
  AttentionCase c(rng);
  for (int64_t window : {0, 3}) {
    std::vector<float> out = c.run({7}, window);
    for (int64_t t = 0; t < c.tokens; ++t)
      for (int64_t h = 0; h < c.heads; ++h)
        for (int64_t d = 0; d < c.headDim; ++d)
          EXPECT_NEAR(out[(t * c.heads + h) * c.headDim + d],
                      c.reference(t, h, d, window), 1e-5)
              << "window " << window << " token " << t << " head " << h;
  }
}

// A bf16 cache holds K and V as bf16, half the bytes of an f32 cache, and
// attends exactly as an f32 cache fed the same values rounded to bf16.
TEST(CpuAttention, Bf16CacheEqualsF32CacheOfRoundedValues) {
  std::mt19937 rng(33);
  AttentionCase c(rng);
  std::vector<float> bf16 = c.run({3, 1, 1, 2}, 3, /*bf16=*/true);
  for (std::vector<float> *x : {&c.k, &c.v})
    for (float &e : *x)
      e = mlrt::roundedToBF16(e);
  EXPECT_EQ(bf16, c.run({3, 1, 1, 2}, 3));
}

TEST(CpuAttention, CacheContinuationEqualsOnePrefill) {
  std::mt19937 rng(32);
  AttentionCase c(rng);
  for (int64_t window : {0, 3})
    EXPECT_EQ(c.run({3, 1, 1, 2}, window), c.run({7}, window))
        << "window " << window;
}

//===----------------------------------------------------------------------===//
// conv1d and the selective scans
//===----------------------------------------------------------------------===//

TEST(CpuMamba, Conv1dMatchesFormulaAndKeepsTheLastInputs) {
  std::mt19937 rng(41);
  const int64_t channels = 5, width = 4, past = 3, tokens = 6;
  std::vector<float> weight = randomVector(rng, channels * width),
                     bias = randomVector(rng, channels),
                     state = randomVector(rng, channels * past),
                     in = randomVector(rng, tokens * channels, -2, 2);
  const std::vector<float> initial = state;
  std::vector<float> out = in; // in place
  conv1d(rowsOf(out, tokens, channels), matrixOf(weight, channels, width),
         vectorOf(bias), state, rowsOf(out, tokens, channels));
  // x at time s < 0 comes from the initial state, oldest first.
  auto x = [&](int64_t s, int64_t c) -> double {
    return s < 0 ? initial[c * past + past + s] : in[s * channels + c];
  };
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < channels; ++c) {
      double acc = bias[c];
      for (int64_t j = 0; j < width; ++j)
        acc += weight[c * width + j] * x(t - past + j, c);
      EXPECT_NEAR(out[t * channels + c], silu(acc), 1e-6);
    }
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < past; ++i)
      EXPECT_EQ(state[c * past + i], in[(tokens - past + i) * channels + c]);

  // Fewer tokens than the state: older state moves up.
  std::vector<float> two(2 * channels);
  std::vector<float> before = state;
  conv1d(Rows{in.data(), 2, channels}, matrixOf(weight, channels, width),
         vectorOf(bias), state, rowsOf(two, 2, channels));
  for (int64_t c = 0; c < channels; ++c) {
    EXPECT_EQ(state[c * past + 0], before[c * past + 2]);
    EXPECT_EQ(state[c * past + 1], in[0 * channels + c]);
    EXPECT_EQ(state[c * past + 2], in[1 * channels + c]);
  }
}

TEST(CpuMamba, Conv1dWholeEqualsTokenByToken) {
  std::mt19937 rng(42);
  const int64_t channels = 7, width = 4, tokens = 9;
  std::vector<float> weight = randomVector(rng, channels * width),
                     bias = randomVector(rng, channels),
                     in = randomVector(rng, tokens * channels);
  std::vector<float> stateA(channels * 3, 0.0f), stateB = stateA;
  std::vector<float> whole(tokens * channels), steps(tokens * channels);
  conv1d(rowsOf(in, tokens, channels), matrixOf(weight, channels, width),
         vectorOf(bias), stateA, rowsOf(whole, tokens, channels));
  for (int64_t t = 0; t < tokens; ++t)
    conv1d(Rows{&in[t * channels], 1, channels},
           matrixOf(weight, channels, width), vectorOf(bias), stateB,
           Rows{&steps[t * channels], 1, channels});
  EXPECT_EQ(whole, steps);
  EXPECT_EQ(stateA, stateB);
}

TEST(CpuMamba, RepeatGroupsIndexing) {
  const int64_t group = 2, times = 3, groups = 2, tokens = 2;
  std::vector<float> in(tokens * group * groups), out(tokens * group * groups * times);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<float>(i);
  repeatGroups(rowsOf(in, tokens, group * groups), group, times,
               rowsOf(out, tokens, group * groups * times));
  const std::vector<float> expected = {0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3,
                                       4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7};
  EXPECT_EQ(out, expected);
}

/// Mamba-2 inputs: xbc rows [x (groups*P) | B (groups*N) | C (heads*N)].
struct Mamba2Case {
  int64_t heads = 4, groups = 2, headDim = 3, dState = 5, tokens = 6;
  int64_t width() const { return groups * headDim + groups * dState + heads * dState; }
  std::vector<float> xbc, dt, dtBias, aLog, d;

  double x(int64_t t, int64_t g, int64_t p) const { return xbc[t * width() + g * headDim + p]; }
  double b(int64_t t, int64_t g, int64_t n) const {
    return xbc[t * width() + groups * headDim + g * dState + n];
  }
  double c(int64_t t, int64_t h, int64_t n) const {
    return xbc[t * width() + groups * (headDim + dState) + h * dState + n];
  }

  /// Runs the scan in steps of the given sizes through one state.
  std::vector<float> scan(const std::vector<int64_t> &steps,
                          std::vector<float> *finalState = nullptr) {
    std::vector<float> state(heads * headDim * dState, 0.0f),
        out(tokens * heads * headDim);
    int64_t t = 0;
    for (int64_t n : steps) {
      ssmScanMamba2(Rows{&xbc[t * width()], n, width()}, Rows{&dt[t * heads], n, heads},
                    vectorOf(dtBias), vectorOf(aLog), vectorOf(d), heads, groups,
                    headDim, dState, state, Rows{&out[t * heads * headDim], n, heads * headDim});
      t += n;
    }
    if (finalState)
      *finalState = state;
    return out;
  }
};

/// paper_spec.md section 7, identity 2: with an identity conv, A = 0,
/// delta = 1 and D = 0, Mamba-2 is linear attention with phi = SiLU.
TEST(CpuMamba, Mamba2IsLinearAttentionInTheIdentityLimit) {
  std::mt19937 rng(43);
  Mamba2Case m;
  m.headDim = m.dState = 4;
  const int64_t width = m.width(), tokens = m.tokens;
  std::vector<float> raw = randomVector(rng, tokens * width, -2, 2);
  std::vector<float> weight(width * 4, 0.0f), bias(width, 0.0f),
      convState(width * 3, 0.0f);
  for (int64_t c = 0; c < width; ++c)
    weight[c * 4 + 3] = 1;
  m.xbc.resize(tokens * width);
  conv1d(rowsOf(raw, tokens, width), matrixOf(weight, width, 4), vectorOf(bias),
         convState, rowsOf(m.xbc, tokens, width));
  m.dt.assign(tokens * m.heads, 0.0f);
  m.dtBias.assign(m.heads, static_cast<float>(kLnEMinus1));
  m.aLog.assign(m.heads, -INFINITY);
  m.d.assign(m.heads, 0.0f);
  std::vector<float> out = m.scan({tokens});

  // phi(column) of the raw projections, straight from the definition.
  auto phi = [&](int64_t t, int64_t column) { return silu(raw[t * width + column]); };
  const int64_t bBase = m.groups * m.headDim, cBase = bBase + m.groups * m.dState;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < m.heads; ++h) {
      const int64_t kv = h / (m.heads / m.groups);
      for (int64_t p = 0; p < m.headDim; ++p) {
        double ref = 0;
        for (int64_t s = 0; s <= t; ++s) {
          double score = 0;
          for (int64_t n = 0; n < m.dState; ++n)
            score += phi(t, cBase + h * m.dState + n) * phi(s, bBase + kv * m.dState + n);
          ref += score * phi(s, kv * m.headDim + p);
        }
        EXPECT_NEAR(out[(t * m.heads + h) * m.headDim + p], ref, 1e-5 * (1 + std::abs(ref)))
            << "token " << t << " head " << h << " channel " << p;
      }
    }
}

Mamba2Case randomMamba2(std::mt19937 &rng) {
  Mamba2Case m;
  m.xbc = randomVector(rng, m.tokens * m.width());
  m.dt = randomVector(rng, m.tokens * m.heads, -3, 1);
  m.dtBias = randomVector(rng, m.heads, -1, 1);
  m.aLog = randomVector(rng, m.heads, 0, std::log(16.0f));
  m.d = randomVector(rng, m.heads);
  return m;
}

/// Identity 3: y_t = sum_{s<=t} exp(A sum_{r=s+1..t} delta_r) delta_s
/// (C_t . B_s) x_s + D x_t.
TEST(CpuMamba, Mamba2MatchesTheDecayForm) {
  std::mt19937 rng(44);
  Mamba2Case m = randomMamba2(rng);
  std::vector<float> out = m.scan({m.tokens});
  for (int64_t h = 0; h < m.heads; ++h) {
    const int64_t g = h / (m.heads / m.groups);
    const double a = -std::exp(double(m.aLog[h]));
    std::vector<double> delta(m.tokens);
    for (int64_t t = 0; t < m.tokens; ++t)
      delta[t] = softplus(double(m.dt[t * m.heads + h]) + m.dtBias[h]);
    for (int64_t t = 0; t < m.tokens; ++t)
      for (int64_t p = 0; p < m.headDim; ++p) {
        double ref = m.d[h] * m.x(t, g, p);
        for (int64_t s = 0; s <= t; ++s) {
          double decay = 0, score = 0;
          for (int64_t r = s + 1; r <= t; ++r)
            decay += delta[r];
          for (int64_t n = 0; n < m.dState; ++n)
            score += m.c(t, h, n) * m.b(s, g, n);
          ref += std::exp(a * decay) * delta[s] * score * m.x(s, g, p);
        }
        EXPECT_NEAR(out[(t * m.heads + h) * m.headDim + p], ref, 1e-5 * (1 + std::abs(ref)))
            << "token " << t << " head " << h << " channel " << p;
      }
  }
}

TEST(CpuMamba, Mamba2WholeEqualsTokenByToken) {
  std::mt19937 rng(45);
  Mamba2Case m = randomMamba2(rng);
  std::vector<float> stateA, stateB, stateC;
  std::vector<float> whole = m.scan({6}, &stateA);
  EXPECT_EQ(m.scan({1, 1, 1, 1, 1, 1}, &stateB), whole);
  EXPECT_EQ(m.scan({2, 4}, &stateC), whole);
  EXPECT_EQ(stateA, stateB);
  EXPECT_EQ(stateA, stateC);
}

/// Mamba-1 inputs: x rows of dInner = heads * N channels, bc rows
/// [B (groups*N) | C (heads*N)], dt rows of dInner raw values.
struct Mamba1Case {
  int64_t heads = 4, groups = 2, dState = 3, tokens = 6;
  int64_t inner() const { return heads * dState; }
  int64_t bcWidth() const { return (groups + heads) * dState; }
  std::vector<float> x, bc, dt, dtBias, aLog, d;

  std::vector<float> scan(const std::vector<int64_t> &steps,
                          std::vector<float> *finalState = nullptr) {
    std::vector<float> state(inner() * dState, 0.0f), out(tokens * inner());
    int64_t t = 0;
    for (int64_t n : steps) {
      ssmScanMamba1(Rows{&x[t * inner()], n, inner()}, Rows{&bc[t * bcWidth()], n, bcWidth()},
                    Rows{&dt[t * inner()], n, inner()}, vectorOf(dtBias),
                    matrixOf(aLog, inner(), dState), vectorOf(d), heads, groups, dState,
                    state, Rows{&out[t * inner()], n, inner()});
      t += n;
    }
    if (finalState)
      *finalState = state;
    return out;
  }
};

/// Identity 4: with an identity conv, A = 0, delta = 1 (dt = 0 and the
/// bias ln(e - 1) / 2, added twice) and D = 0, channel d of Mamba-1 is
/// y_{t,d} = sum_{s<=t} (Q_t[N g:+N] . K_s[N floor(g/r):+N])
/// SiLU(V_s[N floor(d/(N r)) + d mod N]), g = floor(d/N), r = heads/groups.
TEST(CpuMamba, Mamba1IndexingIdentity) {
  std::mt19937 rng(46);
  Mamba1Case m;
  m.dState = 4;
  const int64_t n = m.dState, r = m.heads / m.groups, inner = m.inner(),
                tokens = m.tokens, xbWidth = m.groups * n;
  std::vector<float> v = randomVector(rng, tokens * xbWidth, -2, 2),
                     k = randomVector(rng, tokens * xbWidth),
                     q = randomVector(rng, tokens * inner);
  // x = SiLU(conv(repeat(V))) with the identity conv.
  std::vector<float> repeated(tokens * inner), weight(inner * 4, 0.0f),
      bias(inner, 0.0f), convState(inner * 3, 0.0f);
  for (int64_t c = 0; c < inner; ++c)
    weight[c * 4 + 3] = 1;
  repeatGroups(rowsOf(v, tokens, xbWidth), n, r, rowsOf(repeated, tokens, inner));
  m.x.resize(tokens * inner);
  conv1d(rowsOf(repeated, tokens, inner), matrixOf(weight, inner, 4),
         vectorOf(bias), convState, rowsOf(m.x, tokens, inner));
  for (int64_t t = 0; t < tokens; ++t) {
    m.bc.insert(m.bc.end(), &k[t * xbWidth], &k[(t + 1) * xbWidth]);
    m.bc.insert(m.bc.end(), &q[t * inner], &q[(t + 1) * inner]);
  }
  m.dt.assign(tokens * inner, 0.0f);
  m.dtBias.assign(inner, static_cast<float>(kLnEMinus1 / 2));
  m.aLog.assign(inner * n, -INFINITY);
  m.d.assign(inner, 0.0f);
  std::vector<float> out = m.scan({tokens});

  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t d = 0; d < inner; ++d) {
      const int64_t g = d / n;
      double ref = 0;
      for (int64_t s = 0; s <= t; ++s) {
        double score = 0;
        for (int64_t i = 0; i < n; ++i)
          score += double(q[t * inner + n * g + i]) * k[s * xbWidth + n * (g / r) + i];
        ref += score * silu(v[s * xbWidth + n * (d / (n * r)) + d % n]);
      }
      EXPECT_NEAR(out[t * inner + d], ref, 1e-5 * (1 + std::abs(ref)))
          << "token " << t << " channel " << d;
    }
}

/// delta = softplus(dt + 2 b): one token, one channel, x = B = C = 1, A = 0,
/// D = 0 gives y = delta.
TEST(CpuMamba, Mamba1AddsTheDtBiasTwice) {
  Mamba1Case m;
  m.heads = m.groups = m.dState = 1;
  m.tokens = 1;
  m.x = {1};
  m.bc = {1, 1};
  m.dt = {0.3f};
  m.dtBias = {0.2f};
  m.aLog = {-INFINITY};
  m.d = {0};
  float y = m.scan({1})[0];
  EXPECT_NEAR(y, softplus(0.3 + 2 * 0.2), 1e-6);
  EXPECT_GT(std::abs(y - softplus(0.3 + 0.2)), 0.05);
}

TEST(CpuMamba, Mamba1WholeEqualsTokenByToken) {
  std::mt19937 rng(47);
  Mamba1Case m;
  m.x = randomVector(rng, m.tokens * m.inner());
  m.bc = randomVector(rng, m.tokens * m.bcWidth());
  m.dt = randomVector(rng, m.tokens * m.inner(), -3, 1);
  m.dtBias = randomVector(rng, m.inner(), -1, 1);
  m.aLog = randomVector(rng, m.inner() * m.dState, 0, 2);
  m.d = randomVector(rng, m.inner());
  std::vector<float> stateA, stateB;
  std::vector<float> whole = m.scan({6}, &stateA);
  EXPECT_EQ(m.scan({1, 1, 1, 1, 1, 1}, &stateB), whole);
  EXPECT_EQ(stateA, stateB);
  EXPECT_EQ(m.scan({4, 2}), whole);
}

//===----------------------------------------------------------------------===//
// Sampler
//===----------------------------------------------------------------------===//

TEST(CpuSampler, GreedyIsTheFirstMaximum) {
  const float logits[] = {1, 3, 3, 2};
  Sampler greedy(SamplingParams{}, 0);
  EXPECT_EQ(greedy.sample(logits, 4), 1);
}

TEST(CpuSampler, TopKOneIsGreedy) {
  std::mt19937 rng(51);
  Sampler topOne(SamplingParams{1.0f, 1, 1.0f}, 7), greedy(SamplingParams{}, 7);
  for (int i = 0; i < 20; ++i) {
    std::vector<float> logits = randomVector(rng, 50, -5, 5);
    EXPECT_EQ(topOne.sample(logits.data(), 50), greedy.sample(logits.data(), 50));
  }
}

TEST(CpuSampler, SameSeedSameTokens) {
  std::mt19937 rng(52);
  std::vector<float> logits = randomVector(rng, 100, -3, 3);
  SamplingParams params{0.8f, 50, 0.9f};
  Sampler a(params, 42), b(params, 42), c(params, 43);
  std::vector<int32_t> first, second, other;
  for (int i = 0; i < 64; ++i) {
    first.push_back(a.sample(logits.data(), 100));
    second.push_back(b.sample(logits.data(), 100));
    other.push_back(c.sample(logits.data(), 100));
  }
  EXPECT_EQ(first, second);
  EXPECT_NE(first, other);
}

std::vector<double> frequencies(Sampler &sampler, const std::vector<float> &logits,
                                int draws) {
  std::vector<double> counts(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i)
    counts[sampler.sample(logits.data(), static_cast<int64_t>(logits.size()))] += 1.0 / draws;
  return counts;
}

TEST(CpuSampler, TemperatureOneFollowsTheSoftmax) {
  const std::vector<float> logits = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f};
  Sampler sampler(SamplingParams{1.0f, 0, 1.0f}, 1234);
  std::vector<double> freq = frequencies(sampler, logits, 20000);
  double sum = 0;
  for (float l : logits)
    sum += std::exp(double(l));
  for (size_t i = 0; i < logits.size(); ++i)
    EXPECT_NEAR(freq[i], std::exp(double(logits[i])) / sum, 0.015) << "token " << i;
}

TEST(CpuSampler, TopPAndTopKCutTheTail) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.75 keeps the first two.
  const std::vector<float> logits = {std::log(0.3f), std::log(0.05f),
                                     std::log(0.5f), std::log(0.15f)};
  Sampler nucleus(SamplingParams{1.0f, 0, 0.75f}, 99);
  std::vector<double> freq = frequencies(nucleus, logits, 5000);
  EXPECT_EQ(freq[1], 0.0);
  EXPECT_EQ(freq[3], 0.0);
  EXPECT_NEAR(freq[2], 0.5 / 0.8, 0.03);
  EXPECT_NEAR(freq[0], 0.3 / 0.8, 0.03);

  Sampler topThree(SamplingParams{1.0f, 3, 1.0f}, 99);
  freq = frequencies(topThree, logits, 5000);
  EXPECT_EQ(freq[1], 0.0);
  EXPECT_NEAR(freq[3], 0.15 / 0.95, 0.03);
}

//===----------------------------------------------------------------------===//
// Timing (informational)
//===----------------------------------------------------------------------===//

/// Prints the time of linear() on SmolLM2-135M's shapes; checks nothing.
/// Run it with --gtest_also_run_disabled_tests --gtest_filter='*Timing'.
TEST(CpuLinear, DISABLED_Timing) {
  std::mt19937 rng(61);
  struct Shape {
    int64_t rows, cols, tokens;
    DType dtype;
  };
  for (Shape s : {Shape{576, 576, 1, DType::F32}, Shape{576, 576, 64, DType::F32},
                  Shape{49152, 576, 1, DType::F32}, Shape{49152, 576, 1, DType::BF16},
                  Shape{1536, 576, 64, DType::BF16}}) {
    StoredWeight w(rng, s.dtype, s.rows, s.cols);
    std::vector<float> in = randomVector(rng, s.tokens * s.cols),
                       out(s.tokens * s.rows);
    auto once = [&] {
      linear(rowsOf(in, s.tokens, s.cols), w.matrix, nullptr,
             rowsOf(out, s.tokens, s.rows));
    };
    once();
    int iterations = 0;
    auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    while (seconds < 0.2) {
      once();
      ++iterations;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    double us = seconds / iterations * 1e6;
    double gflops = 2.0 * s.rows * s.cols * s.tokens / (us * 1e3);
    std::printf("linear %s %lldx%lld tokens %lld: %.1f us (%.2f GFLOP/s, %d threads)\n",
                std::string(dtypeName(s.dtype)).c_str(), (long long)s.rows,
                (long long)s.cols, (long long)s.tokens, us, gflops, numThreads());
  }
}

} // namespace
