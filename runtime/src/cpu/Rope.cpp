//===- Rope.cpp - Rotary position embeddings ------------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Inverse frequencies as transformers' modeling_rope_utils computes them
// (default, linear, dynamic NTK, llama3, yarn), in f32 like torch; angles
// are float(position) * inv_freq in f32, and q, k rotate in the rotate_half
// layout (pairs i and i + headDim / 2).
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include "mlrt/Artifact.h"

#include <algorithm>

using namespace mlrt;
using namespace mlrt::cpu;

/// 1 / base^(2i / dim), in f32.
static std::vector<float> defaultFrequencies(double base, int64_t dim) {
  std::vector<float> f(dim / 2);
  for (int64_t i = 0; i < dim / 2; ++i)
    f[i] = 1.0f / std::pow(static_cast<float>(base),
                           static_cast<float>(2 * i) / static_cast<float>(dim));
  return f;
}

/// `_compute_llama3_parameters`: long wavelengths slowed by `factor`, short
/// ones kept, a smooth ramp between.
static void llama3(std::vector<float> &f, const RopeConfig &c) {
  const double pi = 3.14159265358979323846;
  double old = static_cast<double>(c.originalMaxPosition);
  double lowWavelen = old / c.lowFreqFactor, highWavelen = old / c.highFreqFactor;
  for (float &v : f) {
    double wavelen = 2 * pi / v;
    if (wavelen > lowWavelen) {
      v = static_cast<float>(v / c.factor);
    } else if (wavelen >= highWavelen) {
      double smooth = (old / wavelen - c.lowFreqFactor) /
                      (c.highFreqFactor - c.lowFreqFactor);
      v = static_cast<float>((1 - smooth) * v / c.factor + smooth * v);
    }
  }
}

/// `_compute_yarn_parameters` (truncate = true): interpolated below the
/// correction range, extrapolated above it, a linear ramp within.
static float yarn(std::vector<float> &f, const RopeConfig &c, int64_t dim,
                  int64_t maxPosition) {
  const double pi = 3.14159265358979323846;
  double original = c.originalMaxPosition ? c.originalMaxPosition : maxPosition;
  auto correctionDim = [&](double rotations) {
    return dim * std::log(original / (rotations * 2 * pi)) /
           (2 * std::log(c.theta));
  };
  double low = std::max(0.0, std::floor(correctionDim(c.betaFast)));
  double high = std::min(double(dim - 1), std::ceil(correctionDim(c.betaSlow)));
  if (low == high)
    high += 0.001;
  for (int64_t i = 0; i < dim / 2; ++i) {
    float ramp = std::clamp(static_cast<float>((i - low) / (high - low)), 0.0f,
                            1.0f);
    float extrapolation = 1.0f - ramp;
    float interpolation = f[i] / static_cast<float>(c.factor);
    f[i] = interpolation * (1 - extrapolation) + f[i] * extrapolation;
  }
  if (c.attentionFactor > 0)
    return static_cast<float>(c.attentionFactor);
  return c.factor > 1 ? static_cast<float>(0.1 * std::log(c.factor) + 1) : 1.0f;
}

Rope::Rope(const RopeConfig &c, int64_t headDim, int64_t maxPosition)
    : base(defaultFrequencies(c.theta, headDim)), theta(c.theta),
      factor(c.factor), headDim(headDim),
      originalMax(c.originalMaxPosition ? c.originalMaxPosition : maxPosition) {
  switch (c.scaling) {
  case RopeScalingKind::None:
    break;
  case RopeScalingKind::Linear:
    for (float &v : base)
      v = static_cast<float>(v / c.factor);
    break;
  case RopeScalingKind::Dynamic:
    dynamic = true;
    break;
  case RopeScalingKind::Llama3:
    llama3(base, c);
    break;
  case RopeScalingKind::Yarn:
    scaling = yarn(base, c, headDim, maxPosition);
    break;
  }
}

std::vector<float> Rope::inverseFrequencies(int64_t length) const {
  if (!dynamic || length <= originalMax)
    return base;
  // `_compute_dynamic_ntk_parameters` for seq_len = length.
  double b = theta * std::pow(factor * length / originalMax - (factor - 1),
                              double(headDim) / (headDim - 2));
  return defaultFrequencies(b, headDim);
}

void Rope::apply(Rows q, int64_t qHeads, Rows k, int64_t kHeads,
                 int64_t firstPosition) const {
  const int64_t half = headDim / 2;
  std::vector<float> freq = inverseFrequencies(firstPosition + q.tokens);
  parallelFor(q.tokens, [&](int64_t begin, int64_t end) {
    std::vector<float> cos(half), sin(half);
    for (int64_t t = begin; t < end; ++t) {
      float position = static_cast<float>(firstPosition + t);
      for (int64_t i = 0; i < half; ++i) {
        float angle = position * freq[i];
        cos[i] = std::cos(angle) * scaling;
        sin[i] = std::sin(angle) * scaling;
      }
      auto rotate = [&](float *x, int64_t heads) {
        for (int64_t h = 0; h < heads; ++h, x += headDim)
          for (int64_t i = 0; i < half; ++i) {
            float a = x[i], b = x[i + half];
            x[i] = a * cos[i] - b * sin[i];
            x[i + half] = b * cos[i] + a * sin[i];
          }
      };
      rotate(q.row(t), qHeads);
      rotate(k.row(t), kHeads);
    }
  });
}
