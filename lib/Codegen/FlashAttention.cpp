//===- FlashAttention.cpp - Tensor-core prefill and decode attention ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// FlashAttention-2 on bf16 mma.sync (TensorCore.h) for a bf16 KV cache. A
// block of 4 warps takes 64 queries of one head; each warp owns 16 rows and
// keeps their q fragments, running max and sum and output tile in
// registers across the keys. Keys come in tiles of 64, copied row-major
// into shared memory by cp.async one tile ahead (two stages), and read as
// B fragments by ldmatrix (transposed for V). Rows are padded by 16 bytes
// so that the 8 rows an ldmatrix reads fall in distinct banks.
//
// S = q K^T and O += P V each take two products, q = q_hi + q_lo and
// P = P_hi + P_lo (the cache is exact in bf16), so the result stays within
// ~1e-5 of the f32 attention that the CPU backend computes. With
// `bf16_inputs` q and P are rounded to bf16 instead, one product each (the
// CPU backend rounds the same values).
//
// Decode (one query token a sequence) reuses the tiles: block (KV head,
// split of the keys) puts the GQA group's query heads in the 16 rows, its 4
// warps take 16 keys each of a tile, three stages keep two tiles in flight,
// and the warps' partial softmaxes go to the workspace for the merge
// kernel (DecodeAttention.cpp). With RoPE, the decode kernel also rotates
// the step's q (in registers) and k and appends k and v to the caches, so
// no append kernel runs before it.
//
//===----------------------------------------------------------------------===//

#include "AttentionShape.h"
#include "TensorCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "mlrt/GpuConventions.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
constexpr int64_t kWarps = kFlashThreads / 32;
/// Queries a block (16 rows a warp) and keys a tile.
constexpr int64_t kQueries = 16 * kWarps;
constexpr int64_t kKeys = 64;

/// The shared memory of a block: `stages` stages, each the tile's K rows,
/// then its V rows, bf16 [kKeys][headDim + 8] each.
struct FlashLayout {
  int64_t headDim, stages;
  int64_t rowBytes() const { return 2 * (headDim + 8); }
  int64_t matrixBytes() const { return kKeys * rowBytes(); }
  int64_t stageBytes() const { return 2 * matrixBytes(); }
  int64_t floats() const { return stages * stageBytes() / 4; }
};
/// Prefill computes 64 queries x 64 keys for every tile it loads: two
/// stages. Decode computes a quarter of that (16 rows, the group's heads
/// among them): three stages keep two tiles in flight (two blocks an SM at
/// head dim 128; measured at 32K keys, as fast as two stages).
FlashLayout prefillLayout(const AttentionShape &s) { return {s.headDim, 2}; }
FlashLayout decodeLayout(const AttentionShape &s) { return {s.headDim, 3}; }

/// Starts the copies of keys kStart .. kStart + kKeys of the KV head at
/// `column` into the stage at byte address `stage` (the caller commits
/// them); keys past keyEnd copy its last key again, and the mask drops
/// them.
void copyTile(KernelBuilder &k, const AttentionShape &s, Value stage,
              Value kStart, Value keyEnd, Value column, Value kCache,
              Value vCache) {
  const FlashLayout layout = prefillLayout(s);
  const int64_t chunks = s.headDim / 8;
  Value lastKey = k.sub(keyEnd, k.idx(1));
  k.strided(k.idx(kKeys * chunks), kFlashThreads, [&](Value i) {
    Value key = k.div(i, k.idx(chunks)), chunk = k.rem(i, k.idx(chunks));
    Value row = k.minIndex(k.add(kStart, key), lastKey);
    Value from = k.mul(k.add(k.mul(row, k.idx(s.kvWidth())),
                             k.add(column, k.mul(chunk, k.idx(8)))),
                       k.idx(2));
    Value to = k.add(stage, k.add(k.mul(key, k.idx(layout.rowBytes())),
                                  k.mul(chunk, k.idx(16))));
    copyAsync16(k, to, k.add(kCache, from));
    copyAsync16(k, k.add(to, k.idx(layout.matrixBytes())), k.add(vCache, from));
  });
}

/// acc + A B for A = hi + lo (hi alone with bf16 inputs).
Accumulator product(KernelBuilder &k, const AttentionShape &s,
                    const std::array<Value, 4> &hi,
                    const std::array<Value, 4> &lo,
                    const std::array<Value, 2> &b, Accumulator acc) {
  acc = mmaBf16(k, hi, b, acc);
  return s.bf16Inputs ? acc : mmaBf16(k, lo, b, acc);
}

