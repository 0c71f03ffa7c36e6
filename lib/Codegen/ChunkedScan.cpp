//===- ChunkedScan.cpp - The f32 chunked Mamba-2 prefill scan -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The Mamba-2 prefill scan in three launches over chunks of kSsmScanChunk
// tokens (the ops without `bf16_inputs`, and shapes the tensor-core SSD of
// SsdScan.cpp does not take): each chunk's state from a zero state, the
// states passed from chunk to chunk, then each chunk's outputs from the
// state it starts from. f32 throughout.
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

namespace {

/// How the chunked Mamba-2 prefill scan spreads a head over threads: a
/// block per (chunk of kSsmScanChunk tokens, head, slice of `rows` state
/// rows). Each thread holds a register tile of the state: `rowsPerThread`
/// rows by `perThread` of the dState columns, in runs of `vec` contiguous
/// columns; `splits` adjacent threads share the rows. Shared memory holds
/// one tile of kTile tokens at a time: B, C, the slice's x, delta, decay.
/// Every B and C value a thread reads from shared memory serves
/// rowsPerThread state values: shared-memory bandwidth, not arithmetic,
/// is what bounds the scan with a row per thread.
struct ChunkedScan : ScanShape {
  static constexpr int64_t kTile = 32;
  /// The state columns a thread holds when d_state allows.
  static constexpr int64_t kColumnsPerThread = 16;
  /// Rows per thread when there are enough rows for a warp.
  static constexpr int64_t kRowsPerThread = 4;
  /// Threads per block that slicing the rows aims at.
  static constexpr int64_t kTargetThreads = 128;

  int64_t splits = 1, perThread, vec, rowsPerThread = 1, rows, slices;
  /// x, B and C rounded to bf16 as they are staged (shapes the tensor-core
  /// SSD does not take).
  bool bf16Inputs = false;

  static ChunkedScan of(int64_t heads, int64_t groups, int64_t headDim,
                        int64_t dState) {
    ChunkedScan s{{heads, groups, headDim, dState}};
    // Columns are split in runs of 4 among threads of one warp (they add
    // their parts of y with shuffles).
    while (dState / s.splits > kColumnsPerThread && s.splits < 32 &&
           dState % (8 * s.splits) == 0)
      s.splits *= 2;
    s.perThread = dState / s.splits;
    s.vec = s.perThread % 4 == 0 ? 4 : 1;
    if (headDim % kRowsPerThread == 0 &&
        headDim / kRowsPerThread * s.splits >= 32)
      s.rowsPerThread = kRowsPerThread;
    // Whole warps when threads shuffle; no more than 1024 threads.
    auto fits = [&](int64_t rows) {
      int64_t threads = rows / s.rowsPerThread * s.splits;
      return threads <= 1024 && (s.splits == 1 || threads % 32 == 0);
    };
    if (!fits(headDim)) { // a head too wide or too narrow to split: unsplit
      s.splits = 1;
      s.perThread = dState;
      s.vec = dState % 4 == 0 ? 4 : 1;
      s.rowsPerThread = 1;
    }
    s.rows = headDim;
    while (s.rows / s.rowsPerThread * s.splits > kTargetThreads &&
           s.rows % (2 * s.rowsPerThread) == 0 && fits(s.rows / 2))
      s.rows /= 2;
    while (!fits(s.rows) || headDim % s.rows != 0) // over 1024 rows
      --s.rows;
    s.slices = headDim / s.rows;
    return s;
  }
  int64_t threads() const { return rows / rowsPerThread * splits; }
  int64_t runs() const { return perThread / vec; }
  int64_t stateFloats() const { return heads * headDim * dState; }
  int64_t chunkFloats() const {
    return mlrt::ssmScanChunkFloats(heads, headDim, dState);
  }
  // The shared tile, in floats: B, C (kTile x dState), x (kTile x rows),
  // delta, decay (kTile). Every part starts 16-byte aligned.
  int64_t sharedB() const { return 0; }
  int64_t sharedC() const { return kTile * dState; }
  int64_t sharedX() const { return 2 * kTile * dState; }
  int64_t sharedDelta() const { return sharedX() + kTile * rows; }
  int64_t sharedDecay() const { return sharedDelta() + kTile; }
  int64_t sharedFloats() const { return sharedDecay() + kTile; }
};

Value ceilDiv(KernelBuilder &k, Value a, int64_t b) {
  return k.div(k.add(a, k.idx(b - 1)), k.idx(b));
}

Value fma(KernelBuilder &k, Value a, Value b, Value c) {
  return math::FmaOp::create(k.b(), a, b, c);
}

/// `count` floats at memref[at]: one 16-byte vector load when count is 4
/// (`at` must then be a multiple of 4 floats from a 16-byte aligned base).
SmallVector<Value> loadRun(KernelBuilder &k, Value memref, Value at,
                           int64_t count) {
  if (count == 4)
    return k.loadFloats(memref, at, count);
  SmallVector<Value> out;
  for (int64_t e = 0; e < count; ++e)
    out.push_back(k.load(memref, k.add(at, k.idx(e))));
  return out;
}

/// The store of loadRun.
void storeRun(KernelBuilder &k, ValueRange values, Value memref, Value at) {
  if (values.size() == 4)
    return k.storeFloats(values, memref, at);
  for (size_t e = 0; e < values.size(); ++e)
    k.store(values[e], memref, k.add(at, k.idx(e)));
}

/// A thread's place in the block-stride loop over (chunk, head, slice) of
/// the chunked scan, and the values of its head. The thread's state tile is
/// indexed [i][run][e] (row i, column run * vec + e of its own).
struct ScanItem {
  Value chunk, head, group, first, count; ///< tokens [first, first + count)
  Value firstRow;                         ///< of the slice
  Value localRow; ///< the thread's first row, within the slice
  Value split;    ///< which of the threads sharing the rows
  Value a, bias;  ///< -exp(A_log), dt bias

