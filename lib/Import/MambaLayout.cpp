//===- MambaLayout.cpp - Where MambaInLlama keeps Mamba weights -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Import/MambaLayout.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir::llm;
using namespace mlopt;

std::optional<StoredWeight>
mlopt::mambaInLlamaWeight(int64_t layer, const MambaLayerSpec &spec,
                          MambaOperand operand) {
  std::string prefix = llvm::formatv("model.layers.{0}.mamba.", layer);
  auto whole = [&](const char *name) {
    return StoredWeight{prefix + name, std::nullopt};
  };
  // Shared by both variants.
  switch (operand) {
  case MambaOperand::Out:
    return whole("out_proj.weight");
  case MambaOperand::ConvWeight:
    return whole("conv1d.weight");
  case MambaOperand::ConvBias:
    return whole("conv1d.bias");
  case MambaOperand::ALog:
    return whole("A_log");
  case MambaOperand::D:
    return whole("D");
  default:
    break;
  }
  if (spec.variant == MambaVariant::Mamba1) {
    switch (operand) {
    case MambaOperand::X:
      return whole("in_proj_x.weight");
    case MambaOperand::Z:
      return whole("in_proj_z.weight");
    case MambaOperand::B:
      return whole("B_proj.weight");
    case MambaOperand::C:
      return whole("C_proj.weight");
    case MambaOperand::DtDown:
      return whole("dt_proj_down.weight");
    case MambaOperand::DtProj:
      return whole("dt_proj.weight");
    case MambaOperand::DtBias: // dt_proj's own bias, added twice in the scan
      return whole("dt_proj.bias");
    default:
      return std::nullopt;
    }
  }
  // Mamba-2: in_proj rows are [z | x | B | C | dt].
  int64_t z = 0, x = spec.dInner, b = x + spec.dXb, c = b + spec.dXb,
          dt = c + spec.dInner, end = dt + spec.numHeads();
  auto block = [&](int64_t begin, int64_t stop) {
    return StoredWeight{prefix + "in_proj.weight", std::make_pair(begin, stop)};
  };
  switch (operand) {
  case MambaOperand::Z:
    return block(z, x);
  case MambaOperand::X:
    return block(x, b);
  case MambaOperand::B:
    return block(b, c);
  case MambaOperand::C:
    return block(c, dt);
  case MambaOperand::Dt:
    return block(dt, end);
  case MambaOperand::DtBias:
    return whole("dt_bias");
  case MambaOperand::Norm:
    return whole("norm.weight");
  default:
    return std::nullopt;
  }
}