/// A warp's q: the A fragments of its 16 rows, per 16 dims (hi and lo).
struct QueryFragments {
  SmallVector<std::array<Value, 4>> hi, lo;
};

/// A warp's q as f32 pairs: [ks][r] holds the elements from index `at(ks,
/// r)` (row group + 8 (r % 2), dims 16 ks + 8 (r / 2) + 2 quad and one
/// more), or nulls where `at` gives none.
using QueryPairs = SmallVector<std::array<std::array<Value, 2>, 4>>;
QueryPairs loadQueryPairs(KernelBuilder &k, const AttentionShape &s,
                          function_ref<Value(int64_t, int64_t)> at) {
  ImplicitLocOpBuilder &b = k.b();
  auto pairType = VectorType::get({2}, b.getF32Type());
  QueryPairs q(s.headDim / 16);
  for (int64_t ks = 0; ks < int64_t(q.size()); ++ks)
    for (int64_t r = 0; r < 4; ++r) {
      Value index = at(ks, r);
      if (!index)
        continue;
      Value pair =
          vector::LoadOp::create(b, pairType, k.memref(Q), ValueRange{index},
                                 false, llvm::MaybeAlign(8));
      for (int64_t e = 0; e < 2; ++e)
        q[ks][r][e] = vector::ExtractOp::create(b, pair, e);
    }
  return q;
}

/// The A fragments of q's pairs: bf16 words (hi and lo), zero words where
/// a pair is null.
QueryFragments queryFragments(KernelBuilder &k, const AttentionShape &s,
                              const QueryPairs &pairs) {
  QueryFragments q{SmallVector<std::array<Value, 4>>(pairs.size()),
                   SmallVector<std::array<Value, 4>>(pairs.size())};
  for (size_t ks = 0; ks < pairs.size(); ++ks)
    for (int64_t r = 0; r < 4; ++r) {
      if (!pairs[ks][r][0]) {
        q.hi[ks][r] = q.lo[ks][r] = arith::ConstantIntOp::create(k.b(), 0, 32);
        continue;
      }
      SplitWords words =
          bf16Words(k, !s.bf16Inputs, pairs[ks][r][0], pairs[ks][r][1]);
      q.hi[ks][r] = words.hi;
      q.lo[ks][r] = words.lo;
    }
  return q;
}

/// Loads a warp's q fragments (loadQueryPairs, queryFragments).
QueryFragments loadQueryFragments(KernelBuilder &k, const AttentionShape &s,
                                  function_ref<Value(int64_t, int64_t)> at) {
  return queryFragments(k, s, loadQueryPairs(k, s, at));
}

/// The byte offsets in a stage of the rows this lane addresses for
/// ldmatrix: row lane % 8 of matrix lane / 8. K's matrices are 8 keys x 8
/// dims at dims 8 m; V's are keys 8 (m % 2) on, dims 8 (m / 2) on.
struct LaneRows {
  Value k, v;
};
LaneRows laneRows(KernelBuilder &k, const FlashLayout &layout, Value lane) {
  Value matrix = k.div(lane, k.idx(8)), matrixRow = k.rem(lane, k.idx(8));
  Value kLane = k.add(k.mul(matrixRow, k.idx(layout.rowBytes())),
                      k.mul(matrix, k.idx(16)));
  Value vLane =
      k.add(k.mul(k.add(k.mul(k.rem(matrix, k.idx(2)), k.idx(8)), matrixRow),
                  k.idx(layout.rowBytes())),
            k.add(k.mul(k.div(matrix, k.idx(2)), k.idx(16)),
                  k.idx(layout.matrixBytes())));
  return {kLane, vLane};
}

