//===- KernelEmitters.cpp - Shared pieces of the kernel emitters ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "KernelEmitters.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlopt;
using namespace mlopt::codegen;

int64_t codegen::widthOf(Value buffer) {
  return cast<kern::BufferType>(buffer.getType()).getWidth();
}

RankedTensorType codegen::weightType(Operation *op, FlatSymbolRefAttr name) {
  return cast<RankedTensorType>(
      SymbolTable::lookupNearestSymbolFrom<kern::WeightOp>(op, name).getType());
}

GpuKernelSpec codegen::perToken(std::string name, int64_t blocksPerToken,
                                int64_t threads, int64_t sharedFloats) {
  GpuKernelSpec s;
  s.name = std::move(name);
  s.grid[0] = blocksPerToken;
  s.perToken = true;
  s.block[0] = threads;
  s.sharedBytes = sharedFloats * 4;
  return s;
}

GpuKernelSpec codegen::perElement(std::string name, int64_t width) {
  return perToken(std::move(name), (width + kThreads - 1) / kThreads);
}

GpuKernelSpec codegen::perSequence(GpuKernelSpec spec) {
  spec.perSequence = true;
  return spec;
}

GpuKernelSpec codegen::withPositions(GpuKernelSpec spec) {
  spec.positions = true;
  return spec;
}

GpuKernelSpec codegen::fixedGrid(std::string name, int64_t blocks,
                                 int64_t threads, int64_t sharedFloats) {
  GpuKernelSpec s;
  s.name = std::move(name);
  s.grid[0] = blocks;
  s.block[0] = threads;
  s.sharedBytes = sharedFloats * 4;
  return s;
}

std::string codegen::epsName(double value) {
  std::string eps = llvm::formatv("{0:e2}", value);
  for (char &c : eps)
    c = c == '-' ? 'm' : c == '.' ? 'p' : c == '+' ? 'P' : c;
  return eps;
}

int64_t codegen::powerOfTwoAtMost(int64_t n, int64_t limit) {
  int64_t p = 1;
  while (p * 2 <= n && p * 2 <= limit)
    p *= 2;
  return p;
}

void codegen::buildKernel(gpu::GPUModuleOp module, StringRef name,
                          unsigned memrefs, bool ids, int64_t sharedFloats,
                          function_ref<void(KernelBuilder &)> body) {
  KernelBuilder k(module, name, memrefs, ids, sharedFloats);
  body(k);
  k.finish();
}

void codegen::buildKernel(gpu::GPUModuleOp module, StringRef name,
                          ArrayRef<Type> memrefs, bool ids,
                          int64_t sharedFloats,
                          function_ref<void(KernelBuilder &)> body) {
  KernelBuilder k(module, name, memrefs, ids, sharedFloats);
  body(k);
  k.finish();
}

Type codegen::ssmStateType(Operation *op, FlatSymbolRefAttr state) {
  auto layer =
      SymbolTable::lookupNearestSymbolFrom<kern::MambaStateOp>(op, state);
  Builder b(op->getContext());
  return layer && layer.getSsmBf16() ? Type(b.getBF16Type()) : b.getF32Type();
}

SmallVector<Type> codegen::memrefTypes(MLIRContext *ctx, unsigned count,
                                       unsigned at, Type type) {
  SmallVector<Type> types(count, Float32Type::get(ctx));
  types[at] = type;
  return types;
}

Type codegen::kvElementType(kern::AttentionOp attention) {
  auto cache = SymbolTable::lookupNearestSymbolFrom<kern::KVCacheOp>(
      attention, attention.getCacheAttr());
  Builder b(attention.getContext());
  return cache && cache.getBf16() ? Type(b.getBF16Type()) : b.getF32Type();
}
