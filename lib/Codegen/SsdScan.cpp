//===- SsdScan.cpp - Tensor-core chunked Mamba-2 prefill scan -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The Mamba-2 scan of a prefill in SSD's matrix form (Dao & Gu, 2024) on
// bf16 mma.sync (TensorCore.h), for ssm_scan ops with `bf16_inputs`. A
// block of 4 warps per (sequence, head, 32 rows of the head's state) walks
// the chunks of 64 tokens in order with its slice of the state in
// registers, as f32 mma accumulators: no chunk's state goes to memory and
// one launch does the whole scan. With cum_t the sum of the deltas of the
// chunk up to token t:
//
//   y_t = exp(A cum_t) C_t S^T                          (the chunk's start)
//       + sum_{s <= t} (C_t . B_s) exp(A (cum_t - cum_s)) delta_s x_s
//       + D x_t
//   S  <- exp(A cum_end) S + sum_s delta_s exp(A (cum_end - cum_s)) x_s B_s^T
//
// Warp i computes the outputs of the chunk's tokens 16 i .. 16 i + 15 (its
// C rows are A fragments for both products, the state, B and x are B
// fragments); warp w updates state columns dState / 4 w on (with fewer
// token blocks than warps, warps split the rows instead). The chunk's f32
// x, B and C come by cp.async a chunk ahead (two stages); each chunk they
// are rounded once to bf16 rows, which ldmatrix reads, as is the state.
// x, B, C, the state in C_t S^T and the masked C B^T are bf16 (as in
// mamba_ssm's bf16 SSD); sums and the carried state are f32.
//
//===----------------------------------------------------------------------===//

#include "MambaScan.h"
#include "TensorCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
/// Tokens a chunk, state rows a block, warps a block. Measured at 8B shapes
/// (bench/RESULTS.md, session 8): chunks of 32 fit two blocks an SM and
/// match mamba_ssm at batch 8, but leave batch 1 (128 blocks) 20% slower;
/// 8 warps a block (two computing each C B^T) are 10% slower at both.
constexpr int64_t kChunk = 64, kRows = 32, kWarps = 4,
                  kSsdThreads = 32 * kWarps;

/// The shape of the scan and the byte layout of a block's shared memory:
/// two stages of f32 inputs (C, B, then the block's x columns, a row per
/// token), then the bf16 rows that ldmatrix reads (C, B, x, the weighted
/// x of the state update, the state), padded by 16 bytes so that the 8
/// rows of a matrix fall in distinct banks, then the deltas and their
/// running sums.
struct SsdLayout : ScanShape {
  int64_t slices() const { return headDim / kRows; }

  int64_t stageC() const { return 0; }
  int64_t stageB() const { return 4 * kChunk * dState; }
  int64_t stageX() const { return 8 * kChunk * dState; }
  int64_t stageBytes() const { return stageX() + 4 * kChunk * kRows; }
  int64_t wideRow() const { return 2 * (dState + 8); }
  int64_t narrowRow() const { return 2 * (kRows + 8); }
  int64_t roundedC() const { return 2 * stageBytes(); }
  int64_t roundedB() const { return roundedC() + kChunk * wideRow(); }
  int64_t roundedX() const { return roundedB() + kChunk * wideRow(); }
  int64_t weightedX() const { return roundedX() + kChunk * narrowRow(); }
  int64_t roundedS() const { return weightedX() + kChunk * narrowRow(); }
  int64_t deltas() const { return roundedS() + kRows * wideRow(); }
  int64_t cums() const { return deltas() + 4 * kChunk; }
  int64_t bytes() const { return cums() + 4 * kChunk; }
  /// State columns a warp updates, and their 8-column tiles.
  int64_t warpColumns() const { return dState / kWarps; }
  int64_t columnTiles() const { return warpColumns() / 8; }
};

/// The largest dynamic shared memory of a block on sm_90.
constexpr int64_t kMaxSharedBytes = 227 * 1024;

