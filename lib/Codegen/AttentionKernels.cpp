//===- AttentionKernels.cpp - RoPE, KV append and attention kernels -------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "AttentionShape.h"
#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlopt/Dialect/LLM/RuntimeRope.h"
#include "mlrt/Artifact.h"
#include "mlrt/GpuConventions.h"
#include "mlrt/cpu/Kernels.h"

#include <cmath>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

Value codegen::select(KernelBuilder &k, Value cond, Value a, Value b) {
  return arith::SelectOp::create(k.b(), cond, a, b);
}

Value codegen::weightOf(KernelBuilder &k, Value x, Value max) {
  Value masked = arith::CmpFOp::create(k.b(), arith::CmpFPredicate::OEQ, x,
                                       k.f32(-INFINITY));
  return select(k, masked, k.f32(0), k.exp(k.fsub(x, max)));
}

Value codegen::firstKey(KernelBuilder &k, Value p, int64_t window) {
  if (window <= 0)
    return k.idx(0);
  Value shifted = k.add(p, k.idx(1));
  return select(k, k.lt(shifted, k.idx(window)), k.idx(0),
                arith::SubIOp::create(k.b(), shifted, k.idx(window)));
}

Value codegen::sees(KernelBuilder &k, Value key, Value query, Value first) {
  return arith::AndIOp::create(
      k.b(), k.lt(key, k.add(query, k.idx(1))),
      arith::CmpIOp::create(k.b(), arith::CmpIPredicate::uge, key, first));
}

namespace {
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
Value ropeTable(KernelBuilder &k, gpu::GPUModuleOp module, const RopeSpec &r) {
  ImplicitLocOpBuilder &b = k.b();
  const std::vector<float> &freq = r.freq;
  std::string table = r.table();
  auto tableType = MemRefType::get({int64_t(freq.size())}, b.getF32Type());
  if (!module.lookupSymbol(table)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(
        b, table, b.getStringAttr("private"), tableType,
        DenseElementsAttr::get(
            RankedTensorType::get({int64_t(freq.size())}, b.getF32Type()),
            ArrayRef<float>(freq)),
        /*constant=*/true, IntegerAttr());
  }
  return memref::GetGlobalOp::create(b, tableType, table);
}

/// RoPE of one pair of token t of the block's sequence (buffer row
/// KernelBuilder::sequenceRow(t) of `width` floats): pair p is dims (i, i +
/// half) of head p / half, rotated in place by (position + t) * freqs[i].
/// Returns the two columns and their new values.
struct RotatedPair {
  Value lo, hi, x, y;
};
RotatedPair rotatePair(KernelBuilder &k, Value freqs, float scaling,
                       int64_t headDim, Value buffer, int64_t width, Value t,
                       Value pair) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t half = headDim / 2;
  Value position = k.toF32(k.add(k.sequencePosition(), t));
  Value row = k.mul(k.sequenceRow(t), k.idx(width));
  Value head = k.div(pair, k.idx(half)), i = k.rem(pair, k.idx(half));
  Value angle = k.fmul(position, k.load(freqs, i));
  Value cos = k.fmul(math::CosOp::create(b, angle), k.f32(scaling));
  Value sin = k.fmul(math::SinOp::create(b, angle), k.f32(scaling));
  Value lo = k.add(k.mul(head, k.idx(headDim)), i);
  Value hi = k.add(lo, k.idx(half));
  Value x = k.load(buffer, k.add(row, lo)), y = k.load(buffer, k.add(row, hi));
  Value x2 = k.fsub(k.fmul(x, cos), k.fmul(y, sin));
  Value y2 = k.fadd(k.fmul(y, cos), k.fmul(x, sin));
  k.store(x2, buffer, k.add(row, lo));
  k.store(y2, buffer, k.add(row, hi));
  return {lo, hi, x2, y2};
}

