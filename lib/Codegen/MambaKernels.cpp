//===- MambaKernels.cpp - Causal conv1d and selective-scan kernels --------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "MambaScan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlrt/GpuConventions.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

/// Tokens whose inputs a conv1d thread loads at once.
constexpr int64_t kConvRun = 16;

void codegen::conv1d(KernelBuilder &k, const Conv1dArgs &a, int64_t channels,
                     int64_t width) {
  int64_t past = width - 1;
  Value c = k.add(k.mul(k.blockId(), k.idx(kThreads)), k.threadId());
  Value seq = k.sequence();
  Value rows = k.mul(k.mul(seq, k.tokens()), k.idx(channels));
  Value stateRow =
      k.add(k.mul(seq, k.idx(channels * past)), k.mul(c, k.idx(past)));
  k.when(k.lt(c, k.idx(channels)), [&] {
    SmallVector<Value> w, history;
    for (int64_t j = 0; j < width; ++j)
      w.push_back(
          k.load(k.memref(a.weight), k.add(k.mul(c, k.idx(width)), k.idx(j))));
    Value bias = k.load(k.memref(a.bias), c);
    for (int64_t j = 0; j < past; ++j)
      history.push_back(k.load(k.memref(a.state), k.add(stateRow, k.idx(j))));
    auto at = [&](Value t) {
      return k.add(rows, k.add(k.mul(t, k.idx(channels)), c));
    };
    // Token t's output from its input x and the `past` inputs before it;
    // returns the history after t.
    auto step = [&](Value t, Value x, ValueRange prev) {
      // Bias, then the taps oldest first (the CPU's order).
      Value y = bias;
      for (int64_t j = 0; j < past; ++j)
        y = k.fadd(y, k.fmul(w[j], prev[j]));
      y = k.fadd(y, k.fmul(w[past], x));
      k.store(k.silu(y), k.memref(a.out), at(t));
      SmallVector<Value> next(prev.begin() + 1, prev.end());
      next.push_back(x);
      return next;
    };
    // Runs of kConvRun tokens load their inputs before the first output is
    // written (a thread walks all tokens of its channel: the loads of a
    // run are in flight together), then the last tokens one at a time.
    Value runEnd = k.mul(k.div(k.tokens(), k.idx(kConvRun)), k.idx(kConvRun));
    auto runs = k.loop(k.idx(0), runEnd, k.idx(kConvRun), history,
                       [&](Value t0, ValueRange prev) {
                         SmallVector<Value> xs, h(prev.begin(), prev.end());
                         for (int64_t i = 0; i < kConvRun; ++i)
                           xs.push_back(
                               k.load(k.memref(a.in), at(k.add(t0, k.idx(i)))));
                         for (int64_t i = 0; i < kConvRun; ++i)
                           h = step(k.add(t0, k.idx(i)), xs[i], h);
                         return h;
                       });
    auto last = k.loop(runEnd, k.tokens(), k.idx(1), runs,
                       [&](Value t, ValueRange prev) {
                         return step(t, k.load(k.memref(a.in), at(t)), prev);
                       });
    for (int64_t j = 0; j < past; ++j)
      k.store(last[j], k.memref(a.state), k.add(stateRow, k.idx(j)));
  });
}

namespace {

/// Mamba-2 scan of step entries (@decode): one block per head (and
/// sequence), thread p owns state row p (d_state values in the SSM state
/// array). The workspace argument is the chunked scan's; unused here.
void ssmScanMamba2(KernelBuilder &k, int64_t heads, int64_t groups,
                   int64_t headDim, int64_t dState, Type stateType) {
  const ScanShape shape{heads, groups, headDim, dState};
  int64_t xbcWidth = shape.xbcWidth(), bOffset = shape.bOffset(),
          cOffset = shape.cOffset();
  Value h = k.blockId(), p = k.threadId();
  Value g = k.div(h, k.idx(heads / groups));
  Value a = arith::NegFOp::create(k.b(), k.exp(k.load(k.memref(4), h)));
  Value bias = k.load(k.memref(3), h), skip = k.load(k.memref(5), h);
  Value stateRow =
      k.add(k.mul(k.sequence(), k.idx(heads * headDim * dState)),
            k.mul(k.add(k.mul(h, k.idx(headDim)), p), k.idx(dState)));
  k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value token) {
    Value t = k.sequenceRow(token);
    Value row = k.mul(t, k.idx(xbcWidth));
    Value delta = k.softplus(
        k.fadd(k.load(k.memref(1), k.add(k.mul(t, k.idx(heads)), h)), bias));
    Value decay = k.exp(k.fmul(delta, a));
    Value x =
        k.load(k.memref(0), k.add(row, k.add(k.mul(g, k.idx(headDim)), p)));
    Value dx = k.fmul(delta, x);
    Value bRow = k.add(row, k.add(k.idx(bOffset), k.mul(g, k.idx(dState))));
    Value cRow = k.add(row, k.add(k.idx(cOffset), k.mul(h, k.idx(dState))));
    auto y = k.loop(
        k.idx(0), k.idx(dState), k.idx(1), {k.f32(0)},
        [&](Value n, ValueRange acc) {
          Value at = k.add(stateRow, n);
          Value s = k.fadd(k.fmul(decay, k.widen(k.load(k.memref(6), at))),
                           k.fmul(dx, k.load(k.memref(0), k.add(bRow, n))));
          k.store(k.narrow(s, stateType), k.memref(6), at);
          return SmallVector<Value>{
              k.fadd(acc[0], k.fmul(s, k.load(k.memref(0), k.add(cRow, n))))};
        });
    k.store(k.fadd(y[0], k.fmul(skip, x)), k.memref(2),
            k.add(k.mul(t, k.idx(heads * headDim)),
                  k.add(k.mul(h, k.idx(headDim)), p)));
  });
}

