//===- Wgmma.h - Hopper warpgroup MMA for kernel bodies ---------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// wgmma.mma_async (sm_90a): the 4 warps of a warpgroup (128 threads)
// compute D (64 x n) += A (64 x 16) B (16 x n) with bf16 operands and f32
// accumulators, asynchronously, B (and A, or A from registers) read
// straight from shared memory.
//
// Operands in shared memory are tiles of 128-byte rows (64 bf16) stored
// with the 128-byte swizzle: 16-byte chunk c of row r lies at chunk
// c ^ (r % 8) of its row, and 8 rows make a 1024-byte atom that must start
// on a 1024-byte boundary (swizzledOffset). A matrix descriptor names such
// a tile; stepping its start address by 32 bytes moves 16 elements along
// the row, since the hardware applies the swizzle to the absolute address.
//
// Accumulators, per thread of lane 4 group + quad in warp w of the
// warpgroup: element i of the n / 2 is row 16 w + group + 8 ((i / 2) % 2),
// column 8 (i / 4) + 2 quad + i % 2: per 8 columns, the C fragment of
// mma.sync (TensorCore.h). An A operand from registers is, per warp, the
// mma.sync m16n8k16 A fragment of its 16 rows.
//
// Ordering: wgmmaFence before the first wgmma that reads registers written
// since (accumulators, A words); wgmmaCommit closes a group; wgmmaWait(n)
// returns once at most n groups are in flight. The accumulators are
// passed through fenceRegisters after the wait, so that no use is
// scheduled above it. Shared memory that threads wrote (st.shared,
// cp.async) becomes visible to wgmma after fenceAsyncShared by the
// writers and a barrier.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_CODEGEN_WGMMA_H
#define MLOPT_LIB_CODEGEN_WGMMA_H

#include "KernelBuilder.h"

#include "llvm/ADT/SmallVector.h"

#include <array>

namespace mlopt::codegen {

/// The byte offset of 16-byte chunk `chunk` (0 .. 7) of row `row` of a
/// 128-byte swizzled tile.
mlir::Value swizzledOffset(KernelBuilder &k, mlir::Value row,
                           mlir::Value chunk);

/// The descriptor (i64) of a 128-byte swizzled operand at shared byte
/// address `address`. K-major (the 16 k elements along a row):
/// `strideBytes` from one 8-row atom to the next along M or N (1024 when
/// dense), `leadingBytes` unused. MN-major (M or N along a row):
/// `leadingBytes` from one 64-element column block to the next,
/// `strideBytes` from 8 rows (k) to the next 8.
mlir::Value matrixDescriptor(KernelBuilder &k, mlir::Value address,
                             int64_t leadingBytes, int64_t strideBytes);

/// The descriptor of the operand `bytes` (a multiple of 16) after the one
/// `descriptor` names: its start address field plus bytes / 16 (shared
/// addresses stay below 256 KiB, so the field never carries).
mlir::Value descriptorPlus(KernelBuilder &k, mlir::Value descriptor,
                           int64_t bytes);

/// D = A B (`acc` empty) or D = A B + acc, m64 n k16: A by descriptor
/// (K-major) or by 4 register words (`aWords`), B by descriptor, K-major or
/// with `transposeB` MN-major. Returns the n / 2 accumulators of this
/// thread; they are valid after the group's wgmmaWait.
llvm::SmallVector<mlir::Value> wgmma(KernelBuilder &k, int64_t n,
                                     mlir::ValueRange acc, mlir::Value aDesc,
                                     mlir::Value bDesc, bool transposeB);
llvm::SmallVector<mlir::Value> wgmma(KernelBuilder &k, int64_t n,
                                     mlir::ValueRange acc,
                                     const std::array<mlir::Value, 4> &aWords,
                                     mlir::Value bDesc, bool transposeB);

void wgmmaFence(KernelBuilder &k);
void wgmmaCommit(KernelBuilder &k);
void wgmmaWait(KernelBuilder &k, int64_t pending);
/// `values` (f32 or i32) through an empty asm that claims to change them: their
/// uses stay below, and their definitions above, whatever precedes.
llvm::SmallVector<mlir::Value> fenceRegisters(KernelBuilder &k,
                                              mlir::ValueRange values);
/// fence.proxy.async.shared::cta: this thread's shared-memory writes become
/// visible to the async proxy (wgmma operands).
void fenceAsyncShared(KernelBuilder &k);

} // namespace mlopt::codegen

#endif // MLOPT_LIB_CODEGEN_WGMMA_H
