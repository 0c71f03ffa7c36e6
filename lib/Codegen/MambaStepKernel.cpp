//===- MambaStepKernel.cpp - conv1d + Mamba-2 scan + gated norm -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The kern.mamba_step kernels, two launches per step:
//  1. `<name>_conv`: the conv update + SiLU of every [x|B|C] channel, a
//     thread per channel, written over xbc (the op clobbers it). The heads
//     of a Mamba group share their x and B channels and so those channels'
//     conv state; a kernel of its own updates each state row once, where
//     blocks per head would race on the shared rows.
//  2. the scan: `slices` blocks per head (and per sequence, blockIdx.y),
//     each a slice of the head's state rows, do the state update,
//     y = S C + D x, the gate y * silu(z) and the RMSNorm of the norm
//     groups, which lie within the head (kern-fuse-mamba-step fuses only
//     then). It comes in tiers (mlrt::mambaStepScanName): the first slices
//     a head so that one sequence is streamed by about kStepBlocks blocks,
//     each next tier over half as many, down to one block a head, and the
//     runtime steps 2^i sequences with tier i (mlrt::mambaStepTier). At 8B
//     shapes one sequence takes 8 slices of 16 rows: 4.1 us for 4 MiB of f32
//     state where a block per head took 8.5, but 16 sequences take 24 us
//     with 4 slices and 14.7 with one (bench/RESULTS.md). A norm group
//     wider than a slice spans a cluster of blocks (sm_90+), which add
//     their partial sums of squares through distributed shared memory.
// In block 2, x (the slice's rows), B and C of the head are staged in
// shared memory; each warp takes rows p = warp, warp + warps, ... of the
// slice, its lanes split the row's d_state values in 16-byte runs, so state
// traffic is coalesced, and a warp's rows are unrolled in groups of four
// whose state loads are all in flight at once (a warp per row and a loop
// over columns left the step latency-bound at 40% of copy bandwidth); y is
// a shuffle sum; the sum of the squares per norm group (a tree, or warp 0's
// loop and shuffles where the group spans the cluster) precedes the
// normalised rows. The state update rounds as the CPU's does:
// s * decay + (delta B) * x.
//
// Several sequences (a y grid of B blocks): row t of sequence s is row
// s * tokens + t of each buffer, and each sequence's conv and SSM states
// follow the previous one's: a batched decode step of the runtime, or
// bench/kernels/ssm_step_bench.py.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlrt/GpuConventions.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {

/// The kernels' memref arguments: the op's buffers, weights, then states.
enum Arg : unsigned {
  Xbc, Dt, Z, Out, ConvWeight, ConvBias, DtBias, ALog, D, Norm, ConvState,
  SSMState, NumArgs
};

/// Warps of a scan block, and the blocks an SM holds (launch bounds). Small
/// blocks, many resident: at MambaInLlama-8B shapes (heads of 128 x 128)
/// 8 warps and 4 blocks an SM stream the state at 81-88% of copy bandwidth
/// for 64-256 sequences, where 32-warp blocks (one an SM) reached 59-63%;
/// one sequence takes 8.5 us instead of 5.5 (bench/RESULTS.md).
constexpr int64_t kScanWarps = 8;
constexpr int64_t kScanBlocksPerSM = 4;
/// Blocks a sequence's scan aims for (about two a Hopper SM: at 8B shapes
/// 256 blocks beat 128 for 1, 2 and 4 sequences), and the most blocks a
/// head is sliced into (the portable cluster size).
constexpr int64_t kStepBlocks = 256;
constexpr int64_t kMaxSlices = 8;

/// The sizes the kernels are specialised to.
struct StepShape {
  int64_t heads, groups, headDim, dState, taps, normGroup;
  /// The SSM state's element type (f32 or bf16; math is f32).
  Type stateType;
  /// Blocks per head, each owning rowsPerBlock() consecutive state rows.
  int64_t slices = 1;

  int64_t rowsPerBlock() const { return headDim / slices; }
  /// Blocks whose partial sums of squares make one norm group's: a
  /// cluster when above one.
  int64_t normSpan() const {
    return std::max<int64_t>(1, normGroup / rowsPerBlock());
  }

