//===- Mamba.cpp - Causal conv1d and the selective scans ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// mamba_ssm's reference semantics (causal_conv1d_ref, selective_scan_ref,
// the Mamba-2 SSD recurrence) as recurrences through explicit states, so a
// sequence run at once and token by token give the same result. Layouts
// and index rules: paper_spec.md sections 1.1 and 1.2.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <vector>

using namespace mlrt::cpu;

void mlrt::cpu::conv1d(Rows in, const Matrix &weight, const Matrix &bias,
                       std::vector<float> &state, Rows out) {
  const int64_t channels = weight.rows, width = weight.cols, past = width - 1;
  parallelFor(channels, [&](int64_t begin, int64_t end) {
    std::vector<float> w(width), window(width);
    for (int64_t c = begin; c < end; ++c) {
      for (int64_t j = 0; j < width; ++j)
        w[j] = element(weight, c * width + j);
      float b = element(bias, c);
      // window[0 .. past) holds the previous inputs, oldest first.
      float *history = &state[c * past];
      std::copy(history, history + past, window.begin());
      for (int64_t t = 0; t < in.tokens; ++t) {
        window[past] = in.row(t)[c]; // read before out (may alias) is written
        float y = b;
        for (int64_t j = 0; j < width; ++j)
          y += w[j] * window[j];
        out.row(t)[c] = silu(y);
        std::copy(window.begin() + 1, window.end(), window.begin());
      }
      std::copy(window.begin(), window.begin() + past, history);
    }
  });
}

void mlrt::cpu::repeatGroups(Rows in, int64_t group, int64_t times, Rows out) {
  const int64_t width = out.stride;
  for (int64_t t = 0; t < in.tokens; ++t) {
    const float *x = in.row(t);
    float *y = out.row(t);
    for (int64_t d = 0; d < width; ++d)
      y[d] = x[group * (d / (group * times)) + d % group];
  }
}

void mlrt::cpu::ssmScanMamba2(Rows xbc, Rows dt, const Matrix &dtBias,
                              const Matrix &aLog, const Matrix &d,
                              int64_t heads, int64_t groups, int64_t headDim,
                              int64_t dState, std::vector<float> &state,
                              Rows out) {
  const int64_t perGroup = heads / groups, bOffset = groups * headDim,
                cOffset = bOffset + groups * dState;
  parallelFor(heads, [&](int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; ++h) {
      const int64_t g = h / perGroup;
      const float a = -std::exp(element(aLog, h)), bias = element(dtBias, h),
                  skip = element(d, h);
      float *s = &state[h * headDim * dState]; // headDim x dState
      for (int64_t t = 0; t < xbc.tokens; ++t) {
        const float *row = xbc.row(t);
        const float *x = row + g * headDim, *b = row + bOffset + g * dState,
                    *c = row + cOffset + h * dState;
        const float delta = softplus(dt.row(t)[h] + bias);
        const float decay = std::exp(delta * a);
        float *y = out.row(t) + h * headDim;
        for (int64_t p = 0; p < headDim; ++p) {
          float *sp = s + p * dState, dx = delta * x[p], acc = 0.0f;
          for (int64_t n = 0; n < dState; ++n) {
            sp[n] = decay * sp[n] + dx * b[n];
            acc += sp[n] * c[n];
          }
          y[p] = acc + skip * x[p];
        }
      }
    }
  });
}

void mlrt::cpu::ssmScanMamba1(Rows x, Rows bc, Rows dt, const Matrix &dtBias,
                              const Matrix &aLog, const Matrix &d,
                              int64_t heads, int64_t groups, int64_t dState,
                              std::vector<float> &state, Rows out) {
  const int64_t inner = heads * dState, perGroup = heads / groups,
                cOffset = groups * dState;
  parallelFor(inner, [&](int64_t begin, int64_t end) {
    std::vector<float> a(dState);
    for (int64_t ch = begin; ch < end; ++ch) {
      const int64_t head = ch / dState, g = head / perGroup;
      for (int64_t n = 0; n < dState; ++n)
        a[n] = -std::exp(element(aLog, ch * dState + n));
      // The released checkpoints add dt_proj's bias in the projection and
      // again as the scan's delta_bias (paper_spec.md 1.1).
      const float bias = 2.0f * element(dtBias, ch), skip = element(d, ch);
      float *s = &state[ch * dState];
      for (int64_t t = 0; t < x.tokens; ++t) {
        const float *b = bc.row(t) + g * dState,
                    *c = bc.row(t) + cOffset + head * dState;
        const float u = x.row(t)[ch];
        const float delta = softplus(dt.row(t)[ch] + bias);
        float acc = 0.0f;
        for (int64_t n = 0; n < dState; ++n) {
          s[n] = std::exp(delta * a[n]) * s[n] + delta * b[n] * u;
          acc += s[n] * c[n];
        }
        out.row(t)[ch] = acc + skip * u;
      }
    }
  });
}
