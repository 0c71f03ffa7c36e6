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
//  - gemv, for step entries (decode): one warp per output row streams the
//    row with 16-byte loads (8 bf16 or 4 f32 per lane, kGemvUnroll loads in
//    flight) and reduces with shuffles. Activations and sums stay f32, so a
//    step matches the CPU backend up to summation order. Decode is bound by
//    these weight reads, so this is where the bandwidth goes;
//  - to_bf16, for other entries with bf16 matrices: splits the op's f32
//    input rows into two bf16 terms for the library's tensor-core GEMM
//    (prefill is bound by arithmetic, and cuBLAS's bf16 GEMM needs both
//    operands in bf16; two terms keep the activations' precision).
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"
#include "Kernels.h"

#include "mlrt/GpuConventions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <tuple>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// Output rows (warps) per GEMV block.
constexpr int64_t kGemvWarps = 8;
/// Independent 16-byte weight loads each lane issues per loop step.
constexpr int64_t kGemvUnroll = 4;

/// The f32 value of a matrix element loaded from `memref`.
Value widen(KernelBuilder &k, Value v) {
  if (v.getType() == k.b().getF32Type())
    return v;
  return arith::ExtFOp::create(k.b(), k.b().getF32Type(), v);
}

/// embed: out[t] = table[ids[t]], widened to f32.
void embed(KernelBuilder &k, int64_t hidden) {
  k.eachElement(hidden, kThreads, [&](Value t, Value c) {
    Value id = arith::IndexCastOp::create(k.b(), k.b().getIndexType(),
                                          k.load(k.ids(), t));
    Value v = k.load(k.memref(1), k.add(k.mul(id, k.idx(hidden)), c));
    k.store(widen(k, v), k.memref(0), k.add(k.mul(t, k.idx(hidden)), c));
  });
}

/// The shape of one GEMV: `rows[i]` output rows of weight i (adjacent
/// column blocks of the output), `cols` inputs.
struct GemvShape {
  SmallVector<int64_t> rows;
  int64_t cols = 0, inWidth = 0, outWidth = 0;
  /// Whether the input rows are 16-byte aligned (vector loads of x).
  bool alignedInput = false;
  bool biases = false;
  /// Memref arguments: in, out, then the weights, then the biases.
  unsigned in = 0, out = 1, firstWeight = 2;
  unsigned firstBias() const { return firstWeight + rows.size(); }
  int64_t totalRows() const {
    int64_t n = 0;
    for (int64_t r : rows)
      n += r;
    return n;
  }
};

/// Elements per 16-byte load of `element`.
int64_t vectorWidth(Type element) {
  return 16 / (element.getIntOrFloatBitWidth() / 8);
}

/// gemv: warp w of block b computes output row r = b * kGemvWarps + w of
/// every token. Lane l reads elements [c, c + V) for c = l * V + j * 32 V:
/// kGemvUnroll such loads per step, then a guarded tail of single loads.
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

  Value lane = k.rem(k.threadId(), k.idx(32));
  Value row = k.add(k.mul(k.blockId(), k.idx(kGemvWarps)),
                    k.div(k.threadId(), k.idx(32)));
  Value zero = arith::ConstantOp::create(b, fType, b.getZeroAttr(fType));
  // acc + w[at...] * x[xAt...] over one vector.
  auto fma = [&](Value acc, Value w, Value wAt, Value xAt) {
    Value wv = vector::LoadOp::create(b, wType, w, ValueRange{wAt}, false,
                                      llvm::MaybeAlign(wAlign));
    if (element != b.getF32Type())
      wv = arith::ExtFOp::create(b, fType, wv);
    Value xv = vector::LoadOp::create(b, fType, k.memref(s.in),
                                      ValueRange{xAt}, false,
                                      llvm::MaybeAlign(xAlign));
    return vector::FMAOp::create(b, wv, xv, acc).getResult();
  };
  int64_t first = 0;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    Value local = arith::SubIOp::create(b, row, k.idx(first));
    Value inside = arith::AndIOp::create(
        b,
        arith::CmpIOp::create(b, arith::CmpIPredicate::uge, row,
                              k.idx(first)),
        k.lt(row, k.idx(first + s.rows[i])));
    const int64_t column = first;
    k.when(inside, [&] {
      Value w = k.memref(s.firstWeight + i);
      Value wRow = k.mul(local, k.idx(s.cols));
      Value bias = s.biases ? k.load(k.memref(s.firstBias() + i), local)
                            : k.f32(0);
      k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value t) {
        Value xRow = k.mul(t, k.idx(s.inWidth));
        Value laneStart = k.mul(lane, k.idx(v));
        auto full = k.loop(
            laneStart, k.idx(fullEnd), k.idx(step), {zero},
            [&](Value c, ValueRange acc) {
              Value sum = acc[0];
              for (int64_t j = 0; j < kGemvUnroll; ++j) {
                Value cj = k.add(c, k.idx(j * span));
                sum = fma(sum, w, k.add(wRow, cj), k.add(xRow, cj));
              }
              return SmallVector<Value>{sum};
            });
        auto tail = k.loop(k.add(k.idx(fullEnd), laneStart), k.idx(s.cols),
                           k.idx(span), {full[0]},
                           [&](Value c, ValueRange acc) {
                             return SmallVector<Value>{fma(
                                 acc[0], w, k.add(wRow, c), k.add(xRow, c))};
                           });
        Value partial = vector::ReductionOp::create(
            b, vector::CombiningKind::ADD, tail[0]);
        Value total = k.fadd(k.warpSum(partial), bias);
        k.when(arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane,
                                     k.idx(0)),
               [&] {
                 k.store(total, k.memref(s.out),
                         k.add(k.mul(t, k.idx(s.outWidth)),
                               k.add(k.idx(column), local)));
               });
      });
    });
    first += s.rows[i];
  }
}