  int64_t headsPerGroup() const { return heads / groups; }
  int64_t xbcWidth() const {
    return groups * headDim + groups * dState + heads * dState;
  }
  /// Shared floats of the scan block: x, B, C of its head, then the gated
  /// rows and their squares.
  int64_t sharedFloats() const { return 2 * dState + 3 * headDim; }
  /// Warps of the scan block: the most, up to kScanWarps, that divide the
  /// block's state rows (a power of two).
  int64_t warps() const {
    int64_t w = kScanWarps;
    while (rowsPerBlock() % w != 0)
      w /= 2;
    return w;
  }
  int64_t threads() const { return warps() * 32; }
};

class MambaScanEmitter {
public:
  MambaScanEmitter(KernelBuilder &k, const StepShape &s)
      : k(k), s(s), threads(s.threads()), shared(k.sharedBuffer()),
        head(k.div(k.blockId(), k.idx(s.slices))), seq(k.sequence()),
        group(k.div(head, k.idx(s.headsPerGroup()))),
        slice(k.rem(k.blockId(), k.idx(s.slices))),
        base(k.mul(slice, k.idx(s.rowsPerBlock()))) {}

  void emit() {
    // Four blocks an SM: while one is between barriers (staging, the norm)
    // the others have their state loads in flight.
    k.launchBounds(threads, kScanBlocksPerSM);
    if (s.normSpan() > 1)
      k.clusterOf(s.normSpan());
    k.loop(k.idx(0), k.tokens(), k.idx(1), [&](Value t) {
      Value row = k.add(k.mul(seq, k.tokens()), t);
      stage(row);
      barrier();
      scan(row);
      barrier();
      if (s.normSpan() > 1)
        sliceSquares();
      else
        sumSquares();
      normalise(row);
      // The next token overwrites the shared rows, which the cluster's
      // other blocks may still be reading.
      if (s.normSpan() > 1)
        k.clusterBarrier();
      else
        barrier();
    });
  }

private:
  // Shared memory: x [0, P), B [P, P + N), C [P + N, P + 2N), gated rows
  // from gated(), their squares from squares().
  int64_t gated() const { return s.headDim + 2 * s.dState; }
  int64_t squares() const { return gated() + s.headDim; }
  Value sharedAt(int64_t base, Value i) { return k.add(k.idx(base), i); }
  void barrier() { gpu::BarrierOp::create(k.b()); }
  /// The head's output channel p of buffer row `row`.
  Value outIndex(Value row, Value p) {
    return k.add(k.mul(row, k.idx(s.heads * s.headDim)),
                 k.add(k.mul(head, k.idx(s.headDim)), p));
  }

  /// Copies `count` conv outputs from xbc channel `first` of `row` to the
  /// shared slots from `slot`.
  void stageSpan(Value row, Value slot, Value first, int64_t count) {
    Value base = k.add(k.mul(row, k.idx(s.xbcWidth())), first);
    k.strided(k.idx(count), threads, [&](Value i) {
      k.store(k.load(k.memref(Xbc), k.add(base, i)), shared, k.add(slot, i));
    });
  }

  void stage(Value row) {
    int64_t p = s.headDim, n = s.dState, g = s.groups;
    stageSpan(row, base, k.add(k.mul(group, k.idx(p)), base), s.rowsPerBlock());
    stageSpan(row, k.idx(p), k.add(k.idx(g * p), k.mul(group, k.idx(n))), n);
    stageSpan(row, k.idx(p + n),
              k.add(k.idx(g * p + g * n), k.mul(head, k.idx(n))), n);
  }