mlrt::Expected<RopeSpec> ropeSpec(kern::ProgramOp program, int64_t headDim) {
  mlrt::RopeConfig config = runtimeRope(program.getConfig());
  if (config.scaling == mlrt::RopeScalingKind::Dynamic)
    return mlrt::Error() << "ml-compile: dynamic NTK RoPE scaling has no "
                            "CUDA kernel yet (its frequencies depend on the "
                            "sequence length)";
  mlrt::cpu::Rope table(config, headDim, program.getConfig().getMaxPosition());
  return RopeSpec{table.inverseFrequencies(0), table.attentionScaling(),
                  headDim};
}

/// Whether index `i` >= `bound`.
Value atLeast(KernelBuilder &k, Value i, int64_t bound) {
  return arith::CmpIOp::create(k.b(), arith::CmpIPredicate::uge, i,
                               k.idx(bound));
}

/// rope: rotates pairs (i, i + half) of every q and k head of one token;
/// one thread per pair, q's then k's; a y block per sequence.
void rope(KernelBuilder &k, gpu::GPUModuleOp module, const RopeSpec &r,
          int64_t qWidth, int64_t kWidth) {
  Value freqs = ropeTable(k, module, r);
  const int64_t qPairs = qWidth / 2, pairs = qPairs + kWidth / 2;
  k.eachElement(pairs, kThreads, [&](Value t, Value p) {
    k.when(k.lt(p, k.idx(qPairs)), [&] {
      rotatePair(k, freqs, r.scaling, r.headDim, k.memref(0), qWidth, t, p);
    });
    k.when(atLeast(k, p, qPairs), [&] {
      rotatePair(k, freqs, r.scaling, r.headDim, k.memref(1), kWidth, t,
                 arith::SubIOp::create(k.b(), p, k.idx(qPairs)));
    });
  });
}

/// rope_append (attention with `rope`): rope of q and k in place, then the
/// rotated k and the v of each token into the cache at position + t, in
/// the cache's element type. Work items of a token: q's pairs, k's pairs
/// (each also stores its two cache elements), then v's elements. A y
/// block per sequence, each with its slice of the caches.
void ropeAppend(KernelBuilder &k, gpu::GPUModuleOp module, const RopeSpec &r,
                int64_t qWidth, int64_t kvWidth, Type kvType) {
  Value freqs = ropeTable(k, module, r);
  const int64_t qPairs = qWidth / 2, kPairs = kvWidth / 2;
  k.eachElement(qPairs + kPairs + kvWidth, kThreads, [&](Value t, Value e) {
    Value dst = k.add(k.sequenceSlice(k.memref(KCache)),
                      k.mul(k.add(k.sequencePosition(), t), k.idx(kvWidth)));
    k.when(k.lt(e, k.idx(qPairs)), [&] {
      rotatePair(k, freqs, r.scaling, r.headDim, k.memref(0), qWidth, t, e);
    });
    k.when(arith::AndIOp::create(k.b(), atLeast(k, e, qPairs),
                                 k.lt(e, k.idx(qPairs + kPairs))),
           [&] {
             RotatedPair p = rotatePair(
                 k, freqs, r.scaling, r.headDim, k.memref(1), kvWidth, t,
                 arith::SubIOp::create(k.b(), e, k.idx(qPairs)));
             k.store(k.narrow(p.x, kvType), k.memref(4), k.add(dst, p.lo));
             k.store(k.narrow(p.y, kvType), k.memref(4), k.add(dst, p.hi));
           });
    k.when(atLeast(k, e, qPairs + kPairs), [&] {
      Value c = arith::SubIOp::create(k.b(), e, k.idx(qPairs + kPairs));
      k.store(
          k.narrow(k.load(k.memref(2),
                          k.add(k.mul(k.sequenceRow(t), k.idx(kvWidth)), c)),
                   kvType),
          k.memref(5), k.add(dst, c));
    });
  });
}

