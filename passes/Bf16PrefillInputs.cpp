//===- Bf16PrefillInputs.cpp - bf16 activations in prefill products -------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Prefill is bound by the arithmetic of its matrix products. With f32
// activations the GPU takes each product as two bf16 tensor-core products
// (hi + lo); rounding the activations to bf16, as transformers' bf16 models
// do, halves that work at bf16 accuracy. The choice is the user's
// (ml-compile --prefill-precision=bf16): this pass records it on the ops,
// and both backends round at the same places.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Passes/Passes.h"

namespace mlopt {
#define GEN_PASS_DEF_BF16PREFILLINPUTSPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlopt;

namespace {
class Bf16PrefillInputsPass
    : public mlopt::impl::Bf16PrefillInputsPassBase<Bf16PrefillInputsPass> {
public:
  using Base::Base;
  void runOnOperation() final;
};
} // namespace

void Bf16PrefillInputsPass::runOnOperation() {
  getOperation().walk([](kern::EntryOp entry) {
    if (entry.getStep())
      return;
    UnitAttr on = UnitAttr::get(entry.getContext());
    entry.walk([&](Operation *op) {
      if (auto o = dyn_cast<kern::LinearOp>(op))
        o.setBf16InputsAttr(on);
      else if (auto o = dyn_cast<kern::LMHeadOp>(op))
        o.setBf16InputsAttr(on);
      else if (auto o = dyn_cast<kern::AttentionOp>(op))
        o.setBf16InputsAttr(on);
      else if (auto o = dyn_cast<kern::SSMScanOp>(op);
               o && o.getVariant() == llm::MambaVariant::Mamba2)
        o.setBf16InputsAttr(on);
    });
  });
}
