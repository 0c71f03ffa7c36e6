//===- KernelBuilder.cpp - Building specialised gpu.func kernels ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlopt::codegen;

static SmallVector<Type> f32Types(MLIRContext *ctx, unsigned n) {
  return SmallVector<Type>(n, Float32Type::get(ctx));
}

KernelBuilder::KernelBuilder(gpu::GPUModuleOp module, StringRef name,
                             unsigned f32Memrefs, bool withIds,
                             int64_t sharedFloats)
    : KernelBuilder(module, name, f32Types(module.getContext(), f32Memrefs),
                    withIds, sharedFloats) {}

KernelBuilder::KernelBuilder(gpu::GPUModuleOp module, StringRef name,
                             ArrayRef<Type> memrefs, bool withIds,
                             int64_t sharedFloats)
    : builder(module.getLoc(), module.getContext()),
      numMemrefs(memrefs.size()) {
  MLIRContext *ctx = module.getContext();
  Type f32 = builder.getF32Type();
  SmallVector<Type> args;
  for (Type element : memrefs)
    args.push_back(MemRefType::get({ShapedType::kDynamic}, element));
  if (withIds)
    args.push_back(
        MemRefType::get({ShapedType::kDynamic}, builder.getI32Type()));
  args.push_back(builder.getIndexType()); // tokens
  args.push_back(builder.getIndexType()); // position
  builder.setInsertionPointToEnd(module.getBody());
  func = gpu::GPUFuncOp::create(builder, name,
                                builder.getFunctionType(args, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                builder.getUnitAttr());
  if (sharedFloats > 0)
    shared = func.addWorkgroupAttribution(
        MemRefType::get({sharedFloats}, f32, MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(
                            ctx, gpu::GPUDialect::getWorkgroupAddressSpace())),
        module.getLoc());
  builder.setInsertionPointToStart(&func.getBody().front());
  blockIdx = gpu::BlockIdOp::create(builder, gpu::Dimension::x);
  threadIdx = gpu::ThreadIdOp::create(builder, gpu::Dimension::x);
}

void KernelBuilder::launchBounds(int64_t threads, int64_t blocksPerSM) {
  func->setAttr("nvvm.maxntid", builder.getDenseI32ArrayAttr(
                                    {static_cast<int32_t>(threads), 1, 1}));
  func->setAttr("nvvm.minctasm",
                builder.getI32IntegerAttr(static_cast<int32_t>(blocksPerSM)));
}

void KernelBuilder::clusterOf(int64_t blocks) {
  func->setAttr(
      NVVM::NVVMDialect::getClusterDimAttrName(),
      builder.getDenseI32ArrayAttr({static_cast<int32_t>(blocks), 1, 1}));
}

void KernelBuilder::clusterBarrier() {
  NVVM::ClusterArriveOp::create(builder, builder.getUnitAttr());
  NVVM::ClusterWaitOp::create(builder, builder.getUnitAttr());
}

Value KernelBuilder::loadFromClusterBlock(Value index, Value rank) {
  MLIRContext *ctx = builder.getContext();
  auto pointer = [&](NVVM::NVVMMemorySpace space) {
    return LLVM::LLVMPointerType::get(ctx, static_cast<unsigned>(space));
  };
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(builder, shared);
  Value address = arith::IndexCastOp::create(builder, builder.getI64Type(),
                                             add(base, mul(index, idx(4))));
  Value local = LLVM::IntToPtrOp::create(
      builder, pointer(NVVM::NVVMMemorySpace::Shared), address);
  Value remote = NVVM::MapaOp::create(
      builder, pointer(NVVM::NVVMMemorySpace::SharedCluster), local,
      arith::IndexCastOp::create(builder, builder.getI32Type(), rank));
  return LLVM::LoadOp::create(builder, builder.getF32Type(), remote);
}

Value KernelBuilder::widen(Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(builder, builder.getF32Type(), v);
}

Value KernelBuilder::narrow(Value v, Type element) {
  if (element.isF32())
    return v;
  return arith::TruncFOp::create(builder, element, v);
}

Value KernelBuilder::rmsScale(Value sumSquares, int64_t n, double eps) {
  Value mean = fdiv(sumSquares, f32(double(n)));
  return fdiv(f32(1.0), math::SqrtOp::create(builder, fadd(mean, f32(eps))));
}

SmallVector<Value> KernelBuilder::loadFloats(Value memref, Value index,
                                             int64_t count) {
  Value v = vector::LoadOp::create(
      builder, VectorType::get({count}, builder.getF32Type()), memref,
      ValueRange{index}, /*nontemporal=*/false, llvm::MaybeAlign(4 * count));
  SmallVector<Value> out;
  for (int64_t e = 0; e < count; ++e)
    out.push_back(vector::ExtractOp::create(builder, v, e));
  return out;
}

void KernelBuilder::storeFloats(ValueRange values, Value memref, Value index) {
  auto type = VectorType::get({int64_t(values.size())}, builder.getF32Type());
  vector::StoreOp::create(builder,
                          vector::FromElementsOp::create(builder, type, values),
                          memref, ValueRange{index}, /*nontemporal=*/false,
                          llvm::MaybeAlign(4 * values.size()));
}

Value KernelBuilder::sequence() {
  return gpu::BlockIdOp::create(builder, gpu::Dimension::y);
}

Value KernelBuilder::sequenceRow(Value t) {
  return add(mul(sequence(), tokens()), t);
}

Value KernelBuilder::sequencePosition() {
  Value p = load(memref(numMemrefs - 1), sequence());
  return arith::IndexCastOp::create(builder, builder.getIndexType(), p);
}

Value KernelBuilder::sequenceSlice(Value memref) {
  Value size = memref::DimOp::create(builder, memref, 0);
  Value sequences = gpu::GridDimOp::create(builder, gpu::Dimension::y);
  return mul(sequence(), div(size, sequences));
}

Value KernelBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(builder, v);
}
Value KernelBuilder::add(Value a, Value b) {
  return arith::AddIOp::create(builder, a, b);
}
Value KernelBuilder::sub(Value a, Value b) {
  return arith::SubIOp::create(builder, a, b);
}
Value KernelBuilder::mul(Value a, Value b) {
  return arith::MulIOp::create(builder, a, b);
}
Value KernelBuilder::div(Value a, Value b) {
  return arith::DivUIOp::create(builder, a, b);
}
Value KernelBuilder::rem(Value a, Value b) {
  return arith::RemUIOp::create(builder, a, b);
}
Value KernelBuilder::lt(Value a, Value b) {
  return arith::CmpIOp::create(builder, arith::CmpIPredicate::ult, a, b);
}
Value KernelBuilder::eq(Value a, Value b) {
  return arith::CmpIOp::create(builder, arith::CmpIPredicate::eq, a, b);
}
Value KernelBuilder::minIndex(Value a, Value b) {
  return arith::MinUIOp::create(builder, a, b);
}
Value KernelBuilder::maxIndex(Value a, Value b) {
  return arith::MaxUIOp::create(builder, a, b);
}