/// acc[at .. at + 4) += A B for one m16n8k16 tile of a flat accumulator
/// list.
void accumulate(KernelBuilder &k, SmallVector<Value> &acc, int64_t at,
                const std::array<Value, 4> &a, const std::array<Value, 2> &b) {
  Accumulator tile = {acc[at], acc[at + 1], acc[at + 2], acc[at + 3]};
  tile = mmaBf16(k, a, b, tile);
  std::copy(tile.begin(), tile.end(), acc.begin() + at);
}

/// Two i32 words to workgroup floats [at, at + 2) (8-byte aligned).
void storeWords(KernelBuilder &k, Value shared, Value at, Value w0, Value w1) {
  Type f32 = k.b().getF32Type();
  k.storeFloats({arith::BitcastOp::create(k.b(), f32, w0),
                 arith::BitcastOp::create(k.b(), f32, w1)},
                shared, at);
}

/// The running sum of `value` over the lanes of a warp up to this one.
Value inclusiveWarpSum(KernelBuilder &k, Value value, Value lane) {
  ImplicitLocOpBuilder &b = k.b();
  for (int32_t offset = 1; offset < 32; offset *= 2) {
    auto up =
        gpu::ShuffleOp::create(b, value, offset, 32, gpu::ShuffleMode::UP);
    Value from = arith::SelectOp::create(
        b,
        arith::CmpIOp::create(b, arith::CmpIPredicate::uge, lane,
                              k.idx(offset)),
        up.getShuffleResult(), k.f32(0));
    value = k.fadd(value, from);
  }
  return value;
}

/// A thread's share of a chunk's rows of `pieces` 16-byte pieces (4
/// floats): the block covers kSsdThreads / pieces rows a pass, and the
/// thread takes piece tid % pieces of row tid / pieces + pass * that.
struct RowPasses {
  int64_t pieces, rowsPerPass, passes;
  Value row0, piece;

  static RowPasses of(KernelBuilder &k, int64_t width) {
    RowPasses p{width / 4, kSsdThreads / (width / 4),
                kChunk * (width / 4) / kSsdThreads, Value(), Value()};
    p.row0 = k.div(k.threadId(), k.idx(p.pieces));
    p.piece = k.rem(k.threadId(), k.idx(p.pieces));
    return p;
  }
  Value row(KernelBuilder &k, int64_t pass) const {
    return k.add(row0, k.idx(pass * rowsPerPass));
  }
};

/// The values of one block and thread that every step of the scan uses.
struct SsdThread {
  Value shared, base; ///< workgroup floats and their byte address
  Value warp, lane, group, quad;
  Value head, kvGroup, firstRow;
  Value a, bias, skip;
  Value aLog2e; ///< A log2(e): exp(A d) = 2^(aLog2e d)
  Value last;   ///< the sequence's last token
  RowPasses wide, narrow; ///< rows of d_state and of kRows floats
};

class SsdScanBuilder {
public:
  SsdScanBuilder(KernelBuilder &k, const SsdLayout &s) : k(k), s(s) {}
  void build(Type stateType);

private:
  /// Starts the copies of chunk tokens [first, first + kChunk) into the
  /// stage at byte offset `stage`; tokens past the last copy it again.
  void copyChunk(Value first, Value stage);
  /// The chunk's deltas (zero past the last token) and their running sums
  /// to shared memory, from the raw dt of the lane's kChunk / 32 tokens.
  void storeDeltas(Value first, ValueRange dt);
  /// Rounds the staged C, B and x to bf16 rows, weights x for the state
  /// update, and writes this warp's part of the state as bf16 rows.
  void roundChunk(Value stage, ValueRange state);
  /// Warp i's outputs: tokens 16 i .. 16 i + 15 of the chunk.
  void writeOutputs(Value first, Value stage);
  /// Warp w's state columns after the chunk.
  SmallVector<Value> updateState(ValueRange state);

