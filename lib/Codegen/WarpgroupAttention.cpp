//===- WarpgroupAttention.cpp - Prefill attention on Hopper wgmma ---------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// FlashAttention on warpgroup MMA (Wgmma.h, sm_90a) for a bf16 KV cache of
// head dims 64 or 128. A block of two warpgroups takes 128 queries of one
// head, 64 a warpgroup. Per item the block rounds its q rows to bf16 (hi
// and lo, or with `bf16_inputs` the rounded value alone) into 128-byte
// swizzled tiles; keys come in tiles of 128, copied by cp.async one tile
// ahead into the same layout. Per tile and warpgroup:
//   S = q K^T: wgmma m64 n128 k16, q and K read from shared memory;
//   the mask, online softmax and output of the mma.sync kernel
//   (PrefillTiles.cpp: S's accumulators have its C layout);
//   O += P V: wgmma m64 n(head dim) k16 with P from registers (the
//   accumulators of S as A fragments) and V read transposed.
// With hi + lo each product is two wgmma, as in FlashAttention.cpp, and the
// result stays within ~1e-5 of the f32 attention of the CPU backend.
//
//===----------------------------------------------------------------------===//

#include "AttentionShape.h"
#include "TensorCore.h"
#include "Wgmma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
constexpr int64_t kWarpgroups = kWarpgroupThreads / 128;
/// Queries a block (64 a warpgroup) and keys a tile (the n of S's wgmma).
constexpr int64_t kQueries = 64 * kWarpgroups;
constexpr int64_t kKeys = 128;
/// A swizzled row holds 64 bf16; 8 rows make an atom.
constexpr int64_t kRowBytes = 128, kAtomBytes = 8 * kRowBytes;

/// The block's shared memory from a 1024-byte aligned base: q (hi, then lo
/// unless bf16 inputs), then two stages of the K tile and the V tile. Each
/// matrix is [rows][headDim] bf16 held as headDim / 64 column blocks of
/// [rows][64] swizzled rows.
struct WarpgroupLayout {
  int64_t headDim;
  bool split;
  int64_t qBytes() const { return kQueries * headDim * 2; }
  int64_t tileBytes() const { return kKeys * headDim * 2; }
  int64_t stagesAt() const { return (split ? 2 : 1) * qBytes(); }
  int64_t stageBytes() const { return 2 * tileBytes(); }
  /// With the slack that aligning the base takes.
  int64_t bytes() const { return stagesAt() + 2 * stageBytes() + kAtomBytes; }
};
WarpgroupLayout layoutOf(const AttentionShape &s) {
  return {s.headDim, !s.bf16Inputs};
}

/// The byte offset of elements 8 chunk .. 8 chunk + 7 of row `row` in a
/// matrix of `rows` rows.
Value matrixOffset(KernelBuilder &k, int64_t rows, Value row, Value chunk) {
  Value block = k.div(chunk, k.idx(8));
  return k.add(k.mul(block, k.idx(rows * kRowBytes)),
               swizzledOffset(k, row, k.rem(chunk, k.idx(8))));
}

/// The descriptor of the 16 columns from `column` (a multiple of 16) of a
/// K-major operand of `rows` rows, from the descriptor `rowsDesc` of its
/// first column.
Value kMajorColumns(KernelBuilder &k, Value rowsDesc, int64_t rows,
                    int64_t column) {
  return descriptorPlus(k, rowsDesc,
                        (column / 64) * rows * kRowBytes + (column % 64) * 2);
}

/// The kernel's values that every item and tile uses.
struct WarpgroupKernel {
  KernelBuilder &k;
  const AttentionShape &s;
  WarpgroupLayout layout;
  Value base, baseFloats, sharedFloats, kCache, vCache;
  Value warpgroup, warp, group, quad;
  /// The thread's share of a tile's copies: chunk copyChunk of rows
  /// copyRow + p rowsPerCopy, all at the same swizzle (rowsPerCopy is a
  /// multiple of 8), so at copyOffset + p rowsPerCopy rows in a slot.
  Value copyRow, copyChunk, copyOffset;
  int64_t rowsPerCopy;

  WarpgroupKernel(KernelBuilder &k, const AttentionShape &s);
  Value stageAt(Value tile) const;
  void copyTile(const PrefillItem &item, Value stage, Value kStart);
  void storeQueries(const PrefillItem &item);
  SmallVector<Value> scoresOf(Value stage);
  SmallVector<Value> attend(const PrefillItem &item, const PrefillRows &rows,
                            Value kStart, Value stage, ValueRange carried);
  void build();
};

