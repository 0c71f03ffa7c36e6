//===- FuseLinearSwiGLU.cpp - Gate and up projections + SwiGLU as one GEMV ===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Runs after the planner: buffers keep their offsets. The fused op writes
// its output while every warp still reads the input, so the two must not
// share floats; the unfused SwiGLU could write over an input that died at
// the up projection, so that is checked, not assumed.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlopt {
#define GEN_PASS_DEF_FUSELINEARSWIGLUPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class FuseLinearSwiGLUPass
    : public mlopt::impl::FuseLinearSwiGLUPassBase<FuseLinearSwiGLUPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

/// A linear of one weight and no bias writing `out` alone.
static bool projects(kern::LinearOp linear, Value out) {
  return linear && linear.getWeights().size() == 1 && !linear.getBiases() &&
         linear.getOuts().size() == 1 && linear.getOuts()[0] == out;
}

/// Fuses `swiglu` with the gate and up projections just before it.
static void fuse(kern::SwiGLUOp swiglu) {
  Operation *second = kern::previousKernel(swiglu);
  Operation *first = second ? kern::previousKernel(second) : nullptr;
  auto a = dyn_cast_or_null<kern::LinearOp>(first);
  auto b = dyn_cast_or_null<kern::LinearOp>(second);
  if (!a || !b || a.getIn() != b.getIn())
    return;
  Value gate = swiglu.getGate(), up = swiglu.getUp(), out = swiglu.getOut();
  kern::LinearOp gateOp = projects(a, gate) ? a : projects(b, gate) ? b : nullptr;
  kern::LinearOp upOp = projects(a, up) ? a : projects(b, up) ? b : nullptr;
  if (!gateOp || !upOp || gateOp == upOp)
    return;
  for (Value projection : {gate, up})
    if (projection != out && kern::usedAfter(swiglu, projection))
      return;
  if (kern::overlap(out, a.getIn()) != kern::Overlap::Disjoint)
    return;
  OpBuilder builder(swiglu);
  kern::LinearSwiGLUOp::create(
      builder, swiglu.getLoc(), a.getIn(), FlatSymbolRefAttr(), FloatAttr(),
      cast<FlatSymbolRefAttr>(gateOp.getWeights()[0]),
      cast<FlatSymbolRefAttr>(upOp.getWeights()[0]), out);
  swiglu.erase();
  a.erase();
  b.erase();
  // The projections' buffers are no longer used: drop them.
  for (Value projection : {gate, up})
    if (projection.use_empty())
      projection.getDefiningOp()->erase();
}

void FuseLinearSwiGLUPass::runOnOperation() {
  for (Operation *op : kern::opsInStepEntries<kern::SwiGLUOp>(getOperation()))
    fuse(cast<kern::SwiGLUOp>(op));
}
