//===- LLMOps.cpp - llm structural and dense ops --------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// This file implements the llm model structure (llm.model, llm.weight,
// llm.return) and the dense layers (embed, rms_norm, mlp, lm_head), with the
// shape helpers every llm verifier shares. Mixer verifiers are in
// LLMMixerOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "LLMVerify.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlir::llm::detail;

#include "mlopt/Dialect/LLM/LLMInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "mlopt/Dialect/LLM/LLMOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

ConfigAttr mlir::llm::getModelConfig(Operation *op) {
  auto model = op->getParentOfType<ModelOp>();
  return model ? model.getConfig() : ConfigAttr();
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  return text;
}

LogicalResult
mlir::llm::detail::verifyWeightShapes(Operation *op,
                                      ArrayRef<WeightExpectation> expected) {
  for (const WeightExpectation &e : expected) {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(e.weight.getType()).getShape();
    if (shape == ArrayRef<int64_t>(e.shape))
      continue;
    InFlightDiagnostic diag = op->emitOpError()
                              << "expects " << e.role << " weight of shape "
                              << formatShape(e.shape) << " (" << e.meaning
                              << ") but found " << formatShape(shape);
    if (auto weight = e.weight.getDefiningOp<WeightOp>())
      diag.attachNote(weight.getLoc())
          << "weight '" << weight.getName() << "' declared here";
    return diag;
  }
  return success();
}

LogicalResult mlir::llm::detail::verifyHiddenState(Operation *op,
                                                   ConfigAttr config,
                                                   Value input, Value result) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getDimSize(2) != config.getHidden())
    return op->emitOpError()
           << "expects a hidden state of width hidden = " << config.getHidden()
           << ", found " << type;
  if (result && result.getType() != type)
    return op->emitOpError() << "expects its result to have the input's type "
                             << type << ", found " << result.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// ModelOp
//===----------------------------------------------------------------------===//

void ModelOp::getAsmBlockArgumentNames(Region &region,
                                       OpAsmSetValueNameFn setNameFn) {
  if (!region.empty() && region.getNumArguments() == 1)
    setNameFn(region.getArgument(0), "tokens");
}

ReturnOp ModelOp::getReturn() {
  // llm.return is the only terminator whose parent may be an llm.model.
  return cast<ReturnOp>(getBody().front().getTerminator());
}

/// Checks that the mixers cover layers 0 .. layers-1 exactly once.
static LogicalResult verifyLayerCoverage(ModelOp model) {
  int64_t numLayers = model.getConfig().getLayers();
  SmallVector<Operation *> byLayer(numLayers, nullptr);
  int64_t numMixers = 0;
  WalkResult walk = model.walk([&](MixerOpInterface mixer) {
    ++numMixers;
    int64_t layer = mixer.getLayerIndex();
    if (layer < 0 || layer >= numLayers) {
      mixer->emitOpError() << "has layer index " << layer
                           << " outside [0, layers = " << numLayers << ")";
      return WalkResult::interrupt();
    }
    if (Operation *previous = byLayer[layer]) {
      InFlightDiagnostic diag = mixer->emitOpError()
                                << "is a second mixer for layer " << layer;
      diag.attachNote(previous->getLoc()) << "first mixer of layer " << layer;
      return WalkResult::interrupt();
    }
    byLayer[layer] = mixer;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  for (int64_t layer = 0; layer < numLayers; ++layer)
    if (!byLayer[layer])
      return model.emitOpError()
             << "has " << numMixers << " mixer layers but its config has "
             << "layers = " << numLayers << "; no attention or mamba op has "
             << "layer " << layer;
  return success();
}

LogicalResult ModelOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != 1 ||
      !isa<RankedTensorType>(body.getArgument(0).getType()) ||
      cast<RankedTensorType>(body.getArgument(0).getType()).getRank() != 2 ||
      !cast<RankedTensorType>(body.getArgument(0).getType())
           .getElementType()
           .isSignlessInteger())
    return emitOpError("expects its body to take one argument, the token ids "
                       "(a batch x sequence tensor of i32 or i64)");
  ConfigAttr config = getConfig();
  auto logits = cast<RankedTensorType>(getReturn().getLogits().getType());
  if (logits.getDimSize(2) != config.getVocab())
    return emitOpError() << "expects to return logits over the vocabulary "
                            "(last dimension vocab = "
                         << config.getVocab() << "), found " << logits;

  // A stored tensor is declared once, or as disjoint row blocks.
  llvm::StringMap<SmallVector<WeightOp>> weightsByName;
  for (auto weight : body.getOps<WeightOp>()) {
    SmallVector<WeightOp> &same = weightsByName[weight.getName()];
    for (WeightOp other : same) {
      std::optional<ArrayRef<int64_t>> a = weight.getRows(),
                                       b = other.getRows();
      if (a && b && ((*a)[1] <= (*b)[0] || (*b)[1] <= (*a)[0]))
        continue;
      InFlightDiagnostic diag = weight.emitOpError()
                                << "declares weight '" << weight.getName()
                                << "' a second time"
                                << (a && b ? " (overlapping rows)" : "");
      diag.attachNote(other.getLoc()) << "first declared here";
      return diag;
    }
    same.push_back(weight);
  }
  return verifyLayerCoverage(*this);
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

/// Names a weight's SSA value after its store name, shortened:
/// "model.layers.3.self_attn.q_proj.weight" prints as %l3_q_proj and
/// "model.layers.3.self_attn.q_proj.bias" as %l3_q_proj_bias.
void WeightOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  StringRef name = getName();
  name.consume_front("model.");
  bool isBias = name.consume_back(".bias");
  name.consume_back(".weight");
  std::string asmName;
  StringRef layer;
  if (name.consume_front("layers.")) {
    std::tie(layer, name) = name.split('.');
    asmName = ("l" + layer + "_").str();
  }
  asmName += name.rsplit('.').second.empty() ? name.str()
                                             : name.rsplit('.').second.str();
  if (isBias)
    asmName += "_bias";
  setNameFn(getResult(), asmName);
}

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError("expects a non-empty weight name");
  if (std::optional<ArrayRef<int64_t>> rows = getRows()) {
    if (rows->size() != 2 || (*rows)[0] < 0 || (*rows)[0] >= (*rows)[1])
      return emitOpError("expects rows [begin, end] with 0 <= begin < end");
    if ((*rows)[1] - (*rows)[0] != getType().getDimSize(0))
      return emitOpError() << "reads rows [" << (*rows)[0] << ", " << (*rows)[1]
                           << ") of its stored tensor but has "
                           << getType().getDimSize(0) << " rows";
    if (getInit())
      return emitOpError("is a row block of a stored tensor and cannot also "
                         "have an init rule");
  }
  std::optional<InitAttr> init = getInit();
  if (getSeed() && !init)
    return emitOpError("has a seed but no init rule; only weights created "
                       "from an init rule use a seed");
  if (!init)
    return success();
  if (init->isRandom() && !getSeed())
    return emitOpError() << "init rule '" << stringifyInitKind(init->getKind())
                         << "' draws random values and needs a seed";
  if (init->getKind() == InitKind::S4DReal && getType().getRank() != 2)
    return emitOpError() << "init rule 's4d_real' fills A_log[d, n] = "
                            "ln(n + 1) and needs a rank-2 weight, found "
                         << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Dense layers
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  ConfigAttr config = getModelConfig(*this);
  int64_t vocab = config.getVocab(), hidden = config.getHidden();
  if (failed(verifyWeightShapes(
          *this, {{"embedding",
                   getTable(),
                   {vocab, hidden},
                   llvm::formatv("vocab {0} by hidden {1}", vocab, hidden)}})))
    return failure();
  auto tokens = cast<RankedTensorType>(getTokens().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (result.getDimSize(2) != hidden)
    return emitOpError() << "expects a result of width hidden = " << hidden
                         << ", found " << result;
  if (failed(verifyCompatibleShape(tokens.getShape(),
                                   result.getShape().drop_back())))
    return emitOpError() << "expects the result's batch and sequence "
                            "dimensions to match the tokens "
                         << tokens << ", found " << result;
  return success();
}

