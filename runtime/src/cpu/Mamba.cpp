//===- Mamba.cpp - Causal conv1d and the selective scans ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// mamba_ssm's semantics as recurrences through explicit states, so that a
// sequence run at once and token by token give the same bits: the conv as
// causal_conv1d (bias first, then the taps oldest first, then SiLU), the
// state update as selective_state_update_ref (state * exp(delta A) +
// (delta B) x, y = state . C + D x) for both variants. Layouts and index
// rules: paper_spec.md sections 1.1 and 1.2.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <algorithm>
#include <cassert>

using namespace mlrt::cpu;

namespace {
/// One step of one state row: s = s * decay + deltaB * x; returns s . c.
float updateRow(float *s, const float *deltaB, float x, float decay,
                const float *c, int64_t dState) {
  for (int64_t n = 0; n < dState; ++n)
    s[n] = s[n] * decay + deltaB[n] * x;
  return dot(s, c, dState);
}

/// Items worth a thread when each costs `work` multiply-adds.
int64_t grainFor(int64_t work) { return 1 + 16384 / std::max<int64_t>(work, 1); }
} // namespace

void mlrt::cpu::conv1d(Rows in, const Matrix &weight, const Matrix &bias,
                       std::vector<float> &state, Rows out) {
  const int64_t channels = weight.rows, width = weight.cols, past = width - 1;
  assert(static_cast<int64_t>(state.size()) == channels * past);
  WeightF32 w(weight), b(bias);
  parallelFor(channels, grainFor(in.tokens * width), [&](int64_t begin,
                                                         int64_t end) {
    // window[0 .. past) are the previous inputs, oldest first; window[past]
    // the current one.
    thread_local std::vector<float> window;
    window.resize(width);
    for (int64_t c = begin; c < end; ++c) {
      const float *taps = w.data() + c * width;
      float *history = state.data() + c * past;
      std::copy(history, history + past, window.begin());
      for (int64_t t = 0; t < in.tokens; ++t) {
        window[past] = in.row(t)[c]; // read before out, which may alias
        float acc = b[c];
        for (int64_t j = 0; j < width; ++j)
          acc += taps[j] * window[j];
        out.row(t)[c] = silu(acc);
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
  assert(static_cast<int64_t>(state.size()) == heads * headDim * dState);
  const int64_t perGroup = heads / groups, bOffset = groups * headDim,
                cOffset = bOffset + groups * dState;
  WeightF32 bias(dtBias), logA(aLog), skip(d);
  int64_t grain = grainFor(xbc.tokens * headDim * dState);
  parallelFor(heads, grain, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> deltaB;
    deltaB.resize(dState);
    for (int64_t h = begin; h < end; ++h) {
      const int64_t g = h / perGroup;
      const float a = -std::exp(logA[h]);
      float *s = state.data() + h * headDim * dState; // headDim x dState
      for (int64_t t = 0; t < xbc.tokens; ++t) {
        const float *row = xbc.row(t);
        const float *x = row + g * headDim, *b = row + bOffset + g * dState,
                    *c = row + cOffset + h * dState;
        const float delta = softplus(dt.row(t)[h] + bias[h]);
        const float decay = std::exp(delta * a);
        for (int64_t n = 0; n < dState; ++n)
          deltaB[n] = delta * b[n];
        float *y = out.row(t) + h * headDim;
        for (int64_t p = 0; p < headDim; ++p)
          y[p] = updateRow(s + p * dState, deltaB.data(), x[p], decay, c,
                           dState) +
                 x[p] * skip[h];
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
  assert(static_cast<int64_t>(state.size()) == inner * dState);
  WeightF32 bias(dtBias), logA(aLog), skip(d);
  parallelFor(inner, grainFor(x.tokens * dState), [&](int64_t begin,
                                                      int64_t end) {
    thread_local std::vector<float> a;
    a.resize(dState);
    for (int64_t ch = begin; ch < end; ++ch) {
      const int64_t head = ch / dState, g = head / perGroup;
      for (int64_t n = 0; n < dState; ++n)
        a[n] = -std::exp(logA[ch * dState + n]);
      float *s = state.data() + ch * dState;
      for (int64_t t = 0; t < x.tokens; ++t) {
        const float *b = bc.row(t) + g * dState,
                    *c = bc.row(t) + cOffset + head * dState;
        const float u = x.row(t)[ch];
        // The released checkpoints add dt_proj's bias in the projection and
        // again as the scan's delta_bias (paper_spec.md 1.1).
        const float delta = softplus((dt.row(t)[ch] + bias[ch]) + bias[ch]);
        for (int64_t n = 0; n < dState; ++n)
          s[n] = s[n] * std::exp(delta * a[n]) + (delta * b[n]) * u;
        out.row(t)[ch] = dot(s, c, dState) + u * skip[ch];
      }
    }
  });
}
