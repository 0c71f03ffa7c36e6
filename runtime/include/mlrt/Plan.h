//===- Plan.h - The execution plan of a compiled model ----------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The runtime's copy of the artifact's `kern` program: per-sequence states
// and two entries (prefill, decode) of kernel calls on arena buffers. The
// artifact reader checks every buffer, weight and state a call names
// against what its kernel needs, so backends index without checks.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_PLAN_H
#define MLRT_PLAN_H

#include "mlrt/DType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlrt {

struct WeightRef;
enum class MixerKind;

/// One layer's per-sequence state.
struct PlanState {
  enum class Kind { KVCache, Mamba } kind = Kind::KVCache;
  int64_t layer = 0;
  int64_t kvHeads = 0, headDim = 0;            ///< KV cache; Mamba: P
  DType kvType = DType::F32;                   ///< KV cache: F32 or BF16
  int64_t channels = 0, width = 0, heads = 0, dState = 0; ///< Mamba
  DType ssmType = DType::F32; ///< Mamba's SSM state: F32 or BF16 (conv: F32)
};

/// `tokens x width` f32 at `offset` floats per token in the arena.
struct PlanBuffer {
  int64_t offset = 0, width = 0;
};

enum class OpKind {
  Embed, RMSNorm, Linear, Rope, Attention, Conv1d, RepeatGroups, SSMScan,
  GatedRMSNorm, SwiGLU, Add, LMHead,
  // Fused (passes/FuseAddRMSNorm.cpp, passes/FuseMambaStep.cpp,
  // passes/FuseLinearSwiGLU.cpp).
  AddRMSNorm, MambaStep, LinearSwiGLU
};

/// The name of a kind as the kern dialect spells it ("rms_norm").
const char *opKindName(OpKind kind);

/// One kernel call (schemas/artifact.fbs lists the operand order per kind).
struct PlanOp {
  OpKind kind = OpKind::Embed;
  std::vector<int> buffers; ///< indices into PlanEntry::buffers
  std::vector<const WeightRef *> weights;
  std::vector<const WeightRef *> biases; ///< per weight, null: none
  int state = -1;                        ///< index into Plan::states
  MixerKind variant{};
  int64_t heads = 0, groups = 0, dState = 0, headDim = 0, window = 0,
          group = 0, times = 0;
  double eps = 0;
  /// Linear, LinearSwiGLU, LMHead: the RMSNorm weight of the input rows
  /// (with `eps`), null: none. Linear: `accumulate` adds the projection to
  /// its one output instead of writing it.
  const WeightRef *norm = nullptr;
  bool accumulate = false;
  /// Attention: q and k are rotated in place (RoPE) first.
  bool rope = false;
  /// Linear, LMHead: the input rows are rounded to bf16 before the
  /// products; Attention: q and the softmax weights (the normaliser sums
  /// the unrounded weights).
  bool bf16Inputs = false;
  /// Indices into GpuCode::kernels launched for this op on CUDA; empty: a
  /// library call (cuBLASLt GEMM).
  std::vector<int> gpuKernels;
};

struct PlanEntry {
  std::string name;
  bool step = false;
  std::vector<PlanBuffer> buffers;
  std::vector<PlanOp> ops;
};

/// Where weight i of a Linear op writes: its buffer slot (1 for the first
/// output) and first column there. The weights' rows fill the outputs in
/// order (the plan reader has checked that they do).
struct LinearTarget {
  size_t slot = 1;
  int64_t column = 0;
};
std::vector<LinearTarget> linearTargets(const PlanEntry &entry,
                                        const PlanOp &op);

/// A generated kernel of the artifact's PTX and its launch geometry.
struct GpuKernel {
  std::string name;
  int64_t grid[3] = {1, 1, 1}; ///< grid[0] times the tokens when perToken
  bool perToken = false;
  /// grid[1] times the sequences of a batched call: blockIdx.y is the
  /// sequence (schemas/artifact.fbs, GpuKernel.per_sequence).
  bool perSequence = false;
  /// Takes the sequences' positions (an i64 memref after its other
  /// memrefs; schemas/artifact.fbs, GpuKernel.positions).
  bool positions = false;
  int64_t block[3] = {1, 1, 1};
  int64_t sharedBytes = 0;
};

/// The PTX module of a model compiled with --target=cuda.
struct GpuCode {
  std::string target; ///< "sm_90a"
  std::string ptx;
  std::vector<GpuKernel> kernels;
  /// The device type of Linear, LMHead and Embed weights: F32 or BF16.
  DType matrixType = DType::F32;
};

struct Plan {
  int64_t arena = 0; ///< floats per token
  std::vector<PlanState> states;
  PlanEntry prefill, decode;
};

} // namespace mlrt

#endif // MLRT_PLAN_H
