//===- Kernels.cpp - One kernel emitter per kern op -----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Straightforward kernels, correct first (issue 6); each mirrors its CPU
// kernel in runtime/src/cpu and is checked against it on the GPU machine.
// Activations are `tokens x width` f32 rows, so row t of a buffer starts at
// t * width. Shapes are constants of each kernel.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "KernelBuilder.h"

#include "mlrt/Artifact.h"
#include "mlrt/cpu/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
constexpr int64_t kThreads = 256;

int64_t widthOf(Value buffer) {
  return cast<kern::BufferType>(buffer.getType()).getWidth();
}

/// One-block-per-token launch with kThreads threads.
GpuKernelSpec perToken(std::string name, int64_t blocksPerToken = 1,
                       int64_t threads = kThreads, int64_t shared = 0) {
  GpuKernelSpec s;
  s.name = std::move(name);
  s.grid[0] = blocksPerToken;
  s.perToken = true;
  s.block[0] = threads;
  s.sharedBytes = shared * 4;
  return s;
}

GpuKernelSpec fixedGrid(std::string name, int64_t blocks, int64_t threads) {
  GpuKernelSpec s;
  s.name = std::move(name);
  s.grid[0] = blocks;
  s.block[0] = threads;
  return s;
}

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

//===----------------------------------------------------------------------===//
// Elementwise and row kernels
//===----------------------------------------------------------------------===//

/// embed: out[t] = table[ids[t]].
void embed(KernelBuilder &k, int64_t hidden) {
  Value t = k.blockId();
  Value id = arith::IndexCastOp::create(k.b(), k.b().getIndexType(),
                                        k.load(k.ids(), t));
  k.strided(k.idx(hidden), kThreads, [&](Value c) {
    Value v = k.load(k.memref(1), k.add(k.mul(id, k.idx(hidden)), c));
    k.store(v, k.memref(0), k.add(k.mul(t, k.idx(hidden)), c));
  });
}

/// add / swiglu over one token row: out = f(a, b).
void binary(KernelBuilder &k, int64_t width,
            const std::function<Value(Value, Value)> &f) {
  Value row = k.mul(k.blockId(), k.idx(width));
  k.strided(k.idx(width), kThreads, [&](Value c) {
    Value i = k.add(row, c);
    k.store(f(k.load(k.memref(0), i), k.load(k.memref(1), i)), k.memref(2),
            i);
  });
}

/// rms_norm: x * rsqrt(mean(x^2) + eps) * w over one token row.
void rmsNorm(KernelBuilder &k, int64_t width, double eps) {
  Value row = k.mul(k.blockId(), k.idx(width));
  auto sum = k.loop(k.threadId(), k.idx(width), k.idx(kThreads),
                    {k.f32(0)}, [&](Value c, ValueRange acc) {
                      Value x = k.load(k.memref(0), k.add(row, c));
                      return SmallVector<Value>{k.fadd(acc[0], k.fmul(x, x))};
                    });
  Value mean = k.fdiv(k.blockSum(sum[0], kThreads), k.f32(double(width)));
  Value scale = k.fdiv(
      k.f32(1.0), math::SqrtOp::create(k.b(), k.fadd(mean, k.f32(eps))));
  k.strided(k.idx(width), kThreads, [&](Value c) {
    Value x = k.load(k.memref(0), k.add(row, c));
    Value w = k.load(k.memref(2), c);
    k.store(k.fmul(w, k.fmul(x, scale)), k.memref(1), k.add(row, c));
  });
}