/// to_bf16: splits each f32 input into hi = bf16(x) and lo = bf16(x - hi),
/// hi rows first, then the lo rows: W x = W hi + W lo to about 2^-16 of x,
/// so two bf16 tensor-core GEMMs give what one fp32 GEMM would.
void toBF16(KernelBuilder &k, int64_t width) {
  ImplicitLocOpBuilder &b = k.b();
  Value row = k.mul(k.blockId(), k.idx(width));
  Value loRows = k.mul(k.tokens(), k.idx(width));
  k.strided(k.idx(width), kThreads, [&](Value c) {
    Value at = k.add(row, c);
    Value x = k.load(k.memref(0), at);
    Value hi = arith::TruncFOp::create(b, b.getBF16Type(), x);
    Value rest = k.fsub(x, arith::ExtFOp::create(b, b.getF32Type(), hi));
    k.store(hi, k.memref(1), at);
    k.store(arith::TruncFOp::create(b, b.getBF16Type(), rest), k.memref(1),
            k.add(loRows, at));
  });
}

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

/// argmax: out[0] = the first index of the largest of `vocab` logits. Each
/// thread scans its stride (strictly larger: it keeps its first maximum),
/// warps reduce by shuffles, then warp 0 over the warps' candidates.
void argmax(KernelBuilder &k, int64_t vocab) {
  ImplicitLocOpBuilder &b = k.b();
  auto scanned = k.loop(
      k.threadId(), k.idx(vocab), k.idx(kArgmaxThreads),
      {k.f32(-INFINITY), k.f32(double(vocab))},
      [&](Value c, ValueRange acc) {
        Value v = k.load(k.memref(0), c);
        Value larger =
            arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, v, acc[0]);
        return SmallVector<Value>{
            arith::SelectOp::create(b, larger, v, acc[0]),
            arith::SelectOp::create(b, larger, k.toF32(c), acc[1])};
      });
  auto [v, i] = warpBest(k, scanned[0], scanned[1]);
  Value lane = k.rem(k.threadId(), k.idx(32));
  Value warp = k.div(k.threadId(), k.idx(32));
  const int64_t warps = kArgmaxThreads / 32;
  Value leader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, k.idx(0));
  k.when(leader, [&] {
    k.store(v, k.sharedBuffer(), warp);
    k.store(i, k.sharedBuffer(), k.add(warp, k.idx(warps)));
  });
  gpu::BarrierOp::create(b);
  k.when(arith::CmpIOp::create(b, arith::CmpIPredicate::eq, warp, k.idx(0)),
         [&] {
           auto [bv, bi] =
               warpBest(k, k.load(k.sharedBuffer(), lane),
                        k.load(k.sharedBuffer(), k.add(lane, k.idx(warps))));
           (void)bv;
           k.when(leader, [&] {
             Value id = arith::FPToSIOp::create(b, b.getI32Type(), bi);
             k.store(id, k.memref(1), k.idx(0));
           });
         });
}

bool isStepEntry(Operation *op) {
  return op->getParentOfType<kern::EntryOp>().getStep();
}

/// Whether a buffer's rows start 16-byte aligned for one token: its arena
/// offset and width are multiples of 4 floats.
bool alignedBuffer(Value buffer) {
  auto def = buffer.getDefiningOp<kern::BufferOp>();
  return def && def.getOffset() % 4 == 0 && widthOf(buffer) % 4 == 0;
}

