//===- ArgmaxKernel.cpp - The greedy token on the device ------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The argmax the backend launches after the LM head: a block per row of
// logits, the first index of the largest, as the CPU's greedy sampler picks.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"
#include "Kernels.h"

#include "mlrt/GpuConventions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <cmath>
#include <tuple>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// Threads of the argmax block.
constexpr int64_t kArgmaxThreads = 1024;

/// (value, index) of the better of two candidates: the larger value, the
/// lower index on ties. Indices are carried as f32 (exact below 2^24).
std::pair<Value, Value> better(KernelBuilder &k, Value v, Value i, Value ov,
                               Value oi) {
  ImplicitLocOpBuilder &b = k.b();
  Value larger = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, ov, v);
  Value tie = arith::AndIOp::create(
      b, arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, ov, v),
      arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, oi, i));
  Value take = arith::OrIOp::create(b, larger, tie);
  return {arith::SelectOp::create(b, take, ov, v),
          arith::SelectOp::create(b, take, oi, i)};
}

/// The best candidate of each warp's lanes, returned to every lane.
std::pair<Value, Value> warpBest(KernelBuilder &k, Value v, Value i) {
  for (int32_t offset = 16; offset > 0; offset /= 2) {
    auto shuffle = [&](Value x) {
      return gpu::ShuffleOp::create(k.b(), x, offset, 32,
                                    gpu::ShuffleMode::XOR)
          .getShuffleResult();
    };
    std::tie(v, i) = better(k, v, i, shuffle(v), shuffle(i));
  }
  return {v, i};
}

/// Independent 16-byte loads of logits each argmax thread issues per step.
constexpr int64_t kArgmaxUnroll = 4;

/// argmax: out[r] = the first index of the largest of row r's `vocab`
/// logits, a block per row. Each thread scans its elements in increasing
/// order (strictly larger: it keeps its first maximum): for a vocabulary of
/// whole 16-byte vectors, kArgmaxUnroll vectors a step, issued before any
/// is compared (one load in flight a thread took 48 us at 128256 logits,
/// waiting on L2 each element), else single elements. Warps reduce by
/// shuffles, then warp 0 over the warps' candidates.
void argmax(KernelBuilder &k, int64_t vocab) {
  ImplicitLocOpBuilder &b = k.b();
  Value row = k.blockId(), first = k.mul(row, k.idx(vocab));
  // The running (value, index) after element c of value v.
  auto consider = [&](ValueRange acc, Value v, Value c) {
    Value larger =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, v, acc[0]);
    return SmallVector<Value>{
        arith::SelectOp::create(b, larger, v, acc[0]),
        arith::SelectOp::create(b, larger, k.toF32(c), acc[1])};
  };
  SmallVector<Value> init = {k.f32(-INFINITY), k.f32(double(vocab))};
  SmallVector<Value> scanned;
  if (vocab % 4 == 0) {
    const int64_t vectors = vocab / 4, span = kArgmaxThreads * kArgmaxUnroll;
    const int64_t fullEnd = vectors / span * span;
    // Vectors c + j * threads of a step, loaded, then compared in order.
    auto scan = [&](Value c, ValueRange acc, int64_t count) {
      SmallVector<Value> columns;
      SmallVector<SmallVector<Value>> loaded;
      for (int64_t j = 0; j < count; ++j) {
        columns.push_back(k.mul(k.add(c, k.idx(j * kArgmaxThreads)), k.idx(4)));
        loaded.push_back(
            k.loadFloats(k.memref(0), k.add(first, columns.back()), 4));
      }
      SmallVector<Value> best(acc.begin(), acc.end());
      for (int64_t j = 0; j < count; ++j)
        for (int64_t e = 0; e < 4; ++e)
          best = consider(best, loaded[j][e], k.add(columns[j], k.idx(e)));
      return best;
    };
    auto full = k.loop(
        k.threadId(), k.idx(fullEnd), k.idx(span), init,
        [&](Value c, ValueRange acc) { return scan(c, acc, kArgmaxUnroll); });
    scanned = k.loop(k.add(k.idx(fullEnd), k.threadId()), k.idx(vectors),
                     k.idx(kArgmaxThreads), full,
                     [&](Value c, ValueRange acc) { return scan(c, acc, 1); });
  } else {
    scanned =
        k.loop(k.threadId(), k.idx(vocab), k.idx(kArgmaxThreads), init,
               [&](Value c, ValueRange acc) {
                 return consider(acc, k.load(k.memref(0), k.add(first, c)), c);
               });
  }
  auto [v, i] = warpBest(k, scanned[0], scanned[1]);
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  const int64_t warps = kArgmaxThreads / 32;
  Value leader =
      k.eq(lane, k.idx(0));
  k.when(leader, [&] {
    k.store(v, k.sharedBuffer(), warp);
    k.store(i, k.sharedBuffer(), k.add(warp, k.idx(warps)));
  });
  gpu::BarrierOp::create(b);
  k.when(k.eq(warp, k.idx(0)),
         [&] {
           auto [bv, bi] =
               warpBest(k, k.load(k.sharedBuffer(), lane),
                        k.load(k.sharedBuffer(), k.add(lane, k.idx(warps))));
           (void)bv;
           k.when(leader, [&] {
             Value id = arith::FPToSIOp::create(b, b.getI32Type(), bi);
             k.store(id, k.memref(1), row);
           });
         });
}

} // namespace

mlrt::Expected<std::vector<GpuKernelSpec>>
codegen::emitArgmaxKernel(int64_t vocab, gpu::GPUModuleOp module) {
  if (vocab >= (int64_t(1) << 24))
    return mlrt::Error() << "ml-compile: the GPU argmax carries token ids as "
                            "f32 and needs a vocabulary below 2^24, found "
                         << vocab;
  MLIRContext *ctx = module.getContext();
  std::string name = mlrt::argmaxKernelName(vocab);
  KernelBuilder k(module, name,
                  {Float32Type::get(ctx), IntegerType::get(ctx, 32)}, false,
                  2 * kArgmaxThreads / 32);
  argmax(k, vocab);
  k.finish();
  return std::vector<GpuKernelSpec>{
      perToken(name, 1, kArgmaxThreads, 2 * kArgmaxThreads / 32)};
}