  /// exp(A d) of a sum of deltas d within a chunk, approximately
  /// (ex2.approx): every value it scales within a chunk is rounded to bf16
  /// or summed with such.
  Value decay(Value d) { return k.exp2Approx(k.fmul(t.aLog2e, d)); }
  /// The byte address of bf16 element (row, column) of a shared region of
  /// rows of rowBytes bytes.
  Value sharedAt(int64_t region, Value row, int64_t rowBytes, Value column) {
    return k.add(t.base, k.add(k.idx(region), k.add(k.mul(row, k.idx(rowBytes)),
                                                    k.mul(column, k.idx(2)))));
  }
  /// The workgroup float index of element `element` of an f32 region.
  Value floatAt(int64_t region, Value element) {
    return k.add(k.idx(region / 4), element);
  }
  /// The byte address of this lane's row for an ldmatrix of four 8 x 8
  /// matrices from (row0, column0): matrix m = lane / 8 is 8 rows further
  /// with one bit of m and 8 columns with the other (the row with the low
  /// bit when `rowFromLow`).
  Value matrixAddress(int64_t region, int64_t rowBytes, Value row0,
                      Value column0, bool rowFromLow) {
    Value m = k.div(t.lane, k.idx(8));
    Value low = k.rem(m, k.idx(2)), high = k.div(m, k.idx(2));
    Value rowStep = rowFromLow ? low : high,
          columnStep = rowFromLow ? high : low;
    Value row =
        k.add(row0, k.add(k.rem(t.lane, k.idx(8)), k.mul(rowStep, k.idx(8))));
    Value column = k.add(column0, k.mul(columnStep, k.idx(8)));
    return sharedAt(region, row, rowBytes, column);
  }
  /// The slice row and state column of this lane's accumulator pair (mt,
  /// nt, half): row 16 mt + 8 half + group, column 2 quad of the warp's
  /// tile nt.
  Value stateRow(int64_t mt, int64_t half) {
    return k.add(k.idx(16 * mt + 8 * half), t.group);
  }
  Value stateColumn(int64_t nt) {
    return k.add(k.mul(t.warp, k.idx(s.warpColumns())),
                 k.add(k.idx(8 * nt), k.mul(t.quad, k.idx(2))));
  }
  /// The SSM state index of that pair.
  Value stateIndex(int64_t mt, int64_t nt, int64_t half) {
    Value row = k.add(t.firstRow, stateRow(mt, half));
    return k.add(k.add(k.sequenceSlice(k.memref(State)),
                       k.mul(k.add(k.mul(t.head, k.idx(s.headDim)), row),
                             k.idx(s.dState))),
                 stateColumn(nt));
  }

  KernelBuilder &k;
  const SsdLayout &s;
  SsdThread t;
};

void SsdScanBuilder::copyChunk(Value first, Value stage) {
  // Pass p of a thread copies 16 bytes to tid * 16 + p * kSsdThreads * 16
  // of a staged matrix (rows of `pieces` pieces, one after another).
  Value xbc = addressOf(k, k.memref(Xbc));
  Value to = k.add(k.add(t.base, stage), k.mul(k.threadId(), k.idx(16)));
  // The address of the thread's piece of row `pass`'s token (clamped to
  // the last token), or of pass 0 unclamped.
  auto fromRow = [&](const RowPasses &p, int64_t pass, Value column,
                     bool clamp) {
    Value token = k.add(first, p.row(k, pass));
    if (clamp)
      token = k.minIndex(token, t.last);
    Value at = k.add(k.mul(k.sequenceRow(token), k.idx(s.xbcWidth())),
                     k.add(column, k.mul(p.piece, k.idx(4))));
    return k.add(xbc, k.mul(at, k.idx(4)));
  };
  // C and B rows are alike: one address, and B's a fixed distance on.
  Value cColumn = k.add(k.idx(s.cOffset()), k.mul(t.head, k.idx(s.dState)));
  Value bFromC = k.mul(
      k.sub(k.add(k.idx(s.bOffset()), k.mul(t.kvGroup, k.idx(s.dState))),
            cColumn),
      k.idx(4));
  Value xColumn = k.add(k.mul(t.kvGroup, k.idx(s.headDim)), t.firstRow);
  // A whole chunk's rows are a fixed stride apart; only the last chunk
  // clamps each row to the last token.
  auto copies = [&](bool clamp) {
    auto from = [&](const RowPasses &p, int64_t pass, Value column) {
      if (clamp)
        return fromRow(p, pass, column, true);
      return k.add(fromRow(p, 0, column, false),
                   k.idx(pass * p.rowsPerPass * s.xbcWidth() * 4));
    };
    for (int64_t pass = 0; pass < t.wide.passes; ++pass) {
      Value c = from(t.wide, pass, cColumn);
      Value at = k.add(to, k.idx(pass * kSsdThreads * 16));
      copyAsync16(k, k.add(at, k.idx(s.stageC())), c);
      copyAsync16(k, k.add(at, k.idx(s.stageB())), k.add(c, bFromC));
    }
    for (int64_t pass = 0; pass < t.narrow.passes; ++pass)
      copyAsync16(k, k.add(to, k.idx(s.stageX() + pass * kSsdThreads * 16)),
                  from(t.narrow, pass, xColumn));
  };
  Value partial = k.lt(k.tokens(), k.add(first, k.idx(kChunk)));
  k.when(partial, [&] { copies(true); });
  k.when(arith::XOrIOp::create(k.b(), partial,
                               arith::ConstantIntOp::create(k.b(), 1, 1)),
         [&] { copies(false); });
}