WarpgroupKernel::WarpgroupKernel(KernelBuilder &k, const AttentionShape &s)
    : k(k), s(s), layout(layoutOf(s)) {
  k.launchBounds(kWarpgroupThreads, 1);
  sharedFloats = k.dynamicSharedFloats(layout.bytes() / 4);
  Value sharedAt = addressOf(k, sharedFloats);
  base = k.mul(k.div(k.add(sharedAt, k.idx(kAtomBytes - 1)), k.idx(kAtomBytes)),
               k.idx(kAtomBytes));
  baseFloats = k.div(k.sub(base, sharedAt), k.idx(4));
  kCache = addressOf(k, k.memref(KCache));
  vCache = addressOf(k, k.memref(VCache));
  warpgroup = k.div(k.threadId(), k.idx(128));
  warp = k.div(k.threadId(), k.idx(32));
  Value lane = k.rem(k.threadId(), k.idx(32));
  group = k.div(lane, k.idx(4));
  quad = k.rem(lane, k.idx(4));
  const int64_t chunks = s.headDim / 8;
  rowsPerCopy = kWarpgroupThreads / chunks;
  copyRow = k.div(k.threadId(), k.idx(chunks));
  copyChunk = k.rem(k.threadId(), k.idx(chunks));
  copyOffset = matrixOffset(k, kKeys, copyRow, copyChunk);
}

Value WarpgroupKernel::stageAt(Value tile) const {
  return k.add(k.add(base, k.idx(layout.stagesAt())),
               k.mul(k.rem(tile, k.idx(2)), k.idx(layout.stageBytes())));
}

/// Starts the copies of keys kStart .. kStart + kKeys of the item's KV head
/// into the stage at byte address `stage`; keys past its end copy the last
/// one again, and the mask drops them.
void WarpgroupKernel::copyTile(const PrefillItem &item, Value stage,
                               Value kStart) {
  Value lastKey = k.sub(item.keyEnd, k.idx(1));
  Value column =
      k.mul(k.add(item.kvColumn, k.mul(copyChunk, k.idx(8))), k.idx(2));
  Value first = k.add(stage, copyOffset);
  for (int64_t p = 0; p < kKeys / rowsPerCopy; ++p) {
    Value key = k.minIndex(
        k.add(kStart, k.add(copyRow, k.idx(p * rowsPerCopy))), lastKey);
    Value from = k.add(k.mul(key, k.idx(2 * s.kvWidth())), column);
    Value to = k.add(first, k.idx(p * rowsPerCopy * kRowBytes));
    copyAsync16(k, to, k.add(kCache, from));
    copyAsync16(k, k.add(to, k.idx(layout.tileBytes())), k.add(vCache, from));
  }
}

/// q's rows of the item in bf16 (hi, lo): rows past the tokens repeat the
/// last one, and are never written.
void WarpgroupKernel::storeQueries(const PrefillItem &item) {
  const int64_t chunks = s.headDim / 8;
  Value lastRow = k.sub(k.tokens(), k.idx(1));
  k.strided(k.idx(kQueries * chunks), kWarpgroupThreads, [&](Value i) {
    Value row = k.div(i, k.idx(chunks)), chunk = k.rem(i, k.idx(chunks));
    Value from = k.add(
        k.mul(k.minIndex(k.add(item.qStart, row), lastRow), k.idx(s.qWidth())),
        k.add(item.qColumn, k.mul(chunk, k.idx(8))));
    SmallVector<Value> x = k.loadFloats(k.memref(Q), from, 4);
    x.append(k.loadFloats(k.memref(Q), k.add(from, k.idx(4)), 4));
    SmallVector<Value> hi, lo;
    for (int64_t e = 0; e < 8; e += 2) {
      SplitWords words = bf16Words(k, layout.split, x[e], x[e + 1]);
      hi.push_back(
          arith::BitcastOp::create(k.b(), k.b().getF32Type(), words.hi));
      if (layout.split)
        lo.push_back(
            arith::BitcastOp::create(k.b(), k.b().getF32Type(), words.lo));
    }
    Value at = k.add(baseFloats,
                     k.div(matrixOffset(k, kQueries, row, chunk), k.idx(4)));
    k.storeFloats(hi, sharedFloats, at);
    if (layout.split)
      k.storeFloats(lo, sharedFloats, k.add(at, k.idx(layout.qBytes() / 4)));
  });
}

/// S = q K^T of this warpgroup's 64 rows and the stage's keys (unscaled).
SmallVector<Value> WarpgroupKernel::scoresOf(Value stage) {
  Value rowsAt = k.add(base, k.mul(warpgroup, k.idx(64 * kRowBytes)));
  SmallVector<Value> scores;
  wgmmaFence(k);
  Value qDesc = matrixDescriptor(k, rowsAt, 16, kAtomBytes);
  Value kDesc = matrixDescriptor(k, stage, 16, kAtomBytes);
  for (int64_t copy = 0; copy < (layout.split ? 2 : 1); ++copy)
    for (int64_t column = 0; column < s.headDim; column += 16)
      scores = wgmma(
          k, kKeys, scores,
          kMajorColumns(k, descriptorPlus(k, qDesc, copy * layout.qBytes()),
                        kQueries, column),
          kMajorColumns(k, kDesc, kKeys, column), /*transposeB=*/false);
  wgmmaCommit(k);
  wgmmaWait(k, 0);
  return fenceRegisters(k, scores);
}