  /// Warp w updates the slice's state rows p = w, w + warps, ...; lane 0 keeps
  /// y * silu(z) and its square in shared memory.
  void scan(Value row) {
    int64_t p = s.headDim, n = s.dState;
    Value lane = k.rem(k.threadId(), k.idx(32));
    Value warp = k.div(k.threadId(), k.idx(32));
    Value a = arith::NegFOp::create(k.b(), k.exp(k.load(k.memref(ALog), head)));
    Value delta = k.softplus(
        k.fadd(k.load(k.memref(Dt), k.add(k.mul(row, k.idx(s.heads)), head)),
               k.load(k.memref(DtBias), head)));
    Value decay = k.exp(k.fmul(delta, a));
    Value headState = k.add(k.mul(seq, k.idx(s.heads * p * n)),
                            k.mul(head, k.idx(p * n)));
    // The first of the `lanes` lanes that hold a row: y = sum + D x, gated,
    // kept with its square.
    auto finish = [&](Value channel, Value x, Value partial, int64_t lanes) {
      Value sum = k.warpSum(partial, lanes);
      k.when(k.eq(k.rem(lane, k.idx(lanes)), k.idx(0)),
             [&] {
               Value out = k.fadd(sum, k.fmul(k.load(k.memref(D), head), x));
               Value v = k.fmul(
                   out, k.silu(k.load(k.memref(Z), outIndex(row, channel))));
               k.store(v, shared, sharedAt(gated(), channel));
               k.store(k.fmul(v, v), shared, sharedAt(squares(), channel));
             });
    };
    if (n % 32 == 0) {
      unrolledRows(lane, warp, delta, decay, headState, finish);
      return;
    }
    // d_state below 32 (test shapes): lanes past it idle.
    k.loop(
        k.add(base, warp), k.add(base, k.idx(s.rowsPerBlock())),
        k.idx(s.warps()), [&](Value channel) {
          Value x = k.load(shared, channel);
          Value stateRow = k.add(headState, k.mul(channel, k.idx(n)));
          auto y = k.loop(
              lane, k.idx(n), k.idx(32), {k.f32(0)},
              [&](Value i, ValueRange acc) {
                Value at = k.add(stateRow, i);
                Value dB = k.fmul(delta, k.load(shared, sharedAt(p, i)));
                Value state = k.fadd(
                    k.fmul(k.widen(k.load(k.memref(SSMState), at)), decay),
                    k.fmul(dB, x));
                k.store(k.narrow(state, s.stateType), k.memref(SSMState), at);
                return SmallVector<Value>{k.fadd(
                    acc[0], k.fmul(state, k.load(shared, sharedAt(p + n, i))))};
              });
          finish(channel, x, y[0], 32);
        });
  }

  /// The scan of d_state = 32 V k: each warp's rows in unrolled groups of
  /// up to four, each lane holding V consecutive state values per 32 V, so
  /// a group's state loads (4 x k 16-byte loads a lane at V = 4) are all
  /// issued before the first is used. A bf16 state is read 8 values (16
  /// bytes) a lane: with d_state / 8 lanes a row, a warp updates 32 / that
  /// many rows at once (d_state 128: two rows, 16 lanes each).
  void unrolledRows(Value lane, Value warp, Value delta, Value decay,
                    Value headState,
                    function_ref<void(Value, Value, Value, int64_t)> finish) {
    ImplicitLocOpBuilder &b = k.b();
    int64_t p = s.headDim, n = s.dState, rows = s.rowsPerBlock() / s.warps();
    int64_t lanesPerRow = 32, per = n / 32;
    int64_t v = per % 4 == 0 && p % 4 == 0 ? 4 : per % 2 == 0 && p % 2 == 0 ? 2
                                                                            : 1;
    if (s.stateType.isBF16() && n % 8 == 0 && n / 8 <= 32 &&
        rows % (32 / (n / 8)) == 0) {
      lanesPerRow = n / 8;
      per = v = 8;
    }
    // Rows a warp updates at once, which of them is this lane's, and the
    // lane's place in its row.
    int64_t together = 32 / lanesPerRow;
    Value mine = k.div(lane, k.idx(lanesPerRow));
    Value rowLane = k.rem(lane, k.idx(lanesPerRow));
    int64_t steps = per / v;
    auto vType = VectorType::get({v}, b.getF32Type());
    auto align = llvm::MaybeAlign(4 * v);
    auto load = [&](Value memref, Value at) {
      return vector::LoadOp::create(b, vType, memref, ValueRange{at}, false,
                                    align)
          .getResult();
    };
    // The state in its type: bf16 runs widen as they load and round as
    // they store.
    auto stateVector = VectorType::get({v}, s.stateType);
    auto stateAlign =
        llvm::MaybeAlign(v * s.stateType.getIntOrFloatBitWidth() / 8);
    auto loadState = [&](Value at) -> Value {
      Value run = vector::LoadOp::create(b, stateVector, k.memref(SSMState),
                                         ValueRange{at}, false, stateAlign);
      return s.stateType.isF32() ? run : arith::ExtFOp::create(b, vType, run);
    };
    auto storeState = [&](Value state, Value at) {
      if (!s.stateType.isF32())
        state = arith::TruncFOp::create(b, stateVector, state);
      vector::StoreOp::create(b, state, k.memref(SSMState), ValueRange{at},
                              false, stateAlign);
    };
    auto splat = [&](Value x) {
      return vector::BroadcastOp::create(b, vType, x).getResult();
    };
    // This lane's columns of step i, and delta B and C there.
    SmallVector<Value> column, dB, c;
    for (int64_t i = 0; i < steps; ++i) {
      column.push_back(
          k.add(k.mul(rowLane, k.idx(v)), k.idx(i * lanesPerRow * v)));
      dB.push_back(k.fmul(splat(delta), load(shared, sharedAt(p, column[i]))));
      c.push_back(load(shared, sharedAt(p + n, column[i])));
    }
    // Rows in groups of up to kRowsInFlight: a group's state loads are
    // all issued before its first update.
    int64_t slots = rows / together;
    int64_t group = slots % 4 == 0 ? 4 : slots % 2 == 0 ? 2 : 1;
    k.loop(k.idx(0), k.idx(slots / group), k.idx(1), [&](Value g) {
      SmallVector<Value> channels, stateAt, states;
      for (int64_t r = 0; r < group; ++r) {
        Value slot = k.add(k.mul(g, k.idx(group)), k.idx(r));
        channels.push_back(k.add(
            k.add(base, warp), k.mul(k.add(k.mul(slot, k.idx(together)), mine),
                                     k.idx(s.warps()))));
        Value stateRow = k.add(headState, k.mul(channels[r], k.idx(n)));
        for (int64_t i = 0; i < steps; ++i) {
          stateAt.push_back(k.add(stateRow, column[i]));
          states.push_back(loadState(stateAt.back()));
        }
      }
      for (int64_t r = 0; r < group; ++r) {
        Value x = k.load(shared, channels[r]);
        Value partial = k.f32(0);
        for (int64_t i = 0; i < steps; ++i) {
          int64_t at = r * steps + i;
          Value state = k.fadd(k.fmul(states[at], splat(decay)),
                               k.fmul(dB[i], splat(x)));
          storeState(state, stateAt[at]);
          partial = k.fadd(partial,
                           vector::ReductionOp::create(
                               b, vector::CombiningKind::ADD,
                               k.fmul(state, c[i])));
        }
        finish(channels[r], x, partial, lanesPerRow);
      }
    });
  }

