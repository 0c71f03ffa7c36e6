//===- PrefillTiles.cpp - What the tensor-core prefill kernels share ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The mma.sync prefill (FlashAttention.cpp) and the wgmma one
// (WarpgroupAttention.cpp) hold scores and outputs in the same C layout
// and walk the same items: their item loop, rows, causal and window mask,
// online-softmax step and output rows are here.
//
//===----------------------------------------------------------------------===//

#include "AttentionShape.h"
#include "TensorCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

void codegen::forEachPrefillItem(KernelBuilder &k, const AttentionShape &s,
                                 int64_t queries,
                                 function_ref<void(const PrefillItem &)> body) {
  Value tokens = k.tokens(), position = k.position();
  Value tiles = k.div(k.add(tokens, k.idx(queries - 1)), k.idx(queries));
  Value grid = gpu::GridDimOp::create(k.b(), gpu::Dimension::x);
  k.loop(k.blockId(), k.mul(tiles, k.idx(s.heads)), grid, [&](Value at) {
    Value h = k.rem(at, k.idx(s.heads));
    Value tile = k.sub(k.sub(tiles, k.idx(1)), k.div(at, k.idx(s.heads)));
    PrefillItem item;
    item.queries = queries;
    item.qStart = k.mul(tile, k.idx(queries));
    item.qColumn = k.mul(h, k.idx(s.headDim));
    item.kvColumn = k.mul(k.div(h, k.idx(s.group())), k.idx(s.headDim));
    Value qEnd = k.minIndex(k.add(item.qStart, k.idx(queries)), tokens);
    item.keyEnd = k.add(position, qEnd);
    item.keyBegin = firstKey(k, k.add(position, item.qStart), s.window);
    body(item);
  });
}

PrefillRows codegen::prefillRows(KernelBuilder &k, const AttentionShape &s,
                                 const PrefillItem &item, Value row,
                                 Value quad) {
  PrefillRows rows;
  rows.rows[0] = k.add(item.qStart, row);
  rows.rows[1] = k.add(rows.rows[0], k.idx(8));
  for (int64_t r = 0; r < 2; ++r) {
    rows.queries[r] = k.add(k.position(), rows.rows[r]);
    rows.firsts[r] = firstKey(k, rows.queries[r], s.window);
  }
  rows.pairColumn = k.mul(quad, k.idx(2));
  return rows;
}

SmallVector<Value>
codegen::maskScores(KernelBuilder &k, const AttentionShape &s,
                    const PrefillItem &item, const PrefillRows &rows,
                    Value kStart, int64_t keys, SmallVector<Value> scores) {
  ImplicitLocOpBuilder &b = k.b();
  // Only tiles that reach past the item's first query (or, with a window,
  // start before its last query's first key) are masked.
  Value blockQuery = k.add(k.position(), item.qStart);
  Value masked = k.lt(blockQuery, k.add(kStart, k.idx(keys - 1)));
  if (s.window > 0) {
    Value lastFirst =
        firstKey(k, k.add(blockQuery, k.idx(item.queries - 1)), s.window);
    masked = arith::OrIOp::create(b, masked, k.lt(kStart, lastFirst));
  }
  return k.choose(
      masked, SmallVector<Type>(scores.size(), b.getF32Type()),
      [&] {
        SmallVector<Value> out;
        for (int64_t i = 0; i < int64_t(scores.size()); ++i) {
          int64_t nt = i / 4, e = i % 4;
          Value key =
              k.add(kStart, k.add(k.idx(nt * 8 + e % 2), rows.pairColumn));
          out.push_back(
              select(k, sees(k, key, rows.queries[e / 2], rows.firsts[e / 2]),
                     scores[i], k.f32(-INFINITY)));
        }
        return out;
      },
      [&] { return scores; });
}

SmallVector<Value> codegen::softmaxInitialState(KernelBuilder &k,
                                                int64_t dimTiles) {
  SmallVector<Value> init(dimTiles * 4, k.f32(0));
  init.append({k.f32(-INFINITY), k.f32(-INFINITY), k.f32(0), k.f32(0)});
  return init;
}

