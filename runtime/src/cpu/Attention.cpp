//===- Attention.cpp - Causal GQA attention through a KV cache ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// As transformers' eager attention in f32: scores q.k / sqrt(d), a causal
// (and sliding-window) mask, softmax, weighted sum of v. Prefill and decode
// are the same loop: the step's keys are appended first, then each query
// attends to the cache up to its own position.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <algorithm>
#include <cstring>
#include <vector>

using namespace mlrt::cpu;

void mlrt::cpu::attention(Rows q, Rows k, Rows v, KVCache &cache,
                          int64_t heads, int64_t kvHeads, int64_t headDim,
                          int64_t window, Rows out) {
  const int64_t kvWidth = kvHeads * headDim, past = cache.length;
  for (int64_t t = 0; t < k.tokens; ++t) {
    std::memcpy(&cache.k[(past + t) * kvWidth], k.row(t), kvWidth * 4);
    std::memcpy(&cache.v[(past + t) * kvWidth], v.row(t), kvWidth * 4);
  }
  cache.length = past + k.tokens;
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  const int64_t perKV = heads / kvHeads;
  parallelFor(q.tokens * heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    for (int64_t job = begin; job < end; ++job) {
      int64_t t = job / heads, h = job % heads, p = past + t;
      int64_t first = window > 0 ? std::max<int64_t>(0, p - window + 1) : 0;
      const float *qh = q.row(t) + h * headDim;
      const int64_t kvOffset = (h / perKV) * headDim;
      scores.resize(p - first + 1);
      float max = -INFINITY;
      for (int64_t j = first; j <= p; ++j) {
        const float *kj = &cache.k[j * kvWidth + kvOffset];
        float s = 0.0f;
        for (int64_t d = 0; d < headDim; ++d)
          s += qh[d] * kj[d];
        scores[j - first] = s * scale;
        max = std::max(max, scores[j - first]);
      }
      float sum = 0.0f;
      for (float &s : scores)
        sum += (s = std::exp(s - max));
      float *o = out.row(t) + h * headDim;
      std::fill(o, o + headDim, 0.0f);
      for (int64_t j = first; j <= p; ++j) {
        const float *vj = &cache.v[j * kvWidth + kvOffset];
        float weight = scores[j - first] / sum;
        for (int64_t d = 0; d < headDim; ++d)
          o[d] += weight * vj[d];
      }
    }
  });
}
