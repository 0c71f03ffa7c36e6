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
// {4, 5, 6, 7} in the second. The same 8 columns of token g's input are
// then its B fragments as bf16 hi + lo terms (two products each), so the
// f32 input keeps ~16 significant bits like the prefill GEMMs. A staging
// kernel (`_stage`, a block per row) splits the input rows into those terms
// once for all blocks, times the input norm's weight when there is one, and
// writes each row's RMSNorm scale; splitting in every block made the GEMV
// issue-bound. The warps' partial tiles are summed through shared memory
// and the epilogue is the GEMV's (bias, SwiGLU, norm scale, accumulation).
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
        warp(k.div(k.threadId(), k.idx(32))), group(k.div(lane, k.idx(4))),
        quad(k.rem(lane, k.idx(4))),
        tile(k.mul(k.blockId(), k.idx(kFeatures))) {}

  void emit() {
    // Registers for two blocks an SM (16 warps) up to 4 tiles of one
    // matrix; the largest tiers need more.
    k.launchBounds(kWarps * 32, matrices * tiles <= 4 ? 2 : 1);
    int64_t first = 0;
    for (const GemvSegment &g : s.segments) {
      Value inside = arith::AndIOp::create(b, atLeast(tile, first),
                                           k.lt(tile, k.idx(first + g.rows)));
      k.when(inside, [&] { segment(g, first); });
      first += g.rows;
    }
  }

  /// Dynamic shared floats: the warps' partial tiles.
  static int64_t sharedFloats(int64_t matrices, int64_t tiles) {
    return kWarps * matrices * tiles * 128;
  }