LogicalResult RMSNormOp::verify() {
  ConfigAttr config = getModelConfig(*this);
  if (failed(verifyHiddenState(*this, config, getInput(), getResult())))
    return failure();
  return verifyWeightShapes(
      *this, {{"norm",
               getWeight(),
               {config.getHidden()},
               llvm::formatv("hidden {0}", config.getHidden())}});
}

LogicalResult MLPOp::verify() {
  ConfigAttr config = getModelConfig(*this);
  if (failed(verifyHiddenState(*this, config, getInput(), getResult())))
    return failure();
  int64_t hidden = config.getHidden(), inter = config.getIntermediate();
  std::string up =
      llvm::formatv("intermediate {0} by hidden {1}", inter, hidden);
  std::string down =
      llvm::formatv("hidden {0} by intermediate {1}", hidden, inter);
  return verifyWeightShapes(*this,
                            {{"gate", getGate(), {inter, hidden}, up},
                             {"up", getUp(), {inter, hidden}, up},
                             {"down", getDown(), {hidden, inter}, down}});
}

LogicalResult LMHeadOp::verify() {
  ConfigAttr config = getModelConfig(*this);
  if (failed(verifyHiddenState(*this, config, getInput(), Value())))
    return failure();
  int64_t vocab = config.getVocab(), hidden = config.getHidden();
  if (failed(verifyWeightShapes(
          *this, {{"lm_head",
                   getWeight(),
                   {vocab, hidden},
                   llvm::formatv("vocab {0} by hidden {1}", vocab, hidden)}})))
    return failure();
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (result.getDimSize(2) != vocab ||
      failed(verifyCompatibleShape(input.getShape().drop_back(),
                                   result.getShape().drop_back())))
    return emitOpError() << "expects logits of shape batch x sequence x "
                            "vocab ("
                         << vocab << ") matching the input " << input
                         << ", found " << result;

  bool sharesTable = llvm::any_of(getWeight().getUsers(), [](Operation *user) {
    return isa<EmbedOp>(user);
  });
  if (config.getTieEmbeddings() && !sharesTable)
    return emitOpError("expects the embedding table as its weight: the config "
                       "has tie_embeddings = true");
  if (!config.getTieEmbeddings() && sharesTable)
    return emitOpError("uses the embedding table as its weight but the config "
                       "has tie_embeddings = false");
  return success();
}