  /// Tree sum of the squares within each norm group (or the slice's part
  /// of it) into its first row: at each step row j < half of a group adds
  /// row j + half when that row is in the group (any group size).
  void sumSquares() {
    int64_t size = std::min(s.normGroup, s.rowsPerBlock());
    for (int64_t half = int64_t(llvm::PowerOf2Ceil(size)) / 2; half > 0;
         half /= 2) {
      int64_t adders = std::min(half, size - half);
      k.strided(k.idx(s.rowsPerBlock()), threads, [&](Value r) {
        k.when(k.lt(k.rem(r, k.idx(size)), k.idx(adders)), [&] {
          Value at = k.add(sharedAt(squares(), base), r);
          Value other = k.load(shared, k.add(at, k.idx(half)));
          k.store(k.fadd(k.load(shared, at), other), shared, at);
        });
      });
      barrier();
    }
  }

  /// The sum of the slice's squares, whose rows all lie in one norm group
  /// spanning the cluster, into its first row: warp 0 adds them in a loop
  /// and by shuffles. The cluster barrier of clusterSquares(), a barrier of
  /// the block too, orders it before any read (where the tree of
  /// sumSquares() took a barrier a level).
  void sliceSquares() {
    Value lane = k.rem(k.threadId(), k.idx(32));
    Value warp = k.div(k.threadId(), k.idx(32));
    Value first = sharedAt(squares(), base);
    k.when(k.eq(warp, k.idx(0)), [&] {
      auto partial = k.loop(lane, k.idx(s.rowsPerBlock()), k.idx(32),
                            {k.f32(0)}, [&](Value r, ValueRange acc) {
                              return SmallVector<Value>{k.fadd(
                                  acc[0], k.load(shared, k.add(first, r)))};
                            });
      Value total = k.warpSum(partial[0]);
      k.when(k.eq(lane, k.idx(0)), [&] { k.store(total, shared, first); });
    });
  }

  /// The sum of squares of a norm group spanning the cluster: its blocks'
  /// partial sums, added in rank order (the same in every block).
  Value clusterSquares() {
    k.clusterBarrier();
    int64_t span = s.normSpan(), rows = s.rowsPerBlock();
    Value firstSlice = k.sub(slice, k.rem(slice, k.idx(span)));
    Value total;
    for (int64_t rank = 0; rank < span; ++rank) {
      // Rank r holds slice firstSlice + r, its sum at its first row.
      Value slot = sharedAt(squares(),
                            k.mul(k.add(firstSlice, k.idx(rank)), k.idx(rows)));
      Value partial = k.loadFromClusterBlock(slot, k.idx(rank));
      total = total ? k.fadd(total, partial) : partial;
    }
    return total;
  }