private:
  Value atLeast(Value i, int64_t bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::sge, i, k.idx(bound));
  }
  Value words(Value wide) {
    return vector::BitCastOp::create(b, VectorType::get({4}, b.getI32Type()),
                                     wide);
  }
  Value word(Value ws, int64_t i) {
    return vector::ExtractOp::create(b, ws, i);
  }

  /// The tile's rows of segment `g` (whose first row is `first`), for every
  /// token in passes of 8 `tiles` tokens.
  void segment(const GemvSegment &g, int64_t first) {
    Value local = k.sub(tile, k.idx(first));
    k.loop(k.idx(0), k.tokens(), k.idx(8 * tiles),
           [&](Value t0) { pass(g, local, t0); });
  }

  /// Weights of the tiles of 8 tokens from token t0: the warp's column
  /// steps, the block's sum of the warps' tiles, the epilogue.
  void pass(const GemvSegment &g, Value local, Value t0) {
    const int64_t steps = s.cols / kStep;
    // Steps whose weight loads are in flight together: fewer for larger
    // tiers, whose accumulators take the registers.
    const int64_t unroll =
        std::max<int64_t>(1, (tiles >= 4 ? 1 : 4 / tiles) / int64_t(matrices));
    SmallVector<Value> init(matrices * tiles * 4, k.f32(0));
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
    // The first step the full loop left: w + 8 u ceil((fullEnd - w) / 8 u),
    // w itself when fullEnd <= w (indices are unsigned).
    Value ahead = arith::SelectOp::create(
        b, k.lt(warp, k.idx(fullEnd)),
        k.sub(k.idx(fullEnd), warp), k.idx(0));
    Value done = k.div(k.add(ahead, k.idx(kWarps * unroll - 1)),
                       k.idx(kWarps * unroll));
    Value tailStart = k.add(warp, k.mul(done, k.idx(kWarps * unroll)));
    auto sums =
        k.loop(tailStart, k.idx(steps), k.idx(kWarps), full,
               [&](Value step, ValueRange acc) { return body({step}, acc); });
    reduceAndStore(g, local, t0, sums);
  }

  /// 16 bytes of bf16 `memref` at element `at`, as four words of two bf16.
  Value load16(Value memref, Value at) {
    auto type = VectorType::get({8}, b.getBF16Type());
    return words(vector::LoadOp::create(b, type, memref, ValueRange{at}, false,
                                        llvm::MaybeAlign(16)));
  }
  Value loadWeights(unsigned m, Value at) { return load16(k.memref(m), at); }

  /// 16 bytes of the staged input terms (`lo`: the lo row) of `token` at
  /// `column`, as four words of two bf16.
  Value loadStaged(Value token, Value column, bool lo) {
    Value row = lo ? k.add(k.tokens(), token) : token;
    return load16(staging(), k.add(k.mul(row, k.idx(s.cols)), column));
  }

  /// The products of step `i` (weights w[i * matrices + m]) with tile t of
  /// the pass: the staged terms of token t0 + 8 t + group at `column`
  /// (clamped to the last token: a token's column of the product depends
  /// on its own inputs only, and the outputs past the tokens are not
  /// stored).
  void product(ArrayRef<std::pair<Value, Value>> w, size_t i, Value column,
               Value t0, int64_t t, SmallVector<Value> &acc) {
    Value token = k.minIndex(k.add(t0, k.add(k.idx(8 * t), group)),
                             k.sub(k.tokens(), k.idx(1)));
    Value hi = loadStaged(token, column, false);
    Value lo = loadStaged(token, column, true);
    for (size_t m = 0; m < matrices; ++m) {
      auto [w0, w8] = w[i * matrices + m];
      Accumulator c;
      const size_t base = (m * tiles + t) * 4;
      for (int64_t r = 0; r < 4; ++r)
        c[r] = acc[base + r];
      // Columns 8q + 4 half + {0..3}: words 2 half and 2 half + 1.
      for (int64_t half = 0; half < 2; ++half) {
        std::array<Value, 4> a = {word(w0, 2 * half), word(w8, 2 * half),
                                  word(w0, 2 * half + 1),
                                  word(w8, 2 * half + 1)};
        c = mmaBf16(k, a, {word(hi, 2 * half), word(hi, 2 * half + 1)}, c);
        c = mmaBf16(k, a, {word(lo, 2 * half), word(lo, 2 * half + 1)}, c);
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
    for (size_t m = 0; m < matrices; ++m)
      for (int64_t t = 0; t < tiles; ++t)
        for (int64_t r = 0; r < 4; ++r) {
          int64_t slot = ((m * tiles + t) * 4 + r) * 32;
          k.store(sums[(m * tiles + t) * 4 + r], shared,
                  k.add(k.mul(warp, k.idx(perWarp)), k.add(k.idx(slot), lane)));
        }
    gpu::BarrierOp::create(b);
    k.strided(k.idx(tiles * 128), kWarps * 32, [&](Value e) {
      Value t = k.div(e, k.idx(128)), r = k.rem(k.div(e, k.idx(32)), k.idx(4));
      Value l = k.rem(e, k.idx(32));
      Value feature = k.add(local, k.add(k.div(l, k.idx(4)),
                                         k.mul(k.div(r, k.idx(2)), k.idx(8))));
      Value inTile =
          k.add(k.mul(k.rem(l, k.idx(4)), k.idx(2)), k.rem(r, k.idx(2)));
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
        if (s.norm) { // the staged row's RMSNorm scale
          Value scale = k.load(scales(), token);
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

  Value staging() { return k.memref(s.isMatrix.size()); }
  Value scales() { return k.memref(s.isMatrix.size() + 1); }

  KernelBuilder &k;
  ImplicitLocOpBuilder &b;
  const GemvShape &s;
  int64_t tiles;
  size_t matrices;
  Value lane, warp, group, quad, tile;
};

/// Threads of the staging block, and the columns a thread takes at once:
/// one pass over a 4096-wide row. A loop of 256 threads over single
/// columns took 9 us for 4096 columns and 25 us for 14336 at 16 rows
/// (each step waits on its load): 18% of a batched step.
constexpr int64_t kStageThreads = 1024;
constexpr int64_t kStageRun = 4;

/// stage: row t of the input (times the input norm's weight when there is
/// one) as bf16 hi terms in staging row t and lo terms in row tokens + t,
/// and, with an input norm, the row's RMSNorm scale in scales[t]: a block
/// a row, kStageRun columns a thread a step.
void stage(KernelBuilder &k, const GemvShape &s) {
  ImplicitLocOpBuilder &b = k.b();
  Value staging = k.memref(s.isMatrix.size());
  Value scales = k.memref(s.isMatrix.size() + 1);
  auto f32s = VectorType::get({kStageRun}, b.getF32Type());
  auto bf16s = VectorType::get({kStageRun}, b.getBF16Type());
  auto load = [&](Value memref, Value at) {
    return vector::LoadOp::create(b, f32s, memref, ValueRange{at}, false,
                                  llvm::MaybeAlign(4 * kStageRun));
  };
  auto store = [&](Value value, Value at) {
    vector::StoreOp::create(b, value, staging, ValueRange{at}, false,
                            llvm::MaybeAlign(2 * kStageRun));
  };
  Value t = k.blockId();
  Value in = k.mul(t, k.idx(s.inWidth));
  auto sums =
      k.loop(k.mul(k.threadId(), k.idx(kStageRun)), k.idx(s.cols),
             k.idx(kStageThreads * kStageRun), {k.f32(0)},
             [&](Value c, ValueRange acc) {
               Value x = load(k.memref(s.in), k.add(in, c));
               Value square = vector::ReductionOp::create(
                   b, vector::CombiningKind::ADD, k.fmul(x, x));
               if (s.norm)
                 x = k.fmul(x, load(k.memref(*s.norm), c));
               Value hi = arith::TruncFOp::create(b, bf16s, x);
               Value lo = arith::TruncFOp::create(
                   b, bf16s, k.fsub(x, arith::ExtFOp::create(b, f32s, hi)));
               store(hi, k.add(k.mul(t, k.idx(s.cols)), c));
               store(lo, k.add(k.mul(k.add(k.tokens(), t), k.idx(s.cols)), c));
               return SmallVector<Value>{k.fadd(acc[0], square)};
             });
  if (!s.norm)
    return;
  Value total = k.blockSum(sums[0], kStageThreads);
  k.when(k.eq(k.threadId(),
                               k.idx(0)),
         [&] { k.store(k.rmsScale(total, s.cols, s.eps), scales, t); });
}

} // namespace

bool codegen::batchedGemvApplies(const GemvShape &s, Type element) {
  if (!element.isBF16() || s.cols % kStep != 0 || !s.alignedInput ||
      s.inWidth % kStageRun != 0)
    return false;
  for (const GemvSegment &g : s.segments)
    if (g.rows % kFeatures != 0 ||
        g.matrices.size() != s.segments.front().matrices.size())
      return false;
  return true;
}

std::vector<GpuKernelSpec> codegen::emitBatchedGemvs(const GemvShape &s,
                                                     StringRef name,
                                                     gpu::GPUModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Type bf16 = BFloat16Type::get(ctx), f32 = Float32Type::get(ctx);
  // The GEMV's arguments, then the staging terms and the norm scales.
  SmallVector<Type> types;
  for (bool matrix : s.isMatrix)
    types.push_back(matrix ? bf16 : f32);
  types.append({bf16, f32});
  const int64_t matrices = s.segments.front().matrices.size();
  std::vector<GpuKernelSpec> specs;
  std::string staging = name.str() + mlrt::kBatchedGemvStageSuffix;
  {
    KernelBuilder k(module, staging, types, false, kStageThreads / 32);
    stage(k, s);
    k.finish();
    specs.push_back(perToken(staging, 1, kStageThreads, kStageThreads / 32));
  }
  for (int64_t tokens : mlrt::kBatchedGemvTiers) {
    std::string tier = mlrt::batchedGemvKernelName(name.str(), tokens);
    KernelBuilder k(module, tier, types, false, 0);
    BatchedGemvEmitter(k, s, tokens / 8).emit();
    k.finish();
    specs.push_back(
        fixedGrid(tier, s.totalRows() / kFeatures, kWarps * 32,
                  BatchedGemvEmitter::sharedFloats(matrices, tokens / 8)));
  }
  return specs;
}
