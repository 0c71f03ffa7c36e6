//===- ml-compile.cpp - Compile an llm module into a .mlart artifact ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-compile hybrid.mlir -o hybrid.mlart [--target=cuda [--gpu-chip=sm_90a]]
//   ml-compile hybrid.mlir --target=cuda --emit=mlir|nvvm|llvm|ptx -o out
//
// Writes the artifact the runtime loads (schemas/artifact.fbs): config,
// layers, weight table (weights stay in their stores; those created by init
// rules are written to hybrid.mlart.weights.safetensors), tokenizer and the
// execution plan. The plan is the module's `kern.program @<model>.plan` when
// it has one (ml-opt --convert-llm-to-kern), else convert-llm-to-kern runs
// here.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Artifact/ArtifactWriter.h"
#include "mlopt/Codegen/GpuCodegen.h"
#include "mlrt/MappedFile.h"
#include "mlopt/Dialect/LLM/ModelStructure.h"
#include "mlopt/Passes/Passes.h"
#include "mlopt/Tools/ModelFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<module>"));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Output artifact"),
                                       cl::value_desc("file.mlart"));

static cl::opt<std::string>
    target("target", cl::init("cpu"),
           cl::desc("Code to include: cpu (the plan only) or cuda (also PTX "
                    "kernels for the CUDA backend)"),
           cl::value_desc("cpu|cuda"));
static cl::opt<std::string> gpuChip("gpu-chip",
                                    cl::init(mlopt::kDefaultGpuChip),
                                    cl::desc("CUDA architecture of the PTX: "
                                             "sm_90a (H100/H200, wgmma), "
                                             "sm_90 or sm_80"),
                                    cl::value_desc("sm_90a"));
static cl::opt<std::string> gpuWeights(
    "gpu-weights", cl::init("auto"),
    cl::desc("Device type of the embedding, projection and LM head weights: "
             "auto (bf16 when the checkpoint stores them in bf16, else f32), "
             "f32, or bf16 (rounds f32/f16 weights: half the memory and "
             "decode time)"),
    cl::value_desc("auto|f32|bf16"));
static cl::opt<std::string> kvCache(
    "kv-cache", cl::init("f32"),
    cl::desc("Element type of the KV caches, for both backends: f32, or "
             "bf16 (K and V rounded as stored: half the cache memory and the "
             "bytes attention reads)"),
    cl::value_desc("f32|bf16"));
static cl::opt<std::string> ssmState(
    "ssm-state", cl::init("f32"),
    cl::desc("Element type of the Mamba layers' SSM states, for both "
             "backends: f32, or bf16 (rounded as stored: half the state "
             "memory and the bytes a decode step moves)"),
    cl::value_desc("f32|bf16"));
static cl::opt<std::string> prefillPrecision(
    "prefill-precision", cl::init("f32"),
    cl::desc("Activations of the prefill's matrix products and Mamba-2 "
             "scans, for both backends: f32 (the GPU takes each as a bf16 "
             "hi + lo pair, within ~1e-5 of f32), or bf16 (rounded first, as "
             "a bf16 model in transformers: one tensor-core product, ~2x "
             "faster prefill; the scan runs as SSD's matrix form)"),
    cl::value_desc("f32|bf16"));
static cl::opt<std::string>
    emit("emit", cl::init(""),
         cl::desc("With --target=cuda, write one stage of the kernels to -o "
                  "instead of the artifact: mlir (gpu dialect), nvvm (LLVM "
                  "dialect), llvm (LLVM IR given to NVPTX), ptx"),
         cl::value_desc("mlir|nvvm|llvm|ptx"));

/// The options that choose f32 or bf16 as ml-compile plans the model.
static const cl::opt<std::string> *const planTypeOptions[] = {
    &kvCache, &ssmState, &prefillPrecision};