void SsdScanBuilder::storeDeltas(Value first, ValueRange dt) {
  ImplicitLocOpBuilder &b = k.b();
  const int64_t perLane = kChunk / 32;
  // Warp 0 alone (its outputs are the fewest), while the others wait for
  // the chunk's copies.
  k.when(k.eq(t.warp, k.idx(0)),
         [&] {
           Value token0 = k.mul(t.lane, k.idx(perLane));
           SmallVector<Value> deltas, cums(perLane);
           Value sum = k.f32(0);
           for (int64_t e = 0; e < perLane; ++e) {
             Value valid =
                 k.lt(k.add(first, k.add(token0, k.idx(e))), k.tokens());
             deltas.push_back(
                 arith::SelectOp::create(
                     b, valid, k.softplus(k.fadd(dt[e], t.bias)), k.f32(0))
                     .getResult());
             sum = k.fadd(sum, deltas.back());
           }
           Value running = inclusiveWarpSum(k, sum, t.lane);
           for (int64_t e = perLane - 1; e >= 0; --e) {
             cums[e] = running;
             running = k.fsub(running, deltas[e]);
           }
           k.storeFloats(deltas, t.shared, floatAt(s.deltas(), token0));
           k.storeFloats(cums, t.shared, floatAt(s.cums(), token0));
         });
}

