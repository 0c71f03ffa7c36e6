//===- GpuConventions.h - Shared by GPU codegen and runtime -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Decisions the compiler (lib/Codegen) bakes into the kernels it generates
// and the CUDA backend (runtime/src/cuda) must honour when it lays out
// device memory and passes arguments. Both include this header, so a
// change here changes both sides at once. The parameter convention itself
// is documented on GpuKernel in schemas/artifact.fbs.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_GPUCONVENTIONS_H
#define MLRT_GPUCONVENTIONS_H

#include "mlrt/DType.h"
#include "mlrt/Plan.h"

#include <string>

#include <cstdint>

namespace mlrt {

/// Whether weights of ops of kind `user` are held on the device in the
/// artifact's matrix type (GpuCode::matrixType): the large matrices that
/// decode streams once per token (Linear, LMHead, Embed). Every other weight
/// (norms, conv, A, D, dt bias) is f32 on the device.
inline bool isDeviceMatrix(OpKind user) {
  return user == OpKind::Linear || user == OpKind::LMHead ||
         user == OpKind::Embed || user == OpKind::LinearSwiGLU;
}

/// Whether a Linear or LMHead op runs the generated GEMV in every entry,
/// not only in step entries: when it normalises its input or accumulates
/// into its output (kern-fuse-norm-projection), which the library GEMM of
/// other entries does not do.
inline bool gemvEverywhere(bool inputNorm, bool accumulate) {
  return inputNorm || accumulate;
}

/// A projection that runs the generated GEMV may have more kernels after it:
/// the tensor-core GEMV of several rows, which reads the matrices once for
/// up to `tier` rows (more in passes) where the first reads them once a row.
/// They are a staging kernel (the GEMV's name and kBatchedGemvStageSuffix,
/// a block per row), then one kernel per tier of kBatchedGemvTiers, named
/// batchedGemvKernelName. The backend launches the first for one row (a
/// decode step of one sequence); for more (a batched step) the staging
/// kernel, then the smallest tier that holds the rows (the largest beyond).
/// Those take the GEMV's memrefs and two more: the staged input, a bf16
/// memref of 2 x rows x the input's width, and the rows' norm scales, f32.
constexpr int64_t kBatchedGemvTiers[] = {8, 16, 32, 64};
constexpr const char *kBatchedGemvStageSuffix = "_stage";
inline std::string batchedGemvKernelName(const std::string &gemv,
                                         int64_t tier) {
  return gemv + "_rows" + std::to_string(tier);
}

/// kern.mamba_step's kernels are its conv (`<step>_conv`), then its scan in
/// tiers: tier i slices each head over half the blocks of tier i - 1, the
/// first over the most (about a GPU's worth for one sequence), the last
/// over one, each named mambaStepScanName with its slices. The backend
/// launches the conv, then mambaStepTier of the step's sequences: 2^i
/// sequences are streamed by about as many blocks as one in tier 0.
inline std::string mambaStepScanName(const std::string &step, int64_t slices) {
  return step + "_slices" + std::to_string(slices);
}
inline size_t mambaStepTier(int64_t sequences, size_t tiers) {
  size_t tier = 0;
  while (tier + 1 < tiers && (int64_t(1) << tier) < sequences)
    ++tier;
  return tier;
}

/// Tokens per chunk of the chunked Mamba-2 prefill scan: each chunk's
/// state is computed in parallel, then the chunks are chained (longer
/// chunks: less workspace traffic; shorter: more parallelism at short
/// prompts).
constexpr int64_t kSsmScanChunk = 128;

/// Floats per chunk in the Mamba-2 scan workspace: every head's chunk state
/// (heads x headDim x dState), then the chunk's decay per head, padded to
/// 128 bytes so that every chunk's states stay 16-byte aligned.
constexpr int64_t ssmScanChunkFloats(int64_t heads, int64_t headDim,
                                     int64_t dState) {
  return heads * headDim * dState + (heads + 31) / 32 * 32;
}

/// Floats of the Mamba-2 scan workspace for calls of up to `tokens` tokens
/// (the CUDA backend's prefill chunk): one buffer shared by every ssm_scan
/// op, passed after the SSM state (schemas/artifact.fbs, GpuKernel).
constexpr int64_t ssmScanWorkspaceFloats(int64_t heads, int64_t headDim,
                                         int64_t dState, int64_t tokens) {
  return (tokens + kSsmScanChunk - 1) / kSsmScanChunk *
         ssmScanChunkFloats(heads, headDim, dState);
}

/// Decode attention splits the keys of each head over a fixed number of
/// blocks (the grid of a CUDA graph cannot change from step to step); each
/// block leaves a partial softmax (max, normaliser, unnormalised output) in
/// a device workspace that a second kernel merges. The workspace is the
/// third state array of every attention op's kernels, one buffer shared by
/// all attention ops since they run in order on one stream.
constexpr int64_t kDecodeAttentionSplits = 64;

/// Floats of the attention workspace for `heads` query heads of
/// `headDim`: per head and split, max, normaliser and headDim outputs.
constexpr int64_t attentionWorkspaceFloats(int64_t heads, int64_t headDim) {
  return heads * kDecodeAttentionSplits * (headDim + 2);
}

/// The kernel that picks the greedy token on the device: the first maximum
/// of each row of `vocab` logits (torch.argmax's rule, as cpu::Sampler's
/// greedy draw), a block per row (per token). Memrefs: the logits (f32),
/// the tokens (an i32 per row). It belongs to no op: the backend launches
/// it by this name after the LM head.
inline std::string argmaxKernelName(int64_t vocab) {
  return "argmax_v" + std::to_string(vocab);
}

} // namespace mlrt

#endif // MLRT_GPUCONVENTIONS_H
