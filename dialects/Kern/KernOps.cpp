//===- KernOps.cpp - kern dialect operations ------------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Verifiers that keep a plan executable: buffers inside the arena, GEMM
// widths that match their weights, and both entries present.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/Kern/KernOps.h"

#include "llvm/ADT/DenseMap.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::kern;

#define GET_OP_CLASSES
#include "mlopt/Dialect/Kern/KernOps.cpp.inc"

LogicalResult ProgramOp::verifyRegions() {
  for (StringRef name : {"prefill", "decode"}) {
    auto entry = dyn_cast_or_null<EntryOp>(mlir::SymbolTable::lookupSymbolIn(
        *this, StringAttr::get(getContext(), name)));
    if (!entry)
      return emitOpError() << "expects an entry @" << name;
  }
  return success();
}

/// Buffers alive at the same time must not share arena floats: a buffer
/// lives from its first to its last use (an op may write a buffer it reads).
LogicalResult EntryOp::verifyRegions() {
  struct Range {
    BufferOp buffer;
    unsigned first = ~0u, last = 0;
  };
  // In program order, so that the later of two clashing buffers is reported.
  SmallVector<Range> ranges;
  llvm::DenseMap<Value, size_t> byValue;
  unsigned index = 0;
  for (Operation &op : getBody().front()) {
    if (auto buffer = dyn_cast<BufferOp>(op)) {
      byValue[buffer.getResult()] = ranges.size();
      ranges.push_back({buffer});
    }
    for (Value operand : op.getOperands()) {
      auto it = byValue.find(operand);
      if (it == byValue.end())
        continue;
      Range &r = ranges[it->second];
      r.first = std::min(r.first, index);
      r.last = std::max(r.last, index);
    }
    ++index;
  }
  SmallVector<Range> live;
  for (const Range &r : ranges)
    if (r.first != ~0u)
      live.push_back(r);
  for (size_t i = 0; i < live.size(); ++i)
    for (size_t j = i + 1; j < live.size(); ++j) {
      Range &a = live[i], &b = live[j];
      bool together = a.first <= b.last && b.first <= a.last;
      int64_t aBegin = a.buffer.getOffset(), bBegin = b.buffer.getOffset();
      int64_t aEnd = aBegin + a.buffer.getType().getWidth();
      int64_t bEnd = bBegin + b.buffer.getType().getWidth();
      if (together && aBegin < bEnd && bBegin < aEnd) {
        InFlightDiagnostic diag =
            b.buffer.emitOpError()
            << "overlaps a buffer that is live at the same time (floats ["
            << aBegin << ", " << aEnd << ") and [" << bBegin << ", " << bEnd
            << ") per token)";
        diag.attachNote(a.buffer.getLoc()) << "the other buffer";
        return diag;
      }
    }
  return success();
}

LogicalResult BufferOp::verify() {
  auto program = (*this)->getParentOfType<ProgramOp>();
  int64_t width = getType().getWidth(), offset = getOffset();
  if (offset < 0 || offset + width > program.getArena())
    return emitOpError() << "occupies floats [" << offset << ", "
                         << offset + width << ") per token, outside the arena "
                         << "of " << program.getArena();
  return success();
}

/// The [rows, cols] weight `ref` names, or an error naming `op`.
static FailureOr<RankedTensorType> matrixOf(Operation *op, Attribute ref) {
  auto weight = dyn_cast_or_null<WeightOp>(mlir::SymbolTable::lookupSymbolIn(
      op->getParentOfType<ProgramOp>(), cast<SymbolRefAttr>(ref)));
  if (!weight)
    return op->emitOpError() << "names " << ref << ", which is not a kern.weight";
  auto type = cast<RankedTensorType>(weight.getType());
  if (type.getRank() != 2)
    return op->emitOpError() << "expects a matrix, but weight "
                             << weight.getName() << " is " << type;
  return type;
}

