//===- MatrixKernels.cpp - Embedding, GEMV and bf16 staging kernels -------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The kernels that read the model's large matrices (Embed, Linear, LMHead),
// which the device holds in the artifact's matrix type (f32 or bf16,
// GpuConventions.h):
//  - embed: one block per token copies (and widens) its table row;
//  - gemv, for step entries (decode): a warp per output row (or two; or
//    two warps per row or two, for matrices of few rows) streams the rows
//    with 16-byte loads (8 bf16 or 4 f32 per lane, kGemvUnroll loads in
//    flight) and reduces with shuffles (and shared memory).
//    Activations and sums stay f32, so a step matches the CPU backend up to
//    summation order. Decode is bound by these weight reads, so this is
//    where the bandwidth goes. One GEMV serves a linear of several outputs
//    (q, k, v), linear_swiglu (a warp streams row r of gate and of up and
//    writes silu(g) * u), an input RMSNorm (x^2 summed beside the dot
//    products, which it scales) and an accumulating epilogue (out += W x);
//  - gemv_rows (BatchedGemv.cpp): the same on tensor cores for several
//    rows, reading each weight once for up to 64 of them;
//  - to_bf16, for other entries with bf16 matrices: splits the op's f32
//    input rows into two bf16 terms for the library's tensor-core GEMM
//    (prefill is bound by arithmetic, and cuBLAS's bf16 GEMM needs both
//    operands in bf16; two terms keep the activations' precision).
//
//===----------------------------------------------------------------------===//

#include "Gemv.h"
#include "KernelEmitters.h"
#include "Kernels.h"

#include "mlrt/GpuConventions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <optional>
#include <type_traits>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// Output rows (warps) per GEMV block.
constexpr int64_t kGemvWarps = 8;
/// Independent 16-byte weight loads each lane issues per loop step.
constexpr int64_t kGemvUnroll = 4;

/// embed: out[t] = table[ids[t]], widened to f32.
void embed(KernelBuilder &k, int64_t hidden) {
  k.eachElement(hidden, kThreads, [&](Value t, Value c) {
    Value id = arith::IndexCastOp::create(k.b(), k.b().getIndexType(),
                                          k.load(k.ids(), t));
    Value v = k.load(k.memref(1), k.add(k.mul(id, k.idx(hidden)), c));
    k.store(k.widen(v), k.memref(0), k.add(k.mul(t, k.idx(hidden)), c));
  });
}

/// Elements per 16-byte load of `element`.
int64_t vectorWidth(Type element) {
  return 16 / (element.getIntOrFloatBitWidth() / 8);
}

/// Output rows a warp computes: two for one-matrix segments when every
/// segment has an even number of rows (one load of x serves both, and the
/// warp keeps twice the weight bytes in flight: q|k|v went from 68% to 95%
/// of copy bandwidth), else one.
int64_t rowsPerWarp(const GemvShape &s) {
  for (const GemvSegment &g : s.segments)
    if (g.matrices.size() != 1 || g.rows % 2 != 0)
      return 1;
  return 2;
}

/// Warps that share each output row (the GEMV's column splits): two when
/// the rows alone would give at most 2048 warps (16 an SM on an H100 or
/// H200), else one. Each takes every other column step of the row, and
/// their sums meet in shared memory. Measured with L2-cold weights
/// (bench/RESULTS.md, session 10): down_proj (4096 x 14336) 34.3 -> 29.6
/// us, o_proj (4096 x 4096) 12.2 -> 10.2 us; q|k|v (3072 warps), gate|up
/// and the LM head were 3-6% slower split.
int64_t columnSplits(const GemvShape &s) {
  return s.totalRows() / rowsPerWarp(s) <= 2048 ? 2 : 1;
}