Value KernelBuilder::f32(double v) {
  return arith::ConstantOp::create(builder, builder.getF32FloatAttr(v));
}
Value KernelBuilder::fadd(Value a, Value b) {
  return arith::AddFOp::create(builder, a, b);
}
Value KernelBuilder::fsub(Value a, Value b) {
  return arith::SubFOp::create(builder, a, b);
}
Value KernelBuilder::fmul(Value a, Value b) {
  return arith::MulFOp::create(builder, a, b);
}
Value KernelBuilder::fdiv(Value a, Value b) {
  return arith::DivFOp::create(builder, a, b);
}
Value KernelBuilder::fmax(Value a, Value b) {
  return arith::MaximumFOp::create(builder, a, b);
}
Value KernelBuilder::exp(Value a) { return math::ExpOp::create(builder, a); }
Value KernelBuilder::exp2Approx(Value x) {
  return LLVM::CallIntrinsicOp::create(
             builder, builder.getF32Type(),
             builder.getStringAttr("llvm.nvvm.ex2.approx.ftz.f"), ValueRange{x})
      .getResult(0);
}
Value KernelBuilder::fma(Value a, Value b, Value c) {
  return math::FmaOp::create(builder, a, b, c);
}
Value KernelBuilder::silu(Value x) {
  return fdiv(x, fadd(f32(1.0), exp(arith::NegFOp::create(builder, x))));
}
Value KernelBuilder::softplus(Value x) {
  Value big = arith::CmpFOp::create(builder, arith::CmpFPredicate::OGT, x,
                                    f32(20.0));
  Value soft = math::Log1pOp::create(builder, exp(x));
  return arith::SelectOp::create(builder, big, x, soft);
}
Value KernelBuilder::toF32(Value index) {
  Value i64 =
      arith::IndexCastUIOp::create(builder, builder.getI64Type(), index);
  return arith::UIToFPOp::create(builder, builder.getF32Type(), i64);
}

Value KernelBuilder::load(Value memref, Value index) {
  return memref::LoadOp::create(builder, memref, index);
}
void KernelBuilder::store(Value value, Value memref, Value index) {
  memref::StoreOp::create(builder, value, memref, index);
}

void KernelBuilder::loop(Value begin, Value end, Value step,
                         const std::function<void(Value)> &body) {
  auto forOp = scf::ForOp::create(builder, begin, end, step);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(forOp.getBody()->getTerminator());
  body(forOp.getInductionVar());
}

