//===- TensorCore.cpp - bf16 mma.sync fragments for kernel bodies ---------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "TensorCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

namespace {
VectorType pairOf(Type element) { return VectorType::get({2}, element); }

/// (first, second) as a vector<2xf32>.
Value f32Pair(KernelBuilder &k, Value first, Value second) {
  return vector::FromElementsOp::create(
      k.b(), pairOf(k.b().getF32Type()), ValueRange{first, second});
}

/// A vector<2xbf16> as the i32 word holding it (element 0 in the low half).
Value asWord(KernelBuilder &k, Value pair) {
  return LLVM::BitcastOp::create(k.b(), k.b().getI32Type(), pair);
}
} // namespace

Value codegen::packBf16x2(KernelBuilder &k, Value first, Value second) {
  ImplicitLocOpBuilder &b = k.b();
  return asWord(k, arith::TruncFOp::create(b, pairOf(b.getBF16Type()),
                                           f32Pair(k, first, second)));
}

SplitWords codegen::splitBf16x2(KernelBuilder &k, Value first, Value second) {
  ImplicitLocOpBuilder &b = k.b();
  Value pair = f32Pair(k, first, second);
  Value hi = arith::TruncFOp::create(b, pairOf(b.getBF16Type()), pair);
  Value rest = arith::SubFOp::create(
      b, pair, arith::ExtFOp::create(b, pairOf(b.getF32Type()), hi));
  Value lo = arith::TruncFOp::create(b, pairOf(b.getBF16Type()), rest);
  return {asWord(k, hi), asWord(k, lo)};
}

SplitWords codegen::bf16Words(KernelBuilder &k, bool split, Value first,
                              Value second) {
  if (!split)
    return {packBf16x2(k, first, second), Value()};
  return splitBf16x2(k, first, second);
}

Accumulator codegen::mmaBf16(KernelBuilder &k, const std::array<Value, 4> &a,
                             const std::array<Value, 2> &b,
                             const Accumulator &c) {
  ImplicitLocOpBuilder &builder = k.b();
  Type f32 = builder.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(builder.getContext(),
                                                 {f32, f32, f32, f32});
  Value d = NVVM::MmaOp::create(
      builder, result, ValueRange(a), ValueRange(b), ValueRange(c),
      ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  Accumulator out;
  for (int64_t i = 0; i < 4; ++i)
    out[i] = LLVM::ExtractValueOp::create(builder, d, ArrayRef<int64_t>{i});
  return out;
}

namespace {
/// Byte address `address` (an index) as a pointer of address space `space`.
Value pointerTo(KernelBuilder &k, Value address, unsigned space) {
  ImplicitLocOpBuilder &b = k.b();
  return LLVM::IntToPtrOp::create(
      b, LLVM::LLVMPointerType::get(b.getContext(), space),
      arith::IndexCastOp::create(b, b.getI64Type(), address).getResult());
}
constexpr unsigned kGlobalSpace = 1, kSharedSpace = 3;
} // namespace

Value codegen::addressOf(KernelBuilder &k, Value memref) {
  return memref::ExtractAlignedPointerAsIndexOp::create(k.b(), memref);
}

void codegen::copyAsync16(KernelBuilder &k, Value to, Value from) {
  NVVM::CpAsyncOp::create(k.b(), pointerTo(k, to, kSharedSpace),
                          pointerTo(k, from, kGlobalSpace), 16,
                          NVVM::LoadCacheModifierKind::CG, Value());
}

void codegen::commitCopies(KernelBuilder &k) {
  NVVM::CpAsyncCommitGroupOp::create(k.b());
}

void codegen::waitCopies(KernelBuilder &k, int32_t pending) {
  NVVM::CpAsyncWaitGroupOp::create(k.b(), pending);
}

SmallVector<Value, 4> codegen::loadMatrices(KernelBuilder &k, Value address,
                                            int64_t count, bool transpose) {
  ImplicitLocOpBuilder &b = k.b();
  Type i32 = b.getI32Type();
  Type result = i32;
  if (count > 1)
    result = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                              SmallVector<Type>(count, i32));
  Value words = NVVM::LdMatrixOp::create(
      b, result, pointerTo(k, address, kSharedSpace), count,
      transpose ? NVVM::MMALayout::col : NVVM::MMALayout::row,
      NVVM::LdStMatrixShapeAttr::get(b.getContext(), 8, 8),
      NVVM::LdStMatrixEltType::B16);
  if (count == 1)
    return {words};
  SmallVector<Value, 4> out;
  for (int64_t i = 0; i < count; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, words, ArrayRef<int64_t>{i}));
  return out;
}
