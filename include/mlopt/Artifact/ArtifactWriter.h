//===- ArtifactWriter.h - Compile an llm model into a .mlart ----*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_ARTIFACT_ARTIFACTWRITER_H
#define MLOPT_ARTIFACT_ARTIFACTWRITER_H

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlrt/Status.h"

namespace mlopt {
struct GpuKernels;

/// The CUDA code of an artifact: kernels (and their target chip) and the
/// PTX they were lowered to.
struct GpuArtifactCode {
  const GpuKernels *kernels = nullptr;
  std::string ptx;
};

/// Writes `model` as the artifact `outPath` (schemas/artifact.fbs, version
/// mlrt::kArtifactVersion): its config, its layers, a weight table that
/// points into the model's weight store (and into
/// `<outPath>.weights.safetensors`, written here, for weights created by init
/// rules), its tokenizer and `plan`, the model's execution plan
/// (convert-llm-to-kern). `moduleDir` resolves the model's relative paths.
/// The model must have the decoder structure the importers and passes
/// produce (norm -> mixer -> residual -> norm -> MLP -> residual).
/// With `gpu`, the artifact also carries the PTX and each op's kernels.
mlrt::Status writeArtifact(mlir::llm::ModelOp model, mlir::kern::ProgramOp plan,
                           llvm::StringRef moduleDir, llvm::StringRef outPath,
                           const GpuArtifactCode *gpu = nullptr);

} // namespace mlopt

#endif // MLOPT_ARTIFACT_ARTIFACTWRITER_H
