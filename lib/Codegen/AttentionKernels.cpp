//===- AttentionKernels.cpp - RoPE, KV append and attention kernels -------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "mlrt/Artifact.h"
#include "mlrt/cpu/Kernels.h"

#include <cmath>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
/// The config of the program (RoPE, head dim) as the runtime reads it.
mlrt::RopeConfig ropeConfig(kern::ProgramOp program) {
  llm::ConfigAttr c = program.getConfig();
  mlrt::RopeConfig r;
  r.theta = c.getRopeTheta();
  if (llm::RopeScalingAttr s = c.getRopeScaling()) {
    r.scaling = static_cast<mlrt::RopeScalingKind>(
        static_cast<int>(s.getKind()) + 1);
    r.factor = s.getFactor();
    r.lowFreqFactor = s.getLowFreqFactor();
    r.highFreqFactor = s.getHighFreqFactor();
    r.originalMaxPosition = s.getOriginalMaxPosition().value_or(0);
    r.betaFast = s.getBetaFast();
    r.betaSlow = s.getBetaSlow();
    r.attentionFactor = s.getAttentionFactor();
  }
  return r;
}


/// rope: rotates pairs (i, i + half) of every q and k head of one token by
/// position * inv_freq[i]; the frequencies are a constant table computed
/// as the CPU backend computes them.
void rope(KernelBuilder &k, gpu::GPUModuleOp module, StringRef table,
          const std::vector<float> &freq, float scaling, int64_t headDim,
          int64_t qWidth, int64_t kWidth) {
  int64_t half = headDim / 2;
  ImplicitLocOpBuilder &b = k.b();
  auto tableType = MemRefType::get({half}, b.getF32Type());
  if (!module.lookupSymbol(table)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(
        b, table, b.getStringAttr("private"), tableType,
        DenseElementsAttr::get(RankedTensorType::get({half}, b.getF32Type()),
                               ArrayRef<float>(freq)),
        /*constant=*/true, IntegerAttr());
  }
  Value freqs = memref::GetGlobalOp::create(b, tableType, table);
  Value t = k.blockId();
  Value position = k.toF32(k.add(k.position(), t));
  auto rotate = [&](Value buffer, int64_t width) {
    Value row = k.mul(t, k.idx(width));
    k.strided(k.idx(width / 2), kThreads, [&](Value pair) {
      Value head = k.div(pair, k.idx(half)), i = k.rem(pair, k.idx(half));
      Value angle = k.fmul(position, k.load(freqs, i));
      Value cos = k.fmul(math::CosOp::create(b, angle), k.f32(scaling));
      Value sin = k.fmul(math::SinOp::create(b, angle), k.f32(scaling));
      Value lo = k.add(row, k.add(k.mul(head, k.idx(headDim)), i));
      Value hi = k.add(lo, k.idx(half));
      Value x = k.load(buffer, lo), y = k.load(buffer, hi);
      k.store(k.fsub(k.fmul(x, cos), k.fmul(y, sin)), buffer, lo);
      k.store(k.fadd(k.fmul(y, cos), k.fmul(x, sin)), buffer, hi);
    });
  };
  rotate(k.memref(0), qWidth);
  rotate(k.memref(1), kWidth);
}

/// kv_append: the step's k and v rows into the cache at position + t.
void kvAppend(KernelBuilder &k, int64_t kvWidth) {
  Value t = k.blockId();
  Value dst = k.mul(k.add(k.position(), t), k.idx(kvWidth));
  Value src = k.mul(t, k.idx(kvWidth));
  k.strided(k.idx(kvWidth), kThreads, [&](Value c) {
    k.store(k.load(k.memref(1), k.add(src, c)), k.memref(4), k.add(dst, c));
    k.store(k.load(k.memref(2), k.add(src, c)), k.memref(5), k.add(dst, c));
  });
}

/// attention: one block of kWarps warps per (token, head). The warps split
/// the keys (warp w takes keys first + w, first + w + kWarps, ...); within
/// a warp each lane holds headDim / 32 dims (or one), a key's score is a
/// shuffle reduction, and each warp keeps its own online softmax (running
/// max, normaliser, output). The warps' partial results are merged through
/// shared memory at the end: no barrier per key.
constexpr int64_t kAttentionWarps = 16;

