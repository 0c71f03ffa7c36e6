//===- AttnToMamba.cpp - Attention -> Mamba with weight reuse -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// This file implements the conversion of "The Mamba in the Llama"
// (paper_spec.md sections 1-2): chosen attention layers become Mamba mixers
// whose C, B, x and out projections are the layer's q, k, v and o weights,
// and whose new parameters are created with the initialisation of
// MambaInLlama's layers (PyTorch Linear/Conv1d defaults, Mamba's dt and A).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlopt/Passes/LayerSchedule.h"
#include "mlopt/Passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlopt {
#define GEN_PASS_DEF_ATTNTOMAMBAPASS
#include "mlopt/Passes/Passes.h.inc"
} // namespace mlopt

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;

namespace {

/// The settings of one conversion, validated.
struct Conversion {
  MambaVariant variant;
  bool reuseAttention;
  int64_t seed, dState, dtRank;
};

/// Creates the new weights of one converted layer, each with its own
/// deterministic seed.
class WeightFactory {
public:
  WeightFactory(OpBuilder &builder, Type elementType, int64_t layer,
                int64_t seed)
      : builder(builder), elementType(elementType), layer(layer), seed(seed) {}

  /// A new weight `model.layers.<layer>.mamba.<name>` of `shape`.
  Value create(StringRef name, ArrayRef<int64_t> shape, InitKind kind,
               ArrayRef<double> params = {}) {
    std::string full = llvm::formatv("model.layers.{0}.mamba.{1}", layer, name);
    auto init = InitAttr::get(builder.getContext(), kind,
                              SmallVector<F64>(params.begin(), params.end()));
    // Each weight draws its own stream: weight k of layer l gets seed
    // seed * 10^6 + l * 100 + k, unique within a model of < 10^4 layers.
    IntegerAttr seedAttr;
    if (init.isRandom())
      seedAttr = builder.getI64IntegerAttr(seed * 1000000 + layer * 100 +
                                           static_cast<int64_t>(count));
    ++count;
    return WeightOp::create(builder, NameLoc::get(builder.getStringAttr(full)),
                            RankedTensorType::get(shape, elementType), full,
                            nullptr, init, seedAttr);
  }

  /// PyTorch's default Linear/Conv1d init: U(+-1/sqrt(fan_in)).
  Value linear(StringRef name, ArrayRef<int64_t> shape, int64_t fanIn) {
    double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    return create(name, shape, InitKind::Uniform, {-bound, bound});
  }

private:
  OpBuilder &builder;
  Type elementType;
  int64_t layer, seed;
  unsigned count = 0;
};

class AttnToMambaPass
    : public mlopt::impl::AttnToMambaPassBase<AttnToMambaPass> {
public:
  using Base::Base;
  void runOnOperation() final;

private:
  FailureOr<Conversion> parseOptions(ModelOp model);
  FailureOr<SmallVector<AttentionOp>> chooseLayers(ModelOp model);
  LogicalResult convert(AttentionOp attention, const Conversion &c);
};
} // namespace

FailureOr<Conversion> AttnToMambaPass::parseOptions(ModelOp model) {
  Conversion c;
  if (variant == "mamba2")
    c.variant = MambaVariant::Mamba2;
  else if (variant == "mamba1")
    c.variant = MambaVariant::Mamba1;
  else
    return mlir::emitError(model.getLoc())
           << "unknown variant '" << variant << "' (expected mamba2 or mamba1)";
  if (init != "attention" && init != "random")
    return mlir::emitError(model.getLoc())
           << "unknown init '" << init << "' (expected attention or random)";
  c.reuseAttention = init == "attention";
  c.seed = seed;
  c.dState = dState;
  int64_t hidden = model.getConfig().getHidden();
  c.dtRank = dtRank > 0 ? int64_t(dtRank) : (hidden + 15) / 16;
  if (c.variant == MambaVariant::Mamba1 && dState <= 0)
    return mlir::emitError(model.getLoc())
           << "d-state must be positive, found " << int64_t(dState);
  if (dtRank < 0)
    return mlir::emitError(model.getLoc())
           << "dt-rank must be positive, found " << int64_t(dtRank);
  return c;
}

