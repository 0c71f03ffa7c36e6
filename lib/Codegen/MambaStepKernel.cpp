//===- MambaStepKernel.cpp - conv1d + Mamba-2 scan + gated norm -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The kern.mamba_step kernel: one block per Mamba group, not per head. The
// heads of a group share their x and B channels (MambaInLlama's GQA-style
// layout), and so the conv state of those channels: a block per head would
// have every head of the group shift the same state rows, racing with the
// heads still reading them, and blocks cannot wait for each other. A block
// owning the whole group reads and updates each conv state row once. The
// norm groups (one head's channels in every lowering) must not straddle
// two Mamba groups; the block's rows then hold whole norm groups.
//
// Per token: (1) conv + SiLU of the group's x, B and C channels into shared
// memory, shifting their conv state; (2) each state row (head,
// p) updates its d_state values and reduces y, gates it with silu(z) and
// keeps it in shared memory with its square (a warp per row, its lanes over
// d_state, so state traffic is coalesced); (3) a tree sum of the squares
// per norm group; (4) the normalised rows.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// The kernel's memref arguments: the op's buffers, weights, then states.
enum Arg : unsigned {
  Xbc, Dt, Z, Out, ConvWeight, ConvBias, DtBias, ALog, D, Norm, ConvState,
  SSMState, NumArgs
};

/// The sizes the kernel is specialised to.
struct StepShape {
  int64_t heads, groups, headDim, dState, taps, normGroup;

  int64_t headsPerGroup() const { return heads / groups; }
  /// SSM state rows (and output channels) of one block.
  int64_t rows() const { return headsPerGroup() * headDim; }
  /// Conv channels of one block: its x, its B, the C of its heads.
  int64_t convChannels() const {
    return headDim + dState + headsPerGroup() * dState;
  }
  int64_t xbcWidth() const {
    return groups * headDim + groups * dState + heads * dState;
  }
  /// Shared floats: conv outputs, then the gated rows, then their squares.
  int64_t sharedFloats() const { return convChannels() + 2 * rows(); }
};

class MambaStepEmitter {
public:
  MambaStepEmitter(KernelBuilder &k, const StepShape &s, int64_t threads)
      : k(k), s(s), threads(threads), shared(k.sharedBuffer()),
        group(k.blockId()) {}

  void emit() {
    k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value t) {
      conv(t);
      barrier();
      scan(t);
      barrier();
      sumSquares();
      normalise(t);
      barrier(); // the next token overwrites the shared rows
    });
  }