void attention(KernelBuilder &k, int64_t heads, int64_t kvHeads,
               int64_t headDim, int64_t window) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t perLane = (headDim + 31) / 32, qWidth = heads * headDim,
                kvWidth = kvHeads * headDim;
  Value t = k.div(k.blockId(), k.idx(heads));
  Value h = k.rem(k.blockId(), k.idx(heads));
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  Value p = k.add(k.position(), t);
  Value first = k.idx(0);
  if (window > 0) {
    // max(0, p - window + 1) without underflow.
    Value shifted = k.add(p, k.idx(1));
    first = arith::SelectOp::create(
        b, k.lt(shifted, k.idx(window)), k.idx(0),
        arith::SubIOp::create(b, shifted, k.idx(window)));
  }
  // This lane's dims d_i = lane + 32 i, and whether each exists.
  SmallVector<Value> dims, present, q;
  Value qRow = k.add(k.mul(t, k.idx(qWidth)), k.mul(h, k.idx(headDim)));
  for (int64_t i = 0; i < perLane; ++i) {
    Value d = k.add(lane, k.idx(32 * i));
    Value inside = k.lt(d, k.idx(headDim));
    // Lanes past the head dim read dim 0 and contribute zero.
    Value safe = arith::SelectOp::create(b, inside, d, k.idx(0));
    dims.push_back(safe);
    present.push_back(inside);
    Value v = k.load(k.memref(0), k.add(qRow, safe));
    q.push_back(arith::SelectOp::create(b, inside, v, k.f32(0)));
  }
  Value kvBase = k.mul(k.div(h, k.idx(heads / kvHeads)), k.idx(headDim));
  float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  SmallVector<Value> init = {k.f32(-INFINITY), k.f32(0)};
  for (int64_t i = 0; i < perLane; ++i)
    init.push_back(k.f32(0));
  auto state = k.loop(
      k.add(first, warp), k.add(p, k.idx(1)), k.idx(kAttentionWarps), init,
      [&](Value j, ValueRange acc) {
        Value row = k.add(k.mul(j, k.idx(kvWidth)), kvBase);
        Value partial = k.f32(0);
        for (int64_t i = 0; i < perLane; ++i)
          partial = k.fadd(partial, k.fmul(q[i], k.load(k.memref(4),
                                                        k.add(row, dims[i]))));
        Value score = k.fmul(k.warpSum(partial), k.f32(scale));
        Value m = k.fmax(acc[0], score);
        Value correction = k.exp(k.fsub(acc[0], m));
        Value e = k.exp(k.fsub(score, m));
        SmallVector<Value> next = {m, k.fadd(k.fmul(acc[1], correction), e)};
        for (int64_t i = 0; i < perLane; ++i)
          next.push_back(k.fadd(
              k.fmul(acc[2 + i], correction),
              k.fmul(e, k.load(k.memref(5), k.add(row, dims[i])))));
        return next;
      });
  // Shared layout: [warp][m, l, out(headDim)].
  Value shared = k.sharedBuffer();
  const int64_t stride = headDim + 2;
  Value base = k.mul(warp, k.idx(stride));
  k.when(arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.idx(0)),
         [&] {
           k.store(state[0], shared, base);
           k.store(state[1], shared, k.add(base, k.idx(1)));
         });
  for (int64_t i = 0; i < perLane; ++i)
    k.when(present[i], [&] {
      k.store(state[2 + i], shared, k.add(base, k.add(k.idx(2), dims[i])));
    });
  gpu::BarrierOp::create(b);
  // Merge: thread d < headDim combines the warps for dim d. A warp that saw
  // no key has max -inf and weight 0.
  k.when(k.lt(k.threadId(), k.idx(headDim)), [&] {
    Value d = k.threadId();
    Value m = k.f32(-INFINITY);
    for (int64_t w = 0; w < kAttentionWarps; ++w)
      m = k.fmax(m, k.load(shared, k.idx(w * stride)));
    Value l = k.f32(0), o = k.f32(0);
    for (int64_t w = 0; w < kAttentionWarps; ++w) {
      Value mw = k.load(shared, k.idx(w * stride));
      Value weight = arith::SelectOp::create(
          b,
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mw,
                                k.f32(-INFINITY)),
          k.f32(0), k.exp(k.fsub(mw, m)));
      l = k.fadd(l, k.fmul(weight, k.load(shared, k.idx(w * stride + 1))));
      o = k.fadd(o, k.fmul(weight, k.load(shared, k.add(k.idx(w * stride + 2), d))));
    }
    k.store(k.fdiv(o, l), k.memref(3), k.add(qRow, d));
  });
}
} // namespace

KernelSpecs codegen::emitAttentionKernels(Operation *op, StringRef name,
                                          kern::ProgramOp program,
                                          gpu::GPUModuleOp module) {
  std::vector<GpuKernelSpec> specs;
  if (auto o = dyn_cast<kern::RopeOp>(op)) {
    mlrt::RopeConfig config = ropeConfig(program);
    if (config.scaling == mlrt::RopeScalingKind::Dynamic)
      return mlrt::Error() << "ml-compile: dynamic NTK RoPE scaling has no "
                              "CUDA kernel yet (its frequencies depend on the "
                              "sequence length)";
    int64_t headDim = o.getHeadDim();
    mlrt::cpu::Rope table(config, headDim,
                          program.getConfig().getMaxPosition());
    std::string tableName = name.str() + "_inv_freq";
    buildKernel(module, name, 2, false, 0, [&](KernelBuilder &k) {
      rope(k, module, tableName, table.inverseFrequencies(0),
           table.attentionScaling(), headDim, widthOf(o.getQ()),
           widthOf(o.getK()));
    });
    specs.push_back(perToken(name.str()));
  } else if (auto o = dyn_cast<kern::AttentionOp>(op)) {
    int64_t heads = o.getHeads(), kvWidth = widthOf(o.getK());
    int64_t headDim = widthOf(o.getQ()) / heads, kvHeads = kvWidth / headDim;
    int64_t threads = kAttentionWarps * 32;
    if (headDim > threads)
      return mlrt::Error() << "ml-compile: the CUDA attention kernel handles "
                              "head dims up to "
                           << threads << ", found " << headDim;
    std::string append = name.str() + "_append";
    buildKernel(module, append, 6, false, 0,
                [&](KernelBuilder &k) { kvAppend(k, kvWidth); });
    specs.push_back(perToken(append));
    int64_t shared = kAttentionWarps * (headDim + 2);
    buildKernel(module, name, 6, false, shared, [&](KernelBuilder &k) {
      attention(k, heads, kvHeads, headDim, o.getWindow().value_or(0));
    });
    specs.push_back(perToken(name.str(), heads, threads, shared));
  }
  return specs;
}
