//===- GpuCodegen.cpp - kern ops -> GPU kernels -> PTX --------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Builds one gpu.module of specialised kernels for a plan and lowers it with
// MLIR's upstream pipeline: nvvm-attach-target (chip, PTX ISA, libdevice),
// scf -> cf and gpu -> NVVM inside the module, then gpu-module-to-binary,
// where LLVM's NVPTX backend emits the PTX.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Codegen/GpuCodegen.h"
#include "Kernels.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <map>

using namespace mlir;
using namespace mlopt;

void mlopt::registerGpuCodegen(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, cf::ControlFlowDialect,
                  gpu::GPUDialect, math::MathDialect, memref::MemRefDialect,
                  NVVM::NVVMDialect, scf::SCFDialect, vector::VectorDialect>();
  // convert-gpu-to-nvvm lowers the other dialects through their
  // ConvertToLLVM interfaces.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllGPUToLLVMIRTranslations(registry);
}

/// The device type of the weights of embed, linear and lm_head ops.
static mlrt::DType matrixType(kern::ProgramOp program, GpuMatrices choice) {
  if (choice != GpuMatrices::Auto)
    return choice == GpuMatrices::BF16 ? mlrt::DType::BF16 : mlrt::DType::F32;
  bool allBF16 = true;
  program.walk([&](Operation *op) {
    SmallVector<Attribute> names;
    if (auto o = dyn_cast<kern::EmbedOp>(op))
      names.push_back(o.getTableAttr());
    else if (auto o = dyn_cast<kern::LMHeadOp>(op))
      names.push_back(o.getWeightAttr());
    else if (auto o = dyn_cast<kern::LinearOp>(op))
      llvm::append_range(names, o.getWeights());
    else if (auto o = dyn_cast<kern::LinearSwiGLUOp>(op))
      names.append({o.getGateAttr(), o.getUpAttr()});
    for (Attribute name : names) {
      auto weight = SymbolTable::lookupNearestSymbolFrom<kern::WeightOp>(
          op, cast<FlatSymbolRefAttr>(name));
      if (!cast<RankedTensorType>(weight.getType()).getElementType().isBF16())
        allBF16 = false;
    }
  });
  return allBF16 ? mlrt::DType::BF16 : mlrt::DType::F32;
}

bool GpuTarget::blockClusters() const {
  StringRef rest = chip;
  unsigned version = 0;
  return rest.consume_front("sm_") &&
         !rest.take_while(llvm::isDigit).getAsInteger(10, version) &&
         version >= 90;
}

/// Whether LLVM's NVPTX backend knows `chip` (sm_90a, sm_80, ...): an
/// unknown one would abort instruction selection.
static bool knownChip(StringRef chip) {
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTargetMC();
  std::string error;
  llvm::Triple triple("nvptx64-nvidia-cuda");
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, chip, ""));
  return info && info->isCPUStringValid(chip);
}