/// Floats of shared memory a GEMV block uses for its split warps' sums.
int64_t gemvSharedFloats(const GemvShape &s) {
  if (columnSplits(s) == 1)
    return 0;
  size_t sums = 0;
  for (const GemvSegment &g : s.segments)
    sums = std::max(sums, g.matrices.size());
  return kGemvWarps * (sums * rowsPerWarp(s) + (s.norm ? 1 : 0));
}

/// gemv: the warps of block b take output rows R (b * W + w) + [0, R)
/// (R = rowsPerWarp, W = kGemvWarps / S warp groups of S = columnSplits
/// warps each) of every token, from each matrix of their segment. Lane l
/// of the group's warp p reads elements [c, c + V) for c = l * V + j * 32
/// V: kGemvUnroll such loads per matrix row and step (one load of x serves
/// them all) in steps p, p + S, ..., then a guarded tail of single loads.
void gemv(KernelBuilder &k, const GemvShape &s, Type element) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t v = s.cols % vectorWidth(element) == 0 ? vectorWidth(element)
                                                       : 1;
  auto wType = VectorType::get({v}, element);
  auto fType = VectorType::get({v}, b.getF32Type());
  const int64_t wAlign = v * element.getIntOrFloatBitWidth() / 8;
  const int64_t xAlign = s.alignedInput && v > 1 ? 16 : 4;
  const int64_t span = 32 * v, step = span * kGemvUnroll;
  const int64_t fullEnd = s.cols / step * step;
  const int64_t rows = rowsPerWarp(s), splits = columnSplits(s);
  const int64_t perWarp = gemvSharedFloats(s) / kGemvWarps;

  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  Value part = k.rem(warp, k.idx(splits));
  Value row = k.mul(k.add(k.mul(k.blockId(), k.idx(kGemvWarps / splits)),
                          k.div(warp, k.idx(splits))),
                    k.idx(rows));
  Value isLane0 =
      k.eq(lane, k.idx(0));
  Value zero = arith::ConstantOp::create(b, fType, b.getZeroAttr(fType));
  auto loadX = [&](Value xAt) {
    return vector::LoadOp::create(b, fType, k.memref(s.in), ValueRange{xAt},
                                  false, llvm::MaybeAlign(xAlign))
        .getResult();
  };
  // acc + w[at...] * x over one vector.
  auto fma = [&](Value acc, Value w, Value wAt, Value x) {
    Value wv = vector::LoadOp::create(b, wType, w, ValueRange{wAt}, false,
                                      llvm::MaybeAlign(wAlign));
    if (element != b.getF32Type())
      wv = arith::ExtFOp::create(b, fType, wv);
    return vector::FMAOp::create(b, wv, x, acc).getResult();
  };
  // Whether the warp's rows lie in segment g (starting at row `first`).
  auto inSegment = [&](const GemvSegment &g, int64_t first) {
    return arith::AndIOp::create(
        b,
        arith::CmpIOp::create(b, arith::CmpIPredicate::uge, row, k.idx(first)),
        k.lt(row, k.idx(first + g.rows)));
  };
  // The warp's partial sums of its rows of segment g for token t, over
  // its columns, summed over its lanes: the dot products indexed
  // matrix-major ([m * rows + r]), then (input norm) the sum of x^2.
  auto partialSums = [&](ArrayRef<Value> matrices, Value local, Value t) {
    Value xRow = k.mul(t, k.idx(s.inWidth));
    SmallVector<Value> wRows;
    for (int64_t r = 0; r < rows; ++r)
      wRows.push_back(k.mul(k.add(local, k.idx(r)), k.idx(s.cols)));
    const size_t dots = matrices.size() * rows;
    SmallVector<Value> zeros(dots + (s.norm ? 1 : 0), zero);
    // Every row's partial sums over the columns from `offsets`; with an
    // input norm, x times its weight, and the sum of x^2 on the side.
    auto accumulate = [&](ValueRange acc, ArrayRef<Value> offsets) {
      SmallVector<Value> sums(acc.begin(), acc.end());
      for (Value offset : offsets) {
        Value x = loadX(k.add(xRow, offset));
        if (s.norm) {
          sums[dots] = vector::FMAOp::create(b, x, x, sums[dots]);
          x = arith::MulFOp::create(
              b, x,
              vector::LoadOp::create(b, fType, k.memref(*s.norm),
                                     ValueRange{offset}, false,
                                     llvm::MaybeAlign(xAlign)));
        }
        for (size_t m = 0; m < matrices.size(); ++m)
          for (int64_t r = 0; r < rows; ++r)
            sums[m * rows + r] = fma(sums[m * rows + r], matrices[m],
                                     k.add(wRows[r], offset), x);
      }
      return sums;
    };
    Value laneStart = k.add(k.mul(lane, k.idx(v)), k.mul(part, k.idx(step)));
    auto full = k.loop(laneStart, k.idx(fullEnd), k.idx(step * splits), zeros,
                       [&](Value c, ValueRange acc) {
                         SmallVector<Value> offsets;
                         for (int64_t j = 0; j < kGemvUnroll; ++j)
                           offsets.push_back(k.add(c, k.idx(j * span)));
                         return accumulate(acc, offsets);
                       });
    Value tailStart = k.add(
        k.idx(fullEnd), k.add(k.mul(lane, k.idx(v)), k.mul(part, k.idx(span))));
    auto tail =
        k.loop(tailStart, k.idx(s.cols), k.idx(span * splits), full,
               [&](Value c, ValueRange acc) { return accumulate(acc, {c}); });
    SmallVector<Value> totals;
    for (Value partial : tail)
      totals.push_back(k.warpSum(
          vector::ReductionOp::create(b, vector::CombiningKind::ADD, partial)));
    return totals;
  };
  // Writes rows `local` + [0, R) of segment g for token t from their dot
  // products over all columns (and the input's sum of squares).
  auto writeRows = [&](const GemvSegment &g, Value local, Value t,
                       SmallVector<Value> totals) {
    if (s.norm) {
      // rsqrt(mean(x^2) + eps) scales every dot product of the row.
      Value scale = k.rmsScale(totals.pop_back_val(), s.cols, s.eps);
      for (Value &total : totals)
        total = k.fmul(total, scale);
    }
    for (int64_t r = 0; r < rows; ++r) {
      Value at = k.add(local, k.idx(r));
      Value result =
          g.matrices.size() == 2
              ? k.fmul(k.silu(totals[r]), totals[rows + r])
              : k.fadd(totals[r],
                       g.bias ? k.load(k.memref(*g.bias), at) : k.f32(0));
      Value to = k.add(k.mul(t, k.idx(g.outWidth)), k.add(k.idx(g.column), at));
      if (s.accumulate)
        result = k.fadd(k.load(k.memref(g.out), to), result);
      k.store(result, k.memref(g.out), to);
    }
  };
  // Lane 0's sums: the rows of segment g, or the split's partial sums.
  auto finish = [&](const GemvSegment &g, Value local, Value t,
                    SmallVector<Value> totals) {
    k.when(isLane0, [&] {
      if (splits == 1)
        return writeRows(g, local, t, totals);
      for (auto [i, total] : llvm::enumerate(totals))
        k.store(total, k.sharedBuffer(),
                k.add(k.mul(warp, k.idx(perWarp)), k.idx(i)));
    });
  };
  const bool oneMatrixEach = llvm::all_of(
      s.segments, [](const GemvSegment &g) { return g.matrices.size() == 1; });
  k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value t) {
    int64_t first = 0;
    if (oneMatrixEach && s.segments.size() > 1) {
      // One loop for every segment, over the matrix and row the warp's
      // segment selects: a loop per segment kept the registers of all
      // (the Mamba in_proj's five took 87, two blocks an SM, 62% of copy
      // bandwidth).
      Value matrix = k.memref(s.segments[0].matrices[0]), local = row;
      for (size_t i = 1; i < s.segments.size(); ++i) {
        first += s.segments[i - 1].rows;
        Value in = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, row,
                                         k.idx(first));
        matrix = arith::SelectOp::create(
            b, in, k.memref(s.segments[i].matrices[0]), matrix);
        local = arith::SelectOp::create(b, in, k.sub(row, k.idx(first)), local);
      }
      // The grid's last block may have rows past the last segment.
      k.when(k.lt(row, k.idx(s.totalRows())), [&] {
        SmallVector<Value> totals = partialSums({matrix}, local, t);
        int64_t at = 0;
        for (const GemvSegment &g : s.segments) {
          k.when(inSegment(g, at),
                 [&] { finish(g, k.sub(row, k.idx(at)), t, totals); });
          at += g.rows;
        }
      });
    } else {
      for (const GemvSegment &g : s.segments) {
        Value local = k.sub(row, k.idx(first));
        k.when(inSegment(g, first), [&] {
          SmallVector<Value> matrices;
          for (unsigned m : g.matrices)
            matrices.push_back(k.memref(m));
          finish(g, local, t, partialSums(matrices, local, t));
        });
        first += g.rows;
      }
    }
    if (splits == 1)
      return;
    // The first warp of each group adds its partners' sums (in order) and
    // writes the rows; the second barrier frees the buffer for token t + 1.
    gpu::BarrierOp::create(b);
    Value leader = arith::AndIOp::create(
        b, isLane0,
        k.eq(part, k.idx(0)));
    first = 0;
    for (const GemvSegment &g : s.segments) {
      Value local = k.sub(row, k.idx(first));
      Value mine = arith::AndIOp::create(b, leader, inSegment(g, first));
      k.when(mine, [&] {
        const size_t n = g.matrices.size() * rows + (s.norm ? 1 : 0);
        SmallVector<Value> totals;
        for (size_t i = 0; i < n; ++i) {
          Value sum = k.f32(0);
          for (int64_t p = 0; p < splits; ++p)
            sum = k.fadd(
                sum, k.load(k.sharedBuffer(),
                            k.add(k.mul(k.add(warp, k.idx(p)), k.idx(perWarp)),
                                  k.idx(i))));
          totals.push_back(sum);
        }
        writeRows(g, local, t, totals);
      });
      first += g.rows;
    }
    gpu::BarrierOp::create(b);
  });
}