/// One warp's online-softmax step over 8 keyTiles keys of a stage, from
/// the key `keyRow` rows in (ldmatrix addresses `lanes`): S = q K^T,
/// `mask` of the unscaled scores (element e of key tile nt is key nt * 8 + 2
/// quad + e % 2 of row e / 2), the running max and sum, then O += P V.
SmallVector<Value>
attendKeys(KernelBuilder &k, const AttentionShape &s, const FlashLayout &layout,
           const LaneRows &lanes, Value stage, Value keyRow, int64_t keyTiles,
           const QueryFragments &q, ValueRange carried,
           function_ref<SmallVector<Value>(SmallVector<Value>)> mask) {
  const int64_t qSteps = s.headDim / 16, dimTiles = s.headDim / 8;
  Value rowsBase = k.add(stage, k.mul(keyRow, k.idx(layout.rowBytes())));
  // Scores: tile nt holds keys nt*8 + 2 quad (+1) of row group (elements
  // 0, 1) and row group + 8 (2, 3).
  SmallVector<Value> scores;
  for (int64_t nt = 0; nt < keyTiles; ++nt) {
    Accumulator acc = {k.f32(0), k.f32(0), k.f32(0), k.f32(0)};
    Value rowsAt =
        k.add(rowsBase, k.add(lanes.k, k.idx(nt * 8 * layout.rowBytes())));
    for (int64_t ks = 0; ks < qSteps; ks += 2) {
      int64_t count = ks + 1 < qSteps ? 4 : 2;
      auto words = loadMatrices(k, k.add(rowsAt, k.idx(32 * ks)), count,
                                /*transpose=*/false);
      for (int64_t j = 0; j < count / 2; ++j) {
        std::array<Value, 2> kFrag = {words[2 * j], words[2 * j + 1]};
        acc = product(k, s, q.hi[ks + j], q.lo[ks + j], kFrag, acc);
      }
    }
    scores.append(acc.begin(), acc.end());
  }
  scores = mask(std::move(scores));
  SmallVector<Value> next =
      softmaxStep(k, scores, carried, dimTiles, s.scale());
  // O += P V: the weights of key tiles 2j and 2j + 1 are the A fragment of
  // keys 16j .. 16j + 15.
  for (int64_t j = 0; j < keyTiles / 2; ++j) {
    std::array<Value, 4> pHi, pLo;
    for (int64_t r = 0; r < 4; ++r) {
      int64_t at = (2 * j + r / 2) * 4 + 2 * (r % 2);
      SplitWords split =
          bf16Words(k, !s.bf16Inputs, scores[at], scores[at + 1]);
      pHi[r] = split.hi;
      pLo[r] = split.lo;
    }
    Value keysAt =
        k.add(rowsBase, k.add(lanes.v, k.idx(16 * j * layout.rowBytes())));
    for (int64_t dt = 0; dt < dimTiles; dt += 2) {
      auto words = loadMatrices(k, k.add(keysAt, k.idx(16 * dt)), 4,
                                /*transpose=*/true);
      for (int64_t half = 0; half < 2; ++half) {
        std::array<Value, 2> vFrag = {words[2 * half], words[2 * half + 1]};
        int64_t at = (dt + half) * 4;
        Accumulator o = {next[at], next[at + 1], next[at + 2], next[at + 3]};
        o = product(k, s, pHi, pLo, vFrag, o);
        for (int64_t e = 0; e < 4; ++e)
          next[at + e] = o[e];
      }
    }
  }
  return next;
}

/// Starts the copies of the first stages - 1 tiles of keys [begin, end) of
/// the KV head at `kvColumn` into the layout's stages at `shared`, a group
/// a tile (empty past the end): walkKeyTiles' prologue, issued before the
/// kernel's other setup.
void prefetchKeyTiles(KernelBuilder &k, const AttentionShape &s,
                      const FlashLayout &layout, Value shared, Value begin,
                      Value end, Value kvColumn, Value kCache, Value vCache) {
  copyTile(k, s, shared, begin, end, kvColumn, kCache, vCache);
  commitCopies(k);
  for (int64_t i = 1; i < layout.stages - 1; ++i) {
    Value start = k.add(begin, k.idx(i * kKeys));
    k.when(k.lt(start, end), [&] {
      copyTile(k, s, k.add(shared, k.idx(i * layout.stageBytes())), start, end,
               kvColumn, kCache, vCache);
    });
    commitCopies(k);
  }
}

