//===- FuseMambaStep.cpp - A Mamba-2 decode step as one kernel ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Matches the chain convert-llm-to-kern emits for a Mamba-2 mixer in step
// entries: conv1d in place on [x|B|C], ssm_scan of it into y, gated norm
// of y in place. Buffers keep their offsets: the scan already had xbc, dt
// and y live together and z is live from its projection to the norm, so
// the fused op's buffers are pairwise disjoint.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlopt {
#define GEN_PASS_DEF_FUSEMAMBASTEPPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class FuseMambaStepPass
    : public mlopt::impl::FuseMambaStepPassBase<FuseMambaStepPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

/// Fuses `conv` with the Mamba-2 scan and gated norm that follow it.
static void fuse(kern::Conv1dOp conv) {
  auto scan = dyn_cast_or_null<kern::SSMScanOp>(kern::nextKernel(conv));
  if (!scan || scan.getVariant() != llm::MambaVariant::Mamba2)
    return;
  auto norm = dyn_cast_or_null<kern::GatedRMSNormOp>(kern::nextKernel(scan));
  if (!norm)
    return;
  Value xbc = conv.getIn();
  bool chained = conv.getOut() == xbc && scan.getXbc() == xbc &&
                 scan.getStateAttr() == conv.getStateAttr() &&
                 norm.getY() == scan.getOut() && norm.getOut() == norm.getY();
  // The fused kernel keeps the conv output on chip and leaves xbc as it
  // was; a later reader would see the difference.
  if (!chained || kern::usedAfter(norm, xbc))
    return;
  // Its scan blocks own one head each (MambaStepKernel.cpp): a norm group
  // must lie within a head (it is one head in every lowering).
  int64_t headDim =
      cast<kern::BufferType>(scan.getOut().getType()).getWidth() /
      scan.getHeads();
  if (headDim % norm.getGroup() != 0)
    return;
  OpBuilder b(norm);
  kern::MambaStepOp::create(
      b, norm.getLoc(), xbc, scan.getDt(), norm.getZ(),
      conv.getWeightAttr(), conv.getBiasAttr(), scan.getDtBiasAttr(),
      scan.getALogAttr(), scan.getDAttr(), norm.getWeightAttr(),
      scan.getStateAttr(), scan.getHeadsAttr(), scan.getGroupsAttr(),
      scan.getDStateAttr(), norm.getGroupAttr(), scan.getOut());
  norm.erase();
  scan.erase();
  conv.erase();
}

void FuseMambaStepPass::runOnOperation() {
  for (Operation *conv : kern::opsInStepEntries<kern::Conv1dOp>(getOperation()))
    fuse(cast<kern::Conv1dOp>(conv));
}