SmallVector<Value> codegen::softmaxStep(KernelBuilder &k,
                                        SmallVectorImpl<Value> &scores,
                                        ValueRange carried, int64_t dimTiles,
                                        double scale) {
  ImplicitLocOpBuilder &b = k.b();
  const double log2e = 1.4426950408889634;
  const int64_t keyTiles = scores.size() / 4;
  SmallVector<Value> next(carried.begin(), carried.end());
  const int64_t maxAt = dimTiles * 4, sumAt = maxAt + 2;
  auto isNegInf = [&](Value x) {
    return arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, x,
                                 k.f32(-INFINITY));
  };
  // A row's columns of the tile are spread over the 4 lanes of its quad.
  Value correction[2];
  for (int64_t r = 0; r < 2; ++r) {
    SmallVector<Value> maxes;
    for (int64_t nt = 0; nt < keyTiles; ++nt)
      maxes.push_back(
          k.fmax(scores[nt * 4 + 2 * r], scores[nt * 4 + 2 * r + 1]));
    for (int64_t width = 1; width < keyTiles; width *= 2)
      for (int64_t i = 0; i + width < keyTiles; i += 2 * width)
        maxes[i] = k.fmax(maxes[i], maxes[i + width]);
    // The max in scaled units (scale > 0 keeps the order).
    Value m = carried[maxAt + r];
    Value mNew = k.fmax(m, k.fmul(k.warpMax(maxes[0], 4), k.f32(scale)));
    // exp(scale x - mNew) = 2^(x scale log2e - mNew log2e), one fma and one
    // ex2 a score; a row that has seen no key (mNew = -inf) has only -inf
    // scores, whose weights are 0 with any bias.
    Value bias =
        select(k, isNegInf(mNew), k.f32(0), k.fmul(mNew, k.f32(-log2e)));
    Value rowSum = k.f32(0);
    for (int64_t nt = 0; nt < keyTiles; ++nt)
      for (int64_t e = 2 * r; e < 2 * r + 2; ++e) {
        Value &p = scores[nt * 4 + e];
        p = k.exp2Approx(k.fma(p, k.f32(scale * log2e), bias));
        rowSum = k.fadd(rowSum, p);
      }
    correction[r] = select(k, isNegInf(m), k.f32(0),
                           k.exp2Approx(k.fmul(k.fsub(m, mNew), k.f32(log2e))));
    next[maxAt + r] = mNew;
    next[sumAt + r] =
        k.fadd(k.fmul(carried[sumAt + r], correction[r]), k.warpSum(rowSum, 4));
  }
  for (int64_t i = 0; i < dimTiles * 4; ++i)
    next[i] = k.fmul(next[i], correction[(i % 4) / 2]);
  return next;
}

void codegen::storeOutputRows(KernelBuilder &k, const AttentionShape &s,
                              const PrefillItem &item, const PrefillRows &rows,
                              ValueRange state) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t dimTiles = s.headDim / 8;
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t r = 0; r < 2; ++r)
    k.when(k.lt(rows.rows[r], k.tokens()), [&] {
      Value sum = state[dimTiles * 4 + 2 + r];
      Value base = k.add(k.mul(rows.rows[r], k.idx(s.qWidth())),
                         k.add(item.qColumn, rows.pairColumn));
      for (int64_t dt = 0; dt < dimTiles; ++dt) {
        Value out = vector::FromElementsOp::create(
            b, pairType,
            ValueRange{k.fdiv(state[dt * 4 + 2 * r], sum),
                       k.fdiv(state[dt * 4 + 2 * r + 1], sum)});
        vector::StoreOp::create(b, out, k.memref(Out),
                                ValueRange{k.add(base, k.idx(dt * 8))}, false,
                                llvm::MaybeAlign(8));
      }
    });
}
