//===- AttentionShape.h - What the attention kernels share ------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The argument order and shapes of an attention op's kernels, and the
// softmax and mask helpers of their bodies (AttentionKernels.cpp: RoPE,
// append, tiled f32 prefill; DecodeAttention.cpp: the split policy, the
// f32 split kernel and the merge; FlashAttention.cpp: the tensor-core
// prefill and decode).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_ATTENTIONSHAPE_H
#define MLOPT_LIB_CODEGEN_ATTENTIONSHAPE_H

#include "KernelBuilder.h"

#include "mlopt/Codegen/GpuCodegen.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace mlopt::codegen {

// Arguments of the attention kernels: the op's buffers q k v out, then its
// states: the K and V caches and the decode workspace (GpuConventions.h),
// then the sequences' positions (GpuKernel::positions).
enum AttentionArg { Q, K, V, Out, KCache, VCache, Workspace, Positions };

/// The shapes every attention kernel of an op is specialised to.
struct AttentionShape {
  int64_t heads, kvHeads, headDim, window;
  /// The KV cache's element type: f32 or bf16.
  mlir::Type kvType;
  /// Prefill with `bf16_inputs`: q and the softmax weights in bf16.
  bool bf16Inputs = false;
  /// The kernels' memref argument types (AttentionArg order).
  llvm::SmallVector<mlir::Type> memrefs() const {
    mlir::MLIRContext *ctx = kvType.getContext();
    mlir::Type f32 = mlir::Float32Type::get(ctx);
    return {f32,    f32,    f32, f32,
            kvType, kvType, f32, mlir::IntegerType::get(ctx, 64)};
  }
  int64_t qWidth() const { return heads * headDim; }
  int64_t kvWidth() const { return kvHeads * headDim; }
  int64_t group() const { return heads / kvHeads; }
  float scale() const { return 1.0f / std::sqrt(static_cast<float>(headDim)); }
};

/// The RoPE parameters of a model's heads (its config's rope).
struct RopeSpec {
  std::vector<float> freq;
  float scaling = 1;
  int64_t headDim = 0;
  /// The module's table of `freq`, shared by the RoPE kernels.
  std::string table() const {
    return "rope_inv_freq_d" + std::to_string(headDim);
  }
};
/// The RoPE inverse frequencies of one head (half its dims) as a constant
/// table of `module`, computed as the CPU backend computes them.
mlir::Value ropeTable(KernelBuilder &k, mlir::gpu::GPUModuleOp module,
                      const RopeSpec &r);
/// cos and sin of the angle position * freqs[i], times the scaling.
struct RopeAngle {
  mlir::Value cos, sin;
};
RopeAngle ropeAngle(KernelBuilder &k, mlir::Value freqs, float scaling,
                    mlir::Value position, mlir::Value i);
/// The pair (x, y) of dims (i, i + half) rotated by `a`: (x cos - y sin,
/// y cos + x sin).
std::pair<mlir::Value, mlir::Value> rotate(KernelBuilder &k, mlir::Value x,
                                           mlir::Value y, RopeAngle a);

mlir::Value select(KernelBuilder &k, mlir::Value cond, mlir::Value a,
                   mlir::Value b);
/// exp(x - max), 0 where x is -inf (a masked score, or a partial softmax
/// that saw no key) so that max = -inf gives no NaN.
mlir::Value weightOf(KernelBuilder &k, mlir::Value x, mlir::Value max);
/// The first key a query at `p` sees: max(0, p - window + 1) without
/// underflow; 0 without a window.
mlir::Value firstKey(KernelBuilder &k, mlir::Value p, int64_t window);
/// Whether a query at `query` (first key `first`) sees the key at `key`.
mlir::Value sees(KernelBuilder &k, mlir::Value key, mlir::Value query,
                 mlir::Value first);

//===----------------------------------------------------------------------===//
// Tensor-core prefill: what the mma.sync and wgmma kernels share
// (PrefillTiles.cpp)
//===----------------------------------------------------------------------===//

/// One (query tile, head) of a prefill: queries [qStart, qStart + queries)
/// of head `qColumn / headDim`, the keys [keyBegin, keyEnd) they see.
struct PrefillItem {
  mlir::Value qStart, qColumn, kvColumn, keyBegin, keyEnd;
  int64_t queries;
};
/// body(item) for each item of this block: a grid-stride loop over the
/// tiles of `queries` queries of every head, the last tiles (those that
/// see the most keys) first.
void forEachPrefillItem(KernelBuilder &k, const AttentionShape &s,
                        int64_t queries,
                        llvm::function_ref<void(const PrefillItem &)> body);

/// A lane's two rows of an item: rows[0] = qStart + `row` and rows[1] =
/// rows[0] + 8 (group and group + 8 of an mma tile), their queries'
/// positions and first keys, and the key column 2 quad of its pairs.
struct PrefillRows {
  mlir::Value rows[2], queries[2], firsts[2], pairColumn;
};
PrefillRows prefillRows(KernelBuilder &k, const AttentionShape &s,
                        const PrefillItem &item, mlir::Value row,
                        mlir::Value quad);

/// The scores of a tile of `keys` keys from kStart (element i: key kStart +
/// 8 (i / 4) + 2 quad + i % 2 of row (i % 4) / 2, the mma C layout) with
/// the keys a row does not see at -inf. Tiles that every query of the item
/// sees whole skip the selects.
llvm::SmallVector<mlir::Value>
maskScores(KernelBuilder &k, const AttentionShape &s, const PrefillItem &item,
           const PrefillRows &rows, mlir::Value kStart, int64_t keys,
           llvm::SmallVector<mlir::Value> scores);