/// gated_rms_norm: g = y * silu(z), normalised per group (eps 1e-5); one
/// block per (token, group).
void gatedRmsNorm(KernelBuilder &k, int64_t width, int64_t group,
                  int64_t threads) {
  int64_t groups = width / group;
  Value t = k.div(k.blockId(), k.idx(groups));
  Value g = k.rem(k.blockId(), k.idx(groups));
  Value base = k.add(k.mul(t, k.idx(width)), k.mul(g, k.idx(group)));
  auto gated = [&](Value c) {
    Value i = k.add(base, c);
    return k.fmul(k.load(k.memref(0), i), k.silu(k.load(k.memref(1), i)));
  };
  auto sum = k.loop(k.threadId(), k.idx(group), k.idx(threads), {k.f32(0)},
                    [&](Value c, ValueRange acc) {
                      Value v = gated(c);
                      return SmallVector<Value>{k.fadd(acc[0], k.fmul(v, v))};
                    });
  Value mean = k.fdiv(k.blockSum(sum[0], threads), k.f32(double(group)));
  Value scale = k.fdiv(
      k.f32(1.0), math::SqrtOp::create(k.b(), k.fadd(mean, k.f32(1e-5))));
  k.loop(k.threadId(), k.idx(group), k.idx(threads), [&](Value c) {
    Value v = gated(c);
    Value w = k.load(k.memref(3), k.add(k.mul(g, k.idx(group)), c));
    k.store(k.fmul(w, k.fmul(v, scale)), k.memref(2), k.add(base, c));
  });
}

/// repeat_groups: out[d] = in[group * (d / (group * times)) + d % group].
void repeatGroups(KernelBuilder &k, int64_t inWidth, int64_t group,
                  int64_t times) {
  int64_t outWidth = inWidth * times;
  Value t = k.blockId();
  k.strided(k.idx(outWidth), kThreads, [&](Value d) {
    Value src = k.add(k.mul(k.idx(group), k.div(d, k.idx(group * times))),
                      k.rem(d, k.idx(group)));
    Value v = k.load(k.memref(0), k.add(k.mul(t, k.idx(inWidth)), src));
    k.store(v, k.memref(1), k.add(k.mul(t, k.idx(outWidth)), d));
  });
}

//===----------------------------------------------------------------------===//
// RoPE and attention
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Mamba
//===----------------------------------------------------------------------===//

/// conv1d: one thread per channel walks the tokens, holding the last
/// width - 1 inputs (from and back to the conv state).
void conv1d(KernelBuilder &k, int64_t channels, int64_t width) {
  int64_t past = width - 1;
  Value c = k.add(k.mul(k.blockId(), k.idx(kThreads)), k.threadId());
  k.when(k.lt(c, k.idx(channels)), [&] {
    SmallVector<Value> w, history;
    for (int64_t j = 0; j < width; ++j)
      w.push_back(k.load(k.memref(2), k.add(k.mul(c, k.idx(width)), k.idx(j))));
    Value bias = k.load(k.memref(3), c);
    Value stateRow = k.mul(c, k.idx(past));
    for (int64_t j = 0; j < past; ++j)
      history.push_back(k.load(k.memref(4), k.add(stateRow, k.idx(j))));
    auto last = k.loop(k.idx(0), k.tokens(), k.idx(1), history,
                       [&](Value t, ValueRange prev) {
                         Value at = k.add(k.mul(t, k.idx(channels)), c);
                         Value x = k.load(k.memref(0), at);
                         Value y = k.fadd(bias, k.fmul(w[past], x));
                         for (int64_t j = 0; j < past; ++j)
                           y = k.fadd(y, k.fmul(w[j], prev[j]));
                         k.store(k.silu(y), k.memref(1), at);
                         SmallVector<Value> next(prev.begin() + 1, prev.end());
                         next.push_back(x);
                         return next;
                       });
    for (int64_t j = 0; j < past; ++j)
      k.store(last[j], k.memref(4), k.add(stateRow, k.idx(j)));
  });
}

