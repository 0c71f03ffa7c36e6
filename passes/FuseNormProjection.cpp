//===- FuseNormProjection.cpp - RMSNorm and residual add into the GEMVs ---===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// In a decode step every RMSNorm output feeds one projection, whose GEMV
// reads the whole input row in every warp anyway: it can as well sum the
// squares and scale its dot products, and the norm kernel goes. The
// residual add before it goes into the epilogue of the projection that
// made its operand (out += W x). Two launches of the ~10 a layer.
//
// Runs after the planner and the other fusions: buffers keep their offsets.
// The projection now reads the un-normalised residual row where it read the
// norm's output, so nothing else may read that output, and when the norm
// wrote over the residual in place, nothing may read the residual after.
// The accumulating linear writes the residual while other warps read its
// input, so that input must not be the residual.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlopt {
#define GEN_PASS_DEF_FUSENORMPROJECTIONPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class FuseNormProjectionPass
    : public mlopt::impl::FuseNormProjectionPassBase<FuseNormProjectionPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

/// Whether `op` is a projection of `x` without an input norm yet.
static bool projectsUnnormalised(Operation *op, Value x) {
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<kern::LinearOp, kern::LinearSwiGLUOp, kern::LMHeadOp>(
          [&](auto p) { return p.getIn() == x && !p.getNorm(); })
      .Default([](Operation *) { return false; });
}

/// Makes projection `op` read `h` and normalise it with `weight`, `eps`.
static void normaliseInput(Operation *op, Value h, FlatSymbolRefAttr weight,
                           FloatAttr eps) {
  llvm::TypeSwitch<Operation *>(op)
      .Case<kern::LinearOp, kern::LinearSwiGLUOp, kern::LMHeadOp>([&](auto p) {
        p.getInMutable().assign(h);
        p.setNormAttr(weight);
        p.setEpsAttr(eps);
      });
}

/// Whether the norm output `x` may become `projection`'s normalised read of
/// the residual: `projection` is the next kernel and reads `x`, and nothing
/// reads `x` after it (so when the norm wrote over the residual in place,
/// nothing reads the residual after either). Uses of the buffer before the
/// norm are other values of its floats.
static bool foldable(Operation *projection, Value x) {
  return projection && projectsUnnormalised(projection, x) &&
         !kern::usedAfter(projection, x);
}

static void eraseIfUnused(Value buffer) {
  if (buffer.use_empty())
    buffer.getDefiningOp()->erase();
}

/// rms_norm %h -> %x; P(%x)  =>  P(norm(%h)).
static void fuse(kern::RMSNormOp norm) {
  Operation *projection = kern::nextKernel(norm);
  Value x = norm.getOut(), h = norm.getIn();
  if (!foldable(projection, x))
    return;
  normaliseInput(projection, h, norm.getWeightAttr(), norm.getEpsAttr());
  norm.erase();
  eraseIfUnused(x);
}

/// linear %a -> %d; add_rms_norm %h, %d -> %h, %x; P(%x)
///   =>  linear %a accumulate -> %h; P(norm(%h)).
static void fuse(kern::AddRMSNormOp add) {
  Operation *projection = kern::nextKernel(add);
  auto linear = dyn_cast_or_null<kern::LinearOp>(kern::previousKernel(add));
  Value h = add.getLhs(), d = add.getRhs(), x = add.getOut();
  if (!linear || linear.getAccumulate() || linear.getOuts().size() != 1 ||
      linear.getOuts()[0] != d || add.getSum() != h || linear.getIn() == h ||
      kern::overlap(linear.getIn(), h) != kern::Overlap::Disjoint || d == h)
    return;
  // Nothing reads the linear's own output after the add (the planner may
  // have given the norm's output its floats: then the projection reads it).
  if (!foldable(projection, x) ||
      kern::usedAfter(d == x ? projection : add.getOperation(), d))
    return;
  linear.getOutsMutable().assign(h);
  linear.setAccumulate(true);
  normaliseInput(projection, h, add.getWeightAttr(), add.getEpsAttr());
  add.erase();
  eraseIfUnused(d);
  if (x != h)
    eraseIfUnused(x);
}

void FuseNormProjectionPass::runOnOperation() {
  for (Operation *op :
       kern::opsInStepEntries<kern::RMSNormOp, kern::AddRMSNormOp>(
           getOperation())) {
    if (auto norm = dyn_cast<kern::RMSNormOp>(op))
      fuse(norm);
    else
      fuse(cast<kern::AddRMSNormOp>(op));
  }
}