/// Walks the keys [begin, end) of the KV head at `kvColumn` a tile of
/// kKeys at a time through the layout's stages at `shared`, after
/// prefetchKeyTiles: the block copies the tile stages - 1 ahead while
/// `body(kStart, stage, carried)` reads tile t from stage t % stages.
/// Returns the final carried values after a barrier (the stages are free).
SmallVector<Value>
walkKeyTiles(KernelBuilder &k, const AttentionShape &s,
             const FlashLayout &layout, Value shared, Value begin, Value end,
             Value kvColumn, Value kCache, Value vCache, ValueRange init,
             function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t ahead = layout.stages - 1;
  auto stageOf = [&](Value tile) {
    return k.add(shared, k.mul(k.rem(tile, k.idx(layout.stages)),
                               k.idx(layout.stageBytes())));
  };
  SmallVector<Value> out = k.loop(
      begin, end, k.idx(kKeys), init, [&](Value kStart, ValueRange carried) {
        Value t = k.div(k.sub(kStart, begin), k.idx(kKeys));
        // A group a tile (empty past the end): all but the newest
        // ahead - 1 landed leaves tile t in place. After the barrier every
        // thread is done with step t - 1, whose stage takes tile t + ahead.
        // One barrier a step.
        waitCopies(k, ahead - 1);
        gpu::BarrierOp::create(b);
        Value next = k.add(kStart, k.idx(ahead * kKeys));
        k.when(k.lt(next, end), [&] {
          copyTile(k, s, stageOf(k.add(t, k.idx(ahead))), next, end, kvColumn,
                   kCache, vCache);
        });
        commitCopies(k);
        return body(kStart, stageOf(t), carried);
      });
  gpu::BarrierOp::create(b);
  return out;
}
} // namespace

bool codegen::flashAttentionApplies(const AttentionShape &s) {
  return s.kvType.isBF16() && s.headDim % 16 == 0 && s.headDim <= 128;
}

int64_t codegen::flashSharedFloats(const AttentionShape &s) {
  return prefillLayout(s).floats();
}

int64_t codegen::flashDecodeSharedFloats(const AttentionShape &s, bool rope) {
  // With the RoPE, cos and sin of the position after the stages.
  return decodeLayout(s).floats() + (rope ? s.headDim : 0);
}

namespace {
/// The RoPE and append of a decode step in the tensor-core decode kernel:
/// cos and sin of the position into shared floats [at, at + d) (threads
/// below d / 2, one dim each), then the last split's block writes its KV
/// head's rotated k and its v at the position, then a barrier: the row is
/// in the caches before the block's copies read it. Rotations and
/// roundings are ropeAppend's.
void ropeAndAppend(KernelBuilder &k, const AttentionShape &s,
                   gpu::GPUModuleOp module, const RopeSpec &rope,
                   Value sharedFloats, int64_t at, Value isLastSplit,
                   Value kvColumn) {
  const int64_t d = s.headDim, half = d / 2;
  Value freqs = ropeTable(k, module, rope);
  Value position = k.sequencePosition();
  k.when(k.lt(k.threadId(), k.idx(half)), [&] {
    RopeAngle a =
        ropeAngle(k, freqs, rope.scaling, k.toF32(position), k.threadId());
    k.store(a.cos, sharedFloats, k.add(k.idx(at), k.threadId()));
    k.store(a.sin, sharedFloats, k.add(k.idx(at + half), k.threadId()));
  });
  gpu::BarrierOp::create(k.b());
  k.when(isLastSplit, [&] {
    Value src =
        k.add(k.mul(k.sequenceRow(k.idx(0)), k.idx(s.kvWidth())), kvColumn);
    auto rowOf = [&](unsigned cache) {
      return k.add(k.sequenceSlice(k.memref(cache)),
                   k.add(k.mul(position, k.idx(s.kvWidth())), kvColumn));
    };
    Value kRow = rowOf(KCache), vRow = rowOf(VCache);
    k.strided(k.idx(half), kFlashThreads, [&](Value i) {
      RopeAngle a{k.load(sharedFloats, k.add(k.idx(at), i)),
                  k.load(sharedFloats, k.add(k.idx(at + half), i))};
      Value hi = k.add(i, k.idx(half));
      auto [x, y] = rotate(k, k.load(k.memref(K), k.add(src, i)),
                           k.load(k.memref(K), k.add(src, hi)), a);
      k.store(k.narrow(x, s.kvType), k.memref(KCache), k.add(kRow, i));
      k.store(k.narrow(y, s.kvType), k.memref(KCache), k.add(kRow, hi));
    });
    k.strided(k.idx(d), kFlashThreads, [&](Value c) {
      k.store(k.narrow(k.load(k.memref(V), k.add(src, c)), s.kvType),
              k.memref(VCache), k.add(vRow, c));
    });
  });
  gpu::BarrierOp::create(k.b());
}

/// Rotates q's pairs in registers: the element of dim c < d / 2 and that
/// of dim c + d / 2 (which the same lane holds, in the pair d / 2 dims on)
/// by the angle of c, whose cos and sin are at shared floats `at` + c and
/// `at` + d / 2 + c.
void rotateQuery(KernelBuilder &k, const AttentionShape &s, QueryPairs &q,
                 Value sharedFloats, int64_t at, Value pairColumn) {
  const int64_t half = s.headDim / 2;
  for (int64_t ks = 0; ks < int64_t(q.size()); ++ks)
    for (int64_t r = 0; r < 4; ++r) {
      const int64_t dims = 16 * ks + 8 * (r / 2);
      if (dims >= half || !q[ks][r][0])
        continue;
      const int64_t partner = dims + half;
      auto &other = q[partner / 16][r % 2 + 2 * (partner % 16 / 8)];
      for (int64_t e = 0; e < 2; ++e) {
        Value c = k.add(k.idx(dims + e), pairColumn);
        RopeAngle a{k.load(sharedFloats, k.add(k.idx(at), c)),
                    k.load(sharedFloats, k.add(k.idx(at + half), c))};
        std::tie(q[ks][r][e], other[e]) = rotate(k, q[ks][r][e], other[e], a);
      }
    }
}
} // namespace

