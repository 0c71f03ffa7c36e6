//===- DecodeAttention.cpp - Split-KV decode attention and its merge -----===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A decode step's attention over a fixed grid (a CUDA graph replays it):
// blocks of query heads times kDecodeAttentionSplits slices of the keys,
// the step's active splits following from its position, each leaving a
// partial softmax in the workspace that a merge kernel combines. Over a
// bf16 cache the split kernel is the tensor-core one (FlashAttention.cpp);
// over an f32 cache the f32 kernel here, a key a lane.
//
//===----------------------------------------------------------------------===//

#include "AttentionShape.h"
#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlrt/GpuConventions.h"

#include <cassert>
#include <cmath>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
constexpr int64_t kDecodeWarps = 8;
/// The blocks an SM holds: 128 registers a thread.
constexpr int32_t kDecodeMinBlocksPerSM = 2;

/// The query heads one decode block attends with the K/V rows it reads:
/// the largest divisor of the GQA group whose output registers (heads x
/// ceil(headDim / 32) per lane) stay within 16.
int64_t decodeHeadsPerBlock(const AttentionShape &s) {
  const int64_t perLane = (s.headDim + 31) / 32;
  int64_t best = 1;
  for (int64_t n = 1; n <= s.group(); ++n)
    if (s.group() % n == 0 && n * perLane <= 16)
      best = n;
  return best;
}
} // namespace

DecodeSplits codegen::decodeSplits(const AttentionShape &s) {
  // The tensor-core kernel: 4 warps a block, two 64-key tiles a split
  // (one a split: 24% slower at 4K keys, where 512 blocks take two waves);
  // a batch of 16 at 2K keys ran 6% faster end to end with 512 busy blocks
  // (8 tiles a block) than with 2048.
  if (flashDecodeApplies(s))
    return {s.group(), 128, kFlashThreads / 32, 512};
  // The f32 kernel: a warp step of every warp a split; 2048 busy blocks
  // gave +8% at 32K keys in batches of 16 and 64.
  return {decodeHeadsPerBlock(s), 32 * kDecodeWarps, kDecodeWarps, 2048};
}

DecodeKeys codegen::keysSeen(KernelBuilder &k, const AttentionShape &s) {
  Value position = k.sequencePosition();
  Value first = firstKey(k, position, s.window);
  Value end = k.add(position, k.idx(1));
  return {first, end, k.sub(end, first)};
}

/// One split per keysPerSplit keys, at most kDecodeAttentionSplits, so that
/// short contexts launch few blocks and merge few partials; and, for a
/// batch, at most what keeps the step near busyBlocks blocks over its
/// sequences (gridDim.y) and head blocks: a sequence of 32K keys then takes
/// a few long splits rather than 64 short ones.
Value codegen::activeSplits(KernelBuilder &k, const AttentionShape &s,
                            Value length) {
  const DecodeSplits plan = decodeSplits(s);
  Value wanted = k.div(k.add(length, k.idx(plan.keysPerSplit - 1)),
                       k.idx(plan.keysPerSplit));
  Value sequences = gpu::GridDimOp::create(k.b(), gpu::Dimension::y);
  Value share = k.maxIndex(k.div(k.idx(plan.busyBlocks),
                                 k.mul(sequences, k.idx(plan.headBlocks(s)))),
                           k.idx(1));
  return k.minIndex(wanted,
                    k.minIndex(share, k.idx(mlrt::kDecodeAttentionSplits)));
}

KeySlice codegen::sliceOf(KernelBuilder &k, const DecodeKeys &keys,
                          Value active, Value split) {
  Value slice = k.add(k.div(k.add(keys.length, k.idx(-1)), active), k.idx(1));
  Value begin = k.add(keys.first, k.mul(split, slice));
  return {begin, k.minIndex(k.add(begin, slice), keys.end)};
}