/// softmaxStep's state before the first key: a zero output tile, max
/// -inf and sum 0.
llvm::SmallVector<mlir::Value> softmaxInitialState(KernelBuilder &k,
                                                   int64_t dimTiles);
/// One online-softmax step of a lane's two rows over the unscaled
/// `scores` q.k (C layout, -inf where masked): they become the weights
/// exp(scale score - max); `carried` (the output tile's dimTiles x 4
/// accumulators, then the rows' max of scaled scores and sum) gives the
/// next values, the output rescaled to the new max.
llvm::SmallVector<mlir::Value>
softmaxStep(KernelBuilder &k, llvm::SmallVectorImpl<mlir::Value> &scores,
            mlir::ValueRange carried, int64_t dimTiles, double scale);

/// Writes a lane's two rows of the output (accumulators over the sum,
/// `state` as softmaxStep carries it); rows past the tokens are not.
void storeOutputRows(KernelBuilder &k, const AttentionShape &s,
                     const PrefillItem &item, const PrefillRows &rows,
                     mlir::ValueRange state);

/// The tensor-core prefill (FlashAttention.cpp) takes a bf16 cache and
/// head dims that are multiples of 16 up to 128.
bool flashAttentionApplies(const AttentionShape &s);
/// Its launch: threads a block, and floats of dynamic shared memory.
constexpr int64_t kFlashThreads = 128;
int64_t flashSharedFloats(const AttentionShape &s);
/// attention (prefill) on tensor cores: FlashAttention-2 with bf16
/// mma.sync, q and the softmax weights split hi + lo (or, with
/// `bf16Inputs`, rounded to bf16: one product each).
void flashPrefillAttention(KernelBuilder &k, const AttentionShape &s);

/// The wgmma prefill (WarpgroupAttention.cpp, sm_90a) takes a bf16 cache
/// of head dim 64 or 128: two warpgroups a block, 128 queries of a head.
bool warpgroupAttentionApplies(const AttentionShape &s);
constexpr int64_t kWarpgroupThreads = 256;
int64_t warpgroupSharedFloats(const AttentionShape &s);
void warpgroupPrefillAttention(KernelBuilder &k, const AttentionShape &s);

//===----------------------------------------------------------------------===//
// Decode: a fixed grid of (head block, split) blocks, then a merge
//===----------------------------------------------------------------------===//

/// How decode attention divides a step: blocks of `headsPerBlock` query
/// heads of one KV head times mlrt::kDecodeAttentionSplits slices of the
/// keys (those past the step's active splits return at once), `warps` a
/// block; a split takes at least `keysPerSplit` keys, and a batched step
/// keeps near `busyBlocks` active blocks over its sequences.
struct DecodeSplits {
  int64_t headsPerBlock, keysPerSplit, warps, busyBlocks;
  int64_t headBlocks(const AttentionShape &s) const {
    return s.heads / headsPerBlock;
  }
};
/// The tensor-core decode kernel where it applies (a bf16 cache of heads
/// that flashAttentionApplies, GQA groups up to 16), else the f32 one.
DecodeSplits decodeSplits(const AttentionShape &s);
bool flashDecodeApplies(const AttentionShape &s);

/// The keys the step's query sees: [first, end), `length` of them.
struct DecodeKeys {
  mlir::Value first, end, length;
};
DecodeKeys keysSeen(KernelBuilder &k, const AttentionShape &s);
/// The splits the step uses for `length` keys (decodeSplits).
mlir::Value activeSplits(KernelBuilder &k, const AttentionShape &s,
                         mlir::Value length);
/// The keys [begin, end) of split `split` (< activeSplits).
struct KeySlice {
  mlir::Value begin, end;
};
KeySlice sliceOf(KernelBuilder &k, const DecodeKeys &keys, mlir::Value active,
                 mlir::Value split);
/// Merges the block's warps' partial softmaxes, which `warps` x
/// headsPerBlock x (max, sum, unnormalised output of headDim) floats of
/// `shared` hold (a warp that saw no key has max -inf), into the workspace
/// partial of (head head0 + n, split) for each of the block's heads n.
void mergeWarpPartials(KernelBuilder &k, const AttentionShape &s,
                       mlir::Value shared, int64_t warps, int64_t headsPerBlock,
                       mlir::Value head0, mlir::Value split);
/// Adds a decode attention op's split kernel and merge kernel to `module`
/// (DecodeAttention.cpp), their launches to `specs`. With `rope`, the split
/// kernel also does the step's RoPE and KV append (flashDecodeAttention).
void emitDecodeAttention(mlir::gpu::GPUModuleOp module, llvm::StringRef name,
                         const AttentionShape &s,
                         std::vector<GpuKernelSpec> &specs,
                         const RopeSpec *rope);
/// The floats of dynamic shared memory of the tensor-core decode, with or
/// without the RoPE.
int64_t flashDecodeSharedFloats(const AttentionShape &s, bool rope);
/// attention (decode) on tensor cores: block (KV head, split) attends with
/// the query heads of its group as the rows of mma.sync tiles, its warps
/// taking 16 keys each of 64-key tiles that cp.async stages two ahead.
/// With `rope` it first rotates the step's q and k itself (cos and sin of
/// the position in shared memory) and the last split's block appends the
/// KV head's k and v to the caches, so no append kernel runs before it.
void flashDecodeAttention(KernelBuilder &k, const AttentionShape &s,
                          mlir::gpu::GPUModuleOp module, const RopeSpec *rope);

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_ATTENTIONSHAPE_H
