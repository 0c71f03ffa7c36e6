//===- FuseProjections.cpp - Linears of one input as one GEMV -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Runs after the planner: buffers keep their offsets. Each linear's
// outputs were written while its input was live, so they never share the
// input's floats, and the linears are consecutive, so nothing between them
// can tell the merged op (where the last one ran) from the originals.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlopt {
#define GEN_PASS_DEF_FUSEPROJECTIONSPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class FuseProjectionsPass
    : public mlopt::impl::FuseProjectionsPassBase<FuseProjectionsPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

/// Merges the linears after `first` that read its input into it.
static void fuse(kern::LinearOp first) {
  SmallVector<kern::LinearOp> group{first};
  bool biases = static_cast<bool>(first.getBiases());
  if (first.getNorm() || first.getAccumulate())
    return;
  for (auto next = dyn_cast_or_null<kern::LinearOp>(kern::nextKernel(first));
       next && next.getIn() == first.getIn() &&
       static_cast<bool>(next.getBiases()) == biases && !next.getNorm() &&
       !next.getAccumulate() && next.getBf16Inputs() == first.getBf16Inputs();
       next = dyn_cast_or_null<kern::LinearOp>(kern::nextKernel(next)))
    group.push_back(next);
  if (group.size() < 2)
    return;
  SmallVector<Attribute> weights, biasList;
  SmallVector<Value> outs;
  for (kern::LinearOp linear : group) {
    llvm::append_range(weights, linear.getWeights());
    if (biases)
      llvm::append_range(biasList, *linear.getBiases());
    llvm::append_range(outs, linear.getOuts());
  }
  // Where the last ran: the later outputs' kern.buffer ops precede it.
  OpBuilder builder(group.back());
  MLIRContext *ctx = first.getContext();
  kern::LinearOp::create(
      builder, first.getLoc(), first.getIn(), ArrayAttr::get(ctx, weights),
      biases ? ArrayAttr::get(ctx, biasList) : ArrayAttr(), FlatSymbolRefAttr(),
      FloatAttr(), UnitAttr(), first.getBf16InputsAttr(), outs);
  for (kern::LinearOp linear : group)
    linear.erase();
}

void FuseProjectionsPass::runOnOperation() {
  getOperation().walk([&](kern::EntryOp entry) {
    if (!entry.getStep())
      return;
    // Each merge erases the linears after the first: walk by hand.
    Block &body = entry.getBody().front();
    for (Operation *op = &body.front(); op; op = op->getNextNode())
      if (auto linear = dyn_cast<kern::LinearOp>(op)) {
        Operation *anchor = op->getPrevNode();
        fuse(linear);
        op = anchor ? anchor->getNextNode() : &body.front();
      }
  });
}