/// kv_append: the step's k and v rows into the cache at position + t, in
/// the cache's element type; a y block per sequence.
void kvAppend(KernelBuilder &k, int64_t kvWidth, Type kvType) {
  k.eachElement(kvWidth, kThreads, [&](Value t, Value c) {
    Value dst = k.add(k.sequenceSlice(k.memref(KCache)),
                      k.mul(k.add(k.sequencePosition(), t), k.idx(kvWidth)));
    Value src = k.mul(k.sequenceRow(t), k.idx(kvWidth));
    for (unsigned i : {1u, 2u})
      k.store(k.narrow(k.load(k.memref(i), k.add(src, c)), kvType),
              k.memref(i + 3), k.add(dst, c));
  });
}

//===----------------------------------------------------------------------===//
// Prefill: query tiles against K/V tiles in shared memory
//===----------------------------------------------------------------------===//

/// The tiling of the prefill kernel: 256 threads as 16 x 16 (ty, tx); a
/// thread holds the scores of rows ty + 16a and keys tx + 16b of the tile,
/// and the outputs of rows ty + 16a and dims tx + 16c. The 16 threads of a
/// row are half a warp, so row maxima and sums are shuffles.
struct PrefillTiling {
  int64_t queries, keys, headDim;
  static PrefillTiling of(int64_t headDim) {
    // 74 KiB of shared memory at head dim 128 (3 blocks per SM), 103 KiB
    // at 256.
    return {headDim <= 128 ? 64 : 32, 32, headDim};
  }
  int64_t rows() const { return queries / 16; }
  int64_t cols() const { return keys / 16; }
  int64_t dims() const { return headDim / 16; }
  // Shared layout: Q [queries][headDim + 1], K [keys][headDim + 1] (padded:
  // a row's 16 threads read 16 keys at one dim without bank conflicts),
  // V [keys][headDim], P [queries][keys + 1].
  int64_t kOffset() const { return queries * (headDim + 1); }
  int64_t vOffset() const { return kOffset() + keys * (headDim + 1); }
  int64_t pOffset() const { return vOffset() + keys * headDim; }
  int64_t sharedFloats() const { return pOffset() + queries * (keys + 1); }
};
constexpr int64_t kPrefillThreads = 256;