void codegen::mergeWarpPartials(KernelBuilder &k, const AttentionShape &s,
                                Value shared, int64_t warps,
                                int64_t headsPerBlock, Value head0,
                                Value split) {
  const int64_t d = s.headDim, stride = d + 2,
                warpStride = headsPerBlock * stride,
                splits = mlrt::kDecodeAttentionSplits;
  Value partials = k.sequenceSlice(k.memref(Workspace));
  // Element (head n, dim c) of the block's partial: its warps merged.
  k.strided(k.idx(headsPerBlock * d), warps * 32, [&](Value e) {
    Value n = k.div(e, k.idx(d)), c = k.rem(e, k.idx(d));
    Value base = k.mul(n, k.idx(stride));
    auto at = [&](int64_t w, Value offset) {
      return k.load(shared, k.add(k.idx(w * warpStride), k.add(base, offset)));
    };
    Value m = k.f32(-INFINITY);
    for (int64_t w = 0; w < warps; ++w)
      m = k.fmax(m, at(w, k.idx(0)));
    Value l = k.f32(0), o = k.f32(0);
    for (int64_t w = 0; w < warps; ++w) {
      Value weight = weightOf(k, at(w, k.idx(0)), m);
      l = k.fadd(l, k.fmul(weight, at(w, k.idx(1))));
      o = k.fadd(o, k.fmul(weight, at(w, k.add(k.idx(2), c))));
    }
    Value head = k.add(head0, n);
    Value out = k.add(partials, k.mul(k.add(k.mul(head, k.idx(splits)), split),
                                      k.idx(stride)));
    k.when(k.eq(c, k.idx(0)),
           [&] {
             k.store(m, k.memref(Workspace), out);
             k.store(l, k.memref(Workspace), k.add(out, k.idx(1)));
           });
    k.store(o, k.memref(Workspace), k.add(out, k.add(k.idx(2), c)));
  });
}

