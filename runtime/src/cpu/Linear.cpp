//===- Linear.cpp - The CPU GEMM: out = in W^T + bias ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Threads split the weight's rows in blocks. A block is converted to f32
// once (bf16/f16 weights) and then meets every token row while it is in
// cache, so decoding (one token) streams the weights once and prefill reuses
// each block for all tokens.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <vector>

using namespace mlrt::cpu;

namespace {
constexpr int64_t kBlockRows = 16;

float dot(const float *a, const float *b, int64_t n) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i)
    sum += a[i] * b[i];
  return sum;
}
} // namespace

void mlrt::cpu::linear(Rows in, const Matrix &w, const Matrix *bias,
                       Rows out) {
  const int64_t k = w.cols, blocks = (w.rows + kBlockRows - 1) / kBlockRows;
  parallelFor(blocks, [&](int64_t begin, int64_t end) {
    std::vector<float> tile(w.dtype == DType::F32 ? 0 : kBlockRows * k);
    const float *rows[kBlockRows];
    for (int64_t b = begin; b < end; ++b) {
      int64_t r0 = b * kBlockRows, n = std::min(kBlockRows, w.rows - r0);
      for (int64_t r = 0; r < n; ++r)
        rows[r] = rowF32(w, r0 + r, tile.data() + r * k);
      for (int64_t t = 0; t < in.tokens; ++t) {
        const float *x = in.row(t);
        float *y = out.row(t) + r0;
        for (int64_t r = 0; r < n; ++r)
          y[r] = dot(x, rows[r], k) + (bias ? element(*bias, r0 + r) : 0.0f);
      }
    }
  });
}
