//===- RowKernels.cpp - Norms and elementwise kernels ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// add / swiglu, one element a thread: out = f(a, b).
void binary(KernelBuilder &k, int64_t width,
            const std::function<Value(Value, Value)> &f) {
  k.eachElement(width, kThreads, [&](Value t, Value c) {
    Value i = k.add(k.mul(t, k.idx(width)), c);
    k.store(f(k.load(k.memref(0), i), k.load(k.memref(1), i)), k.memref(2),
            i);
  });
}

/// The RMSNorm of one token row: `value(i)` gives (and may store) the
/// row's element at index i; out[i] = w[c] * x * rsqrt(mean(x^2) + eps)
/// reads x back from `source`. Each thread reads back only columns it
/// produced, so out may alias any operand.
void normaliseRow(KernelBuilder &k, int64_t width, double eps,
                  int64_t threads, const std::function<Value(Value)> &value,
                  Value source, Value weight, Value out) {
  Value row = k.mul(k.blockId(), k.idx(width));
  auto squares = k.loop(k.threadId(), k.idx(width), k.idx(threads),
                        {k.f32(0)}, [&](Value c, ValueRange acc) {
                          Value x = value(k.add(row, c));
                          return SmallVector<Value>{
                              k.fadd(acc[0], k.fmul(x, x))};
                        });
  Value scale = k.rmsScale(k.blockSum(squares[0], threads), width, eps);
  k.strided(k.idx(width), threads, [&](Value c) {
    Value x = k.load(source, k.add(row, c));
    Value w = k.load(weight, c);
    k.store(k.fmul(w, k.fmul(x, scale)), out, k.add(row, c));
  });
}

/// rms_norm: x * rsqrt(mean(x^2) + eps) * w over one token row.
void rmsNorm(KernelBuilder &k, int64_t width, double eps, int64_t threads) {
  normaliseRow(
      k, width, eps, threads, [&](Value i) { return k.load(k.memref(0), i); },
      k.memref(0), k.memref(2), k.memref(1));
}

/// add_rms_norm: sum = lhs + rhs (stored), then rms_norm(sum) over one
/// token row.
void addRmsNorm(KernelBuilder &k, int64_t width, double eps,
                int64_t threads) {
  normaliseRow(
      k, width, eps, threads,
      [&](Value i) {
        Value x = k.fadd(k.load(k.memref(0), i), k.load(k.memref(1), i));
        k.store(x, k.memref(2), i);
        return x;
      },
      k.memref(2), k.memref(4), k.memref(3));
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
  Value scale = k.rmsScale(k.blockSum(sum[0], threads), group, 1e-5);
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
  k.eachElement(outWidth, kThreads, [&](Value t, Value d) {
    Value src = k.add(k.mul(k.idx(group), k.div(d, k.idx(group * times))),
                      k.rem(d, k.idx(group)));
    Value v = k.load(k.memref(0), k.add(k.mul(t, k.idx(inWidth)), src));
    k.store(v, k.memref(1), k.add(k.mul(t, k.idx(outWidth)), d));
  });
}
/// Threads of a block that normalises a row of `width`: about four
/// columns each (a thread's loads are sequential), at most 1024.
int64_t normThreads(int64_t width) {
  return std::max<int64_t>(32, powerOfTwoAtMost((width + 3) / 4, 1024));
}
} // namespace

KernelSpecs codegen::emitRowKernels(Operation *op, StringRef name,
                                    gpu::GPUModuleOp module) {
  std::vector<GpuKernelSpec> specs;
  if (auto o = dyn_cast<kern::RMSNormOp>(op)) {
    int64_t threads = normThreads(widthOf(o.getIn()));
    buildKernel(module, name, 3, false, threads, [&](KernelBuilder &k) {
      rmsNorm(k, widthOf(o.getIn()), o.getEps().convertToDouble(), threads);
    });
    specs.push_back(perToken(name.str(), 1, threads, threads));
  } else if (auto o = dyn_cast<kern::AddRMSNormOp>(op)) {
    int64_t threads = normThreads(widthOf(o.getLhs()));
    buildKernel(module, name, 5, false, threads, [&](KernelBuilder &k) {
      addRmsNorm(k, widthOf(o.getLhs()), o.getEps().convertToDouble(),
                 threads);
    });
    specs.push_back(perToken(name.str(), 1, threads, threads));
  } else if (auto o = dyn_cast<kern::AddOp>(op)) {
    buildKernel(module, name, 3, false, 0, [&](KernelBuilder &k) {
      binary(k, widthOf(o.getOut()),
             [&](Value a, Value b) { return k.fadd(a, b); });
    });
    specs.push_back(perElement(name.str(), widthOf(o.getOut())));
  } else if (auto o = dyn_cast<kern::SwiGLUOp>(op)) {
    buildKernel(module, name, 3, false, 0, [&](KernelBuilder &k) {
      binary(k, widthOf(o.getOut()),
             [&](Value g, Value u) { return k.fmul(k.silu(g), u); });
    });
    specs.push_back(perElement(name.str(), widthOf(o.getOut())));
  } else if (auto o = dyn_cast<kern::GatedRMSNormOp>(op)) {
    int64_t width = widthOf(o.getY()), group = o.getGroup();
    int64_t threads = powerOfTwoAtMost(group, kThreads);
    buildKernel(module, name, 4, false, threads, [&](KernelBuilder &k) {
      gatedRmsNorm(k, width, group, threads);
    });
    specs.push_back(perToken(name.str(), width / group, threads, threads));
  } else if (auto o = dyn_cast<kern::RepeatGroupsOp>(op)) {
    buildKernel(module, name, 2, false, 0, [&](KernelBuilder &k) {
      repeatGroups(k, widthOf(o.getIn()), o.getGroup(), o.getTimes());
    });
    specs.push_back(
        perElement(name.str(), widthOf(o.getIn()) * o.getTimes()));
  }
  return specs;
}