mlrt::Expected<GpuKernels> mlopt::buildGpuKernels(kern::ProgramOp program,
                                                  GpuMatrices matrices,
                                                  const GpuTarget &target) {
  if (!knownChip(target.chip))
    return mlrt::Error() << "ml-compile: unknown --gpu-chip '" << target.chip
                         << "' (expected a CUDA architecture such as sm_90a, "
                            "sm_90 or sm_80)";
  MLIRContext *ctx = program->getContext();
  DialectRegistry registry;
  registerGpuCodegen(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadDialect<arith::ArithDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                   math::MathDialect, memref::MemRefDialect, NVVM::NVVMDialect,
                   scf::SCFDialect, vector::VectorDialect>();
  GpuKernels out;
  out.matrixType = matrixType(program, matrices);
  out.target = target;
  OpBuilder b(ctx);
  out.module = ModuleOp::create(program.getLoc());
  (*out.module)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                         b.getUnitAttr());
  b.setInsertionPointToEnd(out.module->getBody());
  auto gpuModule = gpu::GPUModuleOp::create(b, program.getLoc(), "kernels");
  // The library's f32 GEMM takes the activations as they are.
  if (out.matrixType != mlrt::DType::BF16) {
    auto bf16Inputs = [](Operation *op) {
      if (auto linear = dyn_cast<kern::LinearOp>(op))
        return linear.getBf16Inputs();
      auto head = dyn_cast<kern::LMHeadOp>(op);
      return head && head.getBf16Inputs();
    };
    WalkResult rounded = program.walk([&](Operation *op) {
      return bf16Inputs(op) ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (rounded.wasInterrupted())
      return mlrt::Error() << "ml-compile: --prefill-precision=bf16 runs the "
                              "prefill's projections on bf16 tensor cores, "
                              "which take bf16 matrices; this model's are f32 "
                              "(--gpu-weights=bf16 rounds them)";
  }
  std::map<std::string, std::vector<int>> byKey;
  for (StringRef entryName : {"prefill", "decode"}) {
    auto entry = program.lookupSymbol<kern::EntryOp>(entryName);
    if (!entry)
      continue;
    for (Operation &op : entry.getBody().front()) {
      std::string key = codegen::kernelKey(&op, program, out.matrixType);
      if (key.empty())
        continue;
      auto known = byKey.find(key);
      if (known != byKey.end()) {
        out.opKernels[&op] = known->second;
        continue;
      }
      mlrt::Expected<std::vector<GpuKernelSpec>> specs =
          codegen::emitKernels(&op, program, out.matrixType, target, gpuModule);
      if (!specs)
        return specs.takeError();
      std::vector<int> indices;
      for (GpuKernelSpec &s : *specs) {
        indices.push_back(static_cast<int>(out.kernels.size()));
        out.kernels.push_back(std::move(s));
      }
      byKey[key] = indices;
      out.opKernels[&op] = indices;
    }
  }
  // The greedy token on the device, for the backend to launch after the LM
  // head.
  mlrt::Expected<std::vector<GpuKernelSpec>> argmax =
      codegen::emitArgmaxKernel(program.getConfig().getVocab(), gpuModule);
  if (!argmax)
    return argmax.takeError();
  for (GpuKernelSpec &s : *argmax)
    out.kernels.push_back(std::move(s));
  if (failed(verify(*out.module)))
    return mlrt::Error() << "ml-compile: internal error: the generated GPU "
                            "kernels do not verify";
  return out;
}

/// libdevice (math functions for NVPTX) from the CUDA toolkit.
static mlrt::Expected<std::string> libdevicePath() {
  std::vector<std::string> roots;
  for (const char *var : {"CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"})
    if (const char *v = std::getenv(var))
      roots.push_back(v);
  roots.push_back("/usr/local/cuda");
  for (const std::string &root : roots) {
    std::string path = root + "/nvvm/libdevice/libdevice.10.bc";
    if (llvm::sys::fs::exists(path))
      return path;
  }
  return mlrt::Error() << "ml-compile: libdevice.10.bc not found under "
                          "$CUDA_HOME or /usr/local/cuda; the CUDA toolkit is "
                          "needed for --target=cuda";
}

mlrt::Expected<std::string> mlopt::lowerGpuKernels(GpuKernels &kernels,
                                                   GpuStage stage) {
  StringRef chip = kernels.target.chip;
  ModuleOp module = *kernels.module;
  auto print = [](Operation *op) {
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os);
    return text;
  };
  if (stage == GpuStage::Mlir)
    return print(module);
  // bf16 mma.sync (the tensor-core prefill) exists from sm_80 on.
  StringRef digits = chip;
  unsigned version = 0;
  bool usesMma =
      module.walk([](NVVM::MmaOp) { return WalkResult::interrupt(); })
          .wasInterrupted();
  if (usesMma && digits.consume_front("sm_") &&
      !digits.take_while(llvm::isDigit).getAsInteger(10, version) &&
      version < 80)
    return mlrt::Error() << "ml-compile: the tensor-core attention of a bf16 "
                            "KV cache needs sm_80 or newer, found "
                         << chip.str();
  mlrt::Expected<std::string> libdevice = libdevicePath();
  if (!libdevice)
    return libdevice.takeError();

  PassManager pm(module->getContext());
  GpuNVVMAttachTargetOptions target;
  target.chip = chip.str();
  target.features = kPtxFeatures;
  target.optLevel = 3;
  target.linkLibs.push_back(*libdevice);
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &inGpu = pm.nest<gpu::GPUModuleOp>();
  inGpu.addPass(createSCFToControlFlowPass());
  inGpu.addPass(createConvertGpuOpsToNVVMOps());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (stage != GpuStage::Nvvm) {
    GpuModuleToBinaryPassOptions binary;
    binary.compilationTarget = stage == GpuStage::Llvm ? "llvm" : "isa";
    pm.addPass(createGpuModuleToBinaryPass(binary));
  }
  if (failed(pm.run(module)))
    return mlrt::Error() << "ml-compile: lowering the GPU kernels to "
                         << (stage == GpuStage::Nvvm ? "NVVM" : "PTX")
                         << " failed (see the diagnostics above)";
  if (stage == GpuStage::Nvvm)
    return print(module);

  std::string object;
  module.walk([&](gpu::BinaryOp binaryOp) {
    for (Attribute a : binaryOp.getObjects())
      object = cast<gpu::ObjectAttr>(a).getObject().getValue().str();
  });
  if (object.empty())
    return mlrt::Error() << "ml-compile: the NVPTX backend produced no code";
  if (stage == GpuStage::Ptx)
    return object;
  // LLVM bitcode after libdevice linking and optimisation: print it.
  llvm::LLVMContext llvmContext;
  auto parsed = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(object, "kernels"), llvmContext);
  if (!parsed)
    return mlrt::Error() << "ml-compile: cannot read the kernels' bitcode: "
                         << llvm::toString(parsed.takeError());
  std::string text;
  llvm::raw_string_ostream os(text);
  (*parsed)->print(os, nullptr);
  return text;
}
