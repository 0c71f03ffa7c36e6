//===- FuseAddRMSNorm.cpp - Residual add + RMSNorm as one kernel ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Runs after the planner: buffers keep their offsets, so the fused op must
// not make two live buffers overlap (the entry verifier checks it). The
// norm's output is born where the add's operand dies and the planner often
// gives both the same floats; then the two values become one.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlopt {
#define GEN_PASS_DEF_FUSEADDRMSNORMPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class FuseAddRMSNormPass
    : public mlopt::impl::FuseAddRMSNormPassBase<FuseAddRMSNormPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

/// Fuses `add` with the rms_norm that follows it and reads its result.
static void fuse(kern::AddOp add) {
  auto norm = dyn_cast_or_null<kern::RMSNormOp>(kern::nextKernel(add));
  if (!norm || norm.getIn() != add.getOut())
    return;
  Value out = norm.getOut();
  Value operands[] = {add.getLhs(), add.getRhs(), add.getOut()};
  // A norm output over part of an operand would be written before the
  // fused op has read all of that operand's row: keep the two ops.
  if (llvm::any_of(operands, [&](Value v) {
        return kern::overlap(out, v) == kern::Overlap::Partial;
      }))
    return;
  for (Value operand : operands)
    if (out != operand && kern::overlap(out, operand) == kern::Overlap::Same) {
      // `operand` dies at the fused op and `out` is born there: one buffer.
      Operation *buffer = out.getDefiningOp();
      out.replaceAllUsesWith(operand);
      buffer->erase();
      out = operand;
    }
  OpBuilder b(norm);
  kern::AddRMSNormOp::create(b, norm.getLoc(), add.getLhs(), add.getRhs(),
                             norm.getWeightAttr(), norm.getEpsAttr(),
                             add.getOut(), out);
  norm.erase();
  add.erase();
}

void FuseAddRMSNormPass::runOnOperation() {
  // Collected first: fusing erases the norm after each add.
  SmallVector<kern::AddOp> adds;
  getOperation().walk([&](kern::AddOp add) { adds.push_back(add); });
  for (kern::AddOp add : adds)
    fuse(add);
}
