//===- LLMMixerOps.cpp - llm.attention and llm.mamba ----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// This file implements the verifiers of the two token mixers. The Mamba
// layouts follow paper_spec.md sections 1.1 (Mamba-1) and 1.2 (Mamba-2).
//
//===----------------------------------------------------------------------===//

#include "LLMVerify.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  ConfigAttr config = getModelConfig(*this);
  if (failed(verifyHiddenState(*this, config, getInput(), getResult())))
    return failure();

  int64_t hidden = config.getHidden(), qDim = config.getQueryDim(),
          kvDim = config.getKvDim();
  std::string qRows = llvm::formatv("heads {0} x head_dim {1}",
                                    config.getHeads(), config.getHeadDim());
  std::string kvRows = llvm::formatv("kv_heads {0} x head_dim {1}",
                                     config.getKvHeads(), config.getHeadDim());
  std::string byHidden = llvm::formatv(" by hidden {0}", hidden);
  SmallVector<WeightExpectation> expected = {
      {"q", getQ(), {qDim, hidden}, qRows + byHidden},
      {"k", getK(), {kvDim, hidden}, kvRows + byHidden},
      {"v", getV(), {kvDim, hidden}, kvRows + byHidden},
      {"o",
       getO(),
       {hidden, qDim},
       "hidden " + std::to_string(hidden) + " by " + qRows}};
  if (Value b = getQBias())
    expected.push_back({"q_bias", b, {qDim}, qRows});
  if (Value b = getKBias())
    expected.push_back({"k_bias", b, {kvDim}, kvRows});
  if (Value b = getVBias())
    expected.push_back({"v_bias", b, {kvDim}, kvRows});
  if (Value b = getOBias())
    expected.push_back({"o_bias", b, {hidden}, "hidden"});
  if (failed(verifyWeightShapes(*this, expected)))
    return failure();

  int numQkvBiases = !!getQBias() + !!getKBias() + !!getVBias();
  if (numQkvBiases != 0 && numQkvBiases != 3)
    return emitOpError("expects q, k and v biases together or none of them");

  if (std::optional<int64_t> window = getSlidingWindow()) {
    std::optional<int64_t> modelWindow = config.getSlidingWindow();
    if (!modelWindow)
      return emitOpError() << "has a sliding window of " << *window
                           << " but the model config has no sliding_window";
    if (*window != *modelWindow)
      return emitOpError() << "has a sliding window of " << *window
                           << " but the model config's sliding_window is "
                           << *modelWindow;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MambaOp
//===----------------------------------------------------------------------===//

int64_t MambaOp::getNumHeads() { return rows(getC()) / getDState(); }

int64_t MambaOp::getConvWidth() {
  return cast<RankedTensorType>(getConvWeight().getType()).getDimSize(1);
}

int64_t MambaOp::getInnerDim() { return rows(getZ()); }

/// Checks that exactly the variant's own optional operands are present.
static LogicalResult verifyVariantOperands(MambaOp op) {
  bool isMamba2 = op.getVariant() == MambaVariant::Mamba2;
  std::pair<StringRef, Value> mamba2Only[] = {{"dt", op.getDt()},
                                              {"norm", op.getNorm()}};
  std::pair<StringRef, Value> mamba1Only[] = {{"dt_down", op.getDtDown()},
                                              {"dt_proj", op.getDtProj()}};
  for (auto [name, value] : isMamba2 ? mamba2Only : mamba1Only)
    if (!value)
      return op.emitOpError()
             << "of variant " << stringifyMambaVariant(op.getVariant())
             << " expects a '" << name << "' weight";
  for (auto [name, value] : isMamba2 ? mamba1Only : mamba2Only)
    if (value)
      return op.emitOpError()
             << "of variant " << stringifyMambaVariant(op.getVariant())
             << " has no '" << name << "' weight (it belongs to "
             << (isMamba2 ? "mamba1" : "mamba2") << ")";
  return success();
}

LogicalResult MambaOp::verify() {
  int64_t n = getDState(), g = getGroups();
  if (n <= 0 || g <= 0)
    return emitOpError() << "expects positive d_state and groups, found " << n
                         << " and " << g;
  if (failed(verifyVariantOperands(*this)))
    return failure();
  if (cast<RankedTensorType>(getConvWeight().getType()).getRank() != 2)
    return emitOpError() << "expects a conv weight of rank 2 (channels x "
                            "d_conv), found "
                         << getConvWeight().getType();
  ConfigAttr config = getModelConfig(*this);
  if (failed(verifyHiddenState(*this, config, getInput(), getResult())))
    return failure();

  int64_t d = config.getHidden();
  if (rows(getC()) % n != 0)
    return emitOpError() << "expects the rows of C (" << rows(getC())
                         << ") to be a multiple of d_state (" << n << ")";
  int64_t h = getNumHeads(), k = getConvWidth();
  if (h % g != 0)
    return emitOpError() << "expects its heads (rows of C / d_state = " << h
                         << ") to be a multiple of groups (" << g << ")";
  std::string byHidden = llvm::formatv(" by hidden {0}", d);
  std::string gn = llvm::formatv("groups {0} x d_state {1}", g, n);
  std::string hn = llvm::formatv("heads {0} x d_state {1}", h, n);

  if (getVariant() == MambaVariant::Mamba2) {
    if (rows(getX()) % g != 0)
      return emitOpError() << "expects the rows of x (" << rows(getX())
                           << ") to be a multiple of groups (" << g << ")";
    int64_t p = rows(getX()) / g, inner = h * p;
    int64_t channels = g * p + g * n + h * n;
    std::string hp = llvm::formatv("heads {0} x head_dim {1}", h, p);
    std::string conv =
        llvm::formatv("x {0} + B {1} + C {2} channels", g * p, g * n, h * n);
    std::string heads = llvm::formatv("heads {0}", h);
    return verifyWeightShapes(
        *this, {{"B", getB(), {g * n, d}, gn + byHidden},
                {"C", getC(), {h * n, d}, hn + byHidden},
                {"z", getZ(), {inner, d}, hp + byHidden},
                {"dt", getDt(), {h, d}, heads + byHidden},
                {"out", getOut(), {d, inner}, "hidden by " + hp},
                {"conv", getConvWeight(), {channels, k}, conv + " by d_conv"},
                {"conv bias", getConvBias(), {channels}, conv},
                {"dt_bias", getDtBias(), {h}, heads},
                {"A_log", getALog(), {h}, heads},
                {"D", getD(), {h}, heads},
                {"norm", getNorm(), {inner}, hp}});
  }

  int64_t inner = h * n, rank = rows(getDtDown());
  std::string in = llvm::formatv("d_inner {0}", inner);
  std::string r = llvm::formatv("dt_rank {0}", rank);
  return verifyWeightShapes(
      *this, {{"B", getB(), {g * n, d}, gn + byHidden},
              {"x", getX(), {g * n, d}, gn + byHidden},
              {"z", getZ(), {inner, d}, in + " (= " + hn + ")" + byHidden},
              {"dt_down", getDtDown(), {rank, d}, r + byHidden},
              {"dt_proj", getDtProj(), {inner, rank}, in + " by " + r},
              {"out", getOut(), {d, inner}, "hidden by " + in},
              {"conv", getConvWeight(), {inner, k}, in + " by d_conv"},
              {"conv bias", getConvBias(), {inner}, in},
              {"dt_bias", getDtBias(), {inner}, in},
              {"A_log", getALog(), {inner, n}, in + " by d_state"},
              {"D", getD(), {inner}, in}});
}
