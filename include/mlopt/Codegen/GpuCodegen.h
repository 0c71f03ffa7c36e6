//===- GpuCodegen.h - kern ops -> GPU kernels -> PTX ------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The CUDA code of a plan: for every kern op that is a generated kernel, a
// gpu.func specialised to the model's shapes (widths, head dim, d_state,
// groups, conv width and RoPE frequencies are constants), built in the gpu,
// scf, arith, math and memref dialects, then lowered through NVVM and
// LLVM's NVPTX backend to PTX. GEMMs (linear, lm_head) stay library calls.
// The kernel parameter convention is documented in runtime/schemas/
// artifact.fbs (GpuCode).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_CODEGEN_GPUCODEGEN_H
#define MLOPT_CODEGEN_GPUCODEGEN_H

#include "mlopt/Dialect/Kern/KernOps.h"
#include "mlrt/Plan.h"
#include "mlrt/Status.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/DenseMap.h"

#include <string>
#include <vector>

namespace mlopt {

/// The one place naming the GPU target: PTX for this chip and ISA version.
/// sm_90a is the H100/H200 with its wgmma prefill attention; its PTX runs
/// on those alone. `--gpu-chip=sm_90` (Hopper and newer, mma.sync kernels)
/// and sm_80 work too.
constexpr const char *kDefaultGpuChip = "sm_90a";
constexpr const char *kPtxFeatures = "+ptx80";

/// The GPU the kernels are built for.
struct GpuTarget {
  std::string chip = kDefaultGpuChip;
  /// sm_90a (H100, H200): the PTX may use warpgroup MMA (wgmma), which
  /// runs on those chips alone.
  bool warpgroupMma() const { return chip == "sm_90a"; }
  /// sm_90 and newer: blocks may form clusters that read each other's
  /// shared memory.
  bool blockClusters() const;
};

/// A kernel and how it is launched: the runtime's own description, so the
/// two sides cannot disagree.
using GpuKernelSpec = mlrt::GpuKernel;

/// The kernels of a plan, in a module holding one `gpu.module @kernels`.
struct GpuKernels {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<GpuKernelSpec> kernels;
  /// The kernels each kern op launches, in order (f32 GEMMs: none).
  llvm::DenseMap<mlir::Operation *, std::vector<int>> opKernels;
  /// The device type of embed, linear and lm_head weights.
  mlrt::DType matrixType = mlrt::DType::F32;
  GpuTarget target;
};

/// How the weights of embed, linear and lm_head are held on the GPU.
enum class GpuMatrices {
  /// bf16 when every such weight is stored in bf16, else f32: nothing is
  /// rounded that the checkpoint did not round.
  Auto,
  F32,
  /// Rounds f32 and f16 matrices to bf16: half the memory and decode time.
  BF16,
};

/// The dialects, NVVM target and LLVM IR translations codegen needs
/// (buildGpuKernels adds them to the plan's context itself).
void registerGpuCodegen(mlir::DialectRegistry &registry);

/// Builds the kernels of both entries of `program`; identical calls share
/// one kernel. Fails on what has no GPU kernel yet (dynamic RoPE).
mlrt::Expected<GpuKernels>
buildGpuKernels(mlir::kern::ProgramOp program,
                GpuMatrices matrices = GpuMatrices::Auto,
                const GpuTarget &target = GpuTarget());

/// What lowerGpuKernels returns: the stage a reader asked to see.
enum class GpuStage { Mlir, Nvvm, Llvm, Ptx };

/// Lowers `kernels.module` in place to `stage` for its target and returns its
/// text: the gpu dialect kernels, the NVVM/LLVM dialect, the LLVM IR given
/// to the NVPTX backend (libdevice linked), or the PTX.
mlrt::Expected<std::string> lowerGpuKernels(GpuKernels &kernels,
                                            GpuStage stage);

} // namespace mlopt

#endif // MLOPT_CODEGEN_GPUCODEGEN_H