/// Mamba-2 scan: one block per head, thread p owns state row p (d_state
/// values in the SSM state array).
void ssmScanMamba2(KernelBuilder &k, int64_t heads, int64_t groups,
                   int64_t headDim, int64_t dState) {
  int64_t xbcWidth = groups * headDim + groups * dState + heads * dState;
  int64_t bOffset = groups * headDim, cOffset = bOffset + groups * dState;
  Value h = k.blockId(), p = k.threadId();
  Value g = k.div(h, k.idx(heads / groups));
  Value a = arith::NegFOp::create(k.b(), k.exp(k.load(k.memref(4), h)));
  Value bias = k.load(k.memref(3), h), skip = k.load(k.memref(5), h);
  Value stateRow = k.mul(k.add(k.mul(h, k.idx(headDim)), p), k.idx(dState));
  k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value t) {
    Value row = k.mul(t, k.idx(xbcWidth));
    Value delta =
        k.softplus(k.fadd(k.load(k.memref(1), k.add(k.mul(t, k.idx(heads)), h)),
                          bias));
    Value decay = k.exp(k.fmul(delta, a));
    Value x = k.load(k.memref(0),
                     k.add(row, k.add(k.mul(g, k.idx(headDim)), p)));
    Value dx = k.fmul(delta, x);
    Value bRow = k.add(row, k.add(k.idx(bOffset), k.mul(g, k.idx(dState))));
    Value cRow = k.add(row, k.add(k.idx(cOffset), k.mul(h, k.idx(dState))));
    auto y = k.loop(k.idx(0), k.idx(dState), k.idx(1), {k.f32(0)},
                    [&](Value n, ValueRange acc) {
                      Value at = k.add(stateRow, n);
                      Value s = k.fadd(k.fmul(decay, k.load(k.memref(6), at)),
                                       k.fmul(dx, k.load(k.memref(0), k.add(bRow, n))));
                      k.store(s, k.memref(6), at);
                      return SmallVector<Value>{k.fadd(
                          acc[0], k.fmul(s, k.load(k.memref(0), k.add(cRow, n))))};
                    });
    k.store(k.fadd(y[0], k.fmul(skip, x)), k.memref(2),
            k.add(k.mul(t, k.idx(heads * headDim)),
                  k.add(k.mul(h, k.idx(headDim)), p)));
  });
}

/// Mamba-1 scan: one thread per channel, its own A row, the double dt bias.
void ssmScanMamba1(KernelBuilder &k, int64_t heads, int64_t groups,
                   int64_t dState) {
  int64_t inner = heads * dState, bcWidth = groups * dState + heads * dState;
  Value ch = k.add(k.mul(k.blockId(), k.idx(kThreads)), k.threadId());
  k.when(k.lt(ch, k.idx(inner)), [&] {
    Value head = k.div(ch, k.idx(dState));
    Value g = k.div(head, k.idx(heads / groups));
    Value bias = k.fmul(k.f32(2.0), k.load(k.memref(4), ch));
    Value skip = k.load(k.memref(6), ch);
    Value stateRow = k.mul(ch, k.idx(dState));
    k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value t) {
      Value u = k.load(k.memref(0), k.add(k.mul(t, k.idx(inner)), ch));
      Value delta = k.softplus(
          k.fadd(k.load(k.memref(2), k.add(k.mul(t, k.idx(inner)), ch)), bias));
      Value bRow = k.add(k.mul(t, k.idx(bcWidth)), k.mul(g, k.idx(dState)));
      Value cRow = k.add(k.mul(t, k.idx(bcWidth)),
                         k.add(k.idx(groups * dState),
                               k.mul(head, k.idx(dState))));
      auto y = k.loop(
          k.idx(0), k.idx(dState), k.idx(1), {k.f32(0)},
          [&](Value n, ValueRange acc) {
            Value a = arith::NegFOp::create(
                k.b(), k.exp(k.load(k.memref(5), k.add(stateRow, n))));
            Value at = k.add(stateRow, n);
            Value s = k.fadd(
                k.fmul(k.exp(k.fmul(delta, a)), k.load(k.memref(7), at)),
                k.fmul(k.fmul(delta, k.load(k.memref(1), k.add(bRow, n))), u));
            k.store(s, k.memref(7), at);
            return SmallVector<Value>{
                k.fadd(acc[0], k.fmul(s, k.load(k.memref(1), k.add(cRow, n))))};
          });
      k.store(k.fadd(y[0], k.fmul(skip, u)), k.memref(3),
              k.add(k.mul(t, k.idx(inner)), ch));
    });
  });
}

/// A power of two at most `n` and `limit`.
int64_t powerOfTwoAtMost(int64_t n, int64_t limit) {
  int64_t p = 1;
  while (p * 2 <= n && p * 2 <= limit)
    p *= 2;
  return p;
}
} // namespace

