//===- MambaKernels.cpp - Causal conv1d and selective-scan kernels --------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

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

} // namespace

KernelSpecs codegen::emitMambaKernels(Operation *op, StringRef name,
                                      gpu::GPUModuleOp module) {
  std::vector<GpuKernelSpec> specs;
  if (auto o = dyn_cast<kern::Conv1dOp>(op)) {
    int64_t channels = widthOf(o.getIn());
    int64_t width =
        weightType(o, o.getWeightAttr()).getNumElements() / channels;
    buildKernel(module, name, 5, false, 0,
                [&](KernelBuilder &k) { conv1d(k, channels, width); });
    specs.push_back(
        fixedGrid(name.str(), (channels + kThreads - 1) / kThreads, kThreads));
  } else if (auto o = dyn_cast<kern::SSMScanOp>(op)) {
    int64_t heads = o.getHeads(), groups = o.getGroups(), n = o.getDState();
    if (o.getVariant() == llm::MambaVariant::Mamba1) {
      buildKernel(module, name, 8, false, 0, [&](KernelBuilder &k) {
        ssmScanMamba1(k, heads, groups, n);
      });
      specs.push_back(fixedGrid(name.str(), (heads * n + kThreads - 1) / kThreads,
                                kThreads));
    } else {
      int64_t headDim = widthOf(o.getOut()) / heads;
      if (headDim > 1024)
        return mlrt::Error() << "ml-compile: the CUDA Mamba-2 scan needs a "
                                "head dim up to 1024, found "
                             << headDim;
      buildKernel(module, name, 7, false, 0, [&](KernelBuilder &k) {
        ssmScanMamba2(k, heads, groups, headDim, n);
      });
      specs.push_back(fixedGrid(name.str(), heads, headDim));
    }
  }
  return specs;
}