/// to_bf16: splits each f32 input into hi = bf16(x) and lo = bf16(x - hi),
/// hi rows first, then the lo rows: W x = W hi + W lo to about 2^-16 of x,
/// so two bf16 tensor-core GEMMs give what one fp32 GEMM would. Without
/// `withLo` (an op with bf16_inputs) only the hi rows: x rounded to bf16.
void toBF16(KernelBuilder &k, int64_t width, bool withLo) {
  ImplicitLocOpBuilder &b = k.b();
  Value row = k.mul(k.blockId(), k.idx(width));
  Value loRows = k.mul(k.tokens(), k.idx(width));
  k.strided(k.idx(width), kThreads, [&](Value c) {
    Value at = k.add(row, c);
    Value x = k.load(k.memref(0), at);
    Value hi = arith::TruncFOp::create(b, b.getBF16Type(), x);
    k.store(hi, k.memref(1), at);
    if (!withLo)
      return;
    Value rest = k.fsub(x, arith::ExtFOp::create(b, b.getF32Type(), hi));
    k.store(arith::TruncFOp::create(b, b.getBF16Type(), rest), k.memref(1),
            k.add(loRows, at));
  });
}

bool isStepEntry(Operation *op) {
  return op->getParentOfType<kern::EntryOp>().getStep();
}