GemvShape linearShape(kern::LinearOp o) {
  GemvShape s;
  for (Attribute w : o.getWeights()) {
    RankedTensorType type = weightType(o, cast<FlatSymbolRefAttr>(w));
    s.rows.push_back(type.getDimSize(0));
    s.cols = type.getDimSize(1);
  }
  s.inWidth = widthOf(o.getIn());
  s.outWidth = widthOf(o.getOut());
  s.alignedInput = alignedBuffer(o.getIn());
  s.biases = o.getBiases().has_value();
  return s;
}

GemvShape lmHeadShape(kern::LMHeadOp o) {
  GemvShape s;
  RankedTensorType type = weightType(o, o.getWeightAttr());
  s.rows.push_back(type.getDimSize(0));
  s.cols = type.getDimSize(1);
  s.inWidth = widthOf(o.getIn());
  s.outWidth = s.rows[0];
  s.alignedInput = alignedBuffer(o.getIn());
  // Memrefs: in, weight, logits.
  s.in = 0;
  s.firstWeight = 1;
  s.out = 2;
  return s;
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
      fixedGrid(name, 1, kArgmaxThreads, 2 * kArgmaxThreads / 32)};
}

std::string codegen::matrixKernelKey(Operation *op, mlrt::DType matrixType) {
  const char *type = matrixType == mlrt::DType::BF16 ? "bf16" : "f32";
  auto gemvKey = [&](const char *kind, const GemvShape &s) {
    std::string key = std::string(kind) + "_gemv_" + type;
    for (int64_t r : s.rows)
      key += "_" + std::to_string(r);
    key += "x" + std::to_string(s.cols) + "_in" + std::to_string(s.inWidth) +
           "_out" + std::to_string(s.outWidth);
    if (s.alignedInput)
      key += "_a16";
    if (s.biases)
      key += "_bias";
    return key;
  };
  auto input = [&](Value in) -> std::string {
    if (matrixType != mlrt::DType::BF16)
      return ""; // the library's f32 GEMM reads the buffer itself
    return "to_bf16_w" + std::to_string(widthOf(in));
  };
  if (auto o = dyn_cast<kern::EmbedOp>(op))
    return "embed_" + std::string(type) + "_h" +
           std::to_string(widthOf(o.getOut()));
  if (auto o = dyn_cast<kern::LinearOp>(op))
    return isStepEntry(op) ? gemvKey("linear", linearShape(o))
                           : input(o.getIn());
  if (auto o = dyn_cast<kern::LMHeadOp>(op))
    return isStepEntry(op) ? gemvKey("lm_head", lmHeadShape(o))
                           : input(o.getIn());
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
  auto build = [&](ArrayRef<Type> memrefs, bool ids,
                   function_ref<void(KernelBuilder &)> body) {
    KernelBuilder k(module, name, memrefs, ids, 0);
    body(k);
    k.finish();
  };
  auto emitGemv = [&](const GemvShape &s) {
    SmallVector<Type> types(s.firstWeight + s.rows.size(), f32);
    for (size_t i = 0; i < s.rows.size(); ++i)
      types[s.firstWeight + i] = element;
    if (s.biases)
      types.append(s.rows.size(), f32);
    if (s.out >= types.size())
      types.push_back(f32);
    build(types, false, [&](KernelBuilder &k) { gemv(k, s, element); });
    specs.push_back(fixedGrid(
        name.str(), (s.totalRows() + kGemvWarps - 1) / kGemvWarps,
        kGemvWarps * 32));
  };
  auto emitToBF16 = [&](Value in) {
    build({f32, BFloat16Type::get(ctx)}, false,
          [&](KernelBuilder &k) { toBF16(k, widthOf(in)); });
    specs.push_back(perToken(name.str()));
  };
  if (auto o = dyn_cast<kern::EmbedOp>(op)) {
    build({f32, element}, true,
          [&](KernelBuilder &k) { embed(k, widthOf(o.getOut())); });
    specs.push_back(perElement(name.str(), widthOf(o.getOut())));
  } else if (auto o = dyn_cast<kern::LinearOp>(op)) {
    if (isStepEntry(op))
      emitGemv(linearShape(o));
    else
      emitToBF16(o.getIn());
  } else if (auto o = dyn_cast<kern::LMHeadOp>(op)) {
    if (isStepEntry(op))
      emitGemv(lmHeadShape(o));
    else
      emitToBF16(o.getIn());
  }
  return specs;
}
