//===- Norm.cpp - RMSNorm and Mamba-2's gated RMSNorm ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Both in f32 as their references compute them: transformers' LlamaRMSNorm
// (variance = mean(x^2), x * rsqrt(variance + eps), times the weight) and
// mamba_ssm's rms_norm_ref with z and norm_before_gate=False (gate first,
// then the same normalisation within each group, eps 1e-5).
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

using namespace mlrt::cpu;

namespace {
/// out = x * rsqrt(mean(x^2) + eps) * w over n channels; out may equal x.
void normalize(const float *x, const float *w, int64_t n, float eps,
               float *out) {
  float variance = dot(x, x, n) / static_cast<float>(n);
  float scale = 1.0f / std::sqrt(variance + eps);
  for (int64_t i = 0; i < n; ++i)
    out[i] = w[i] * (x[i] * scale);
}

/// Tokens worth a thread for rows of `width` channels.
int64_t tokenGrain(int64_t width) { return 1 + 16384 / std::max<int64_t>(width, 1); }
} // namespace

void mlrt::cpu::rmsNorm(Rows in, const Matrix &weight, double eps, Rows out) {
  const int64_t width = weight.cols;
  WeightF32 w(weight);
  parallelFor(in.tokens, tokenGrain(width), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      normalize(in.row(t), w.data(), width, static_cast<float>(eps),
                out.row(t));
  });
}

void mlrt::cpu::gatedRmsNorm(Rows y, Rows z, const Matrix &weight,
                             int64_t group, Rows out) {
  const int64_t width = weight.cols;
  WeightF32 w(weight);
  parallelFor(y.tokens, tokenGrain(width), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const float *yt = y.row(t), *zt = z.row(t);
      float *o = out.row(t);
      for (int64_t i = 0; i < width; ++i)
        o[i] = yt[i] * silu(zt[i]);
      for (int64_t g = 0; g < width; g += group)
        normalize(o + g, w.data() + g, group, 1e-5f, o + g);
    }
  });
}
