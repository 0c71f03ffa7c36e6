//===- Attention.cpp - Causal GQA attention over a KV cache ---------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// transformers' eager attention in f32: scores q.k * head_dim^-0.5, a
// softmax that subtracts the maximum, then the weighted sum of values. The
// step's keys and values are appended to the cache first, so a prefill of
// n tokens and n one-token steps see the same keys.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include "mlrt/DType.h"

#include <algorithm>
#include <cassert>

using namespace mlrt::cpu;

KVCache::KVCache(int64_t capacity, int64_t width, bool bf16)
    : capacity(capacity), bf16(bf16) {
  if (bf16) {
    kBf16.resize(capacity * width);
    vBf16.resize(capacity * width);
  } else {
    k.resize(capacity * width);
    v.resize(capacity * width);
  }
}

uint64_t KVCache::bytes() const {
  return (k.size() + v.size()) * sizeof(float) +
         (kBf16.size() + vBf16.size()) * sizeof(uint16_t);
}

namespace {
/// Appends `k` and `v` rows (width floats each) to the cache, as bf16 in a
/// bf16 cache.
void append(Rows k, Rows v, int64_t width, KVCache &cache) {
  assert(cache.length + k.tokens <= cache.capacity && "KV cache overflow");
  for (int64_t t = 0; t < k.tokens; ++t) {
    const int64_t at = (cache.length + t) * width;
    if (!cache.bf16) {
      std::copy(k.row(t), k.row(t) + width, &cache.k[at]);
      std::copy(v.row(t), v.row(t) + width, &cache.v[at]);
      continue;
    }
    std::transform(k.row(t), k.row(t) + width, &cache.kBf16[at],
                   mlrt::f32ToBF16);
    std::transform(v.row(t), v.row(t) + width, &cache.vBf16[at],
                   mlrt::f32ToBF16);
  }
  cache.length += k.tokens;
}

/// One query head over cached keys [first, last]: keys and values are
/// `headDim` elements (f32 or bf16) every `stride` from `k` and `v`. With
/// `bf16Inputs`, q and the weights exp(s - max) are rounded to bf16 before
/// their products (the normaliser sums them unrounded), as the GPU's
/// tensor-core attention computes them.
template <typename T>
void attendHead(const float *q, const T *k, const T *v, int64_t stride,
                int64_t headDim, int64_t first, int64_t last, float scale,
                bool bf16Inputs, std::vector<float> &scores, float *out) {
  thread_local std::vector<float> rounded;
  if (bf16Inputs) {
    rounded.resize(headDim);
    std::transform(q, q + headDim, rounded.begin(), mlrt::roundedToBF16);
    q = rounded.data();
  }
  scores.resize(last - first + 1);
  float max = -INFINITY;
  for (int64_t j = first; j <= last; ++j) {
    float s = dot(q, k + j * stride, headDim) * scale;
    scores[j - first] = s;
    max = std::max(max, s);
  }
  float sum = 0.0f;
  for (float &s : scores)
    sum += (s = std::exp(s - max));
  std::fill(out, out + headDim, 0.0f);
  for (int64_t j = first; j <= last; ++j) {
    float weight = scores[j - first];
    if (bf16Inputs)
      weight = mlrt::roundedToBF16(weight);
    const float p = weight / sum;
    const T *vj = v + j * stride;
    for (int64_t d = 0; d < headDim; ++d)
      out[d] += p * widen(vj[d]);
  }
}
} // namespace

void mlrt::cpu::attention(Rows q, Rows k, Rows v, KVCache &cache, int64_t heads,
                          int64_t kvHeads, int64_t headDim, int64_t window,
                          Rows out, bool bf16Inputs) {
  const int64_t kvWidth = kvHeads * headDim, past = cache.length,
                perKVHead = heads / kvHeads;
  append(k, v, kvWidth, cache);
  const float scale = static_cast<float>(std::pow(double(headDim), -0.5));
  // One (token, head) pair reads up to cache.length keys.
  int64_t grain = 1 + 32768 / std::max<int64_t>(cache.length * headDim, 1);
  parallelFor(q.tokens * heads, grain, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t t = i / heads, h = i % heads, position = past + t;
      const int64_t first =
          window > 0 ? std::max<int64_t>(0, position - window + 1) : 0;
      const int64_t kvOffset = (h / perKVHead) * headDim;
      auto attend = [&](const auto &k, const auto &v) {
        attendHead(q.row(t) + h * headDim, k.data() + kvOffset,
                   v.data() + kvOffset, kvWidth, headDim, first, position,
                   scale, bf16Inputs, scores, out.row(t) + h * headDim);
      };
      if (cache.bf16)
        attend(cache.kBf16, cache.vBf16);
      else
        attend(cache.k, cache.v);
    }
  });
}