FailureOr<SmallVector<AttentionOp>>
AttnToMambaPass::chooseLayers(ModelOp model) {
  int64_t numLayers = model.getConfig().getLayers();
  SmallVector<Operation *> mixers(numLayers, nullptr);
  model.walk([&](MixerOpInterface m) { mixers[m.getLayerIndex()] = m; });
  auto attentionAt = [&](int64_t i) {
    return dyn_cast_or_null<AttentionOp>(mixers[i]);
  };
  if (llvm::none_of(llvm::seq<int64_t>(0, numLayers), attentionAt))
    return mlir::emitError(model.getLoc())
           << "@" << model.getSymName()
           << " has no attention layers to convert";

  SmallVector<AttentionOp> chosen;
  if (!layers.empty()) {
    for (int64_t i : layers) {
      if (i < 0 || i >= numLayers)
        return mlir::emitError(model.getLoc())
               << "layer " << i << " is out of range: @" << model.getSymName()
               << " has " << numLayers << " layers";
      if (!attentionAt(i))
        return mlir::emitError(model.getLoc())
               << "layer " << i
               << " is not an attention layer (it is "
                  "already a Mamba mixer)";
      if (!llvm::is_contained(chosen, attentionAt(i)))
        chosen.push_back(attentionAt(i));
    }
    return chosen;
  }
  if (steps > 0) {
    for (int64_t i : stepwiseOrder(numLayers))
      if (AttentionOp a = attentionAt(i);
          a && static_cast<int64_t>(chosen.size()) < steps)
        chosen.push_back(a);
    return chosen;
  }
  if (steps < 0)
    return mlir::emitError(model.getLoc())
           << "steps must be positive, found " << int64_t(steps);
  if (!(ratio >= 0 && ratio <= 1))
    return mlir::emitError(model.getLoc())
           << "ratio " << formatF64(ratio)
           << " is outside [0, 1]: it is the fraction of "
              "layers that keep attention";
  std::optional<int64_t> period = attentionPeriod(ratio);
  if (!period)
    return mlir::emitError(model.getLoc())
           << "ratio " << formatF64(ratio)
           << " is not 0 or 1/k for an integer k (0.5, "
              "0.25, 0.125, ...)";
  for (int64_t i = 0; i < numLayers; ++i)
    if (AttentionOp a = attentionAt(i); a && !keepsAttention(i, *period))
      chosen.push_back(a);
  return chosen;
}