  /// out = weight * g * rsqrt(mean(g^2) + 1e-5) per norm group.
  void normalise(Value row) {
    int64_t size = s.normGroup;
    Value spanned = s.normSpan() > 1 ? clusterSquares() : Value();
    k.strided(k.idx(s.rowsPerBlock()), threads, [&](Value r) {
      Value channel = k.add(base, r);
      Value groupSquares =
          spanned ? spanned
                  : k.load(shared, sharedAt(squares(),
                                            k.mul(k.div(channel, k.idx(size)),
                                                  k.idx(size))));
      Value scale = k.rmsScale(groupSquares, size, 1e-5);
      Value w =
          k.load(k.memref(Norm), k.add(k.mul(head, k.idx(s.headDim)), channel));
      Value v = k.load(shared, sharedAt(gated(), channel));
      k.store(k.fmul(w, k.fmul(v, scale)), k.memref(Out),
              outIndex(row, channel));
    });
  }

  KernelBuilder &k;
  const StepShape &s;
  int64_t threads;
  Value shared, head, seq, group;
  /// The block's slice of its head and the slice's first state row.
  Value slice, base;
};

/// Blocks per head: doubled while a sequence has fewer than kStepBlocks,
/// the slices split the rows evenly, and each norm group lies within a
/// slice or (with clusters) spans whole slices.
int64_t slicesFor(const StepShape &s, const GpuTarget &target) {
  int64_t slices = 1;
  while (s.heads * slices < kStepBlocks && slices < kMaxSlices &&
         s.headDim % (2 * slices) == 0) {
    int64_t rows = s.headDim / (2 * slices);
    bool within = rows % s.normGroup == 0;
    bool spans = s.normGroup % rows == 0 && target.blockClusters();
    if (!within && !spans)
      break;
    slices *= 2;
  }
  return slices;
}

} // namespace

KernelSpecs codegen::emitMambaStepKernel(kern::MambaStepOp op, StringRef name,
                                         const GpuTarget &target,
                                         gpu::GPUModuleOp module) {
  int64_t heads = op.getHeads();
  StepShape s{heads,
              static_cast<int64_t>(op.getGroups()),
              widthOf(op.getOut()) / heads,
              static_cast<int64_t>(op.getDState()),
              weightType(op, op.getConvWeightAttr()).getNumElements() /
                  widthOf(op.getXbc()),
              static_cast<int64_t>(op.getGroup()),
              ssmStateType(op, op.getStateAttr())};
  if (s.headDim % s.normGroup != 0)
    return mlrt::Error() << "ml-compile: the CUDA mamba_step kernel needs "
                            "norm groups within one head's "
                         << s.headDim << " channels, found groups of "
                         << s.normGroup;
  // Static shared memory stops at 48 KiB.
  if (s.sharedFloats() * 4 > 48 * 1024)
    return mlrt::Error() << "ml-compile: the CUDA mamba_step kernel needs "
                         << s.sharedFloats() * 4
                         << " bytes of shared memory, more than 48 KiB";
  int64_t channels = s.xbcWidth();
  std::string conv = name.str() + "_conv";
  SmallVector<Type> args =
      memrefTypes(module.getContext(), NumArgs, SSMState, s.stateType);
  buildKernel(module, conv, args, false, 0, [&](KernelBuilder &k) {
    conv1d(k, Conv1dArgs{Xbc, Xbc, ConvWeight, ConvBias, ConvState}, channels,
           s.taps);
  });
  std::vector<GpuKernelSpec> specs{perSequence(
      fixedGrid(conv, (channels + kThreads - 1) / kThreads, kThreads))};
  // Halving the slices keeps each norm group within a slice or spanning
  // whole ones.
  for (s.slices = slicesFor(s, target); s.slices >= 1; s.slices /= 2) {
    std::string scan = mlrt::mambaStepScanName(name.str(), s.slices);
    buildKernel(module, scan, args, false, s.sharedFloats(),
                [&](KernelBuilder &k) { MambaScanEmitter(k, s).emit(); });
    specs.push_back(perSequence(
        fixedGrid(scan, s.heads * s.slices, s.threads(), s.sharedFloats())));
  }
  return specs;
}