/// Checks the optional input RMSNorm of a projection reading `width`
/// columns: a vector of that width and a positive eps, both or neither.
static LogicalResult verifyNorm(Operation *op, FlatSymbolRefAttr norm,
                                FloatAttr eps, int64_t width) {
  if (!norm && !eps)
    return success();
  if (!norm || !eps)
    return op->emitOpError() << "needs both a norm weight and its eps";
  if (!(eps.getValueAsDouble() > 0))
    return op->emitOpError() << "expects a positive eps but found "
                             << eps.getValueAsDouble();
  auto weight = dyn_cast_or_null<WeightOp>(mlir::SymbolTable::lookupSymbolIn(
      op->getParentOfType<ProgramOp>(), norm));
  if (!weight)
    return op->emitOpError() << "names " << norm << ", which is not a kern.weight";
  auto type = cast<RankedTensorType>(weight.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != width)
    return op->emitOpError() << "normalises " << width
                             << " columns but its norm weight is " << type;
  return success();
}

LogicalResult LMHeadOp::verify() {
  return verifyNorm(*this, getNormAttr(), getEpsAttr(),
                    getIn().getType().getWidth());
}

LogicalResult LinearOp::verify() {
  if (failed(verifyNorm(*this, getNormAttr(), getEpsAttr(),
                        getIn().getType().getWidth())))
    return failure();
  int64_t in = getIn().getType().getWidth();
  if (getOuts().empty())
    return emitOpError() << "writes no output";
  // Weights fill the outputs in order, each output exactly: weight rows
  // are assigned to the current output until it is full.
  SmallVector<int64_t> rows(getOuts().size(), 0);
  size_t out = 0;
  for (Attribute ref : getWeights()) {
    FailureOr<RankedTensorType> type = matrixOf(*this, ref);
    if (failed(type))
      return failure();
    if (type->getDimSize(1) != in)
      return emitOpError() << "reads " << in << " columns but weight " << ref
                           << " is " << *type;
    out = std::min(out, rows.size() - 1);
    rows[out] += type->getDimSize(0);
    if (rows[out] >= cast<BufferType>(getOuts()[out].getType()).getWidth())
      ++out;
  }
  for (auto [i, buffer] : llvm::enumerate(getOuts()))
    if (int64_t width = cast<BufferType>(buffer.getType()).getWidth();
        rows[i] != width)
      return emitOpError() << "writes " << width << " columns to output " << i
                           << " but its weights have " << rows[i] << " rows";
  if (std::optional<ArrayAttr> biases = getBiases();
      biases && biases->size() != getWeights().size())
    return emitOpError() << "has " << biases->size() << " biases for "
                         << getWeights().size() << " weights";
  return success();
}

LogicalResult LinearSwiGLUOp::verify() {
  int64_t in = getIn().getType().getWidth(), out = getOut().getType().getWidth();
  if (failed(verifyNorm(*this, getNormAttr(), getEpsAttr(), in)))
    return failure();
  for (Attribute ref : {Attribute(getGateAttr()), Attribute(getUpAttr())}) {
    FailureOr<RankedTensorType> type = matrixOf(*this, ref);
    if (failed(type))
      return failure();
    if (type->getDimSize(0) != out || type->getDimSize(1) != in)
      return emitOpError() << "maps " << in << " columns to " << out
                           << " but weight " << ref << " is " << *type;
  }
  return success();
}

LogicalResult SSMScanOp::verify() {
  bool mamba1 = getVariant() == llm::MambaVariant::Mamba1;
  if (mamba1 != static_cast<bool>(getBc()))
    return emitOpError() << (mamba1 ? "of a Mamba-1 layer expects [B | C] in "
                                      "a separate bc buffer"
                                    : "of a Mamba-2 layer reads B and C from "
                                      "xbc and takes no bc buffer");
  if (getBf16Inputs()) {
    auto entry = (*this)->getParentOfType<EntryOp>();
    if (mamba1 || (entry && entry.getStep()))
      return emitOpError()
             << "rounds x, B and C to bf16 (bf16_inputs) only in a Mamba-2 "
                "prefill scan; this is "
             << (mamba1 ? "a Mamba-1 scan"
                        : "in the step entry @" + entry.getSymName().str());
  }
  return success();
}