LogicalResult AttnToMambaPass::convert(AttentionOp attention,
                                       const Conversion &c) {
  ConfigAttr config = getModelConfig(attention);
  int64_t layer = attention.getLayer(), hidden = config.getHidden();
  if (attention.getQBias() || attention.getOBias())
    return mlir::emitError(attention.getLoc())
           << "layer " << layer << "'s attention has projection biases, "
           << "which a Mamba mixer cannot take";
  int64_t qRows = config.getQueryDim(), kvRows = config.getKvDim();
  int64_t dState =
      c.variant == MambaVariant::Mamba2 ? config.getHeadDim() : c.dState;
  if (qRows % dState != 0 || kvRows % dState != 0)
    return mlir::emitError(attention.getLoc())
           << "a Mamba-1 mixer with d_state " << dState << " needs the rows "
           << "of q (" << qRows << ") and of k and v (" << kvRows
           << ") to be multiples of it";
  int64_t groups = kvRows / dState;

  OpBuilder builder(attention);
  Type elementType = attention.getQ().getType().getElementType();
  WeightFactory w(builder, elementType, layer, c.seed);
  Value x = attention.getV(), b = attention.getK(), cw = attention.getQ(),
        out = attention.getO();
  if (!c.reuseAttention) {
    x = w.linear("x_proj.weight", {kvRows, hidden}, hidden);
    b = w.linear("B_proj.weight", {kvRows, hidden}, hidden);
    cw = w.linear("C_proj.weight", {qRows, hidden}, hidden);
    out = w.linear("out_proj.weight", {hidden, qRows}, qRows);
  }

  // Mamba's dt init: softplus^-1 of dt ~ exp(U(ln 1e-3, ln 1e-1)), >= 1e-4.
  const double dtInit[] = {1e-3, 1e-1, 1e-4};
  Value mamba;
  if (c.variant == MambaVariant::Mamba2) {
    int64_t heads = config.getHeads(), channels = 2 * kvRows + qRows;
    Value z = w.linear("z_proj.weight", {qRows, hidden}, hidden);
    Value dt = w.linear("dt_proj.weight", {heads, hidden}, hidden);
    Value conv = w.linear("conv1d.weight", {channels, 4}, 4);
    Value convBias = w.linear("conv1d.bias", {channels}, 4);
    Value dtBias = w.create("dt_bias", {heads}, InitKind::DtBias, dtInit);
    Value aLog = w.create("A_log", {heads}, InitKind::LogUniform, {1.0, 16.0});
    Value d = w.create("D", {heads}, InitKind::Ones);
    Value norm = w.create("norm.weight", {qRows}, InitKind::Ones);
    mamba = MambaOp::create(builder, attention.getLoc(), attention.getType(),
                            attention.getInput(), layer, c.variant, dState,
                            groups, x, b, cw, z, out, conv, convBias, dtBias,
                            aLog, d, dt, norm, Value(), Value());
  } else {
    Value z = w.linear("in_proj_z.weight", {qRows, hidden}, hidden);
    Value dtDown = w.linear("dt_proj_down.weight", {c.dtRank, hidden}, hidden);
    Value dtProj = w.linear("dt_proj.weight", {qRows, c.dtRank}, c.dtRank);
    Value dtBias = w.create("dt_proj.bias", {qRows}, InitKind::DtBias, dtInit);
    Value conv = w.linear("conv1d.weight", {qRows, 4}, 4);
    Value convBias = w.linear("conv1d.bias", {qRows}, 4);
    Value aLog = w.create("A_log", {qRows, dState}, InitKind::S4DReal);
    Value d = w.create("D", {qRows}, InitKind::Ones);
    mamba = MambaOp::create(builder, attention.getLoc(), attention.getType(),
                            attention.getInput(), layer, c.variant, dState,
                            groups, x, b, cw, z, out, conv, convBias, dtBias,
                            aLog, d, Value(), Value(), dtDown, dtProj);
  }

  SmallVector<Value> attentionWeights(attention->getOperands().drop_front());
  attention.replaceAllUsesWith(mamba);
  attention.erase();
  // Weights only the attention read (q/k/v/o under init=random) go too.
  for (Value v : attentionWeights)
    if (auto weight = v.getDefiningOp<WeightOp>();
        weight && weight->use_empty())
      weight.erase();
  return success();
}

void AttnToMambaPass::runOnOperation() {
  for (ModelOp model :
       llvm::make_early_inc_range(getOperation().getOps<ModelOp>())) {
    FailureOr<Conversion> conversion = parseOptions(model);
    if (failed(conversion))
      return signalPassFailure();
    FailureOr<SmallVector<AttentionOp>> chosen = chooseLayers(model);
    if (failed(chosen))
      return signalPassFailure();
    std::string converted;
    for (AttentionOp attention : *chosen) {
      converted += (converted.empty() ? "" : ", ") +
                   std::to_string(attention.getLayer());
      if (failed(convert(attention, *conversion)))
        return signalPassFailure();
    }
    std::string kept;
    model.walk([&](AttentionOp a) {
      kept += (kept.empty() ? "" : ", ") + std::to_string(a.getLayer());
    });
    mlir::emitRemark(model.getLoc())
        << "converted layers [" << converted << "] to " << variant
        << "; attention kept at [" << kept << "]";
  }
}