/// Whether a linear or lm_head runs as a GEMV (GpuConventions.h).
template <typename Op> bool usesGemv(Op op) {
  bool accumulate = false;
  if constexpr (std::is_same_v<Op, kern::LinearOp>)
    accumulate = op.getAccumulate();
  return isStepEntry(op) ||
         mlrt::gemvEverywhere(static_cast<bool>(op.getNorm()), accumulate);
}

/// Whether a buffer's rows start 16-byte aligned for one token: its arena
/// offset and width are multiples of 4 floats.
bool alignedBuffer(Value buffer) {
  auto def = buffer.getDefiningOp<kern::BufferOp>();
  return def && def.getOffset() % 4 == 0 && widthOf(buffer) % 4 == 0;
}

/// Linear: in, the outputs, the weights, then the biases; each weight a
/// segment writing the next columns of its output.
GemvShape linearShape(kern::LinearOp o) {
  GemvShape s;
  const unsigned outs = o.getOuts().size(), weights = o.getWeights().size();
  const unsigned firstWeight = 1 + outs, firstBias = firstWeight + weights;
  s.isMatrix.assign(firstWeight, false);
  s.isMatrix.append(weights, true);
  if (o.getBiases())
    s.isMatrix.append(weights, false);
  unsigned out = 0;
  int64_t column = 0;
  for (auto [i, w] : llvm::enumerate(o.getWeights())) {
    RankedTensorType type = weightType(o, cast<FlatSymbolRefAttr>(w));
    GemvSegment g;
    g.matrices = {firstWeight + unsigned(i)};
    g.rows = type.getDimSize(0);
    g.out = 1 + out;
    g.column = column;
    g.outWidth = widthOf(o.getOuts()[out]);
    if (o.getBiases())
      g.bias = firstBias + i;
    s.segments.push_back(g);
    s.cols = type.getDimSize(1);
    column += g.rows;
    if (column == g.outWidth) {
      ++out;
      column = 0;
    }
  }
  s.inWidth = widthOf(o.getIn());
  s.alignedInput = alignedBuffer(o.getIn());
  s.normOf(o);
  s.accumulate = o.getAccumulate();
  return s;
}