/// Mamba-1 scan: one thread per channel (and a y block per sequence), its
/// own A row, the double dt bias. Sequential over the tokens in every
/// entry, with the channel's A and state rows in registers: the state is
/// stored once, at the end (rounded there when it is bf16). The workspace
/// argument after the state is unused.
void ssmScanMamba1(KernelBuilder &k, int64_t heads, int64_t groups,
                   int64_t dState, Type stateType) {
  int64_t inner = heads * dState, bcWidth = groups * dState + heads * dState;
  Value ch = k.add(k.mul(k.blockId(), k.idx(kThreads)), k.threadId());
  k.when(k.lt(ch, k.idx(inner)), [&] {
    Value head = k.div(ch, k.idx(dState));
    Value g = k.div(head, k.idx(heads / groups));
    Value bias = k.fmul(k.f32(2.0), k.load(k.memref(4), ch));
    Value skip = k.load(k.memref(6), ch);
    Value aRow = k.mul(ch, k.idx(dState));
    Value stateRow = k.add(k.mul(k.sequence(), k.idx(inner * dState)), aRow);
    SmallVector<Value> a, initial;
    for (int64_t n = 0; n < dState; ++n) {
      a.push_back(arith::NegFOp::create(
          k.b(), k.exp(k.load(k.memref(5), k.add(aRow, k.idx(n))))));
      initial.push_back(
          k.widen(k.load(k.memref(7), k.add(stateRow, k.idx(n)))));
    }
    auto last = k.loop(
        k.idx(0), k.tokens(), k.idx(1), initial,
        [&](Value token, ValueRange state) {
          Value t = k.sequenceRow(token);
          Value u = k.load(k.memref(0), k.add(k.mul(t, k.idx(inner)), ch));
          Value delta = k.softplus(k.fadd(
              k.load(k.memref(2), k.add(k.mul(t, k.idx(inner)), ch)), bias));
          Value bRow = k.add(k.mul(t, k.idx(bcWidth)), k.mul(g, k.idx(dState)));
          Value cRow =
              k.add(k.mul(t, k.idx(bcWidth)),
                    k.add(k.idx(groups * dState), k.mul(head, k.idx(dState))));
          SmallVector<Value> next;
          Value y = k.f32(0);
          for (int64_t n = 0; n < dState; ++n) {
            Value b = k.load(k.memref(1), k.add(bRow, k.idx(n)));
            next.push_back(k.fadd(k.fmul(k.exp(k.fmul(delta, a[n])), state[n]),
                                  k.fmul(k.fmul(delta, b), u)));
            y = k.fadd(
                y, k.fmul(next[n], k.load(k.memref(1), k.add(cRow, k.idx(n)))));
          }
          k.store(k.fadd(y, k.fmul(skip, u)), k.memref(3),
                  k.add(k.mul(t, k.idx(inner)), ch));
          return next;
        });
    for (int64_t n = 0; n < dState; ++n)
      k.store(k.narrow(last[n], stateType), k.memref(7),
              k.add(stateRow, k.idx(n)));
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
                [&](KernelBuilder &k) {
                  conv1d(k, Conv1dArgs{0, 1, 2, 3, 4}, channels, width);
                });
    specs.push_back(perSequence(
        fixedGrid(name.str(), (channels + kThreads - 1) / kThreads, kThreads)));
  } else if (auto o = dyn_cast<kern::SSMScanOp>(op)) {
    int64_t heads = o.getHeads(), groups = o.getGroups(), n = o.getDState();
    Type stateType = ssmStateType(o, o.getStateAttr());
    SmallVector<Type> args =
        memrefTypes(module.getContext(), kScanArgs, State, stateType);
    if (o.getVariant() == llm::MambaVariant::Mamba1) {
      // One buffer more (bc) before the state.
      buildKernel(
          module, name,
          memrefTypes(module.getContext(), kScanArgs + 1, State + 1, stateType),
          false, 0, [&](KernelBuilder &k) {
            ssmScanMamba1(k, heads, groups, n, stateType);
          });
      specs.push_back(perSequence(fixedGrid(
          name.str(), (heads * n + kThreads - 1) / kThreads, kThreads)));
    } else {
      int64_t headDim = widthOf(o.getOut()) / heads;
      if (!o->getParentOfType<kern::EntryOp>().getStep()) {
        if (o.getBf16Inputs() && ssdScanApplies(heads, groups, headDim, n)) {
          specs.push_back(
              emitSsdScan(module, name, heads, groups, headDim, n, stateType));
          return specs;
        }
        return emitChunkedScan(module, name, {heads, groups, headDim, n},
                               o.getBf16Inputs(), stateType);
      }
      if (headDim > 1024)
        return mlrt::Error() << "ml-compile: the CUDA Mamba-2 scan needs a "
                                "head dim up to 1024, found "
                             << headDim;
      buildKernel(module, name, args, false, 0, [&](KernelBuilder &k) {
        ssmScanMamba2(k, heads, groups, headDim, n, stateType);
      });
      specs.push_back(perSequence(fixedGrid(name.str(), heads, headDim)));
    }
  }
  return specs;
}