namespace {
/// attention (decode, one token at `position`): block (head block, split
/// s) takes the s-th of the step's activeSplits slices of keys firstKey ..
/// position (blocks past them do nothing); the slices follow from the
/// position, so the grid of kDecodeAttentionSplits blocks per head block is
/// fixed (a CUDA graph replays it). Its warps take 32 keys at a time, a key a
/// lane: each lane reads its K row once for all the block's query heads
/// (queries in shared memory), the warp updates an online softmax per head with
/// one max and one sum exchange, and for P V each V row is read once, a run of
/// dims a lane (one vector load). Measured at Llama-3-8B shapes
/// (bench/RESULTS.md): a key per warp step, a 5-step shuffle sum per key
/// and head, bounded a bf16 cache at about half of copy bandwidth. The
/// warps merge through
/// shared memory and the block writes (max, normaliser, unnormalised
/// output) per head to the workspace; a block without keys writes max -inf.
void decodeAttention(KernelBuilder &k, const AttentionShape &s) {
  ImplicitLocOpBuilder &b = k.b();
  // Two blocks an SM (kDecodeMinBlocksPerSM): the grid of
  // kDecodeAttentionSplits x 8 head blocks at Llama-3-8B shapes runs in two
  // waves on an H200, with four keys' rows in flight per warp.
  k.launchBounds(kDecodeWarps * 32, kDecodeMinBlocksPerSM);
  const int64_t d = s.headDim, perLane = (d + 31) / 32,
                perBlock = decodeHeadsPerBlock(s),
                splits = mlrt::kDecodeAttentionSplits;
  Value split = k.rem(k.blockId(), k.idx(splits));
  Value head0 = k.mul(k.div(k.blockId(), k.idx(splits)), k.idx(perBlock));
  // The block's sequence: its query row and its slices of the caches and
  // of the workspace.
  Value qRow = k.mul(k.sequenceRow(k.idx(0)), k.idx(s.qWidth()));
  Value kvColumn = k.add(k.sequenceSlice(k.memref(KCache)),
                         k.mul(k.div(head0, k.idx(s.group())), k.idx(d)));
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  DecodeKeys keys = keysSeen(k, s);
  Value active = activeSplits(k, s, keys.length);
  // The other blocks have no slice; the merge reads `active` partials.
  k.when(k.lt(split, active), [&] {
    KeySlice slice = sliceOf(k, keys, active, split);
    Value begin = slice.begin, sliceEnd = slice.end;
    // A lane holds dims lane * perLane + [0, perLane) when they tile the
    // head (one vector load of a K or V row's run), else dims lane + 32 i.
    const bool runs =
        d % 32 == 0 && (perLane == 2 || perLane == 4 || perLane == 8);
    SmallVector<Value> dims, present;
    for (int64_t i = 0; i < perLane; ++i) {
      Value dim = runs ? k.add(k.mul(lane, k.idx(perLane)), k.idx(i))
                       : k.add(lane, k.idx(32 * i));
      Value inside = k.lt(dim, k.idx(d));
      // Lanes past the head dim read dim 0; their sums are not stored.
      dims.push_back(select(k, inside, dim, k.idx(0)));
      present.push_back(inside);
    }
    // This lane's dims of a cached row, as f32.
    auto loadRow = [&](unsigned cache, Value row) {
      SmallVector<Value> values;
      if (!runs) {
        for (int64_t i = 0; i < perLane; ++i)
          values.push_back(
              k.widen(k.load(k.memref(cache), k.add(row, dims[i]))));
        return values;
      }
      auto type = VectorType::get({perLane}, s.kvType);
      Value run = vector::LoadOp::create(
          b, type, k.memref(cache), ValueRange{k.add(row, dims[0])}, false,
          llvm::MaybeAlign(perLane * s.kvType.getIntOrFloatBitWidth() / 8));
      for (int64_t i = 0; i < perLane; ++i)
        values.push_back(k.widen(vector::ExtractOp::create(b, run, i)));
      return values;
    };
    const int64_t carried = 2 + perLane;
    SmallVector<Value> init;
    for (int64_t n = 0; n < perBlock; ++n) {
      init.append({k.f32(-INFINITY), k.f32(0)});
      for (int64_t i = 0; i < perLane; ++i)
        init.push_back(k.f32(0));
    }
    // The block's queries in shared memory, after the warps' merge area: a
    // lane takes whole keys, so every lane reads every query element.
    Value shared = k.sharedBuffer();
    const int64_t qBase = kDecodeWarps * perBlock * (d + 2);
    k.strided(k.idx(perBlock * d), kDecodeWarps * 32, [&](Value e) {
      Value at = k.add(qRow, k.add(k.mul(head0, k.idx(d)), e));
      k.store(k.load(k.memref(Q), at), shared, k.add(k.idx(qBase), e));
    });
    gpu::BarrierOp::create(b);
    // Each step a warp takes 32 keys, lane j key j: the lane's dot products
    // with the block's queries need no shuffles; then one max and one sum
    // exchange per head for the 32 keys, and the P V product, where lane j's
    // probability is broadcast to the lanes holding the dims.
    const int64_t run = d % (16 / (s.kvType.getIntOrFloatBitWidth() / 8)) == 0
                            ? 16 / (s.kvType.getIntOrFloatBitWidth() / 8)
                            : 1;
    auto kType = VectorType::get({run}, s.kvType);
    auto fType = VectorType::get({run}, b.getF32Type());
    Value zeros = arith::ConstantOp::create(b, fType, b.getZeroAttr(fType));
    auto rowOf = [&](Value key, Value valid, Value j) {
      return k.add(k.mul(select(k, valid, key, j), k.idx(s.kvWidth())),
                   kvColumn);
    };
    auto state = k.loop(
        k.add(begin, k.mul(warp, k.idx(32))), sliceEnd,
        k.idx(32 * kDecodeWarps), init, [&](Value j, ValueRange acc) {
          Value key = k.add(j, lane);
          Value valid = k.lt(key, sliceEnd);
          Value row = rowOf(key, valid, j);
          SmallVector<Value> dot(perBlock, zeros);
          for (int64_t c = 0; c < d; c += run) {
            Value kv = vector::LoadOp::create(
                b, kType, k.memref(KCache), ValueRange{k.add(row, k.idx(c))},
                false,
                llvm::MaybeAlign(run * s.kvType.getIntOrFloatBitWidth() / 8));
            if (!s.kvType.isF32())
              kv = arith::ExtFOp::create(b, fType, kv);
            for (int64_t n = 0; n < perBlock; ++n) {
              Value q = vector::LoadOp::create(
                  b, fType, shared, ValueRange{k.idx(qBase + n * d + c)}, false,
                  llvm::MaybeAlign(4));
              dot[n] = vector::FMAOp::create(b, kv, q, dot[n]);
            }
          }
          SmallVector<Value> next, p(perBlock), correction(perBlock);
          for (int64_t n = 0; n < perBlock; ++n) {
            Value score = k.fmul(vector::ReductionOp::create(
                                     b, vector::CombiningKind::ADD, dot[n]),
                                 k.f32(s.scale()));
            score = select(k, valid, score, k.f32(-INFINITY));
            // Lane 0's key is real, so the new max is finite.
            Value m = acc[n * carried];
            Value mNew = k.fmax(m, k.warpMax(score));
            correction[n] = k.exp(k.fsub(m, mNew));
            p[n] = k.exp(k.fsub(score, mNew));
            next.push_back(mNew);
            next.push_back(k.fadd(k.fmul(acc[n * carried + 1], correction[n]),
                                  k.warpSum(p[n])));
            for (int64_t i = 0; i < perLane; ++i)
              next.push_back(k.fmul(acc[n * carried + 2 + i], correction[n]));
          }
          for (int64_t r = 0; r < 32; ++r) {
            Value keyR = k.add(j, k.idx(r));
            SmallVector<Value> v =
                loadRow(VCache, rowOf(keyR, k.lt(keyR, sliceEnd), j));
            for (int64_t n = 0; n < perBlock; ++n) {
              Value pr =
                  gpu::ShuffleOp::create(b, p[n], r, 32, gpu::ShuffleMode::IDX)
                      .getShuffleResult();
              for (int64_t i = 0; i < perLane; ++i) {
                Value &out = next[n * carried + 2 + i];
                out = k.fadd(out, k.fmul(pr, v[i]));
              }
            }
          }
          return next;
        });
    // Shared layout: [warp][head][m, l, out(headDim)].
    const int64_t stride = d + 2, warpStride = perBlock * stride;
    for (int64_t n = 0; n < perBlock; ++n) {
      Value base = k.add(k.mul(warp, k.idx(warpStride)), k.idx(n * stride));
      k.when(k.eq(lane, k.idx(0)),
             [&] {
               k.store(state[n * carried], shared, base);
               k.store(state[n * carried + 1], shared, k.add(base, k.idx(1)));
             });
      for (int64_t i = 0; i < perLane; ++i)
        k.when(present[i], [&] {
          k.store(state[n * carried + 2 + i], shared,
                  k.add(base, k.add(k.idx(2), dims[i])));
        });
    }
    gpu::BarrierOp::create(b);
    mergeWarpPartials(k, s, shared, kDecodeWarps, perBlock, head0, split);
  });
}

/// attention merge (decode): block (head h, sequence) combines the active
/// splits' partials of head h with log-sum-exp weights into the output.
/// Each lane reads the max and sum of splits lane + 32 r, so every warp
/// knows the weights; warp w then adds the outputs of splits w +
/// kMergeWarps i, a dim a lane, all of its loads issued at once (a loop
/// over the splits waited on each in turn: 25 us at 32K keys), and the
/// warps' sums meet in shared memory.
constexpr int64_t kMergeWarps = 8;
static_assert(mlrt::kDecodeAttentionSplits % 32 == 0 &&
                  mlrt::kDecodeAttentionSplits % kMergeWarps == 0 &&
                  32 % kMergeWarps == 0,
              "the merge's lanes and warps tile the splits");
void decodeMerge(KernelBuilder &k, const AttentionShape &s) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t d = s.headDim, stride = d + 2,
                splits = mlrt::kDecodeAttentionSplits, perLane = (d + 31) / 32;
  Value h = k.blockId();
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  Value base = k.add(k.sequenceSlice(k.memref(Workspace)),
                     k.mul(h, k.idx(splits * stride)));
  Value active = activeSplits(k, s, keysSeen(k, s).length);
  Value lastSplit = k.sub(active, k.idx(1));
  // Field `field` + `offset` of split `split`, clamped to the active ones
  // (the caller drops the others).
  auto partial = [&](Value split, int64_t field, Value offset) {
    Value at = k.mul(k.minIndex(split, lastSplit), k.idx(stride));
    return k.load(k.memref(Workspace),
                  k.add(base, k.add(at, k.add(k.idx(field), offset))));
  };
  Value zero = k.idx(0);
  SmallVector<Value> m, weight;
  Value max = k.f32(-INFINITY);
  for (int64_t r = 0; r < splits / 32; ++r) {
    Value split = k.add(lane, k.idx(32 * r));
    m.push_back(select(k, k.lt(split, active), partial(split, 0, zero),
                       k.f32(-INFINITY)));
    max = k.fmax(max, m.back());
  }
  max = k.warpMax(max);
  Value sum = k.f32(0);
  for (int64_t r = 0; r < splits / 32; ++r) {
    weight.push_back(weightOf(k, m[r], max));
    sum = k.fadd(
        sum, k.fmul(weight[r], partial(k.add(lane, k.idx(32 * r)), 1, zero)));
  }
  sum = k.warpSum(sum);
  SmallVector<Value> dims, out;
  for (int64_t i = 0; i < perLane; ++i) {
    dims.push_back(k.minIndex(k.add(lane, k.idx(32 * i)), k.idx(d - 1)));
    out.push_back(k.f32(0));
  }
  Type i32 = b.getI32Type();
  Value width = arith::ConstantIntOp::create(b, 32, 32);
  for (int64_t r = 0; r < splits / kMergeWarps; ++r) {
    // Split warp + kMergeWarps r: its weight is in lane split % 32 of
    // weight[split / 32], and split / 32 = r * kMergeWarps / 32.
    Value split = k.add(warp, k.idx(kMergeWarps * r));
    Value from = arith::IndexCastOp::create(b, i32, k.rem(split, k.idx(32)));
    Value w = gpu::ShuffleOp::create(b, weight[r * kMergeWarps / 32], from,
                                     width, gpu::ShuffleMode::IDX)
                  .getShuffleResult();
    w = select(k, k.lt(split, active), w, k.f32(0));
    for (int64_t i = 0; i < perLane; ++i)
      out[i] = k.fadd(out[i], k.fmul(w, partial(split, 2, dims[i])));
  }
  Value shared = k.sharedBuffer();
  for (int64_t i = 0; i < perLane; ++i)
    k.when(k.lt(k.add(lane, k.idx(32 * i)), k.idx(d)), [&] {
      k.store(out[i], shared, k.add(k.mul(warp, k.idx(d)), dims[i]));
    });
  gpu::BarrierOp::create(b);
  k.strided(k.idx(d), kMergeWarps * 32, [&](Value c) {
    Value total = k.f32(0);
    for (int64_t w = 0; w < kMergeWarps; ++w)
      total = k.fadd(total, k.load(shared, k.add(k.idx(w * d), c)));
    k.store(k.fdiv(total, sum), k.memref(Out),
            k.add(k.mul(k.sequenceRow(k.idx(0)), k.idx(s.qWidth())),
                  k.add(k.mul(h, k.idx(d)), c)));
  });
}
} // namespace