/// LinearSwiGLU: in, out, gate, up; one segment of both matrices.
GemvShape linearSwiGLUShape(kern::LinearSwiGLUOp o) {
  GemvShape s;
  s.isMatrix = {false, false, true, true};
  GemvSegment g;
  g.matrices = {2, 3};
  g.rows = widthOf(o.getOut());
  g.out = 1;
  g.outWidth = g.rows;
  s.segments.push_back(g);
  s.cols = widthOf(o.getIn());
  s.inWidth = s.cols;
  s.alignedInput = alignedBuffer(o.getIn());
  s.normOf(o);
  return s;
}

/// LMHead: in, weight, logits.
GemvShape lmHeadShape(kern::LMHeadOp o) {
  GemvShape s;
  RankedTensorType type = weightType(o, o.getWeightAttr());
  s.isMatrix = {false, true, false};
  GemvSegment g;
  g.matrices = {1};
  g.rows = type.getDimSize(0);
  g.out = 2;
  g.outWidth = g.rows;
  s.segments.push_back(g);
  s.cols = type.getDimSize(1);
  s.inWidth = widthOf(o.getIn());
  s.alignedInput = alignedBuffer(o.getIn());
  s.normOf(o);
  return s;
}

/// The kernel key of a GEMV: its kind, matrix type, row segments, columns,
/// input and output widths.
std::string gemvKey(const char *kind, const char *type, const GemvShape &s) {
  std::string key = std::string(kind) + "_gemv_" + type;
  SmallVector<int64_t> outWidths;
  bool biases = false;
  for (const GemvSegment &g : s.segments) {
    key += "_" + std::to_string(g.rows);
    if (g.column == 0)
      outWidths.push_back(g.outWidth);
    biases |= g.bias.has_value();
  }
  key += "x" + std::to_string(s.cols) + "_in" + std::to_string(s.inWidth) +
         "_out";
  for (auto [i, w] : llvm::enumerate(outWidths))
    key += (i ? "_" : "") + std::to_string(w);
  if (s.alignedInput)
    key += "_a16";
  if (biases)
    key += "_bias";
  if (s.norm)
    key += "_norm" + epsName(s.eps);
  if (s.accumulate)
    key += "_acc";
  return key;
}

} // namespace