private:
  Value sharedAt(int64_t base, Value i) { return k.add(k.idx(base), i); }
  void barrier() { gpu::BarrierOp::create(k.b()); }
  /// The output channel of the block's row r at token t.
  Value outIndex(Value t, Value r) {
    return k.add(k.mul(t, k.idx(s.heads * s.headDim)),
                 k.add(k.mul(group, k.idx(s.rows())), r));
  }

  /// Causal conv + SiLU of `count` channels from xbc channel `first` into
  /// shared slots from `slot`, taps oldest first as the CPU kernel adds
  /// them; each channel's state row shifts by one input.
  void convSpan(Value t, int64_t slot, Value first, int64_t count) {
    int64_t past = s.taps - 1;
    k.strided(k.idx(count), threads, [&](Value i) {
      Value c = k.add(first, i);
      Value x = k.load(k.memref(Xbc), k.add(k.mul(t, k.idx(s.xbcWidth())), c));
      Value taps = k.mul(c, k.idx(s.taps)), row = k.mul(c, k.idx(past));
      SmallVector<Value> history;
      for (int64_t j = 0; j < past; ++j)
        history.push_back(k.load(k.memref(ConvState), k.add(row, k.idx(j))));
      Value y = k.load(k.memref(ConvBias), c);
      for (int64_t j = 0; j < past; ++j)
        y = k.fadd(y, k.fmul(k.load(k.memref(ConvWeight),
                                    k.add(taps, k.idx(j))),
                             history[j]));
      y = k.fadd(y, k.fmul(k.load(k.memref(ConvWeight),
                                  k.add(taps, k.idx(past))),
                           x));
      k.store(k.silu(y), shared, sharedAt(slot, i));
      for (int64_t j = 0; j + 1 < past; ++j)
        k.store(history[j + 1], k.memref(ConvState), k.add(row, k.idx(j)));
      k.store(x, k.memref(ConvState), k.add(row, k.idx(past - 1)));
    });
  }

  void conv(Value t) {
    int64_t p = s.headDim, n = s.dState, g = s.groups;
    convSpan(t, 0, k.mul(group, k.idx(p)), p);
    convSpan(t, p, k.add(k.idx(g * p), k.mul(group, k.idx(n))), n);
    convSpan(t, p + n,
             k.add(k.idx(g * p + g * n),
                   k.mul(group, k.idx(s.headsPerGroup() * n))),
             s.headsPerGroup() * n);
  }

  /// Warp w takes rows r = w, w + warps, ... (r = (head of the group, p));
  /// its lanes split the row's d_state values, so the SSM state is read and
  /// written in coalesced runs; y = S C + D x is a shuffle sum, then lane 0
  /// keeps y * silu(z) and its square in shared memory.
  void scan(Value t) {
    int64_t p = s.headDim, n = s.dState;
    int64_t gated = s.convChannels(), squares = gated + s.rows();
    Value lane = k.rem(k.threadId(), k.idx(32));
    Value warp = k.div(k.threadId(), k.idx(32));
    k.loop(warp, k.idx(s.rows()), k.idx(threads / 32), [&](Value r) {
      Value local = k.div(r, k.idx(p)), channel = k.rem(r, k.idx(p));
      Value h = k.add(k.mul(group, k.idx(s.headsPerGroup())), local);
      Value a = arith::NegFOp::create(k.b(), k.exp(k.load(k.memref(ALog), h)));
      Value delta = k.softplus(
          k.fadd(k.load(k.memref(Dt), k.add(k.mul(t, k.idx(s.heads)), h)),
                 k.load(k.memref(DtBias), h)));
      Value decay = k.exp(k.fmul(delta, a));
      Value x = k.load(shared, channel);
      Value dx = k.fmul(delta, x);
      Value stateRow = k.mul(k.add(k.mul(h, k.idx(p)), channel), k.idx(n));
      Value cBase = k.add(k.idx(p + n), k.mul(local, k.idx(n)));
      auto y = k.loop(
          lane, k.idx(n), k.idx(32), {k.f32(0)},
          [&](Value i, ValueRange acc) {
            Value at = k.add(stateRow, i);
            Value state = k.fadd(
                k.fmul(decay, k.load(k.memref(SSMState), at)),
                k.fmul(dx, k.load(shared, sharedAt(p, i))));
            k.store(state, k.memref(SSMState), at);
            return SmallVector<Value>{k.fadd(
                acc[0], k.fmul(state, k.load(shared, k.add(cBase, i))))};
          });
      Value sum = k.warpSum(y[0]);
      k.when(arith::CmpIOp::create(k.b(), arith::CmpIPredicate::eq, lane,
                                   k.idx(0)),
             [&] {
               Value out = k.fadd(sum, k.fmul(k.load(k.memref(D), h), x));
               Value v = k.fmul(
                   out, k.silu(k.load(k.memref(Z), outIndex(t, r))));
               k.store(v, shared, sharedAt(gated, r));
               k.store(k.fmul(v, v), shared, sharedAt(squares, r));
             });
    });
  }

  /// Tree sum of the squares within each norm group into its first row:
  /// at each step row j < half of a group adds row j + half when that row
  /// is in the group (any group size).
  void sumSquares() {
    int64_t squares = s.convChannels() + s.rows(), size = s.normGroup;
    for (int64_t half = int64_t(llvm::PowerOf2Ceil(size)) / 2; half > 0;
         half /= 2) {
      int64_t adders = std::min(half, size - half);
      k.strided(k.idx(s.rows()), threads, [&](Value r) {
        k.when(k.lt(k.rem(r, k.idx(size)), k.idx(adders)), [&] {
          Value at = sharedAt(squares, r);
          Value other = k.load(shared, k.add(at, k.idx(half)));
          k.store(k.fadd(k.load(shared, at), other), shared, at);
        });
      });
      barrier();
    }
  }

  /// out = weight * g * rsqrt(mean(g^2) + 1e-5) per norm group.
  void normalise(Value t) {
    int64_t gated = s.convChannels(), squares = gated + s.rows();
    int64_t size = s.normGroup;
    k.strided(k.idx(s.rows()), threads, [&](Value r) {
      Value first = k.mul(k.div(r, k.idx(size)), k.idx(size));
      Value mean = k.fdiv(k.load(shared, sharedAt(squares, first)),
                          k.f32(double(size)));
      Value scale = k.fdiv(k.f32(1.0), math::SqrtOp::create(
                                           k.b(), k.fadd(mean, k.f32(1e-5))));
      Value w = k.load(k.memref(Norm),
                       k.add(k.mul(group, k.idx(s.rows())), r));
      Value v = k.load(shared, sharedAt(gated, r));
      k.store(k.fmul(w, k.fmul(v, scale)), k.memref(Out), outIndex(t, r));
    });
  }

  KernelBuilder &k;
  const StepShape &s;
  int64_t threads;
  Value shared, group;
};

} // namespace

KernelSpecs codegen::emitMambaStepKernel(kern::MambaStepOp op, StringRef name,
                                         gpu::GPUModuleOp module) {
  int64_t heads = op.getHeads();
  StepShape s{heads,
              static_cast<int64_t>(op.getGroups()),
              widthOf(op.getOut()) / heads,
              static_cast<int64_t>(op.getDState()),
              weightType(op, op.getConvWeightAttr()).getNumElements() /
                  widthOf(op.getXbc()),
              static_cast<int64_t>(op.getGroup())};
  if (s.rows() % s.normGroup != 0)
    return mlrt::Error() << "ml-compile: the CUDA mamba_step kernel needs "
                            "norm groups within one Mamba group's "
                         << s.rows() << " channels, found groups of "
                         << s.normGroup;
  // Static shared memory stops at 48 KiB.
  if (s.sharedFloats() * 4 > 48 * 1024)
    return mlrt::Error() << "ml-compile: the CUDA mamba_step kernel needs "
                         << s.sharedFloats() * 4
                         << " bytes of shared memory, more than 48 KiB";
  int64_t threads =
      std::min<int64_t>(llvm::alignTo(std::max(s.rows(), s.convChannels()), 32),
                        1024);
  buildKernel(module, name, NumArgs, false, s.sharedFloats(),
              [&](KernelBuilder &k) { MambaStepEmitter(k, s, threads).emit(); });
  return std::vector<GpuKernelSpec>{
      fixedGrid(name.str(), s.groups, threads, s.sharedFloats())};
}