void codegen::flashPrefillAttention(KernelBuilder &k, const AttentionShape &s) {
  const int64_t d = s.headDim, dimTiles = d / 8;
  const FlashLayout layout = prefillLayout(s);
  k.launchBounds(kFlashThreads, 2);
  Value shared = addressOf(k, k.dynamicSharedFloats(layout.floats()));
  Value kCache = addressOf(k, k.memref(KCache));
  Value vCache = addressOf(k, k.memref(VCache));
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  Value group = k.div(lane, k.idx(4)), quad = k.rem(lane, k.idx(4));
  const LaneRows lanes = laneRows(k, layout, lane);
  Value lastRow = k.sub(k.tokens(), k.idx(1));
  forEachPrefillItem(k, s, kQueries, [&](const PrefillItem &item) {
    prefetchKeyTiles(k, s, layout, shared, item.keyBegin, item.keyEnd,
                     item.kvColumn, kCache, vCache);
    // This lane's rows: group and group + 8 of its warp's 16.
    PrefillRows rows =
        prefillRows(k, s, item, k.add(k.mul(warp, k.idx(16)), group), quad);
    // q's A fragments (hi and lo) for the whole item; rows past the
    // tokens repeat the last one and are never written.
    QueryFragments q = loadQueryFragments(k, s, [&](int64_t ks, int64_t r) {
      return k.add(
          k.mul(k.minIndex(rows.rows[r % 2], lastRow), k.idx(s.qWidth())),
          k.add(item.qColumn,
                k.add(k.idx(16 * ks + 8 * (r / 2)), rows.pairColumn)));
    });
    SmallVector<Value> state = walkKeyTiles(
        k, s, layout, shared, item.keyBegin, item.keyEnd, item.kvColumn, kCache,
        vCache, softmaxInitialState(k, dimTiles),
        [&](Value kStart, Value stage, ValueRange carried) {
          auto mask = [&](SmallVector<Value> scores) {
            return maskScores(k, s, item, rows, kStart, kKeys,
                              std::move(scores));
          };
          return attendKeys(k, s, layout, lanes, stage, k.idx(0), kKeys / 8, q,
                            carried, mask);
        });
    storeOutputRows(k, s, item, rows, state);
  });
}

bool codegen::flashDecodeApplies(const AttentionShape &s) {
  return flashAttentionApplies(s) && s.group() <= 16;
}

