//===- Kernels.cpp - One kernel emitter per kern op -----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The specialisation key of each op's kernels, and the dispatch of an op to
// its family's emitter (KernelEmitters.h).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "KernelEmitters.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

/// What the keys of kernels over a bf16 SSM state add.
static const char *ssmStateSuffix(Operation *op, FlatSymbolRefAttr state) {
  return ssmStateType(op, state).isBF16() ? "_ssmbf16" : "";
}

std::string codegen::kernelKey(Operation *op, kern::ProgramOp program,
                               mlrt::DType matrixType) {
  if (isa<kern::EmbedOp, kern::LinearOp, kern::LinearSwiGLUOp, kern::LMHeadOp>(op))
    return matrixKernelKey(op, matrixType);
  auto epsName = [](APFloat value) {
    return codegen::epsName(value.convertToDouble());
  };
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([&](kern::RMSNormOp o) {
        return llvm::formatv("rms_norm_w{0}_eps{1}", widthOf(o.getIn()),
                             epsName(o.getEps()))
            .str();
      })
      .Case([&](kern::AddRMSNormOp o) {
        return llvm::formatv("add_rms_norm_w{0}_eps{1}", widthOf(o.getLhs()),
                             epsName(o.getEps()))
            .str();
      })
      .Case([](kern::AddOp o) {
        return llvm::formatv("add_w{0}", widthOf(o.getOut())).str();
      })
      .Case([](kern::SwiGLUOp o) {
        return llvm::formatv("swiglu_w{0}", widthOf(o.getOut())).str();
      })
      .Case([](kern::GatedRMSNormOp o) {
        return llvm::formatv("gated_rms_norm_w{0}_g{1}", widthOf(o.getY()),
                             o.getGroup())
            .str();
      })
      .Case([](kern::RepeatGroupsOp o) {
        return llvm::formatv("repeat_groups_w{0}_g{1}_x{2}", widthOf(o.getIn()),
                             o.getGroup(), o.getTimes())
            .str();
      })
      .Case([](kern::RopeOp o) {
        return llvm::formatv("rope_q{0}_k{1}_d{2}", widthOf(o.getQ()),
                             widthOf(o.getK()), o.getHeadDim())
            .str();
      })
      .Case([](kern::AttentionOp o) {
        bool step = o->getParentOfType<kern::EntryOp>().getStep();
        return llvm::formatv("attention_h{0}_q{1}_kv{2}_win{3}{4}{5}{6}{7}",
                             o.getHeads(), widthOf(o.getQ()), widthOf(o.getK()),
                             o.getWindow().value_or(0),
                             kvElementType(o).isBF16() ? "_kvbf16" : "",
                             o.getRope() ? "_rope" : "",
                             o.getBf16Inputs() ? kBf16InputsSuffix : "",
                             step ? kDecodeSuffix : "")
            .str();
      })
      .Case([](kern::Conv1dOp o) {
        RankedTensorType w = weightType(o, o.getWeightAttr());
        return llvm::formatv("conv1d_c{0}_k{1}", widthOf(o.getIn()),
                             w.getNumElements() / widthOf(o.getIn()))
            .str();
      })
      .Case([](kern::MambaStepOp o) {
        return llvm::formatv(
                   "mamba_step_h{0}_g{1}_n{2}_x{3}_k{4}_ng{5}{6}", o.getHeads(),
                   o.getGroups(), o.getDState(), widthOf(o.getXbc()),
                   weightType(o, o.getConvWeightAttr()).getNumElements() /
                       widthOf(o.getXbc()),
                   o.getGroup(), ssmStateSuffix(o, o.getStateAttr()))
            .str();
      })
      .Case([](kern::SSMScanOp o) {
        bool one = o.getVariant() == llm::MambaVariant::Mamba1;
        // Mamba-2 outside step entries is the chunked scan.
        bool chunked =
            !one && !o->getParentOfType<kern::EntryOp>().getStep();
        return llvm::formatv("ssm_scan_mamba{0}_h{1}_g{2}_n{3}_x{4}{5}{6}{7}",
                             one ? 1 : 2, o.getHeads(), o.getGroups(),
                             o.getDState(), widthOf(o.getXbc()),
                             ssmStateSuffix(o, o.getStateAttr()),
                             chunked ? "_chunked" : "",
                             o.getBf16Inputs() ? kBf16InputsSuffix : "")
            .str();
      })
      .Default([](Operation *) { return std::string(); });
}

mlrt::Expected<std::vector<GpuKernelSpec>>
codegen::emitKernels(Operation *op, kern::ProgramOp program,
                     mlrt::DType matrixType, const GpuTarget &target,
                     gpu::GPUModuleOp module) {
  std::string name = kernelKey(op, program, matrixType);
  if (name.empty())
    return std::vector<GpuKernelSpec>(); // f32 GEMMs: cuBLAS
  if (isa<kern::EmbedOp, kern::LinearOp, kern::LinearSwiGLUOp, kern::LMHeadOp>(op))
    return emitMatrixKernels(op, name, matrixType, module);
  if (isa<kern::RopeOp, kern::AttentionOp>(op))
    return emitAttentionKernels(op, name, program, target, module);
  if (isa<kern::Conv1dOp, kern::SSMScanOp>(op))
    return emitMambaKernels(op, name, module);
  if (auto step = dyn_cast<kern::MambaStepOp>(op))
    return emitMambaStepKernel(step, name, target, module);
  return emitRowKernels(op, name, module);
}
