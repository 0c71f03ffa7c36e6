//===- Norm.cpp - RMSNorm and Mamba-2's gated RMSNorm ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

using namespace mlrt::cpu;

namespace {
/// x * rsqrt(mean(x^2) + eps) * weight over n channels (in fp32, as HF
/// LlamaRMSNorm and mamba_ssm's rms_norm_ref compute it).
void normalize(const float *x, const Matrix &weight, int64_t weightOffset,
               int64_t n, double eps, float *y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i)
    sum += double(x[i]) * x[i];
  float mean = static_cast<float>(sum / n);
  float scale = 1.0f / std::sqrt(mean + static_cast<float>(eps));
  for (int64_t i = 0; i < n; ++i)
    y[i] = element(weight, weightOffset + i) * (x[i] * scale);
}
} // namespace

void mlrt::cpu::rmsNorm(Rows in, const Matrix &weight, double eps, Rows out) {
  parallelFor(in.tokens, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t)
      normalize(in.row(t), weight, 0, weight.cols, eps, out.row(t));
  });
}

void mlrt::cpu::gatedRmsNorm(Rows y, Rows z, const Matrix &weight,
                             int64_t group, Rows out) {
  const int64_t width = weight.cols;
  parallelFor(y.tokens, [&](int64_t begin, int64_t end) {
    std::vector<float> gated(width);
    for (int64_t t = begin; t < end; ++t) {
      const float *yt = y.row(t), *zt = z.row(t);
      for (int64_t i = 0; i < width; ++i)
        gated[i] = yt[i] * silu(zt[i]);
      for (int64_t g = 0; g < width; g += group)
        normalize(gated.data() + g, weight, g, group, 1e-5, out.row(t) + g);
    }
  });
}