std::string codegen::kernelKey(Operation *op, kern::ProgramOp program) {
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([](kern::EmbedOp o) {
        return llvm::formatv("embed_h{0}", widthOf(o.getOut())).str();
      })
      .Case([](kern::RMSNormOp o) {
        // eps as an identifier: 1e-05 -> 1em05.
        std::string eps = llvm::formatv("{0:e2}", o.getEps().convertToDouble());
        for (char &c : eps)
          c = c == '-' ? 'm' : c == '.' ? 'p' : c == '+' ? 'P' : c;
        return llvm::formatv("rms_norm_w{0}_eps{1}", widthOf(o.getIn()), eps)
            .str();
      })
      .Case([](kern::AddOp o) {
        return llvm::formatv("add_w{0}", widthOf(o.getOut())).str();
      })
      .Case([](kern::SwiGLUOp o) {
        return llvm::formatv("swiglu_w{0}", widthOf(o.getOut())).str();
      })
      .Case([](kern::GatedRMSNormOp o) {
        return llvm::formatv("gated_rms_norm_w{0}_g{1}", widthOf(o.getY()),
                             o.getGroup())
            .str();
      })
      .Case([](kern::RepeatGroupsOp o) {
        return llvm::formatv("repeat_groups_w{0}_g{1}_x{2}", widthOf(o.getIn()),
                             o.getGroup(), o.getTimes())
            .str();
      })
      .Case([](kern::RopeOp o) {
        return llvm::formatv("rope_q{0}_k{1}_d{2}", widthOf(o.getQ()),
                             widthOf(o.getK()), o.getHeadDim())
            .str();
      })
      .Case([](kern::AttentionOp o) {
        return llvm::formatv("attention_h{0}_q{1}_kv{2}_win{3}", o.getHeads(),
                             widthOf(o.getQ()), widthOf(o.getK()),
                             o.getWindow().value_or(0))
            .str();
      })
      .Case([](kern::Conv1dOp o) {
        auto w = cast<RankedTensorType>(
            SymbolTable::lookupNearestSymbolFrom<kern::WeightOp>(
                o, o.getWeightAttr())
                .getType());
        return llvm::formatv("conv1d_c{0}_k{1}", widthOf(o.getIn()),
                             w.getNumElements() / widthOf(o.getIn()))
            .str();
      })
      .Case([](kern::SSMScanOp o) {
        bool one = o.getVariant() == llm::MambaVariant::Mamba1;
        return llvm::formatv("ssm_scan_mamba{0}_h{1}_g{2}_n{3}_x{4}",
                             one ? 1 : 2, o.getHeads(), o.getGroups(),
                             o.getDState(), widthOf(o.getXbc()))
            .str();
      })
      .Default([](Operation *) { return std::string(); });
}

