//===- Init.cpp - Deterministic weight initialisation ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Init.h"

#include <algorithm>
#include <cmath>

using namespace mlrt;

Expected<InitRule> mlrt::parseInitRule(std::string_view name) {
  static const std::pair<std::string_view, InitRule> rules[] = {
      {"zeros", InitRule::Zeros},       {"ones", InitRule::Ones},
      {"constant", InitRule::Constant}, {"uniform", InitRule::Uniform},
      {"normal", InitRule::Normal},     {"dt_bias", InitRule::DtBias},
      {"s4d_real", InitRule::S4DReal},  {"log_uniform", InitRule::LogUniform}};
  for (auto [n, r] : rules)
    if (n == name)
      return r;
  return Error() << "unknown init rule '" << name << "'";
}

/// SplitMix64's finaliser: a bijective mix of a 64-bit counter.
static uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double mlrt::uniformAt(uint64_t seed, uint64_t index, uint64_t stream) {
  uint64_t key = mix(seed * 0x9e3779b97f4a7c15ULL + stream);
  uint64_t bits = mix(key ^ mix(index + 0x632be59bd9b4e019ULL));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

bool mlrt::initIsRandom(InitRule rule) {
  return rule == InitRule::Uniform || rule == InitRule::Normal ||
         rule == InitRule::DtBias || rule == InitRule::LogUniform;
}

unsigned mlrt::initParamCount(InitRule rule) {
  switch (rule) {
  case InitRule::Zeros:
  case InitRule::Ones:
  case InitRule::S4DReal:
    return 0;
  case InitRule::Constant:
    return 1;
  case InitRule::Uniform:
  case InitRule::Normal:
  case InitRule::LogUniform:
    return 2;
  case InitRule::DtBias:
    return 3;
  }
  return 0;
}

Status mlrt::fillInit(InitRule rule, const std::vector<double> &p,
                      uint64_t seed, const std::vector<int64_t> &shape,
                      DType dtype, void *dst) {
  if (p.size() != initParamCount(rule))
    return Error() << "init rule takes " << initParamCount(rule)
                   << " parameter(s), found " << p.size();
  if (!isFloat(dtype))
    return Error() << "init rules produce float weights, not "
                   << dtypeName(dtype);
  if (rule == InitRule::S4DReal && shape.size() != 2)
    return Error("s4d_real init needs a rank-2 weight (d_inner x d_state)");
  uint64_t count = 1;
  for (int64_t d : shape)
    count *= static_cast<uint64_t>(d);

  std::vector<float> values(count);
  for (uint64_t i = 0; i < count; ++i) {
    double v = 0;
    switch (rule) {
    case InitRule::Zeros:
      v = 0;
      break;
    case InitRule::Ones:
      v = 1;
      break;
    case InitRule::Constant:
      v = p[0];
      break;
    case InitRule::Uniform:
      v = p[0] + (p[1] - p[0]) * uniformAt(seed, i);
      break;
    case InitRule::Normal: {
      // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
      double u1 = 1.0 - uniformAt(seed, i, 0), u2 = uniformAt(seed, i, 1);
      v = p[0] +
          p[1] * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
      break;
    }
    case InitRule::DtBias: {
      double lo = std::log(p[0]), hi = std::log(p[1]);
      double dt = std::max(std::exp(lo + (hi - lo) * uniformAt(seed, i)), p[2]);
      v = dt + std::log(-std::expm1(-dt)); // inverse of softplus
      break;
    }
    case InitRule::S4DReal:
      v = std::log(
          static_cast<double>(i % static_cast<uint64_t>(shape[1]) + 1));
      break;
    case InitRule::LogUniform:
      v = std::log(p[0] + (p[1] - p[0]) * uniformAt(seed, i));
      break;
    }
    values[i] = static_cast<float>(v);
  }
  convertFromF32(dtype, values.data(), dst, count);
  return Status::ok();
}