SmallVector<Value> KernelBuilder::loop(
    Value begin, Value end, Value step, ValueRange init,
    const std::function<SmallVector<Value>(Value, ValueRange)> &body) {
  auto forOp = scf::ForOp::create(builder, begin, end, step, init);
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *block = forOp.getBody();
    builder.setInsertionPointToEnd(block);
    if (!block->empty() && block->back().hasTrait<OpTrait::IsTerminator>())
      block->back().erase();
    SmallVector<Value> next =
        body(forOp.getInductionVar(), forOp.getRegionIterArgs());
    scf::YieldOp::create(builder, next);
  }
  return SmallVector<Value>(forOp.getResults());
}

void KernelBuilder::strided(Value end, int64_t threads,
                            const std::function<void(Value)> &body) {
  loop(threadIdx, end, idx(threads), body);
}

SmallVector<Value>
KernelBuilder::choose(Value cond, TypeRange types,
                      function_ref<SmallVector<Value>()> then,
                      function_ref<SmallVector<Value>()> otherwise) {
  auto op = scf::IfOp::create(builder, types, cond, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(op.thenBlock());
  scf::YieldOp::create(builder, then());
  builder.setInsertionPointToStart(op.elseBlock());
  scf::YieldOp::create(builder, otherwise());
  return SmallVector<Value>(op.getResults());
}

void KernelBuilder::when(Value cond, const std::function<void()> &body) {
  auto ifOp = scf::IfOp::create(builder, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  body();
}

void KernelBuilder::eachElement(
    int64_t width, int64_t threads,
    const std::function<void(Value, Value)> &body) {
  int64_t blocks = (width + threads - 1) / threads;
  Value t = div(blockIdx, idx(blocks));
  Value c = add(mul(rem(blockIdx, idx(blocks)), idx(threads)), threadIdx);
  when(lt(c, idx(width)), [&] { body(t, c); });
}

Value KernelBuilder::blockSum(Value value, int64_t threads) {
  if (threads >= 64) {
    // Each warp's sum to shared[warp], then warp 0 sums those; the
    // barriers around let the buffer be reused by the next call.
    Value lane = rem(threadIdx, idx(32)), warp = div(threadIdx, idx(32));
    Value isLeader = eq(lane, idx(0));
    Value partial = warpSum(value);
    when(isLeader, [&] { store(partial, shared, warp); });
    gpu::BarrierOp::create(builder);
    Value mine = arith::SelectOp::create(
        builder, lt(lane, idx(threads / 32)),
        load(shared, minIndex(lane, idx(threads / 32 - 1))), f32(0));
    Value total = warpSum(mine);
    gpu::BarrierOp::create(builder);
    return total;
  }
  // Tree reduction in shared memory; the trailing barrier lets the buffer
  // be reused by the next call.
  store(value, shared, threadIdx);
  gpu::BarrierOp::create(builder);
  for (int64_t half = threads / 2; half > 0; half /= 2) {
    when(lt(threadIdx, idx(half)), [&] {
      Value other = load(shared, add(threadIdx, idx(half)));
      store(fadd(load(shared, threadIdx), other), shared, threadIdx);
    });
    gpu::BarrierOp::create(builder);
  }
  Value sum = load(shared, idx(0));
  gpu::BarrierOp::create(builder);
  return sum;
}

/// `value` combined over the 32 lanes of each warp (butterfly shuffles).
static Value warpReduce(KernelBuilder &k, Value value, int32_t lanes,
                        function_ref<Value(Value, Value)> combine) {
  for (int32_t offset = lanes / 2; offset > 0; offset /= 2) {
    auto shuffle = gpu::ShuffleOp::create(k.b(), value, offset, 32,
                                          gpu::ShuffleMode::XOR);
    value = combine(value, shuffle.getShuffleResult());
  }
  return value;
}

Value KernelBuilder::warpSum(Value value, int32_t lanes) {
  return warpReduce(*this, value, lanes,
                    [&](Value a, Value b) { return fadd(a, b); });
}

Value KernelBuilder::warpMax(Value value, int32_t lanes) {
  return warpReduce(*this, value, lanes,
                    [&](Value a, Value b) { return fmax(a, b); });
}

Value KernelBuilder::dynamicSharedFloats(int64_t floats) {
  auto workgroup = gpu::AddressSpaceAttr::get(
      builder.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  Value raw = gpu::DynamicSharedMemoryOp::create(
      builder, MemRefType::get({ShapedType::kDynamic}, builder.getI8Type(),
                               MemRefLayoutAttrInterface(), workgroup));
  return memref::ViewOp::create(
      builder,
      MemRefType::get({floats}, builder.getF32Type(),
                      MemRefLayoutAttrInterface(), workgroup),
      raw, idx(0), ValueRange());
}

void KernelBuilder::finish() { gpu::ReturnOp::create(builder); }