LogicalResult RepeatGroupsOp::verify() {
  int64_t in = getIn().getType().getWidth(),
          out = getOut().getType().getWidth();
  if (getGroup() <= 0 || getTimes() <= 0 || in % getGroup() != 0 ||
      out != in * getTimes())
    return emitOpError() << "repeats groups of " << getGroup() << " channels "
                         << getTimes() << " times, which maps " << in
                         << " channels to " << in * getTimes() << ", not "
                         << out;
  return success();
}

LogicalResult AddRMSNormOp::verify() {
  int64_t width = getLhs().getType().getWidth();
  for (auto [what, buffer] :
       {std::pair<StringRef, Value>{"rhs", getRhs()}, {"sum", getSum()},
        {"out", getOut()}})
    if (int64_t w = cast<BufferType>(buffer.getType()).getWidth();
        w != width)
      return emitOpError() << "expects " << what << " of width " << width
                           << " (the width of lhs) but found " << w;
  if (!(getEps().convertToDouble() > 0))
    return emitOpError() << "expects a positive eps but found "
                         << getEps().convertToDouble();
  return success();
}

LogicalResult MambaStepOp::verify() {
  int64_t heads = getHeads(), groups = getGroups(), n = getDState();
  int64_t inner = getOut().getType().getWidth();
  if (heads <= 0 || groups <= 0 || n <= 0 || heads % groups != 0 ||
      inner % heads != 0)
    return emitOpError() << "expects heads (" << heads
                         << ") to be a multiple of groups (" << groups
                         << ") and to divide the output width (" << inner
                         << "), with a positive d_state (" << n << ")";
  int64_t p = inner / heads;
  int64_t xbc = groups * p + groups * n + heads * n;
  if (getXbc().getType().getWidth() != xbc)
    return emitOpError() << "expects [x|B|C] of width " << xbc << " ("
                         << groups << " groups x " << p << " + " << groups
                         << " groups x d_state " << n << " + " << heads
                         << " heads x d_state " << n << ") but found "
                         << getXbc().getType().getWidth();
  if (getDt().getType().getWidth() != heads)
    return emitOpError() << "expects dt of width " << heads
                         << " (one per head) but found "
                         << getDt().getType().getWidth();
  if (getZ().getType().getWidth() != inner)
    return emitOpError() << "expects z of width " << inner
                         << " (the output's) but found "
                         << getZ().getType().getWidth();
  if (getGroup() <= 0 || inner % getGroup() != 0)
    return emitOpError() << "expects a norm group that divides the output "
                            "width "
                         << inner << " but found " << getGroup();
  return success();
}

Operation *mlir::kern::nextKernel(Operation *op) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode())
    if (!isa<BufferOp>(next))
      return next;
  return nullptr;
}

Operation *mlir::kern::previousKernel(Operation *op) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode())
    if (!isa<BufferOp>(prev))
      return prev;
  return nullptr;
}

bool mlir::kern::usedAfter(Operation *op, Value buffer) {
  return llvm::any_of(buffer.getUsers(), [&](Operation *user) {
    return user != op && op->isBeforeInBlock(user);
  });
}

Overlap mlir::kern::overlap(Value x, Value y) {
  if (x == y)
    return Overlap::Same;
  auto a = x.getDefiningOp<BufferOp>();
  auto b = y.getDefiningOp<BufferOp>();
  int64_t aBegin = a.getOffset(), aEnd = aBegin + a.getType().getWidth();
  int64_t bBegin = b.getOffset(), bEnd = bBegin + b.getType().getWidth();
  if (aEnd <= bBegin || bEnd <= aBegin)
    return Overlap::Disjoint;
  return aBegin == bBegin && aEnd == bEnd ? Overlap::Same : Overlap::Partial;
}