void SsdScanBuilder::roundChunk(Value stage, ValueRange state) {
  Value stageFloats = k.div(stage, k.idx(4));
  // The staged rows are read as copied (tid * 4 floats on, a pass
  // kSsdThreads * 4 further); eight passes are loaded, then rounded and
  // stored to the thread's piece of its rows.
  auto roundRows = [&](int64_t from, int64_t to, int64_t rowBytes) {
    const RowPasses &p = t.wide;
    Value read = k.add(k.add(stageFloats, k.idx(from / 4)),
                       k.mul(k.threadId(), k.idx(4)));
    Value write = k.add(k.idx(to / 4), k.add(k.mul(p.row0, k.idx(rowBytes / 4)),
                                             k.mul(p.piece, k.idx(2))));
    for (int64_t first = 0; first < p.passes; first += 8) {
      SmallVector<SmallVector<Value>> loaded;
      for (int64_t pass = first; pass < std::min(p.passes, first + 8); ++pass)
        loaded.push_back(k.loadFloats(
            t.shared, k.add(read, k.idx(pass * kSsdThreads * 4)), 4));
      for (int64_t pass = first; pass < std::min(p.passes, first + 8); ++pass) {
        auto &v = loaded[pass - first];
        storeWords(
            k, t.shared,
            k.add(write, k.idx(pass * p.rowsPerPass * (rowBytes / 4))),
            packBf16x2(k, v[0], v[1]), packBf16x2(k, v[2], v[3]));
      }
    }
  };
  roundRows(s.stageC(), s.roundedC(), s.wideRow());
  roundRows(s.stageB(), s.roundedB(), s.wideRow());
  // x, and x weighted by delta_s exp(A (cum_end - cum_s)) for the state.
  Value cumEnd = k.load(t.shared, floatAt(s.cums(), k.idx(kChunk - 1)));
  for (int64_t pass = 0; pass < t.narrow.passes; ++pass) {
    Value r = t.narrow.row(k, pass);
    auto v = k.loadFloats(
        t.shared,
        k.add(k.add(stageFloats, k.idx(s.stageX() / 4 + pass * kSsdThreads * 4)),
              k.mul(k.threadId(), k.idx(4))),
        4);
    Value delta = k.load(t.shared, floatAt(s.deltas(), r));
    Value cum = k.load(t.shared, floatAt(s.cums(), r));
    Value weight = k.fmul(delta, decay(k.fsub(cumEnd, cum)));
    Value rowAt = k.add(k.mul(r, k.idx(s.narrowRow() / 4)),
                        k.mul(t.narrow.piece, k.idx(2)));
    storeWords(k, t.shared, k.add(k.idx(s.roundedX() / 4), rowAt),
               packBf16x2(k, v[0], v[1]), packBf16x2(k, v[2], v[3]));
    storeWords(k, t.shared, k.add(k.idx(s.weightedX() / 4), rowAt),
               packBf16x2(k, k.fmul(weight, v[0]), k.fmul(weight, v[1])),
               packBf16x2(k, k.fmul(weight, v[2]), k.fmul(weight, v[3])));
  }
  // The warp's state tiles: rows 16 mt + group (+ 8), columns of tile nt.
  ImplicitLocOpBuilder &b = k.b();
  for (int64_t mt = 0; mt < 2; ++mt)
    for (int64_t nt = 0; nt < s.columnTiles(); ++nt)
      for (int64_t half = 0; half < 2; ++half) {
        int64_t i = (mt * s.columnTiles() + nt) * 4 + 2 * half;
        Value at = k.add(k.idx(s.roundedS() / 4),
                         k.add(k.mul(stateRow(mt, half), k.idx(s.wideRow() / 4)),
                               k.div(stateColumn(nt), k.idx(2))));
        k.store(arith::BitcastOp::create(b, b.getF32Type(),
                                         packBf16x2(k, state[i], state[i + 1])),
                t.shared, at);
      }
}