  /// The thread's row i within the head.
  Value row(KernelBuilder &k, int64_t i) const {
    return k.add(firstRow, k.add(localRow, k.idx(i)));
  }
  /// The first state column of the thread's run `r`.
  Value column(KernelBuilder &k, const ChunkedScan &s, int64_t r) const {
    return k.add(k.idx(r * s.vec * s.splits), k.mul(split, k.idx(s.vec)));
  }
  /// The workspace index of the thread's run `r` of row i.
  Value stateAt(KernelBuilder &k, const ChunkedScan &s, int64_t i,
                int64_t r) const {
    Value base = k.add(k.mul(chunk, k.idx(s.chunkFloats())),
                       k.mul(k.add(k.mul(head, k.idx(s.headDim)), row(k, i)),
                             k.idx(s.dState)));
    return k.add(base, column(k, s, r));
  }
};

/// Runs body(item) for every (chunk, head, slice) this block covers.
void forEachChunk(KernelBuilder &k, const ChunkedScan &s,
                  const std::function<void(const ScanItem &)> &body) {
  ImplicitLocOpBuilder &b = k.b();
  Value grid = gpu::GridDimOp::create(b, gpu::Dimension::x);
  Value chunks = ceilDiv(k, k.tokens(), mlrt::kSsmScanChunk);
  Value items = k.mul(chunks, k.idx(s.heads * s.slices));
  k.loop(k.blockId(), items, grid, [&](Value item) {
    ScanItem it;
    Value slice = k.rem(item, k.idx(s.slices));
    Value rest = k.div(item, k.idx(s.slices));
    it.head = k.rem(rest, k.idx(s.heads));
    it.chunk = k.div(rest, k.idx(s.heads));
    it.group = k.div(it.head, k.idx(s.heads / s.groups));
    it.first = k.mul(it.chunk, k.idx(mlrt::kSsmScanChunk));
    it.count =
        k.minIndex(k.idx(mlrt::kSsmScanChunk), k.sub(k.tokens(), it.first));
    it.firstRow = k.mul(slice, k.idx(s.rows));
    it.localRow =
        k.mul(k.div(k.threadId(), k.idx(s.splits)), k.idx(s.rowsPerThread));
    it.split = k.rem(k.threadId(), k.idx(s.splits));
    it.a = arith::NegFOp::create(b, k.exp(k.load(k.memref(ALog), it.head)));
    it.bias = k.load(k.memref(DtBias), it.head);
    body(it);
  });
}

/// Stages tokens [start, start + kTile) of the item into shared memory: B
/// of its group, C of its head (when `withC`), x of its rows, delta and
/// the decay exp(delta * A). Rows past the tokens repeat the last token;
/// they are never read. Barriers on both sides.
void stageTile(KernelBuilder &k, const ChunkedScan &s, const ScanItem &it,
               Value shared, Value start, bool withC) {
  const int64_t tile = ChunkedScan::kTile, n = s.dState;
  ImplicitLocOpBuilder &b = k.b();
  Value last = k.sub(k.tokens(), k.idx(1));
  auto token = [&](Value r) { return k.minIndex(k.add(start, r), last); };
  auto input = [&](Value at) {
    Value v = k.load(k.memref(Xbc), at);
    return s.bf16Inputs ? k.widen(k.narrow(v, b.getBF16Type())) : v;
  };
  gpu::BarrierOp::create(b); // the previous tile's readers are done
  k.strided(k.idx(tile * n), s.threads(), [&](Value i) {
    Value r = k.div(i, k.idx(n)), col = k.rem(i, k.idx(n));
    Value row = k.mul(token(r), k.idx(s.xbcWidth()));
    Value bAt = k.add(
        row, k.add(k.idx(s.bOffset()), k.add(k.mul(it.group, k.idx(n)), col)));
    k.store(input(bAt), shared, k.add(k.idx(s.sharedB()), i));
    if (withC) {
      Value cAt = k.add(
          row, k.add(k.idx(s.cOffset()), k.add(k.mul(it.head, k.idx(n)), col)));
      k.store(input(cAt), shared, k.add(k.idx(s.sharedC()), i));
    }
  });
  k.strided(k.idx(tile * s.rows), s.threads(), [&](Value i) {
    Value r = k.div(i, k.idx(s.rows)), q = k.rem(i, k.idx(s.rows));
    Value at =
        k.add(k.mul(token(r), k.idx(s.xbcWidth())),
              k.add(k.mul(it.group, k.idx(s.headDim)), k.add(it.firstRow, q)));
    k.store(input(at), shared, k.add(k.idx(s.sharedX()), i));
  });
  k.strided(k.idx(tile), s.threads(), [&](Value r) {
    Value dt =
        k.load(k.memref(Dt), k.add(k.mul(token(r), k.idx(s.heads)), it.head));
    Value delta = k.softplus(k.fadd(dt, it.bias));
    k.store(delta, shared, k.add(k.idx(s.sharedDelta()), r));
    k.store(k.exp(k.fmul(delta, it.a)), shared,
            k.add(k.idx(s.sharedDecay()), r));
  });
  gpu::BarrierOp::create(b);
}

/// The x of the thread's rows at token r of the staged tile.
SmallVector<Value> stagedX(KernelBuilder &k, const ChunkedScan &s,
                           const ScanItem &it, Value shared, Value r) {
  Value at =
      k.add(k.idx(s.sharedX()), k.add(k.mul(r, k.idx(s.rows)), it.localRow));
  return loadRun(k, shared, at, s.rowsPerThread);
}

/// Chunked scan, pass 1: each chunk's state from a zero state, and its
/// decay. Walking the chunk backwards, token t adds delta_t x_t B_t^T
/// scaled by exp(A * the deltas after it) (paper_spec section 7: the
/// recurrence unrolled), one FMA per state value and token.
void ssmChunkStates(KernelBuilder &k, const ChunkedScan &s) {
  const int64_t tile = ChunkedScan::kTile,
                tileValues = s.rowsPerThread * s.perThread;
  Value shared = k.dynamicSharedFloats(s.sharedFloats());
  forEachChunk(k, s, [&](const ScanItem &it) {
    Value tiles = ceilDiv(k, it.count, tile);
    SmallVector<Value> init(tileValues, k.f32(0));
    init.push_back(k.f32(0)); // the deltas after the current token
    auto acc = k.loop(
        k.idx(0), tiles, k.idx(1), init, [&](Value q, ValueRange carried) {
          Value index = k.sub(k.sub(tiles, k.idx(1)), q);
          Value offset = k.mul(index, k.idx(tile));
          Value length = k.minIndex(k.idx(tile), k.sub(it.count, offset));
          stageTile(k, s, it, shared, k.add(it.first, offset), /*withC=*/false);
          return k.loop(
              k.idx(0), length, k.idx(1), carried,
              [&](Value i, ValueRange acc) {
                Value r = k.sub(k.sub(length, k.idx(1)), i);
                Value delta = k.load(shared, k.add(k.idx(s.sharedDelta()), r));
                Value suffix = acc.back();
                Value weight = k.fmul(delta, k.exp(k.fmul(it.a, suffix)));
                SmallVector<Value> u;
                for (Value x : stagedX(k, s, it, shared, r))
                  u.push_back(k.fmul(weight, x));
                Value bRow =
                    k.add(k.idx(s.sharedB()), k.mul(r, k.idx(s.dState)));
                SmallVector<Value> next(acc.begin(), acc.end());
                for (int64_t run = 0; run < s.runs(); ++run) {
                  auto bs = loadRun(k, shared,
                                    k.add(bRow, it.column(k, s, run)), s.vec);
                  for (int64_t row = 0; row < s.rowsPerThread; ++row)
                    for (int64_t e = 0; e < s.vec; ++e) {
                      int64_t at = row * s.perThread + run * s.vec + e;
                      next[at] = fma(k, u[row], bs[e], acc[at]);
                    }
                }
                next.back() = k.fadd(suffix, delta);
                return next;
              });
        });
    for (int64_t row = 0; row < s.rowsPerThread; ++row)
      for (int64_t run = 0; run < s.runs(); ++run)
        storeRun(k,
                 ValueRange(acc).slice(row * s.perThread + run * s.vec, s.vec),
                 k.memref(Workspace), it.stateAt(k, s, row, run));
    k.when(arith::AndIOp::create(k.b(), k.eq(k.threadId(), k.idx(0)),
                                 k.eq(it.firstRow, k.idx(0))),
           [&] {
             Value at = k.add(k.mul(it.chunk, k.idx(s.chunkFloats())),
                              k.add(k.idx(s.stateFloats()), it.head));
             k.store(k.exp(k.fmul(it.a, acc.back())), k.memref(Workspace), at);
           });
  });
}

/// Chunked scan, pass 2: one thread per state value walks the chunks,
/// replacing each chunk's local state in the workspace by the state the
/// chunk starts from (state_in(c + 1) = decay(c) state_in(c) + local(c)),
/// from the SSM state and back to it. Loads run kUnroll chunks ahead.
void ssmStatePassing(KernelBuilder &k, const ChunkedScan &s, Type stateType) {
  constexpr int64_t kUnroll = 8;
  ImplicitLocOpBuilder &b = k.b();
  Value e = k.add(k.mul(k.blockId(), k.idx(kThreads)), k.threadId());
  k.when(k.lt(e, k.idx(s.stateFloats())), [&] {
    Value head = k.div(e, k.idx(s.headDim * s.dState));
    Value chunks = ceilDiv(k, k.tokens(), mlrt::kSsmScanChunk);
    Value lastChunk = k.sub(chunks, k.idx(1));
    auto at = [&](Value c, Value offset) {
      return k.add(k.mul(c, k.idx(s.chunkFloats())), offset);
    };
    Value decayAt = k.add(k.idx(s.stateFloats()), head);
    auto state = k.loop(
        k.idx(0), chunks, k.idx(kUnroll), {k.widen(k.load(k.memref(State), e))},
        [&](Value first, ValueRange carried) {
          SmallVector<Value> local, decay;
          for (int64_t i = 0; i < kUnroll; ++i) {
            Value c = k.minIndex(k.add(first, k.idx(i)), lastChunk);
            local.push_back(k.load(k.memref(Workspace), at(c, e)));
            decay.push_back(k.load(k.memref(Workspace), at(c, decayAt)));
          }
          Value running = carried[0];
          for (int64_t i = 0; i < kUnroll; ++i) {
            Value c = k.add(first, k.idx(i));
            Value valid = k.lt(c, chunks);
            Value in = running;
            k.when(valid, [&] { k.store(in, k.memref(Workspace), at(c, e)); });
            running = arith::SelectOp::create(
                b, valid, fma(k, decay[i], in, local[i]), in);
          }
          return SmallVector<Value>{running};
        });
    k.store(k.narrow(state[0], stateType), k.memref(State), e);
  });
}

/// Chunked scan, pass 3: each chunk again from the state it starts from,
/// token by token with the state tile in registers, writing y = C_t . s_t
/// + D x_t. The threads sharing rows add their parts of C_t . s_t by
/// shuffles.
void ssmChunkScan(KernelBuilder &k, const ChunkedScan &s) {
  const int64_t tile = ChunkedScan::kTile, rowsPerThread = s.rowsPerThread;
  ImplicitLocOpBuilder &b = k.b();
  Value shared = k.dynamicSharedFloats(s.sharedFloats());
  forEachChunk(k, s, [&](const ScanItem &it) {
    Value skip = k.load(k.memref(Skip), it.head);
    SmallVector<Value> init;
    for (int64_t row = 0; row < rowsPerThread; ++row)
      for (int64_t run = 0; run < s.runs(); ++run)
        llvm::append_range(init, loadRun(k, k.memref(Workspace),
                                         it.stateAt(k, s, row, run), s.vec));
    Value tiles = ceilDiv(k, it.count, tile);
    k.loop(k.idx(0), tiles, k.idx(1), init, [&](Value q, ValueRange carried) {
      Value offset = k.mul(q, k.idx(tile));
      Value start = k.add(it.first, offset);
      Value length = k.minIndex(k.idx(tile), k.sub(it.count, offset));
      stageTile(k, s, it, shared, start, /*withC=*/true);
      return k.loop(
          k.idx(0), length, k.idx(1), carried, [&](Value r, ValueRange state) {
            Value decay = k.load(shared, k.add(k.idx(s.sharedDecay()), r));
            Value delta = k.load(shared, k.add(k.idx(s.sharedDelta()), r));
            SmallVector<Value> x = stagedX(k, s, it, shared, r), dx, y;
            for (Value v : x) {
              dx.push_back(k.fmul(delta, v));
              y.push_back(k.f32(0));
            }
            Value bRow = k.add(k.idx(s.sharedB()), k.mul(r, k.idx(s.dState)));
            Value cRow = k.add(k.idx(s.sharedC()), k.mul(r, k.idx(s.dState)));
            SmallVector<Value> next(state.begin(), state.end());
            for (int64_t run = 0; run < s.runs(); ++run) {
              Value column = it.column(k, s, run);
              auto bs = loadRun(k, shared, k.add(bRow, column), s.vec);
              auto cs = loadRun(k, shared, k.add(cRow, column), s.vec);
              for (int64_t row = 0; row < rowsPerThread; ++row)
                for (int64_t e = 0; e < s.vec; ++e) {
                  int64_t at = row * s.perThread + run * s.vec + e;
                  next[at] = fma(k, decay, state[at], k.fmul(dx[row], bs[e]));
                  y[row] = fma(k, next[at], cs[e], y[row]);
                }
            }
            for (int64_t row = 0; row < rowsPerThread; ++row)
              for (int32_t offset = 1; offset < s.splits; offset *= 2)
                y[row] =
                    k.fadd(y[row], gpu::ShuffleOp::create(b, y[row], offset, 32,
                                                          gpu::ShuffleMode::XOR)
                                       .getShuffleResult());
            k.when(k.eq(it.split, k.idx(0)), [&] {
              Value at =
                  k.add(k.mul(k.add(start, r), k.idx(s.heads * s.headDim)),
                        k.mul(it.head, k.idx(s.headDim)));
              for (int64_t row = 0; row < rowsPerThread; ++row)
                k.store(fma(k, skip, x[row], y[row]), k.memref(Y),
                        k.add(at, it.row(k, row)));
            });
            return next;
          });
    });
  });
}

} // namespace