std::string codegen::matrixKernelKey(Operation *op, mlrt::DType matrixType) {
  const char *type = matrixType == mlrt::DType::BF16 ? "bf16" : "f32";
  auto input = [&](Value in, bool bf16Inputs) -> std::string {
    if (matrixType != mlrt::DType::BF16)
      return ""; // the library's f32 GEMM reads the buffer itself
    return (bf16Inputs ? "to_bf16_hi_w" : "to_bf16_w") +
           std::to_string(widthOf(in));
  };
  if (auto o = dyn_cast<kern::EmbedOp>(op))
    return "embed_" + std::string(type) + "_h" +
           std::to_string(widthOf(o.getOut()));
  if (auto o = dyn_cast<kern::LinearOp>(op))
    return usesGemv(o) ? gemvKey("linear", type, linearShape(o))
                       : input(o.getIn(), o.getBf16Inputs());
  if (auto o = dyn_cast<kern::LinearSwiGLUOp>(op))
    return gemvKey("linear_swiglu", type, linearSwiGLUShape(o));
  if (auto o = dyn_cast<kern::LMHeadOp>(op))
    return usesGemv(o) ? gemvKey("lm_head", type, lmHeadShape(o))
                       : input(o.getIn(), o.getBf16Inputs());
  return "";
}

KernelSpecs codegen::emitMatrixKernels(Operation *op, StringRef name,
                                       mlrt::DType matrixType,
                                       gpu::GPUModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Type f32 = Float32Type::get(ctx);
  Type element =
      matrixType == mlrt::DType::BF16 ? Type(BFloat16Type::get(ctx)) : f32;
  std::vector<GpuKernelSpec> specs;
  auto emitGemv = [&](const GemvShape &s) {
    SmallVector<Type> types;
    for (bool matrix : s.isMatrix)
      types.push_back(matrix ? element : f32);
    buildKernel(module, name, types, false, gemvSharedFloats(s),
                [&](KernelBuilder &k) { gemv(k, s, element); });
    int64_t rowsPerBlock = kGemvWarps / columnSplits(s) * rowsPerWarp(s);
    specs.push_back(fixedGrid(name.str(),
                              (s.totalRows() + rowsPerBlock - 1) / rowsPerBlock,
                              kGemvWarps * 32, gemvSharedFloats(s)));
    // Several rows read the matrices once (GpuConventions.h,
    // kBatchedGemvTiers).
    if (batchedGemvApplies(s, element))
      for (GpuKernelSpec &spec : emitBatchedGemvs(s, name, module))
        specs.push_back(std::move(spec));
  };
  auto emitToBF16 = [&](Value in, bool bf16Inputs) {
    buildKernel(module, name, {f32, BFloat16Type::get(ctx)}, false, 0,
                [&](KernelBuilder &k) { toBF16(k, widthOf(in), !bf16Inputs); });
    specs.push_back(perToken(name.str()));
  };
  if (auto o = dyn_cast<kern::EmbedOp>(op)) {
    buildKernel(module, name, {f32, element}, true, 0,
                [&](KernelBuilder &k) { embed(k, widthOf(o.getOut())); });
    specs.push_back(perElement(name.str(), widthOf(o.getOut())));
  } else if (auto o = dyn_cast<kern::LinearOp>(op)) {
    if (usesGemv(o))
      emitGemv(linearShape(o));
    else
      emitToBF16(o.getIn(), o.getBf16Inputs());
  } else if (auto o = dyn_cast<kern::LinearSwiGLUOp>(op)) {
    emitGemv(linearSwiGLUShape(o));
  } else if (auto o = dyn_cast<kern::LMHeadOp>(op)) {
    if (usesGemv(o))
      emitGemv(lmHeadShape(o));
    else
      emitToBF16(o.getIn(), o.getBf16Inputs());
  }
  return specs;
}
