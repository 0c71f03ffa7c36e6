//===- BatchedGemv.cpp - The GEMV of several rows on tensor cores ---------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// gemv_rows: W x for several input rows (a batched decode step's
// sequences, or a prompt's tokens where a projection always runs the GEMV)
// reading each weight once for up to 64 rows. The one-row GEMV
// (MatrixKernels.cpp) streams a weight row per warp and would read the
// matrices once per row.
//
// Block b computes output features [16 b, 16 b + 16) for every token with
// bf16 m16n8k16 products (TensorCore.h): features are the M dimension,
// tokens the N dimension (8-token tiles), columns the K dimension. Its 8
// warps split the columns: warp w takes column steps w, w + 8, ... of 32
// columns. In a step, lane 4 g + q loads 16 bytes (8 weights) of features g
// and g + 8 at columns 8 q .. 8 q + 7, which are, word for word, the A
// fragments of two products once the columns are permuted: logical k {2q,
// 2q + 1, 2q + 8, 2q + 9} is columns 8 q + {0, 1, 2, 3} in the first, 8 q +
// {4, 5, 6, 7} in the second. The same 8 columns of token g's input row
// are then its B fragments, split into bf16 hi + lo terms (two products
// each), so the f32 input keeps ~16 significant bits like the prefill
// GEMMs. The warps' partial tiles are summed through shared memory and the
// epilogue is the GEMV's (bias, SwiGLU, input RMSNorm, accumulation).
//
// A kernel per tier of 1, 2, 4 or 8 tiles of 8 tokens (up to 8, 16, 32,
// 64 tokens: mlrt::kBatchedGemvTiers), so that a step of 16 sequences
// neither computes 64 nor holds their accumulators' registers (one kernel
// for all tiers took the largest's registers: 8 warps an SM); more tokens
// than the tier run in passes of its size.
//
//===----------------------------------------------------------------------===//

#include "Gemv.h"
#include "KernelEmitters.h"
#include "TensorCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlrt/GpuConventions.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// Warps of a block; they split the columns.
constexpr int64_t kWarps = 8;
/// Output features per block (the products' M).
constexpr int64_t kFeatures = 16;
/// Columns per step of a warp (two k16 products).
constexpr int64_t kStep = 32;
class BatchedGemvEmitter {
public:
  /// `tiles` tiles of 8 tokens a pass.
  BatchedGemvEmitter(KernelBuilder &k, const GemvShape &s, int64_t tiles)
      : k(k), b(k.b()), s(s), tiles(tiles),
        matrices(s.segments.front().matrices.size()),
        lane(k.rem(k.threadId(), k.idx(32))),
        warp(k.div(k.threadId(), k.idx(32))),
        group(k.div(lane, k.idx(4))), quad(k.rem(lane, k.idx(4))),
        tile(k.mul(k.blockId(), k.idx(kFeatures))) {}

  void emit() {
    // Registers for two blocks an SM (16 warps) up to 4 tiles of one
    // matrix; the largest tiers need more.
    k.launchBounds(kWarps * 32, matrices * tiles <= 4 ? 2 : 1);
    int64_t first = 0;
    for (const GemvSegment &g : s.segments) {
      Value inside = arith::AndIOp::create(
          b, atLeast(tile, first), k.lt(tile, k.idx(first + g.rows)));
      k.when(inside, [&] { segment(g, first); });
      first += g.rows;
    }
  }