void SsdScanBuilder::writeOutputs(Value first, Value stage) {
  ImplicitLocOpBuilder &b = k.b();
  // Warp w: tokens 16 (w % tokenBlocks) on, state rows pRows (w /
  // tokenBlocks) on.
  const int64_t nSteps = s.dState / 16, tokenBlocks = kChunk / 16,
                pRows = kRows * tokenBlocks / kWarps, pTiles = pRows / 8;
  Value tokenBlock = k.rem(t.warp, k.idx(tokenBlocks));
  Value p0 = k.mul(k.div(t.warp, k.idx(tokenBlocks)), k.idx(pRows));
  Value row0 = k.mul(tokenBlock, k.idx(16));
  // C of the warp's 16 tokens as A fragments, 16 state columns a step.
  SmallVector<std::array<Value, 4>> c(nSteps);
  for (int64_t ks = 0; ks < nSteps; ++ks) {
    auto w = loadMatrices(
        k, matrixAddress(s.roundedC(), s.wideRow(), row0, k.idx(16 * ks), true),
        4, false);
    c[ks] = {w[0], w[1], w[2], w[3]};
  }
  Accumulator zero = {k.f32(0), k.f32(0), k.f32(0), k.f32(0)};
  // From the chunk's start: C_t S^T, state rows as B fragments.
  // An ldmatrix.x4 of 16 rows and 16 columns gives the B fragments of two
  // 8-row tiles for one step.
  SmallVector<Accumulator> y(pTiles, zero);
  for (int64_t ks = 0; ks < nSteps; ++ks)
    for (int64_t pt = 0; pt < pTiles; pt += 2) {
      auto w = loadMatrices(k,
                            matrixAddress(s.roundedS(), s.wideRow(),
                                          k.add(p0, k.idx(8 * pt)),
                                          k.idx(16 * ks), false),
                            4, false);
      y[pt] = mmaBf16(k, c[ks], {w[0], w[1]}, y[pt]);
      y[pt + 1] = mmaBf16(k, c[ks], {w[2], w[3]}, y[pt + 1]);
    }
  Value tA = k.add(row0, t.group), tB = k.add(tA, k.idx(8));
  Value cumA = k.load(t.shared, floatAt(s.cums(), tA));
  Value cumB = k.load(t.shared, floatAt(s.cums(), tB));
  Value decayA = decay(cumA), decayB = decay(cumB);
  SmallVector<Value> carried;
  for (Accumulator &acc : y)
    carried.append({k.fmul(acc[0], decayA), k.fmul(acc[1], decayA),
                    k.fmul(acc[2], decayB), k.fmul(acc[3], decayB)});
  // Within the chunk: 16 tokens s a step, up to the warp's own.
  auto out = k.loop(
      k.idx(0), k.add(tokenBlock, k.idx(1)), k.idx(1), carried,
      [&](Value j, ValueRange acc) {
        Value s0 = k.mul(j, k.idx(16));
        // C B^T of 16 tokens s: two 8-column tiles, each summed in two
        // accumulators (even and odd steps) for independent mma chains.
        std::array<Accumulator, 4> gs = {zero, zero, zero, zero};
        for (int64_t ks = 0; ks < nSteps; ++ks) {
          auto w = loadMatrices(k,
                                matrixAddress(s.roundedB(), s.wideRow(), s0,
                                              k.idx(16 * ks), false),
                                4, false);
          int64_t odd = 2 * (ks % 2);
          gs[odd] = mmaBf16(k, c[ks], {w[0], w[1]}, gs[odd]);
          gs[odd + 1] = mmaBf16(k, c[ks], {w[2], w[3]}, gs[odd + 1]);
        }
        std::array<Value, 4> m;
        for (int64_t st = 0; st < 2; ++st) {
          Accumulator g;
          for (int64_t e = 0; e < 4; ++e)
            g[e] = k.fadd(gs[st][e], gs[st + 2][e]);
          Value sCol = k.add(s0, k.add(k.idx(8 * st), k.mul(t.quad, k.idx(2))));
          auto delta = k.loadFloats(t.shared, floatAt(s.deltas(), sCol), 2);
          auto cum = k.loadFloats(t.shared, floatAt(s.cums(), sCol), 2);
          SmallVector<Value> masked;
          for (int64_t e = 0; e < 4; ++e) {
            Value tRow = e < 2 ? tA : tB, tCum = e < 2 ? cumA : cumB;
            Value sIdx = k.add(sCol, k.idx(e % 2));
            Value v = k.fmul(
                k.fmul(g[e], decay(k.fsub(tCum, cum[e % 2]))),
                delta[e % 2]);
            masked.push_back(arith::SelectOp::create(
                                 b,
                                 arith::CmpIOp::create(
                                     b, arith::CmpIPredicate::ule, sIdx, tRow),
                                 v, k.f32(0))
                                 .getResult());
          }
          m[2 * st] = packBf16x2(k, masked[0], masked[1]);
          m[2 * st + 1] = packBf16x2(k, masked[2], masked[3]);
        }
        // m holds A fragment words: rows group (s 0-7), group + 8 (s 0-7),
        // group (s 8-15), group + 8 (s 8-15).
        SmallVector<Value> next(acc.begin(), acc.end());
        for (int64_t pt = 0; pt < pTiles; pt += 2) {
          auto w = loadMatrices(k,
                                matrixAddress(s.roundedX(), s.narrowRow(), s0,
                                              k.add(p0, k.idx(8 * pt)), true),
                                4, true);
          for (int64_t h = 0; h < 2; ++h)
            accumulate(k, next, 4 * (pt + h), m, {w[2 * h], w[2 * h + 1]});
        }
        return next;
      });
  // y = ... + D x, two columns a store.
  Value stageFloats = k.div(stage, k.idx(4));
  for (int64_t half = 0; half < 2; ++half) {
    Value tRow = half ? tB : tA;
    Value token = k.add(first, tRow);
    k.when(k.lt(token, k.tokens()), [&] {
      Value yRow =
          k.add(k.mul(k.sequenceRow(token), k.idx(s.heads * s.headDim)),
                k.add(k.mul(t.head, k.idx(s.headDim)), t.firstRow));
      for (int64_t pt = 0; pt < pTiles; ++pt) {
        Value p = k.add(p0, k.add(k.idx(8 * pt), k.mul(t.quad, k.idx(2))));
        auto x = k.loadFloats(t.shared,
            k.add(stageFloats,
                  floatAt(s.stageX(), k.add(k.mul(tRow, k.idx(kRows)), p))),
            2);
        // D x of x as rounded (the CPU backend rounds x, B and C alike).
        auto rounded = [&](Value v) {
          return k.widen(k.narrow(v, b.getBF16Type()));
        };
        Value y0 =
            k.fadd(out[4 * pt + 2 * half], k.fmul(t.skip, rounded(x[0])));
        Value y1 =
            k.fadd(out[4 * pt + 2 * half + 1], k.fmul(t.skip, rounded(x[1])));
        k.storeFloats({y0, y1}, k.memref(Y), k.add(yRow, p));
      }
    });
  }
}

