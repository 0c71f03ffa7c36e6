//===- FuseRopeAttention.cpp - RoPE inside the attention's KV append ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// In a decode step the RoPE kernel rotates one token's q and k, and the
// attention's first kernel then copies k and v into the cache: one launch
// can do both. The fused attention rotates q and k in place as kern.rope
// does, so every later reader sees what it saw before.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

namespace mlopt {
#define GEN_PASS_DEF_FUSEROPEATTENTIONPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class FuseRopeAttentionPass
    : public mlopt::impl::FuseRopeAttentionPassBase<FuseRopeAttentionPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

/// Fuses `rope` into the attention after it that reads the rotated q and k.
static void fuse(kern::RopeOp rope) {
  auto attention = dyn_cast_or_null<kern::AttentionOp>(kern::nextKernel(rope));
  if (!attention || attention.getRope() || attention.getQ() != rope.getQ() ||
      attention.getK() != rope.getK())
    return;
  auto program = rope->getParentOfType<kern::ProgramOp>();
  if (static_cast<int64_t>(rope.getHeadDim()) !=
      program.getConfig().getHeadDim())
    return;
  attention.setRope(true);
  rope.erase();
}

void FuseRopeAttentionPass::runOnOperation() {
  for (Operation *op : kern::opsInStepEntries<kern::RopeOp>(getOperation()))
    fuse(cast<kern::RopeOp>(op));
}
