//===- Sampler.cpp - Greedy, temperature, top-k and top-p sampling --------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// transformers' order of logits warpers: temperature, top-k, top-p. Every
// step is deterministic: candidates are ordered by (logit, then lower id),
// and the random numbers come from splitmix64 rather than a standard
// library distribution, whose output is implementation-defined.
//
//===----------------------------------------------------------------------===//

#include "mlrt/cpu/Kernels.h"

#include <algorithm>
#include <cmath>

using namespace mlrt::cpu;

double Sampler::uniform() {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

int32_t Sampler::sample(const float *logits, int64_t vocab) {
  if (params.temperature <= 0.0f) // the first maximum, as torch.argmax
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) -
                                logits);
  candidates.resize(vocab);
  for (int64_t i = 0; i < vocab; ++i)
    candidates[i] = {logits[i] / params.temperature, static_cast<int32_t>(i)};

  // Top-k, and the order top-p needs: highest first, ties by lower id.
  int64_t keep = params.topK > 0 ? std::min(params.topK, vocab) : vocab;
  if (keep < vocab || params.topP < 1.0f) {
    auto higher = [](const std::pair<float, int32_t> &a,
                     const std::pair<float, int32_t> &b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    std::partial_sort(candidates.begin(), candidates.begin() + keep,
                      candidates.end(), higher);
  }

  // Softmax numerators of the kept candidates.
  float max = -INFINITY;
  for (int64_t i = 0; i < keep; ++i)
    max = std::max(max, candidates[i].first);
  weights.resize(keep);
  double total = 0;
  for (int64_t i = 0; i < keep; ++i)
    total += (weights[i] = std::exp(double(candidates[i].first - max)));

  // Top-p: the shortest prefix holding at least topP of the mass.
  if (params.topP < 1.0f) {
    double mass = 0, target = double(params.topP) * total;
    int64_t cut = 0;
    while (cut < keep && (cut == 0 || mass < target))
      mass += weights[cut++];
    keep = cut;
    total = mass;
  }

  double u = uniform() * total;
  for (int64_t i = 0; i < keep; ++i)
    if ((u -= weights[i]) < 0)
      return candidates[i].second;
  return candidates[keep - 1].second;
}