  /// Dynamic shared floats: the warps' partial tiles and squares.
  static int64_t sharedFloats(int64_t matrices, int64_t tiles) {
    return kWarps * (matrices * tiles * 128 + tiles * 32);
  }

private:
  Value atLeast(Value i, int64_t bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::sge, i,
                                 k.idx(bound));
  }
  Value words(Value wide) {
    return vector::BitCastOp::create(
        b, VectorType::get({4}, b.getI32Type()), wide);
  }
  Value word(Value ws, int64_t i) {
    return vector::ExtractOp::create(b, ws, i);
  }

  /// The tile's rows of segment `g` (whose first row is `first`), for every
  /// token in passes of 8 `tiles` tokens.
  void segment(const GemvSegment &g, int64_t first) {
    Value local = arith::SubIOp::create(b, tile, k.idx(first));
    k.loop(k.idx(0), k.tokens(), k.idx(8 * tiles),
           [&](Value t0) { pass(g, local, t0); });
  }

  /// Weights of the tiles of 8 tokens from token t0: the warp's column
  /// steps, the block's sum of the warps' tiles, the epilogue.
  void pass(const GemvSegment &g, Value local, Value t0) {
    const int64_t steps = s.cols / kStep;
    // Steps whose weight loads are in flight together: fewer for larger
    // tiers, whose accumulators take the registers.
    const int64_t unroll = matrices * tiles >= 8 ? 2 : 4;
    const int64_t dots = matrices * tiles * 4;
    SmallVector<Value> init(dots + (s.norm ? tiles : 0), k.f32(0));
    Value row0 = k.mul(k.add(local, group), k.idx(s.cols));
    Value row8 = k.mul(k.add(local, k.add(group, k.idx(8))), k.idx(s.cols));
    auto body = [&](ArrayRef<Value> stepsNow, ValueRange acc) {
      // Every weight load of these steps first, then the products.
      SmallVector<std::pair<Value, Value>> w; // [step][matrix]: g, g + 8
      for (Value step : stepsNow) {
        Value column = k.add(k.mul(step, k.idx(kStep)), k.mul(quad, k.idx(8)));
        for (unsigned m : g.matrices)
          w.push_back({loadWeights(m, k.add(row0, column)),
                       loadWeights(m, k.add(row8, column))});
      }
      SmallVector<Value> next(acc.begin(), acc.end());
      for (auto [i, step] : llvm::enumerate(stepsNow)) {
        Value column = k.add(k.mul(step, k.idx(kStep)), k.mul(quad, k.idx(8)));
        for (int64_t t = 0; t < tiles; ++t)
          product(w, i, column, t0, t, next);
      }
      return next;
    };
    // Full groups of `unroll` steps (w, w + 8, ...), then single steps.
    const int64_t fullEnd = std::max<int64_t>(0, steps - kWarps * (unroll - 1));
    auto full = k.loop(warp, k.idx(fullEnd), k.idx(kWarps * unroll), init,
                       [&](Value step, ValueRange acc) {
                         SmallVector<Value> group;
                         for (int64_t u = 0; u < unroll; ++u)
                           group.push_back(k.add(step, k.idx(kWarps * u)));
                         return body(group, acc);
                       });
    // The first step the full loop left: w + 8 u ceil((fullEnd - w) / 8 u).
    Value done = k.div(k.add(k.maxIndex(arith::SubIOp::create(
                                            b, k.idx(fullEnd), warp),
                                        k.idx(0)),
                             k.idx(kWarps * unroll - 1)),
                       k.idx(kWarps * unroll));
    Value tailStart = k.add(warp, k.mul(done, k.idx(kWarps * unroll)));
    auto sums = k.loop(tailStart, k.idx(steps), k.idx(kWarps), full,
                       [&](Value step, ValueRange acc) {
                         return body({step}, acc);
                       });
    reduceAndStore(g, local, t0, sums);
  }

  /// 16 bytes of matrix `m` at element `at`, as four words of two bf16.
  Value loadWeights(unsigned m, Value at) {
    auto type = VectorType::get({8}, b.getBF16Type());
    return words(vector::LoadOp::create(b, type, k.memref(m), ValueRange{at},
                                        false, llvm::MaybeAlign(16)));
  }

  /// The products of step `i` (weights w[i * matrices + m]) with tile t of
  /// the pass: token t0 + 8 t + group's input at `column`, zero past the
  /// tokens, normalised by the input norm's weight when there is one.
  void product(ArrayRef<std::pair<Value, Value>> w, size_t i, Value column,
               Value t0, int64_t t, SmallVector<Value> &acc) {
    auto f4 = VectorType::get({4}, b.getF32Type());
    Value token = k.add(t0, k.add(k.idx(8 * t), group));
    Value valid = k.lt(token, k.tokens());
    Value at = k.add(
        k.mul(k.minIndex(token, arith::SubIOp::create(b, k.tokens(),
                                                       k.idx(1))),
              k.idx(s.inWidth)),
        column);
    Value zero = arith::ConstantOp::create(b, f4, b.getZeroAttr(f4));
    SmallVector<Value, 2> x;
    for (int64_t h = 0; h < 2; ++h) {
      Value v = vector::LoadOp::create(b, f4, k.memref(s.in),
                                       ValueRange{k.add(at, k.idx(4 * h))},
                                       false, llvm::MaybeAlign(16));
      v = arith::SelectOp::create(b, valid, v, zero);
      if (s.norm) {
        const size_t square = matrices * tiles * 4 + t;
        acc[square] = k.fadd(
            acc[square],
            vector::ReductionOp::create(b, vector::CombiningKind::ADD,
                                        arith::MulFOp::create(b, v, v)));
        v = arith::MulFOp::create(
            b, v,
            vector::LoadOp::create(b, f4, k.memref(*s.norm),
                                   ValueRange{k.add(column, k.idx(4 * h))},
                                   false, llvm::MaybeAlign(16)));
      }
      x.push_back(v);
    }
    // B words of columns 8q + {0,1}, {2,3} (first product), {4,5}, {6,7}.
    SmallVector<SplitWords, 4> xw;
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t p = 0; p < 2; ++p)
        xw.push_back(splitBf16x2(k, vector::ExtractOp::create(b, x[h], 2 * p),
                                 vector::ExtractOp::create(b, x[h], 2 * p + 1)));
    for (size_t m = 0; m < matrices; ++m) {
      auto [w0, w8] = w[i * matrices + m];
      Accumulator c;
      const size_t base = (m * tiles + t) * 4;
      for (int64_t r = 0; r < 4; ++r)
        c[r] = acc[base + r];
      for (int64_t half = 0; half < 2; ++half) {
        std::array<Value, 4> a = {word(w0, 2 * half), word(w8, 2 * half),
                                  word(w0, 2 * half + 1),
                                  word(w8, 2 * half + 1)};
        // b0: columns 8q + 4 half + {0, 1}, b1: + {2, 3}.
        const SplitWords &b0 = xw[2 * half], &b1 = xw[2 * half + 1];
        c = mmaBf16(k, a, {b0.hi, b1.hi}, c);
        c = mmaBf16(k, a, {b0.lo, b1.lo}, c);
      }
      for (int64_t r = 0; r < 4; ++r)
        acc[base + r] = c[r];
    }
  }

  /// Sums the warps' tiles in shared memory and writes the outputs: element
  /// r of lane 4 g + q in tile t is feature g + 8 (r / 2), token 8 t + 2 q +
  /// r % 2.
  void reduceAndStore(const GemvSegment &g, Value local, Value t0,
                      ValueRange sums) {
    Value shared = k.dynamicSharedFloats(sharedFloats(matrices, tiles));
    const int64_t perWarp = matrices * tiles * 128;
    const int64_t squares = kWarps * perWarp;
    for (size_t m = 0; m < matrices; ++m)
      for (int64_t t = 0; t < tiles; ++t)
        for (int64_t r = 0; r < 4; ++r) {
          int64_t slot = ((m * tiles + t) * 4 + r) * 32;
          k.store(sums[(m * tiles + t) * 4 + r], shared,
                  k.add(k.mul(warp, k.idx(perWarp)), k.add(k.idx(slot), lane)));
        }
    if (s.norm)
      for (int64_t t = 0; t < tiles; ++t)
        k.store(sums[matrices * tiles * 4 + t], shared,
                k.add(k.idx(squares),
                      k.add(k.mul(warp, k.idx(tiles * 32)),
                            k.add(k.idx(t * 32), lane))));
    gpu::BarrierOp::create(b);
    k.strided(k.idx(tiles * 128), kWarps * 32, [&](Value e) {
      Value t = k.div(e, k.idx(128)), r = k.rem(k.div(e, k.idx(32)), k.idx(4));
      Value l = k.rem(e, k.idx(32));
      Value feature = k.add(
          local, k.add(k.div(l, k.idx(4)), k.mul(k.div(r, k.idx(2)), k.idx(8))));
      Value inTile = k.add(k.mul(k.rem(l, k.idx(4)), k.idx(2)), k.rem(r, k.idx(2)));
      Value token = k.add(t0, k.add(k.mul(t, k.idx(8)), inTile));
      k.when(k.lt(token, k.tokens()), [&] {
        SmallVector<Value> totals;
        for (size_t m = 0; m < matrices; ++m) {
          Value slot = k.add(k.mul(k.add(k.idx(m * tiles), t), k.idx(128)),
                             k.add(k.mul(r, k.idx(32)), l));
          Value sum = k.f32(0);
          for (int64_t w = 0; w < kWarps; ++w)
            sum = k.fadd(sum, k.load(shared, k.add(k.idx(w * perWarp), slot)));
          totals.push_back(sum);
        }
        if (s.norm) {
          // Token inTile's squares: lanes 4 inTile + q of every warp.
          Value sq = k.f32(0);
          for (int64_t w = 0; w < kWarps; ++w)
            for (int64_t q = 0; q < 4; ++q)
              sq = k.fadd(
                  sq, k.load(shared,
                             k.add(k.idx(squares + w * tiles * 32 + q),
                                   k.add(k.mul(t, k.idx(32)),
                                         k.mul(inTile, k.idx(4))))));
          Value mean = k.fdiv(sq, k.f32(double(s.cols)));
          Value scale = k.fdiv(k.f32(1.0), math::SqrtOp::create(
                                               b, k.fadd(mean, k.f32(s.eps))));
          for (Value &total : totals)
            total = k.fmul(total, scale);
        }
        Value result =
            matrices == 2
                ? k.fmul(k.silu(totals[0]), totals[1])
                : k.fadd(totals[0], g.bias ? k.load(k.memref(*g.bias), feature)
                                           : k.f32(0));
        Value to = k.add(k.mul(token, k.idx(g.outWidth)),
                         k.add(k.idx(g.column), feature));
        if (s.accumulate)
          result = k.fadd(k.load(k.memref(g.out), to), result);
        k.store(result, k.memref(g.out), to);
      });
    });
    gpu::BarrierOp::create(b); // the next pass reuses the shared tiles
  }

  KernelBuilder &k;
  ImplicitLocOpBuilder &b;
  const GemvShape &s;
  int64_t tiles;
  size_t matrices;
  Value lane, warp, group, quad, tile;
};

} // namespace