std::vector<GpuKernelSpec>
codegen::emitChunkedScan(gpu::GPUModuleOp module, StringRef name,
                         const ScanShape &shape, bool bf16Inputs,
                         Type stateType) {
  ChunkedScan s =
      ChunkedScan::of(shape.heads, shape.groups, shape.headDim, shape.dState);
  s.bf16Inputs = bf16Inputs;
  SmallVector<Type> args =
      memrefTypes(module.getContext(), kScanArgs, State, stateType);
  std::string states = name.str() + "_states",
              passing = name.str() + "_passing";
  buildKernel(module, states, args, false, 0,
              [&](KernelBuilder &k) { ssmChunkStates(k, s); });
  buildKernel(module, passing, args, false, 0, [&](KernelBuilder &k) {
    ssmStatePassing(k, s, stateType);
  });
  buildKernel(module, name, args, false, 0,
              [&](KernelBuilder &k) { ssmChunkScan(k, s); });
  // A block per token covers the (chunk, head, slice) items from
  // kSsmScanChunk / (heads * slices) tokens on; below, blocks loop.
  return {perToken(states, 1, s.threads(), s.sharedFloats()),
          fixedGrid(passing, (s.stateFloats() + kThreads - 1) / kThreads,
                    kThreads),
          perToken(name.str(), 1, s.threads(), s.sharedFloats())};
}