void codegen::emitDecodeAttention(gpu::GPUModuleOp module, StringRef name,
                                  const AttentionShape &s,
                                  std::vector<GpuKernelSpec> &specs,
                                  const RopeSpec *rope) {
  assert((!rope || flashDecodeApplies(s)) &&
         "only the tensor-core decode kernel does the RoPE and append");
  const DecodeSplits plan = decodeSplits(s);
  const int64_t blocks = plan.headBlocks(s) * mlrt::kDecodeAttentionSplits;
  if (flashDecodeApplies(s)) {
    buildKernel(module, name, s.memrefs(), false, 0, [&](KernelBuilder &k) {
      flashDecodeAttention(k, s, module, rope);
    });
    specs.push_back(withPositions(
        perSequence(fixedGrid(name.str(), blocks, kFlashThreads,
                              flashDecodeSharedFloats(s, rope != nullptr)))));
  } else {
    // The warps' merge area, then the block's queries.
    int64_t shared = kDecodeWarps * plan.headsPerBlock * (s.headDim + 2) +
                     plan.headsPerBlock * s.headDim;
    buildKernel(module, name, s.memrefs(), false, shared,
                [&](KernelBuilder &k) { decodeAttention(k, s); });
    specs.push_back(withPositions(perSequence(
        fixedGrid(name.str(), blocks, kDecodeWarps * 32, shared))));
  }
  std::string merge = name.str() + "_merge";
  buildKernel(module, merge, s.memrefs(), false, kMergeWarps * s.headDim,
              [&](KernelBuilder &k) { decodeMerge(k, s); });
  specs.push_back(withPositions(perSequence(fixedGrid(
      merge, s.heads, kMergeWarps * 32, kMergeWarps * s.headDim))));
}