/// attention (prefill): a block per (tile of queries, head), in a
/// block-stride loop so that any grid covers the tiles. K/V tiles are staged
/// in shared memory once for all queries of the tile; scores and outputs
/// are register tiles (f32, no tensor cores), with an online softmax across
/// key tiles. Query t sits at position + t and sees keys firstKey .. itself.
void prefillAttention(KernelBuilder &k, const AttentionShape &s) {
  ImplicitLocOpBuilder &b = k.b();
  const PrefillTiling tile = PrefillTiling::of(s.headDim);
  const int64_t d = s.headDim, rows = tile.rows(), cols = tile.cols(),
                dims = tile.dims();
  Value shared = k.dynamicSharedFloats(tile.sharedFloats());
  Value tx = k.rem(k.threadId(), k.idx(16));
  Value ty = k.div(k.threadId(), k.idx(16));
  Value tokens = k.tokens(), position = k.position();
  Value tiles = k.div(k.add(tokens, k.idx(tile.queries - 1)),
                      k.idx(tile.queries));
  Value grid = gpu::GridDimOp::create(b, gpu::Dimension::x);
  k.loop(k.blockId(), k.mul(tiles, k.idx(s.heads)), grid, [&](Value item) {
    Value h = k.rem(item, k.idx(s.heads));
    Value qStart = k.mul(k.div(item, k.idx(s.heads)), k.idx(tile.queries));
    Value kvColumn = k.mul(k.div(h, k.idx(s.group())), k.idx(d));
    Value qColumn = k.mul(h, k.idx(d));
    // The previous item's readers of Q are done.
    gpu::BarrierOp::create(b);
    k.strided(k.idx(tile.queries * d), kPrefillThreads, [&](Value i) {
      Value r = k.div(i, k.idx(d)), c = k.rem(i, k.idx(d));
      // Rows past the tokens repeat the last one; they are never written.
      Value row = k.minIndex(k.add(qStart, r),
                             arith::SubIOp::create(b, tokens, k.idx(1)));
      Value v = k.load(k.memref(Q), k.add(k.mul(row, k.idx(s.qWidth())),
                                          k.add(qColumn, c)));
      k.store(v, shared, k.add(k.mul(r, k.idx(d + 1)), c));
    });
    Value qEnd = k.minIndex(k.add(qStart, k.idx(tile.queries)), tokens);
    Value keyEnd = k.add(position, qEnd);
    Value keyBegin = firstKey(k, k.add(position, qStart), s.window);
    SmallVector<Value> init;
    for (int64_t a = 0; a < rows; ++a) {
      init.append({k.f32(-INFINITY), k.f32(0)});
      for (int64_t c = 0; c < dims; ++c)
        init.push_back(k.f32(0));
    }
    const int64_t carried = 2 + dims;
    auto state = k.loop(
        keyBegin, keyEnd, k.idx(tile.keys), init,
        [&](Value kStart, ValueRange acc) {
          gpu::BarrierOp::create(b);
          k.strided(k.idx(tile.keys * d), kPrefillThreads, [&](Value i) {
            Value r = k.div(i, k.idx(d)), c = k.rem(i, k.idx(d));
            // Keys past the end repeat the last one; the mask drops them.
            Value key = k.minIndex(k.add(kStart, r),
                                   arith::SubIOp::create(b, keyEnd, k.idx(1)));
            Value src = k.add(k.mul(key, k.idx(s.kvWidth())),
                              k.add(kvColumn, c));
            k.store(k.widen(k.load(k.memref(KCache), src)), shared,
                    k.add(k.idx(tile.kOffset()),
                          k.add(k.mul(r, k.idx(d + 1)), c)));
            k.store(k.widen(k.load(k.memref(VCache), src)), shared,
                    k.add(k.idx(tile.vOffset()), k.add(k.mul(r, k.idx(d)), c)));
          });
          gpu::BarrierOp::create(b);
          // Scores: Q K^T over the tile, rows x cols per thread.
          SmallVector<Value> zeros(rows * cols, k.f32(0));
          auto dot = k.loop(
              k.idx(0), k.idx(d), k.idx(1), zeros,
              [&](Value c, ValueRange sum) {
                SmallVector<Value> q, key, next;
                for (int64_t a = 0; a < rows; ++a)
                  q.push_back(k.load(
                      shared, k.add(k.mul(k.add(ty, k.idx(16 * a)),
                                          k.idx(d + 1)),
                                    c)));
                for (int64_t j = 0; j < cols; ++j)
                  key.push_back(k.load(
                      shared,
                      k.add(k.idx(tile.kOffset()),
                            k.add(k.mul(k.add(tx, k.idx(16 * j)), k.idx(d + 1)),
                                  c))));
                for (int64_t a = 0; a < rows; ++a)
                  for (int64_t j = 0; j < cols; ++j)
                    next.push_back(
                        k.fadd(sum[a * cols + j], k.fmul(q[a], key[j])));
                return next;
              });
          // Masked online softmax per row; the tile's weights go to P.
          SmallVector<Value> next;
          for (int64_t a = 0; a < rows; ++a) {
            Value row = k.add(ty, k.idx(16 * a));
            Value query = k.add(position, k.add(qStart, row));
            Value queryFirst = firstKey(k, query, s.window);
            SmallVector<Value> scores;
            Value rowMax = k.f32(-INFINITY);
            for (int64_t j = 0; j < cols; ++j) {
              Value key = k.add(kStart, k.add(tx, k.idx(16 * j)));
              Value seen = sees(k, key, query, queryFirst);
              scores.push_back(select(k, seen,
                                      k.fmul(dot[a * cols + j],
                                             k.f32(s.scale())),
                                      k.f32(-INFINITY)));
              rowMax = k.fmax(rowMax, scores.back());
            }
            Value m = acc[a * carried];
            Value mNew = k.fmax(m, k.warpMax(rowMax, 16));
            Value rowSum = k.f32(0);
            for (int64_t j = 0; j < cols; ++j) {
              Value p = weightOf(k, scores[j], mNew);
              rowSum = k.fadd(rowSum, p);
              k.store(p, shared,
                      k.add(k.idx(tile.pOffset()),
                            k.add(k.mul(row, k.idx(tile.keys + 1)),
                                  k.add(tx, k.idx(16 * j)))));
            }
            Value correction = weightOf(k, m, mNew);
            next.push_back(mNew);
            next.push_back(k.fadd(k.fmul(acc[a * carried + 1], correction),
                                  k.warpSum(rowSum, 16)));
            for (int64_t c = 0; c < dims; ++c)
              next.push_back(k.fmul(acc[a * carried + 2 + c], correction));
          }
          gpu::BarrierOp::create(b);
          // Outputs: P V over the tile, rows x dims per thread.
          SmallVector<Value> outs;
          for (int64_t a = 0; a < rows; ++a)
            for (int64_t c = 0; c < dims; ++c)
              outs.push_back(next[a * carried + 2 + c]);
          auto pv = k.loop(
              k.idx(0), k.idx(tile.keys), k.idx(1), outs,
              [&](Value j, ValueRange o) {
                SmallVector<Value> p, v, sum;
                for (int64_t a = 0; a < rows; ++a)
                  p.push_back(k.load(
                      shared,
                      k.add(k.idx(tile.pOffset()),
                            k.add(k.mul(k.add(ty, k.idx(16 * a)),
                                        k.idx(tile.keys + 1)),
                                  j))));
                for (int64_t c = 0; c < dims; ++c)
                  v.push_back(k.load(
                      shared, k.add(k.idx(tile.vOffset()),
                                    k.add(k.mul(j, k.idx(d)),
                                          k.add(tx, k.idx(16 * c))))));
                for (int64_t a = 0; a < rows; ++a)
                  for (int64_t c = 0; c < dims; ++c)
                    sum.push_back(
                        k.fadd(o[a * dims + c], k.fmul(p[a], v[c])));
                return sum;
              });
          for (int64_t a = 0; a < rows; ++a)
            for (int64_t c = 0; c < dims; ++c)
              next[a * carried + 2 + c] = pv[a * dims + c];
          return next;
        });
    for (int64_t a = 0; a < rows; ++a) {
      Value row = k.add(qStart, k.add(ty, k.idx(16 * a)));
      k.when(k.lt(row, tokens), [&] {
        Value base = k.add(k.mul(row, k.idx(s.qWidth())), qColumn);
        for (int64_t c = 0; c < dims; ++c)
          k.store(k.fdiv(state[a * carried + 2 + c], state[a * carried + 1]),
                  k.memref(Out), k.add(base, k.add(tx, k.idx(16 * c))));
      });
    }
  });
}

