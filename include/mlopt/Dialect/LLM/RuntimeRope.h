//===- RuntimeRope.h - An llm config's RoPE for the runtime -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The one mapping from the llm dialect's RoPE attributes to mlrt::RopeConfig:
// the artifact writer serialises it and GPU codegen computes its frequency
// tables with the runtime's own Rope from it.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_LLM_RUNTIMEROPE_H
#define MLOPT_DIALECT_LLM_RUNTIMEROPE_H

#include "mlopt/Dialect/LLM/LLMAttrs.h"
#include "mlrt/Artifact.h"

namespace mlopt {

/// `config`'s theta and scaling; the runtime's defaults without scaling.
inline mlrt::RopeConfig runtimeRope(mlir::llm::ConfigAttr config) {
  mlrt::RopeConfig r;
  r.theta = config.getRopeTheta();
  if (mlir::llm::RopeScalingAttr s = config.getRopeScaling()) {
    // The runtime's kinds are the dialect's, after None.
    r.scaling = static_cast<mlrt::RopeScalingKind>(
        static_cast<int>(s.getKind()) + 1);
    r.factor = s.getFactor();
    r.lowFreqFactor = s.getLowFreqFactor();
    r.highFreqFactor = s.getHighFreqFactor();
    r.originalMaxPosition = s.getOriginalMaxPosition().value_or(0);
    r.betaFast = s.getBetaFast();
    r.betaSlow = s.getBetaSlow();
    r.attentionFactor = s.getAttentionFactor();
  }
  return r;
}

} // namespace mlopt

#endif // MLOPT_DIALECT_LLM_RUNTIMEROPE_H
