//===- Rope.cpp - Rotary position embeddings ------------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Inverse frequencies as transformers 5's modeling_rope_utils computes them
// (default, linear, dynamic NTK, llama3, yarn), step by step in f32 like
// torch: Python scalars meet f32 tensors as f32. Angles are
// float(position) * inv_freq in f32, cos and sin are scaled by the
// attention factor (yarn), and q, k rotate in the rotate_half layout (pairs
// i and i + headDim / 2).
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include "mlrt/Artifact.h"

#include <algorithm>

using namespace mlrt;
using namespace mlrt::cpu;

namespace {
constexpr double kPi = 3.14159265358979323846;

/// base^(float(2i) / dim) in f32 (torch's `base ** (arange(0, dim, 2) /
/// dim)`), the pow itself rounded once from double.
float basePower(double base, int64_t i, int64_t dim) {
  float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
  return static_cast<float>(
      std::pow(double(static_cast<float>(base)), double(exponent)));
}

/// `_compute_default_rope_parameters`: 1 / base^(2i / dim) in f32.
std::vector<float> defaultFrequencies(double base, int64_t dim) {
  std::vector<float> f(dim / 2);
  for (int64_t i = 0; i < dim / 2; ++i)
    f[i] = 1.0f / basePower(base, i, dim);
  return f;
}

/// `_compute_llama3_parameters`: wavelengths above original / lowFreqFactor
/// are slowed down by `factor`, those below original / highFreqFactor kept,
/// and those between interpolated.
void applyLlama3(std::vector<float> &f, const RopeConfig &c) {
  const double old = static_cast<double>(c.originalMaxPosition);
  const float lowWavelen = static_cast<float>(old / c.lowFreqFactor),
              highWavelen = static_cast<float>(old / c.highFreqFactor),
              factor = static_cast<float>(c.factor);
  for (float &v : f) {
    float wavelen = static_cast<float>(2 * kPi) / v;
    float scaled = wavelen > lowWavelen ? v / factor : v;
    bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    if (medium) {
      float smooth =
          (static_cast<float>(old) / wavelen - static_cast<float>(c.lowFreqFactor)) /
          static_cast<float>(c.highFreqFactor - c.lowFreqFactor);
      scaled = (1 - smooth) * scaled / factor + smooth * scaled;
    }
    v = scaled;
  }
}

/// `_compute_yarn_parameters` (truncate = true): frequencies interpolated
/// (divided by `factor`) below the correction range of dimensions,
/// extrapolated (kept) above it, a linear ramp within. Returns the
/// attention factor.
float applyYarn(std::vector<float> &f, const RopeConfig &c, int64_t dim,
                int64_t original) {
  auto correctionDim = [&](double rotations) {
    return dim * std::log(original / (rotations * 2 * kPi)) /
           (2 * std::log(c.theta));
  };
  double low = std::max(0.0, std::floor(correctionDim(c.betaFast)));
  double high = std::min(double(dim - 1), std::ceil(correctionDim(c.betaSlow)));
  if (low == high)
    high += 0.001;
  const float factor = static_cast<float>(c.factor);
  for (int64_t i = 0; i < dim / 2; ++i) {
    float posFreq = basePower(c.theta, i, dim);
    float extrapolated = 1.0f / posFreq, interpolated = 1.0f / (factor * posFreq);
    float ramp = (static_cast<float>(i) - static_cast<float>(low)) /
                 static_cast<float>(high - low);
    float extrapolation = 1.0f - std::clamp(ramp, 0.0f, 1.0f);
    f[i] = interpolated * (1.0f - extrapolation) + extrapolated * extrapolation;
  }
  if (c.attentionFactor != 0)
    return static_cast<float>(c.attentionFactor);
  return c.factor > 1 ? static_cast<float>(0.1 * std::log(c.factor) + 1) : 1.0f;
}
} // namespace

Rope::Rope(const RopeConfig &c, int64_t headDim, int64_t maxPosition)
    : theta(c.theta), factor(c.factor), headDim(headDim),
      originalMax(c.originalMaxPosition ? c.originalMaxPosition : maxPosition) {
  base = defaultFrequencies(c.theta, headDim);
  switch (c.scaling) {
  case RopeScalingKind::None:
    break;
  case RopeScalingKind::Linear:
    for (float &v : base)
      v /= static_cast<float>(c.factor);
    break;
  case RopeScalingKind::Dynamic:
    dynamic = true;
    break;
  case RopeScalingKind::Llama3:
    applyLlama3(base, c);
    break;
  case RopeScalingKind::Yarn:
    scaling = applyYarn(base, c, headDim, originalMax);
    break;
  }
}

std::vector<float> Rope::inverseFrequencies(int64_t length) const {
  if (!dynamic || length <= originalMax)
    return base;
  // `_compute_dynamic_ntk_parameters` with seq_len = length.
  double ntkBase =
      theta * std::pow(factor * double(length) / double(originalMax) -
                           (factor - 1),
                       double(headDim) / double(headDim - 2));
  return defaultFrequencies(ntkBase, headDim);
}

void Rope::apply(Rows q, int64_t qHeads, Rows k, int64_t kHeads,
                 int64_t firstPosition) const {
  const int64_t half = headDim / 2;
  const std::vector<float> freq = inverseFrequencies(firstPosition + q.tokens);
  auto rotate = [&](float *x, int64_t heads, const float *cos,
                    const float *sin) {
    for (int64_t h = 0; h < heads; ++h, x += headDim)
      for (int64_t i = 0; i < half; ++i) {
        float a = x[i], b = x[i + half];
        x[i] = a * cos[i] + -b * sin[i];
        x[i + half] = b * cos[i] + a * sin[i];
      }
  };
  int64_t grain = 1 + 4096 / std::max<int64_t>((qHeads + kHeads) * headDim, 1);
  parallelFor(q.tokens, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> cos(half), sin(half);
    for (int64_t t = begin; t < end; ++t) {
      const float position = static_cast<float>(firstPosition + t);
      for (int64_t i = 0; i < half; ++i) {
        float angle = position * freq[i];
        cos[i] = std::cos(angle) * scaling;
        sin[i] = std::sin(angle) * scaling;
      }
      rotate(q.row(t), qHeads, cos.data(), sin.data());
      rotate(k.row(t), kHeads, cos.data(), sin.data());
    }
  });
}