void codegen::flashDecodeAttention(KernelBuilder &k, const AttentionShape &s,
                                   gpu::GPUModuleOp module,
                                   const RopeSpec *rope) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t d = s.headDim, g = s.group(), dimTiles = d / 8,
                splits = mlrt::kDecodeAttentionSplits;
  const FlashLayout layout = decodeLayout(s);
  // 102 KiB of stages a block at head dim 128: two blocks an SM.
  k.launchBounds(kFlashThreads, 2);
  Value sharedFloats =
      k.dynamicSharedFloats(flashDecodeSharedFloats(s, rope != nullptr));
  Value shared = addressOf(k, sharedFloats);
  Value split = k.rem(k.blockId(), k.idx(splits));
  Value kvHead = k.div(k.blockId(), k.idx(splits));
  Value head0 = k.mul(kvHead, k.idx(g));
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  Value group = k.div(lane, k.idx(4)), quad = k.rem(lane, k.idx(4));
  Value pairColumn = k.mul(quad, k.idx(2));
  const LaneRows lanes = laneRows(k, layout, lane);
  DecodeKeys keys = keysSeen(k, s);
  Value active = activeSplits(k, s, keys.length);
  // The other blocks have no slice; the merge reads `active` partials.
  k.when(k.lt(split, active), [&] {
    KeySlice slice = sliceOf(k, keys, active, split);
    // The block's sequence's slices of the caches, as byte addresses.
    auto cacheOf = [&](unsigned cache) {
      return k.add(addressOf(k, k.memref(cache)),
                   k.mul(k.sequenceSlice(k.memref(cache)), k.idx(2)));
    };
    Value kCache = cacheOf(KCache), vCache = cacheOf(VCache);
    Value kvColumn = k.mul(kvHead, k.idx(d));
    const int64_t angles = layout.floats();
    if (rope)
      ropeAndAppend(k, s, module, *rope, sharedFloats, angles,
                    k.eq(split,
                                          k.sub(active, k.idx(1))),
                    kvColumn);
    prefetchKeyTiles(k, s, layout, shared, slice.begin, slice.end, kvColumn,
                     kCache, vCache);
    // Row r of every warp's tiles is query head head0 + r: rows past the
    // group repeat its last head and are never stored; with at most 8
    // heads rows 8 .. 15 are zero words.
    Value qRow = k.mul(k.sequenceRow(k.idx(0)), k.idx(s.qWidth()));
    QueryPairs pairs =
        loadQueryPairs(k, s, [&](int64_t ks, int64_t r) -> Value {
          if (r % 2 == 1 && g <= 8)
            return {};
          Value row =
              k.minIndex(k.add(group, k.idx(8 * (r % 2))), k.idx(g - 1));
          return k.add(qRow,
                       k.add(k.mul(k.add(head0, row), k.idx(d)),
                             k.add(k.idx(16 * ks + 8 * (r / 2)), pairColumn)));
        });
    if (rope)
      rotateQuery(k, s, pairs, sharedFloats, angles, pairColumn);
    QueryFragments q = queryFragments(k, s, pairs);
    // Warp w takes keys 16 w .. 16 w + 15 of each tile.
    Value warpRow = k.mul(warp, k.idx(16));
    SmallVector<Value> state = walkKeyTiles(
        k, s, layout, shared, slice.begin, slice.end, kvColumn, kCache, vCache,
        softmaxInitialState(k, dimTiles),
        [&](Value kStart, Value stage, ValueRange carried) {
          Value first = k.add(kStart, warpRow);
          auto mask = [&](SmallVector<Value> scores) {
            for (int64_t i = 0; i < int64_t(scores.size()); ++i) {
              Value key = k.add(
                  first, k.add(k.idx((i / 4) * 8 + (i % 4) % 2), pairColumn));
              scores[i] =
                  select(k, k.lt(key, slice.end), scores[i], k.f32(-INFINITY));
            }
            return scores;
          };
          return attendKeys(k, s, layout, lanes, stage, warpRow, 2, q, carried,
                            mask);
        });
    // The stages are read: each warp's rows go to the merge area
    // [warp][head][max, sum, output].
    const int64_t stride = d + 2, maxAt = dimTiles * 4, sumAt = maxAt + 2;
    for (int64_t r = 0; r < (g <= 8 ? 1 : 2); ++r) {
      Value row = k.add(group, k.idx(8 * r));
      k.when(k.lt(row, k.idx(g)), [&] {
        Value base =
            k.add(k.mul(warp, k.idx(g * stride)), k.mul(row, k.idx(stride)));
        k.when(
            k.eq(quad, k.idx(0)),
            [&] {
              k.store(state[maxAt + r], sharedFloats, base);
              k.store(state[sumAt + r], sharedFloats, k.add(base, k.idx(1)));
            });
        for (int64_t dt = 0; dt < dimTiles; ++dt)
          for (int64_t e = 0; e < 2; ++e)
            k.store(state[dt * 4 + 2 * r + e], sharedFloats,
                    k.add(base, k.add(k.idx(2 + dt * 8 + e), pairColumn)));
      });
    }
    gpu::BarrierOp::create(b);
    mergeWarpPartials(k, s, sharedFloats, kWarps, g, head0, split);
  });
}