SmallVector<Value> SsdScanBuilder::updateState(ValueRange state) {
  Value cumEnd = k.load(t.shared, floatAt(s.cums(), k.idx(kChunk - 1)));
  Value decay = k.exp(k.fmul(t.a, cumEnd)); // the carried state: exact
  SmallVector<Value> next;
  for (Value v : state)
    next.push_back(k.fmul(decay, v));
  Value column0 = k.mul(t.warp, k.idx(s.warpColumns()));
  for (int64_t ks = 0; ks < kChunk / 16; ++ks) {
    // (delta-weighted x)^T of 16 tokens: A fragments of rows 16 mt on
    // (matrices: tokens 0-7 / 8-15 with the high bit, rows +8 with the low).
    std::array<std::array<Value, 4>, 2> a;
    for (int64_t mt = 0; mt < 2; ++mt) {
      auto w =
          loadMatrices(k,
                       matrixAddress(s.weightedX(), s.narrowRow(),
                                     k.idx(16 * ks), k.idx(16 * mt), false),
                       4, true);
      a[mt] = {w[0], w[1], w[2], w[3]};
    }
    for (int64_t nt = 0; nt < s.columnTiles(); nt += 2) {
      int64_t count = nt + 1 < s.columnTiles() ? 4 : 2;
      auto w =
          loadMatrices(k,
                       matrixAddress(s.roundedB(), s.wideRow(), k.idx(16 * ks),
                                     k.add(column0, k.idx(8 * nt)), true),
                       count, true);
      for (int64_t h = 0; h < count / 2; ++h)
        for (int64_t mt = 0; mt < 2; ++mt)
          accumulate(k, next, (mt * s.columnTiles() + nt + h) * 4, a[mt],
                     {w[2 * h], w[2 * h + 1]});
    }
  }
  return next;
}

