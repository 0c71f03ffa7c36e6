//===- Sampler.cpp - Greedy, temperature, top-k and top-p sampling --------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The order of llama.cpp's and HF's samplers: temperature, top-k, softmax,
// top-p, then one draw. The random numbers come from splitmix64, so a seed
// gives the same tokens on every platform and compiler.
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
  if (params.temperature <= 0.0f || params.topK == 1)
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) -
                                logits);
  candidates.resize(vocab);
  for (int64_t i = 0; i < vocab; ++i)
    candidates[i] = {logits[i] / params.temperature, static_cast<int32_t>(i)};
  // Highest first; ties by lower id, so the order is fully determined.
  auto higher = [](const std::pair<float, int32_t> &a,
                   const std::pair<float, int32_t> &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  int64_t keep = params.topK > 0 ? std::min(params.topK, vocab) : vocab;
  std::partial_sort(candidates.begin(), candidates.begin() + keep,
                    candidates.end(), higher);
  candidates.resize(keep);
  double max = candidates[0].first, sum = 0;
  std::vector<double> probs(keep);
  for (int64_t i = 0; i < keep; ++i)
    sum += (probs[i] = std::exp(candidates[i].first - max));
  if (params.topP < 1.0f) {
    double mass = 0;
    int64_t cut = 0;
    while (cut < keep && mass < params.topP * sum)
      mass += probs[cut++];
    keep = std::max<int64_t>(cut, 1);
    sum = mass > 0 ? mass : probs[0];
  }
  double u = uniform() * sum;
  for (int64_t i = 0; i < keep; ++i)
    if ((u -= probs[i]) < 0)
      return candidates[i].second;
  return candidates[keep - 1].second;
}