static int fail(const std::string &message) {
  // Library errors name the tool themselves.
  llvm::StringRef text(message);
  text.consume_front("ml-compile: ");
  llvm::WithColor::error(llvm::errs(), "ml-compile") << text << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "ml-compile: llm module -> .mlart artifact\n");
  auto start = std::chrono::steady_clock::now();
  mlrt::Expected<std::unique_ptr<mlopt::ModelFile>> file =
      mlopt::ModelFile::open(inputPath, "compile");
  if (!file)
    return file.message().empty() ? 1 : fail(file.message());
  mlopt::ModelFile &f = **file;
  std::string planName = (f.model.getSymName() + ".plan").str();
  auto plan = f.getModule().lookupSymbol<kern::ProgramOp>(planName);
  if (!plan) {
    // A model without the decoder structure gets the analysis's message.
    if (mlrt::Expected<mlopt::ModelStructure> s =
            mlopt::analyzeModelStructure(f.model);
        !s)
      return fail(s.message());
    // The pass's remark (arena size, states) becomes one line of output.
    ScopedDiagnosticHandler remarks(
        f.getModule()->getContext(), [](Diagnostic &d) {
          if (d.getSeverity() != DiagnosticSeverity::Remark)
            return failure();
          llvm::errs() << "ml-compile: " << d.str() << "\n";
          return success();
        });
    for (const cl::opt<std::string> *option : planTypeOptions)
      if (*option != "f32" && *option != "bf16")
        return fail("unknown --" + option->ArgStr.str() + " '" +
                    option->getValue() + "' (expected f32 or bf16)");
    PassManager pm(f.getModule()->getContext());
    mlopt::ConvertLLMToKernPassOptions planOptions;
    planOptions.kvCache = kvCache;
    planOptions.ssmState = ssmState;
    pm.addPass(mlopt::createConvertLLMToKernPass(planOptions));
    // Fusions: one kernel where the plan had two or three (issues 6, 7).
    // linear_swiglu takes its linears before they merge with others.
    pm.addPass(mlopt::createFuseAddRMSNormPass());
    pm.addPass(mlopt::createFuseMambaStepPass());
    pm.addPass(mlopt::createFuseLinearSwiGLUPass());
    pm.addPass(mlopt::createFuseProjectionsPass());
    pm.addPass(mlopt::createFuseNormProjectionPass());
    pm.addPass(mlopt::createFuseRopeAttentionPass());
    if (prefillPrecision == "bf16")
      pm.addPass(mlopt::createBf16PrefillInputsPass());
    if (failed(pm.run(f.getModule())))
      return 1; // the pass reported why
    plan = f.getModule().lookupSymbol<kern::ProgramOp>(planName);
  } else {
    for (const cl::opt<std::string> *option : planTypeOptions)
      if (option->getNumOccurrences())
        return fail("--" + option->ArgStr.str() +
                    " applies when ml-compile plans the model; " + inputPath +
                    " already holds the plan " + planName);
  }
  if (target != "cpu" && target != "cuda")
    return fail("unknown --target '" + target + "' (expected cpu or cuda)");
  if (!emit.empty() && target != "cuda")
    return fail("--emit shows the stages of GPU kernels; add --target=cuda");
  std::optional<mlopt::GpuArtifactCode> gpu;
  mlopt::GpuKernels kernels;
  if (target == "cuda") {
    mlopt::GpuMatrices matrices = mlopt::GpuMatrices::Auto;
    if (gpuWeights == "f32")
      matrices = mlopt::GpuMatrices::F32;
    else if (gpuWeights == "bf16")
      matrices = mlopt::GpuMatrices::BF16;
    else if (gpuWeights != "auto")
      return fail("unknown --gpu-weights '" + gpuWeights +
                  "' (expected auto, f32 or bf16)");
    mlrt::Expected<mlopt::GpuKernels> built =
        mlopt::buildGpuKernels(plan, matrices, mlopt::GpuTarget{gpuChip});
    if (!built)
      return fail(built.message());
    kernels = std::move(*built);
    static const std::pair<const char *, mlopt::GpuStage> stages[] = {
        {"mlir", mlopt::GpuStage::Mlir},
        {"nvvm", mlopt::GpuStage::Nvvm},
        {"llvm", mlopt::GpuStage::Llvm},
        {"ptx", mlopt::GpuStage::Ptx}};
    mlopt::GpuStage stage = mlopt::GpuStage::Ptx;
    if (!emit.empty()) {
      auto it = llvm::find_if(stages, [](auto &s) { return emit == s.first; });
      if (it == std::end(stages))
        return fail("unknown --emit '" + emit +
                    "' (expected mlir, nvvm, llvm or ptx)");
      stage = it->second;
    }
    mlrt::Expected<std::string> text = mlopt::lowerGpuKernels(kernels, stage);
    if (!text)
      return fail(text.message());
    if (!emit.empty()) {
      if (mlrt::Status s = mlrt::writeFileAtomically(outputPath, *text);
          s.failed())
        return fail(s.message());
      return 0;
    }
    gpu = mlopt::GpuArtifactCode{&kernels, std::move(*text)};
    llvm::errs() << llvm::formatv(
        "ml-compile: {0} CUDA kernels for {1}, {2} KiB of PTX, {3} "
        "matrices\n",
        kernels.kernels.size(), gpuChip.getValue(), gpu->ptx.size() / 1024,
        mlrt::dtypeName(kernels.matrixType));
  }
  if (mlrt::Status s = mlopt::writeArtifact(f.model, plan, f.directory,
                                            outputPath, gpu ? &*gpu : nullptr);
      s.failed())
    return fail(s.message());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::errs() << llvm::formatv("ml-compile: wrote {0} in {1:F2} s\n",
                                outputPath, seconds);
  return 0;
}
