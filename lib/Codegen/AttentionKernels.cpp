//===- AttentionKernels.cpp - RoPE, KV append and attention kernels -------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The kernels of kern.rope and kern.attention: RoPE, the KV append (RoPE
// fused in), the f32 tiled prefill, and the dispatch to the tensor-core
// prefill (FlashAttention.cpp) and to decode (DecodeAttention.cpp).
//
//===----------------------------------------------------------------------===//

#include "AttentionShape.h"
#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "mlopt/Dialect/LLM/RuntimeRope.h"
#include "mlrt/Artifact.h"
#include "mlrt/cpu/Kernels.h"

#include <cmath>
#include <optional>

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
                k.sub(shifted, k.idx(window)));
}

Value codegen::sees(KernelBuilder &k, Value key, Value query, Value first) {
  return arith::AndIOp::create(
      k.b(), k.lt(key, k.add(query, k.idx(1))),
      arith::CmpIOp::create(k.b(), arith::CmpIPredicate::uge, key, first));
}

Value codegen::ropeTable(KernelBuilder &k, gpu::GPUModuleOp module,
                         const RopeSpec &r) {
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

RopeAngle codegen::ropeAngle(KernelBuilder &k, Value freqs, float scaling,
                             Value position, Value i) {
  ImplicitLocOpBuilder &b = k.b();
  Value angle = k.fmul(position, k.load(freqs, i));
  return {k.fmul(math::CosOp::create(b, angle), k.f32(scaling)),
          k.fmul(math::SinOp::create(b, angle), k.f32(scaling))};
}

std::pair<Value, Value> codegen::rotate(KernelBuilder &k, Value x, Value y,
                                        RopeAngle a) {
  return {k.fsub(k.fmul(x, a.cos), k.fmul(y, a.sin)),
          k.fadd(k.fmul(y, a.cos), k.fmul(x, a.sin))};
}

namespace {
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
  const int64_t half = headDim / 2;
  Value position = k.toF32(k.add(k.sequencePosition(), t));
  Value row = k.mul(k.sequenceRow(t), k.idx(width));
  Value head = k.div(pair, k.idx(half)), i = k.rem(pair, k.idx(half));
  RopeAngle angle = ropeAngle(k, freqs, scaling, position, i);
  Value lo = k.add(k.mul(head, k.idx(headDim)), i);
  Value hi = k.add(lo, k.idx(half));
  Value x = k.load(buffer, k.add(row, lo)), y = k.load(buffer, k.add(row, hi));
  auto [x2, y2] = rotate(k, x, y, angle);
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
                 k.sub(p, k.idx(qPairs)));
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
                 k.sub(e, k.idx(qPairs)));
             k.store(k.narrow(p.x, kvType), k.memref(4), k.add(dst, p.lo));
             k.store(k.narrow(p.y, kvType), k.memref(4), k.add(dst, p.hi));
           });
    k.when(atLeast(k, e, qPairs + kPairs), [&] {
      Value c = k.sub(e, k.idx(qPairs + kPairs));
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
                             k.sub(tokens, k.idx(1)));
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
                                   k.sub(keyEnd, k.idx(1)));
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
} // namespace

KernelSpecs codegen::emitAttentionKernels(Operation *op, StringRef name,
                                          kern::ProgramOp program,
                                          const GpuTarget &target,
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
    std::optional<RopeSpec> rope;
    if (o.getRope()) {
      mlrt::Expected<RopeSpec> r = ropeSpec(program, s.headDim);
      if (!r)
        return r.takeError();
      rope = *r;
    }
    // The tensor-core decode rotates and appends the step itself (one
    // launch fewer a layer); otherwise an append kernel runs first, the
    // same in both entries: the decode op's key is the prefill op's with a
    // suffix.
    const bool step = op->getParentOfType<kern::EntryOp>().getStep();
    const bool fusedAppend = step && rope && flashDecodeApplies(s);
    StringRef base = name;
    base.consume_back(kDecodeSuffix);
    base.consume_back(kBf16InputsSuffix);
    std::string append = base.str() + "_append";
    if (rope && !fusedAppend) {
      // The RoPE of q and k, then the append, in one kernel.
      if (!module.lookupSymbol(append))
        buildKernel(
            module, append, s.memrefs(), false, 0, [&](KernelBuilder &k) {
              ropeAppend(k, module, *rope, s.qWidth(), s.kvWidth(), s.kvType);
            });
      specs.push_back(withPositions(perSequence(
          perElement(append, s.qWidth() / 2 + s.kvWidth() / 2 + s.kvWidth()))));
    } else if (!rope) {
      if (!module.lookupSymbol(append))
        buildKernel(module, append, s.memrefs(), false, 0,
                    [&](KernelBuilder &k) {
                      kvAppend(k, s.kvWidth(), s.kvType);
                    });
      specs.push_back(
          withPositions(perSequence(perElement(append, s.kvWidth()))));
    }
    if (step) {
      emitDecodeAttention(module, name, s, specs,
                          fusedAppend ? &*rope : nullptr);
    } else {
      if (s.bf16Inputs && !flashAttentionApplies(s))
        return mlrt::Error()
               << "ml-compile: --prefill-precision=bf16 runs prefill "
                  "attention on bf16 tensor cores, which read a bf16 KV cache "
                  "(--kv-cache=bf16) of heads that are multiples of 16 up to "
                  "128; found "
               << (s.kvType.isBF16() ? "a bf16" : "an f32")
               << " cache, head dim " << s.headDim;
      // The prefill kernel and its launch: a grid of blocksPerToken blocks a
      // token (at least one) over the items (query tile, head), which the
      // blocks walk in a grid-stride loop.
      auto prefill = [&](int64_t blocksPerToken, int64_t threads,
                         int64_t sharedFloats,
                         function_ref<void(KernelBuilder &)> body) {
        buildKernel(module, name, s.memrefs(), false, 0, body);
        specs.push_back(withPositions(
            perToken(name.str(), std::max<int64_t>(1, blocksPerToken), threads,
                     sharedFloats)));
        return specs;
      };
      // Blocks a token: heads / 32 for the wgmma kernel's items of 128
      // queries and heads / 16 for mma.sync's of 64 (four blocks an item),
      // heads / 4 for the f32 tiles of 64 or 32; blocks past the items
      // return at once.
      if (target.warpgroupMma() && warpgroupAttentionApplies(s))
        return prefill(
            s.heads / 32, kWarpgroupThreads, warpgroupSharedFloats(s),
            [&](KernelBuilder &k) { warpgroupPrefillAttention(k, s); });
      if (flashAttentionApplies(s))
        return prefill(s.heads / 16, kFlashThreads, flashSharedFloats(s),
                       [&](KernelBuilder &k) { flashPrefillAttention(k, s); });
      return prefill(s.heads / 4, kPrefillThreads,
                     PrefillTiling::of(s.headDim).sharedFloats(),
                     [&](KernelBuilder &k) { prefillAttention(k, s); });
    }
  }
  return specs;
}
