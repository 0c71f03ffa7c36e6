//===- Wgmma.cpp - Hopper warpgroup MMA for kernel bodies -----------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The MMA is inline PTX, as MLIR's own nvvm.wgmma.mma_async lowers to,
// because that op takes A only from shared memory and attention's P V
// takes P from registers.
//
//===----------------------------------------------------------------------===//

#include "Wgmma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

Value codegen::swizzledOffset(KernelBuilder &k, Value row, Value chunk) {
  Value swizzled =
      arith::XOrIOp::create(k.b(), chunk, k.rem(row, k.idx(8))).getResult();
  return k.add(k.mul(row, k.idx(128)), k.mul(swizzled, k.idx(16)));
}

Value codegen::matrixDescriptor(KernelBuilder &k, Value address,
                                int64_t leadingBytes, int64_t strideBytes) {
  ImplicitLocOpBuilder &b = k.b();
  auto i64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, v, 64).getResult();
  };
  // Bits 0-13: address / 16; 16-29: leading / 16; 32-45: stride / 16;
  // 62-63: 1, the 128-byte swizzle (base offset 0: atoms are aligned).
  const int64_t fixed = ((leadingBytes >> 4) << 16) |
                        ((strideBytes >> 4) << 32) | (int64_t(1) << 62);
  Value a = arith::IndexCastOp::create(b, b.getI64Type(), address);
  a = arith::AndIOp::create(b, arith::ShRUIOp::create(b, a, i64(4)),
                            i64(0x3FFF));
  return arith::OrIOp::create(b, a, i64(fixed));
}

Value codegen::descriptorPlus(KernelBuilder &k, Value descriptor,
                              int64_t bytes) {
  if (bytes == 0)
    return descriptor;
  return arith::AddIOp::create(
      k.b(), descriptor,
      arith::ConstantIntOp::create(k.b(), bytes >> 4, 64).getResult());
}

namespace {
/// The results (of `types`) of inline PTX `text` with `constraints`.
SmallVector<Value> inlinePtx(KernelBuilder &k, TypeRange types, ValueRange in,
                             StringRef text, StringRef constraints) {
  ImplicitLocOpBuilder &b = k.b();
  auto type = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                               SmallVector<Type>(types));
  Value out =
      LLVM::InlineAsmOp::create(
          b, type, in, text, constraints, /*has_side_effects=*/true,
          /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
          LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
          ArrayAttr())
          .getRes();
  SmallVector<Value> values;
  for (int64_t i = 0; i < int64_t(types.size()); ++i)
    values.push_back(LLVM::ExtractValueOp::create(b, out, i));
  return values;
}

/// "$first, ..., $(first + count - 1)".
std::string operandList(int64_t first, int64_t count) {
  std::string s;
  for (int64_t i = 0; i < count; ++i)
    s += (i ? ", $" : "$") + std::to_string(first + i);
  return s;
}

/// Constraints `code` for `count` operands, comma-separated, or the
/// indices of outputs 0 .. count - 1 (tied inputs) for an empty code.
std::string constraintList(StringRef code, int64_t count) {
  std::string s;
  for (int64_t i = 0; i < count; ++i)
    s += (i ? "," : "") + (code.empty() ? std::to_string(i) : code.str());
  return s;
}

/// The wgmma of either A: `aOperands` (one descriptor or 4 words) with
/// constraint `aCode` ("l" or "r").
SmallVector<Value> emitWgmma(KernelBuilder &k, int64_t n, ValueRange acc,
                             ValueRange aOperands, StringRef aCode, Value bDesc,
                             bool transposeB) {
  const int64_t m = n / 2;
  const bool accumulate = !acc.empty();
  SmallVector<Value> in(acc.begin(), acc.end());
  in.append(aOperands.begin(), aOperands.end());
  in.push_back(bDesc);
  in.push_back(arith::ConstantIntOp::create(k.b(), accumulate, 32));
  const int64_t aAt = accumulate ? 2 * m : m;
  const int64_t aCount = aOperands.size();
  const int64_t bAt = aAt + aCount, scaleAt = bAt + 1;
  std::string a =
      aCount == 1 ? operandList(aAt, 1) : "{" + operandList(aAt, aCount) + "}";
  // Register A has no transpose flag: it is K-major.
  std::string flags = aCount == 1 ? "1, 1, 0, " : "1, 1, ";
  std::string text =
      "{\n.reg .pred p;\nsetp.ne.b32 p, $" + std::to_string(scaleAt) +
      ", 0;\nwgmma.mma_async.sync.aligned.m64n" + std::to_string(n) +
      "k16.f32.bf16.bf16 {" + operandList(0, m) + "}, " + a + ", $" +
      std::to_string(bAt) + ", p, " + flags + (transposeB ? "1" : "0") +
      ";\n}\n";
  std::string constraints = constraintList("=f", m);
  if (accumulate)
    constraints += "," + constraintList("", m);
  constraints += "," + constraintList(aCode, aCount) + ",l,r";
  return inlinePtx(k, SmallVector<Type>(m, k.b().getF32Type()), in, text,
                   constraints);
}
} // namespace

SmallVector<Value> codegen::wgmma(KernelBuilder &k, int64_t n, ValueRange acc,
                                  Value aDesc, Value bDesc, bool transposeB) {
  return emitWgmma(k, n, acc, aDesc, "l", bDesc, transposeB);
}

SmallVector<Value> codegen::wgmma(KernelBuilder &k, int64_t n, ValueRange acc,
                                  const std::array<Value, 4> &aWords,
                                  Value bDesc, bool transposeB) {
  return emitWgmma(k, n, acc, ValueRange(aWords), "r", bDesc, transposeB);
}

void codegen::wgmmaFence(KernelBuilder &k) {
  NVVM::WgmmaFenceAlignedOp::create(k.b());
}

void codegen::wgmmaCommit(KernelBuilder &k) {
  NVVM::WgmmaGroupSyncAlignedOp::create(k.b());
}

void codegen::wgmmaWait(KernelBuilder &k, int64_t pending) {
  NVVM::WgmmaWaitGroupSyncOp::create(k.b(), pending);
}

SmallVector<Value> codegen::fenceRegisters(KernelBuilder &k,
                                           ValueRange values) {
  std::string constraints;
  for (Value v : values)
    constraints += (constraints.empty() ? "=" : ",=") +
                   std::string(v.getType().isF32() ? "f" : "r");
  constraints += "," + constraintList("", values.size());
  return inlinePtx(k, values.getTypes(), values, "", constraints);
}

void codegen::fenceAsyncShared(KernelBuilder &k) {
  NVVM::FenceProxyOp::create(
      k.b(), NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(k.b().getContext(),
                                 NVVM::SharedSpace::shared_cta));
}
