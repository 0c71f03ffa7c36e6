//===- Parallel.h - Threads and weight access of the CPU kernels -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SRC_CPU_PARALLEL_H
#define MLRT_SRC_CPU_PARALLEL_H

#include "mlrt/cpu/Kernels.h"

#include <cmath>
#include <functional>

namespace mlrt::cpu {

/// Runs fn(begin, end) over [0, n) split across the pool's threads (the
/// caller's thread takes part); returns when every part is done.
void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &fn);

/// Element `i` of a weight, as f32.
inline float element(const Matrix &m, int64_t i) {
  switch (m.dtype) {
  case DType::BF16:
    return bf16ToF32(static_cast<const uint16_t *>(m.data)[i]);
  case DType::F16:
    return f16ToF32(static_cast<const uint16_t *>(m.data)[i]);
  default:
    return static_cast<const float *>(m.data)[i];
  }
}

/// Row `r` of a weight as f32: a pointer into the weight when it is f32,
/// else converted into `scratch` (m.cols floats).
inline const float *rowF32(const Matrix &m, int64_t r, float *scratch) {
  if (m.dtype == DType::F32)
    return static_cast<const float *>(m.data) + r * m.cols;
  size_t bytes = dtypeSize(m.dtype);
  convertToF32(m.dtype, static_cast<const uint8_t *>(m.data) + r * m.cols * bytes,
               scratch, m.cols);
  return scratch;
}

inline float silu(float x) { return x / (1.0f + std::exp(-x)); }
/// torch.nn.functional.softplus (threshold 20).
inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

} // namespace mlrt::cpu

#endif // MLRT_SRC_CPU_PARALLEL_H