/// One tile's step of this warpgroup's rows: the scores, their softmax,
/// O += P V.
SmallVector<Value> WarpgroupKernel::attend(const PrefillItem &item,
                                           const PrefillRows &rows,
                                           Value kStart, Value stage,
                                           ValueRange carried) {
  const int64_t dimTiles = s.headDim / 8;
  SmallVector<Value> scores =
      maskScores(k, s, item, rows, kStart, kKeys, scoresOf(stage));
  SmallVector<Value> next =
      softmaxStep(k, scores, carried, dimTiles, s.scale());
  // The weights of key tiles 2j and 2j + 1 are the A fragment of keys
  // 16j .. 16j + 15: all words (hi, then lo) are made, with the rescaled
  // output, before the fence, so no wgmma waits on a conversion.
  SmallVector<Value> operands(next.begin(), next.begin() + dimTiles * 4);
  SmallVector<Value> lo;
  for (int64_t j = 0; j < kKeys / 16; ++j)
    for (int64_t r = 0; r < 4; ++r) {
      int64_t at = (2 * j + r / 2) * 4 + 2 * (r % 2);
      SplitWords words = bf16Words(k, layout.split, scores[at], scores[at + 1]);
      operands.push_back(words.hi);
      if (layout.split)
        lo.push_back(words.lo);
    }
  operands.append(lo);
  operands = fenceRegisters(k, operands);
  SmallVector<Value> out(operands.begin(), operands.begin() + dimTiles * 4);
  // Words of copy c (hi, lo) and keys 16j on.
  auto wordsOf = [&](int64_t copy, int64_t j) {
    const Value *at =
        operands.begin() + dimTiles * 4 + (copy * kKeys / 16 + j) * 4;
    return std::array<Value, 4>{at[0], at[1], at[2], at[3]};
  };
  const int64_t copies = layout.split ? 2 : 1;
  wgmmaFence(k);
  // V: MN-major, column blocks kKeys rows apart.
  Value vDesc = matrixDescriptor(k, k.add(stage, k.idx(layout.tileBytes())),
                                 kKeys * kRowBytes, kAtomBytes);
  for (int64_t j = 0; j < kKeys / 16; ++j) {
    Value keysDesc = descriptorPlus(k, vDesc, 16 * j * kRowBytes);
    for (int64_t copy = 0; copy < copies; ++copy)
      out = wgmma(k, s.headDim, out, wordsOf(copy, j), keysDesc,
                  /*transposeB=*/true);
  }
  wgmmaCommit(k);
  wgmmaWait(k, 0);
  out = fenceRegisters(k, out);
  std::copy(out.begin(), out.end(), next.begin());
  return next;
}

void WarpgroupKernel::build() {
  const int64_t dimTiles = s.headDim / 8;
  forEachPrefillItem(k, s, kQueries, [&](const PrefillItem &item) {
    copyTile(item, stageAt(k.idx(0)), item.keyBegin);
    commitCopies(k);
    storeQueries(item);
    // This lane's rows: group and group + 8 of its warp's 16.
    PrefillRows rows =
        prefillRows(k, s, item, k.add(k.mul(warp, k.idx(16)), group), quad);
    SmallVector<Value> state =
        k.loop(item.keyBegin, item.keyEnd, k.idx(kKeys),
               softmaxInitialState(k, dimTiles),
               [&](Value kStart, ValueRange carried) {
                 Value t = k.div(k.sub(kStart, item.keyBegin), k.idx(kKeys));
                 // Tile t (and q) landed for every thread, and every thread is
                 // done with step t - 1: its stage takes tile t + 1 while this
                 // step computes. One barrier a step.
                 waitCopies(k, 0);
                 fenceAsyncShared(k);
                 gpu::BarrierOp::create(k.b());
                 Value next = k.add(kStart, k.idx(kKeys));
                 k.when(k.lt(next, item.keyEnd), [&] {
                   copyTile(item, stageAt(k.add(t, k.idx(1))), next);
                 });
                 commitCopies(k);
                 return attend(item, rows, kStart, stageAt(t), carried);
               });
    // The stages and q are read: the next item copies over them.
    gpu::BarrierOp::create(k.b());
    storeOutputRows(k, s, item, rows, state);
  });
}
} // namespace

bool codegen::warpgroupAttentionApplies(const AttentionShape &s) {
  return s.kvType.isBF16() && (s.headDim == 64 || s.headDim == 128);
}

int64_t codegen::warpgroupSharedFloats(const AttentionShape &s) {
  return layoutOf(s).bytes() / 4;
}

void codegen::warpgroupPrefillAttention(KernelBuilder &k,
                                        const AttentionShape &s) {
  WarpgroupKernel(k, s).build();
}