void SsdScanBuilder::build(Type stateType) {
  ImplicitLocOpBuilder &b = k.b();
  t.shared = k.dynamicSharedFloats(s.bytes() / 4);
  t.base = addressOf(k, t.shared);
  Value tid = k.threadId();
  t.warp = k.div(tid, k.idx(32));
  t.lane = k.rem(tid, k.idx(32));
  t.group = k.div(t.lane, k.idx(4));
  t.quad = k.rem(t.lane, k.idx(4));
  t.head = k.div(k.blockId(), k.idx(s.slices()));
  t.kvGroup = k.div(t.head, k.idx(s.heads / s.groups));
  t.firstRow = k.mul(k.rem(k.blockId(), k.idx(s.slices())), k.idx(kRows));
  t.a = arith::NegFOp::create(b, k.exp(k.load(k.memref(ALog), t.head)));
  t.aLog2e = k.fmul(t.a, k.f32(1.4426950408889634));
  t.bias = k.load(k.memref(DtBias), t.head);
  t.skip = k.load(k.memref(Skip), t.head);
  t.last = k.sub(k.tokens(), k.idx(1));
  t.wide = RowPasses::of(k, s.dState);
  t.narrow = RowPasses::of(k, kRows);
  Value chunks = k.div(k.add(k.tokens(), k.idx(kChunk - 1)), k.idx(kChunk));

  const int64_t perLane = kChunk / 32;
  auto rawDt = [&](Value first) {
    SmallVector<Value> dt;
    for (int64_t e = 0; e < perLane; ++e) {
      Value token = k.minIndex(
          k.add(first, k.add(k.mul(t.lane, k.idx(perLane)), k.idx(e))), t.last);
      dt.push_back(
          k.load(k.memref(Dt),
                 k.add(k.mul(k.sequenceRow(token), k.idx(s.heads)), t.head)));
    }
    return dt;
  };
  copyChunk(k.idx(0), k.idx(0));
  commitCopies(k);
  SmallVector<Value> init;
  for (int64_t mt = 0; mt < 2; ++mt)
    for (int64_t nt = 0; nt < s.columnTiles(); ++nt)
      for (int64_t half = 0; half < 2; ++half) {
        Value at = stateIndex(mt, nt, half);
        init.push_back(k.widen(k.load(k.memref(State), at)));
        init.push_back(k.widen(k.load(k.memref(State), k.add(at, k.idx(1)))));
      }
  const size_t stateValues = init.size();
  llvm::append_range(init, rawDt(k.idx(0)));
  auto final = k.loop(
      k.idx(0), chunks, k.idx(1), init, [&](Value c, ValueRange carried) {
        ValueRange state = carried.take_front(stateValues);
        Value first = k.mul(c, k.idx(kChunk));
        Value stage = k.mul(k.rem(c, k.idx(2)), k.idx(s.stageBytes()));
        Value nextStage =
            k.mul(k.rem(k.add(c, k.idx(1)), k.idx(2)), k.idx(s.stageBytes()));
        Value nextFirst = k.add(first, k.idx(kChunk));
        gpu::BarrierOp::create(b); // the previous chunk's readers are done
        k.when(k.lt(k.add(c, k.idx(1)), chunks),
               [&] { copyChunk(nextFirst, nextStage); });
        commitCopies(k);
        SmallVector<Value> nextDt = rawDt(nextFirst);
        storeDeltas(first, carried.drop_front(stateValues));
        waitCopies(k, 1);
        gpu::BarrierOp::create(b);
        roundChunk(stage, state);
        gpu::BarrierOp::create(b);
        writeOutputs(first, stage);
        SmallVector<Value> next = updateState(state);
        llvm::append_range(next, nextDt);
        return next;
      });
  for (int64_t mt = 0; mt < 2; ++mt)
    for (int64_t nt = 0; nt < s.columnTiles(); ++nt)
      for (int64_t half = 0; half < 2; ++half) {
        Value at = stateIndex(mt, nt, half);
        int64_t i = (mt * s.columnTiles() + nt) * 4 + 2 * half;
        k.store(k.narrow(final[i], stateType), k.memref(State), at);
        k.store(k.narrow(final[i + 1], stateType), k.memref(State),
                k.add(at, k.idx(1)));
      }
}
} // namespace

bool codegen::ssdScanApplies(int64_t heads, int64_t groups, int64_t headDim,
                             int64_t dState) {
  SsdLayout s{{heads, groups, headDim, dState}};
  // A pass of the block's threads covers whole rows of d_state floats.
  return headDim % kRows == 0 && dState % (8 * kWarps) == 0 &&
         kSsdThreads % (dState / 4) == 0 && heads % groups == 0 &&
         s.bytes() <= kMaxSharedBytes;
}

GpuKernelSpec codegen::emitSsdScan(gpu::GPUModuleOp module, StringRef name,
                                   int64_t heads, int64_t groups,
                                   int64_t headDim, int64_t dState,
                                   Type stateType) {
  SsdLayout s{{heads, groups, headDim, dState}};
  SmallVector<Type> args =
      memrefTypes(module.getContext(), kScanArgs, State, stateType);
  buildKernel(module, name, args, false, 0, [&](KernelBuilder &k) {
    k.launchBounds(kSsdThreads,
                   std::max<int64_t>(1, kMaxSharedBytes / s.bytes()));
    SsdScanBuilder(k, s).build(stateType);
  });
  return perSequence(
      fixedGrid(name.str(), heads * s.slices(), kSsdThreads, s.bytes() / 4));
}