bool codegen::batchedGemvApplies(const GemvShape &s, Type element) {
  if (!element.isBF16() || s.cols % kStep != 0 || !s.alignedInput ||
      s.inWidth % 4 != 0)
    return false;
  for (const GemvSegment &g : s.segments)
    if (g.rows % kFeatures != 0 ||
        g.matrices.size() != s.segments.front().matrices.size())
      return false;
  return true;
}

std::vector<GpuKernelSpec>
codegen::emitBatchedGemvs(const GemvShape &s, StringRef name,
                          gpu::GPUModuleOp module) {
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> types;
  for (bool matrix : s.isMatrix)
    types.push_back(matrix ? Type(BFloat16Type::get(ctx))
                           : Type(Float32Type::get(ctx)));
  const int64_t matrices = s.segments.front().matrices.size();
  std::vector<GpuKernelSpec> specs;
  for (int64_t tokens : mlrt::kBatchedGemvTiers) {
    std::string tier = mlrt::batchedGemvKernelName(name.str(), tokens);
    KernelBuilder k(module, tier, types, false, 0);
    BatchedGemvEmitter(k, s, tokens / 8).emit();
    k.finish();
    specs.push_back(fixedGrid(tier, s.totalRows() / kFeatures, kWarps * 32,
                              BatchedGemvEmitter::sharedFloats(matrices,
                                                               tokens / 8)));
  }
  return specs;
}
