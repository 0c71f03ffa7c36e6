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

LogicalResult BufferOp::verify() {
  auto program = (*this)->getParentOfType<ProgramOp>();
  int64_t width = getType().getWidth(), offset = getOffset();
  if (offset < 0 || offset + width > program.getArena())
    return emitOpError() << "occupies floats [" << offset << ", "
                         << offset + width << ") per token, outside the arena "
                         << "of " << program.getArena();
  return success();
}

LogicalResult LinearOp::verify() {
  auto program = (*this)->getParentOfType<ProgramOp>();
  int64_t rows = 0, in = getIn().getType().getWidth();
  for (Attribute ref : getWeights()) {
    auto weight = dyn_cast_or_null<WeightOp>(
        mlir::SymbolTable::lookupSymbolIn(program, cast<SymbolRefAttr>(ref)));
    if (!weight)
      return emitOpError() << "names " << ref << ", which is not a kern.weight";
    auto type = cast<RankedTensorType>(weight.getType());
    if (type.getRank() != 2 || type.getDimSize(1) != in)
      return emitOpError() << "reads " << in << " columns but weight "
                           << weight.getName() << " is " << type;
    rows += type.getDimSize(0);
  }
  if (rows != getOut().getType().getWidth())
    return emitOpError() << "writes " << getOut().getType().getWidth()
                         << " columns but its weights have " << rows << " rows";
  if (std::optional<ArrayAttr> biases = getBiases();
      biases && biases->size() != getWeights().size())
    return emitOpError() << "has " << biases->size() << " biases for "
                         << getWeights().size() << " weights";
  return success();
}
