//===- Elementwise.cpp - Embedding lookup, SwiGLU, residual add, bf16 -----===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include "mlrt/DType.h"

#include <algorithm>

using namespace mlrt::cpu;

void mlrt::cpu::embed(const Matrix &table, const int32_t *tokens, Rows out) {
  const int64_t width = table.cols;
  for (int64_t t = 0; t < out.tokens; ++t) {
    float *y = out.row(t);
    const float *row = elementsF32(table, tokens[t] * width, width, y);
    if (row != y)
      std::copy(row, row + width, y);
  }
}

void mlrt::cpu::swiglu(Rows gate, Rows up, int64_t width, Rows out) {
  // An exp per channel: worth threads in prefill.
  int64_t grain = 1 + 8192 / std::max<int64_t>(width, 1);
  parallelFor(out.tokens, grain, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const float *g = gate.row(t), *u = up.row(t);
      float *y = out.row(t);
      for (int64_t i = 0; i < width; ++i)
        y[i] = silu(g[i]) * u[i];
    }
  });
}

void mlrt::cpu::add(Rows lhs, Rows rhs, int64_t width, Rows out) {
  for (int64_t t = 0; t < out.tokens; ++t) {
    const float *a = lhs.row(t), *b = rhs.row(t);
    float *y = out.row(t);
    for (int64_t i = 0; i < width; ++i)
      y[i] = a[i] + b[i];
  }
}

void mlrt::cpu::roundToBf16(Rows in, int64_t width, Rows out) {
  for (int64_t t = 0; t < out.tokens; ++t) {
    const float *x = in.row(t);
    float *y = out.row(t);
    for (int64_t i = 0; i < width; ++i)
      y[i] = mlrt::roundedToBF16(x[i]);
  }
}
