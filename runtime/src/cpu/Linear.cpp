//===- Linear.cpp - The CPU GEMM: out = in W^T + bias ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Threads split the weight's rows into blocks. A bf16/f16 block is
// converted to f32 once, into a thread-local buffer, and then meets every
// token row while it is in cache: decoding (one token) streams the weights
// once, prefill reuses each block for all tokens. Within a block, tiles of
// tokens x rows share their loads; every output is the same lane-wise dot
// product (Parallel.h), so a token's result does not depend on the tile it
// fell in, on the number of tokens or on the number of threads.
//
// Without -march flags the compiler only targets SSE2; the block kernel is
// also compiled for AVX2 (no FMA, so the arithmetic is the same) and the
// loader picks the version the machine runs.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <algorithm>

using namespace mlrt::cpu;

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define MLRT_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MLRT_MULTIVERSION
#endif

namespace {

/// out[t][r] = dot(x[t], w[r]) for a tile of TT token rows and RR weight
/// rows, with the lanes of mlrt::cpu::dot.
template <int TT, int RR>
__attribute__((always_inline)) inline void
dotTile(const float *const *x, const float *const *w, int64_t n,
        float out[TT][RR]) {
  // The tile's loops are unrolled so that acc and wk live in registers.
  Lanes acc[TT][RR] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    Lanes wk[RR];
#pragma GCC unroll 8
    for (int r = 0; r < RR; ++r)
      loadLanes(wk[r], w[r] + k);
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) {
      Lanes xk;
      loadLanes(xk, x[t] + k);
#pragma GCC unroll 8
      for (int r = 0; r < RR; ++r)
        acc[t][r] += xk * wk[r];
    }
  }
  for (int t = 0; t < TT; ++t)
    for (int r = 0; r < RR; ++r)
      out[t][r] = finishDot(acc[t][r], x[t], w[r], k, n);
}

/// One block of weight rows: `rows` rows of `n` f32 at `w`, that are rows
/// [first, first + rows) of the whole weight.
struct Block {
  const float *w;
  int64_t first, rows, n;
};

/// out[t][first + r] for tokens [t0, t0 + TT) and every row of the block,
/// RR rows at a time (one at a time for the last few).
template <int TT, int RR>
__attribute__((always_inline)) inline void
tokenTile(Rows in, const Block &b, const float *bias, Rows out, int64_t t0) {
  const float *x[TT];
  for (int t = 0; t < TT; ++t)
    x[t] = in.row(t0 + t);
  auto store = [&](auto &tile, int64_t r0, int count) {
    for (int t = 0; t < TT; ++t)
      for (int r = 0; r < count; ++r)
        out.row(t0 + t)[b.first + r0 + r] =
            tile[t][r] + (bias ? bias[b.first + r0 + r] : 0.0f);
  };
  int64_t r = 0;
  for (; r + RR <= b.rows; r += RR) {
    const float *w[RR];
    for (int i = 0; i < RR; ++i)
      w[i] = b.w + (r + i) * b.n;
    float tile[TT][RR];
    dotTile<TT, RR>(x, w, b.n, tile);
    store(tile, r, RR);
  }
  for (; r < b.rows; ++r) {
    const float *w[1] = {b.w + r * b.n};
    float tile[TT][1];
    dotTile<TT, 1>(x, w, b.n, tile);
    store(tile, r, 1);
  }
}

/// Every token against one block: four tokens by two rows at a time, the
/// remaining tokens one by one against four rows (the decoding case).
MLRT_MULTIVERSION void multiplyBlock(Rows in, Block b, const float *bias,
                                     Rows out) {
  int64_t t = 0;
  for (; t + 4 <= in.tokens; t += 4)
    tokenTile<4, 2>(in, b, bias, out, t);
  for (; t < in.tokens; ++t)
    tokenTile<1, 4>(in, b, bias, out, t);
}

/// Weight rows per block: about 64 KiB of f32, at least four, and small
/// enough that every thread gets a few blocks.
int64_t blockRows(const Matrix &w) {
  int64_t rows = std::clamp<int64_t>(16384 / std::max<int64_t>(w.cols, 1), 4, 64);
  int64_t perPart = (w.rows + 4 * numThreads() - 1) / (4 * numThreads());
  rows = std::min(rows, std::max<int64_t>(perPart, 4));
  return rows / 4 * 4;
}

} // namespace

void mlrt::cpu::linear(Rows in, const Matrix &w, const Matrix *bias,
                       Rows out) {
  if (in.tokens == 0 || w.rows == 0)
    return;
  const int64_t n = w.cols, rowsPerBlock = blockRows(w),
                blocks = (w.rows + rowsPerBlock - 1) / rowsPerBlock;
  std::vector<float> biasCopy;
  const float *b = nullptr;
  if (bias) {
    if (bias->dtype != DType::F32)
      biasCopy.resize(w.rows);
    b = elementsF32(*bias, 0, w.rows, biasCopy.data());
  }
  // A part of the work worth a thread: some 64K multiply-adds.
  int64_t grain =
      1 + 65536 / std::max<int64_t>(rowsPerBlock * n * in.tokens, 1);
  parallelFor(blocks, grain, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> buffer;
    if (w.dtype != DType::F32)
      buffer.resize(rowsPerBlock * n);
    for (int64_t i = begin; i < end; ++i) {
      Block block{nullptr, i * rowsPerBlock, 0, n};
      block.rows = std::min(rowsPerBlock, w.rows - block.first);
      block.w = elementsF32(w, block.first * n, block.rows * n, buffer.data());
      multiplyBlock(in, block, b, out);
    }
  });
}
