//===- TensorCore.h - bf16 mma.sync fragments for kernel bodies -*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Warp-level bf16 tensor-core products (PTX mma.sync.m16n8k16, sm_80 on)
// with f32 accumulators. Fragments follow the PTX layouts; with lane =
// 4 * group + quad (group = lane / 4, quad = lane % 4):
//   A (16 x 16, row major), four i32 words of two bf16 each:
//     a0 = A[group][2q, 2q+1],     a1 = A[group+8][2q, 2q+1],
//     a2 = A[group][2q+8, 2q+9],   a3 = A[group+8][2q+8, 2q+9];
//   B (16 x 8, k x n), two words: b0 = B[2q, 2q+1][group],
//     b1 = B[2q+8, 2q+9][group];
//   C/D (16 x 8), four f32: c0, c1 = C[group][2q, 2q+1],
//     c2, c3 = C[group+8][2q, 2q+1].
// So a C tile's two 8-column halves of 16 columns are the A fragment of
// the next product (attention's P V), word for word.
//
// f32 operands are split as x = hi + lo with hi = bf16(x) and
// lo = bf16(x - hi) (16 significant bits): a product with an operand that
// is exact in bf16 (a bf16 cache, bf16 weights) then costs two mma.sync
// and keeps the f32 result within ~1e-5 relative.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_TENSORCORE_H
#define MLOPT_LIB_CODEGEN_TENSORCORE_H

#include "KernelBuilder.h"

#include <array>

namespace mlopt::codegen {

/// Two f32 as one word of two bf16 (round to nearest even): `first` in the
/// low half, as a fragment register holds consecutive columns.
mlir::Value packBf16x2(KernelBuilder &k, mlir::Value first, mlir::Value second);

/// The hi and lo words of (first, second): hi = bf16(x), lo = bf16(x - hi).
struct SplitWords {
  mlir::Value hi, lo;
};
SplitWords splitBf16x2(KernelBuilder &k, mlir::Value first, mlir::Value second);
/// The A-fragment words of (first, second): hi and lo with `split`, else
/// the rounded pair alone (lo null).
SplitWords bf16Words(KernelBuilder &k, bool split, mlir::Value first,
                     mlir::Value second);

using Accumulator = std::array<mlir::Value, 4>;
/// D = A B + C for one warp: m16n8k16, bf16 operands, f32 accumulate.
Accumulator mmaBf16(KernelBuilder &k, const std::array<mlir::Value, 4> &a,
                    const std::array<mlir::Value, 2> &b, const Accumulator &c);

/// The byte address (an index) of element 0 of `memref`: a global buffer,
/// or the workgroup memory of KernelBuilder::dynamicSharedFloats.
mlir::Value addressOf(KernelBuilder &k, mlir::Value memref);

/// cp.async of 16 bytes from global byte address `from` to shared byte
/// address `to` (both 16-byte aligned), through L2 only (.cg); copies of a
/// thread complete in commit groups.
void copyAsync16(KernelBuilder &k, mlir::Value to, mlir::Value from);
/// Closes the thread's current group of copies.
void commitCopies(KernelBuilder &k);
/// Waits until at most `pending` of the thread's groups are in flight.
void waitCopies(KernelBuilder &k, int32_t pending);

/// ldmatrix of `count` (1, 2 or 4) 8 x 8 bf16 matrices: lane l gives the
/// shared byte address of row l % 8 of matrix l / 8 (16 contiguous bytes);
/// word i of lane 4 * group + quad is row group, columns 2 quad, 2 quad + 1
/// of matrix i, or with `transpose` rows 2 quad, 2 quad + 1 of column
/// group (a B fragment of a row-major k x n tile).
llvm::SmallVector<mlir::Value, 4> loadMatrices(KernelBuilder &k,
                                               mlir::Value address,
                                               int64_t count, bool transpose);

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_TENSORCORE_H
