//===- Init.h - Deterministic weight initialisation -------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Produces the values of a new weight from its init rule and seed, bit for
// bit the same on every machine and thread count: element i draws its random
// numbers from a counter-based generator keyed by (seed, i), never from a
// shared stream. The rules are those of #llm.init (paper_spec.md 1.3).
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_INIT_H
#define MLRT_INIT_H

#include "mlrt/DType.h"
#include "mlrt/Status.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace mlrt {

enum class InitRule {
  Zeros,
  Ones,
  Constant, // (c)
  Uniform,  // (lo, hi): U(lo, hi)
  Normal,   // (mean, std)
  DtBias,   // (dt_min, dt_max, floor): softplus^-1(max(exp(U(ln min, ln max)),
            // floor))
  S4DReal,  // A_log[d, n] = ln(n + 1)
  LogUniform, // (lo, hi): ln U(lo, hi)
};

/// Parses the rule's #llm.init spelling ("uniform", "dt_bias", ...).
Expected<InitRule> parseInitRule(std::string_view name);

/// How many parameters `rule` takes.
unsigned initParamCount(InitRule rule);

/// Whether `rule` draws random numbers (and so needs a seed).
bool initIsRandom(InitRule rule);

/// Uniform double in [0, 1) for element `index` of the weight seeded `seed`;
/// `stream` separates the draws one element needs (Box-Muller takes two).
double uniformAt(uint64_t seed, uint64_t index, uint64_t stream = 0);

/// Fills `dst` (a tensor of `shape` and float type `dtype`) by `rule`.
Status fillInit(InitRule rule, const std::vector<double> &params, uint64_t seed,
                const std::vector<int64_t> &shape, DType dtype, void *dst);

} // namespace mlrt

#endif // MLRT_INIT_H