//===----------------------------------------------------------------------===//
// Decode: the keys split over a fixed grid, then a merge
//===----------------------------------------------------------------------===//

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
  return {first, end, arith::SubIOp::create(k.b(), end, first)};
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
    k.when(arith::CmpIOp::create(k.b(), arith::CmpIPredicate::eq, c, k.idx(0)),
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
      k.when(arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.idx(0)),
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
  Value lastSplit = arith::SubIOp::create(b, active, k.idx(1));
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

KernelSpecs codegen::emitAttentionKernels(Operation *op, StringRef name,
                                          kern::ProgramOp program,
                                          gpu::GPUModuleOp module) {
  std::vector<GpuKernelSpec> specs;
  if (auto o = dyn_cast<kern::RopeOp>(op)) {
    mlrt::Expected<RopeSpec> r = ropeSpec(program, o.getHeadDim());
    if (!r)
      return r.takeError();
    Type f32 = Float32Type::get(module.getContext());
    buildKernel(module, name,
                {f32, f32, IntegerType::get(module.getContext(), 64)}, false, 0,
                [&](KernelBuilder &k) {
                  rope(k, module, *r, widthOf(o.getQ()), widthOf(o.getK()));
                });
    specs.push_back(withPositions(perSequence(
        perElement(name.str(), (widthOf(o.getQ()) + widthOf(o.getK())) / 2))));
  } else if (auto o = dyn_cast<kern::AttentionOp>(op)) {
    AttentionShape s;
    s.heads = o.getHeads();
    s.headDim = widthOf(o.getQ()) / s.heads;
    s.kvHeads = widthOf(o.getK()) / s.headDim;
    s.window = o.getWindow().value_or(0);
    s.kvType = kvElementType(o);
    s.bf16Inputs = o.getBf16Inputs();
    if (s.headDim % 16 != 0 || s.headDim > 256)
      return mlrt::Error() << "ml-compile: the CUDA attention kernels handle "
                              "head dims that are multiples of 16 up to 256, "
                              "found "
                           << s.headDim;
    // The append kernel is the same in both entries: the decode op's key
    // is the prefill op's with a suffix.
    StringRef base = name;
    base.consume_back(kDecodeSuffix);
    base.consume_back(kBf16InputsSuffix);
    std::string append = base.str() + "_append";
    if (o.getRope()) {
      // The RoPE of q and k, then the append, in one kernel.
      mlrt::Expected<RopeSpec> r = ropeSpec(program, s.headDim);
      if (!r)
        return r.takeError();
      if (!module.lookupSymbol(append))
        buildKernel(
            module, append, s.memrefs(), false, 0, [&](KernelBuilder &k) {
              ropeAppend(k, module, *r, s.qWidth(), s.kvWidth(), s.kvType);
            });
      specs.push_back(withPositions(perSequence(
          perElement(append, s.qWidth() / 2 + s.kvWidth() / 2 + s.kvWidth()))));
    } else {
      if (!module.lookupSymbol(append))
        buildKernel(module, append, s.memrefs(), false, 0,
                    [&](KernelBuilder &k) {
                      kvAppend(k, s.kvWidth(), s.kvType);
                    });
      specs.push_back(
          withPositions(perSequence(perElement(append, s.kvWidth()))));
    }
    if (op->getParentOfType<kern::EntryOp>().getStep()) {
      const DecodeSplits plan = decodeSplits(s);
      const int64_t blocks = plan.headBlocks(s) * mlrt::kDecodeAttentionSplits;
      if (flashDecodeApplies(s)) {
        buildKernel(module, name, s.memrefs(), false, 0,
                    [&](KernelBuilder &k) { flashDecodeAttention(k, s); });
        specs.push_back(withPositions(perSequence(fixedGrid(
            name.str(), blocks, kFlashThreads, flashDecodeSharedFloats(s)))));
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
    } else {
      // heads / 4 blocks per token give every (query tile, head) a block of
      // its own from 4 tokens on; with fewer, blocks loop over the tiles.
      if (s.bf16Inputs && !flashAttentionApplies(s))
        return mlrt::Error()
               << "ml-compile: --prefill-precision=bf16 runs prefill "
                  "attention on bf16 tensor cores, which read a bf16 KV cache "
                  "(--kv-cache=bf16) of heads that are multiples of 16 up to "
                  "128; found "
               << (s.kvType.isBF16() ? "a bf16" : "an f32")
               << " cache, head dim " << s.headDim;
      if (flashAttentionApplies(s)) {
        // A block per 64 queries of a head: heads / 16 blocks per token
        // cover them from 16 tokens on.
        buildKernel(module, name, s.memrefs(), false, 0,
                    [&](KernelBuilder &k) { flashPrefillAttention(k, s); });
        specs.push_back(withPositions(
            perToken(name.str(), std::max<int64_t>(1, s.heads / 16),
                     kFlashThreads, flashSharedFloats(s))));
        return specs;
      }
      buildKernel(module, name, s.memrefs(), false, 0,
                  [&](KernelBuilder &k) { prefillAttention(k, s); });
      specs.push_back(withPositions(perToken(
          name.str(), std::max<int64_t>(1, s.heads / 4), kPrefillThreads,
          PrefillTiling::of(s.headDim).sharedFloats())));
    }
  }
  return specs;
}