mlrt::Expected<std::vector<GpuKernelSpec>>
codegen::emitKernels(Operation *op, kern::ProgramOp program,
                     gpu::GPUModuleOp module) {
  std::string name = kernelKey(op, program);
  if (name.empty())
    return std::vector<GpuKernelSpec>(); // GEMMs: cuBLASLt
  auto build = [&](StringRef kernel, unsigned memrefs, bool ids,
                   int64_t shared, const std::function<void(KernelBuilder &)> &body) {
    KernelBuilder k(module, kernel, memrefs, ids, shared);
    body(k);
    k.finish();
  };
  std::vector<GpuKernelSpec> specs;
  if (auto o = dyn_cast<kern::EmbedOp>(op)) {
    build(name, 2, true, 0, [&](KernelBuilder &k) { embed(k, widthOf(o.getOut())); });
    specs.push_back(perToken(name));
  } else if (auto o = dyn_cast<kern::RMSNormOp>(op)) {
    build(name, 3, false, kThreads, [&](KernelBuilder &k) {
      rmsNorm(k, widthOf(o.getIn()), o.getEps().convertToDouble());
    });
    specs.push_back(perToken(name, 1, kThreads, kThreads));
  } else if (auto o = dyn_cast<kern::AddOp>(op)) {
    build(name, 3, false, 0, [&](KernelBuilder &k) {
      binary(k, widthOf(o.getOut()), [&](Value a, Value b) { return k.fadd(a, b); });
    });
    specs.push_back(perToken(name));
  } else if (auto o = dyn_cast<kern::SwiGLUOp>(op)) {
    build(name, 3, false, 0, [&](KernelBuilder &k) {
      binary(k, widthOf(o.getOut()),
             [&](Value g, Value u) { return k.fmul(k.silu(g), u); });
    });
    specs.push_back(perToken(name));
  } else if (auto o = dyn_cast<kern::GatedRMSNormOp>(op)) {
    int64_t width = widthOf(o.getY()), group = o.getGroup();
    int64_t threads = powerOfTwoAtMost(group, kThreads);
    build(name, 4, false, threads, [&](KernelBuilder &k) {
      gatedRmsNorm(k, width, group, threads);
    });
    specs.push_back(perToken(name, width / group, threads, threads));
  } else if (auto o = dyn_cast<kern::RepeatGroupsOp>(op)) {
    build(name, 2, false, 0, [&](KernelBuilder &k) {
      repeatGroups(k, widthOf(o.getIn()), o.getGroup(), o.getTimes());
    });
    specs.push_back(perToken(name));
  } else if (auto o = dyn_cast<kern::RopeOp>(op)) {
    mlrt::RopeConfig config = ropeConfig(program);
    if (config.scaling == mlrt::RopeScalingKind::Dynamic)
      return mlrt::Error() << "ml-compile: dynamic NTK RoPE scaling has no "
                              "CUDA kernel yet (its frequencies depend on the "
                              "sequence length)";
    int64_t headDim = o.getHeadDim();
    mlrt::cpu::Rope table(config, headDim,
                          program.getConfig().getMaxPosition());
    std::string tableName = name + "_inv_freq";
    build(name, 2, false, 0, [&](KernelBuilder &k) {
      rope(k, module, tableName, table.inverseFrequencies(0),
           table.attentionScaling(), headDim, widthOf(o.getQ()),
           widthOf(o.getK()));
    });
    specs.push_back(perToken(name));
  } else if (auto o = dyn_cast<kern::AttentionOp>(op)) {
    int64_t heads = o.getHeads(), kvWidth = widthOf(o.getK());
    int64_t headDim = widthOf(o.getQ()) / heads, kvHeads = kvWidth / headDim;
    int64_t threads = kAttentionWarps * 32;
    if (headDim > threads)
      return mlrt::Error() << "ml-compile: the CUDA attention kernel handles "
                              "head dims up to "
                           << threads << ", found " << headDim;
    std::string append = name + "_append";
    build(append, 6, false, 0, [&](KernelBuilder &k) { kvAppend(k, kvWidth); });
    specs.push_back(perToken(append));
    int64_t shared = kAttentionWarps * (headDim + 2);
    build(name, 6, false, shared, [&](KernelBuilder &k) {
      attention(k, heads, kvHeads, headDim, o.getWindow().value_or(0));
    });
    specs.push_back(perToken(name, heads, threads, shared));
  } else if (auto o = dyn_cast<kern::Conv1dOp>(op)) {
    int64_t channels = widthOf(o.getIn());
    auto w = cast<RankedTensorType>(
        SymbolTable::lookupNearestSymbolFrom<kern::WeightOp>(o, o.getWeightAttr())
            .getType());
    int64_t width = w.getNumElements() / channels;
    build(name, 5, false, 0, [&](KernelBuilder &k) { conv1d(k, channels, width); });
    specs.push_back(fixedGrid(name, (channels + kThreads - 1) / kThreads, kThreads));
  } else if (auto o = dyn_cast<kern::SSMScanOp>(op)) {
    int64_t heads = o.getHeads(), groups = o.getGroups(), n = o.getDState();
    if (o.getVariant() == llm::MambaVariant::Mamba1) {
      build(name, 8, false, 0, [&](KernelBuilder &k) {
        ssmScanMamba1(k, heads, groups, n);
      });
      specs.push_back(
          fixedGrid(name, (heads * n + kThreads - 1) / kThreads, kThreads));
    } else {
      int64_t headDim = widthOf(o.getOut()) / heads;
      if (headDim > 1024)
        return mlrt::Error() << "ml-compile: the CUDA Mamba-2 scan needs a "
                                "head dim up to 1024, found "
                             << headDim;
      build(name, 7, false, 0, [&](KernelBuilder &k) {
        ssmScanMamba2(k, heads, groups, headDim, n);
      });
      specs.push_back(fixedGrid(name, heads, headDim));
    }
  }
  return specs;
}
