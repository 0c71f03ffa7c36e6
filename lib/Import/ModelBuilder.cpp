//===- ModelBuilder.cpp - Build an llm.model from a description -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Import/ModelBuilder.h"
#include "mlopt/Dialect/LLM/LLMOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;

namespace {
class TransformerBuilder {
public:
  TransformerBuilder(MLIRContext *context, const ModelDescription &desc,
                     StringRef storeName, TensorTypeLookup lookup)
      : builder(context), desc(desc), storeName(storeName), lookup(lookup) {}

  mlrt::Expected<BuiltModel> build(StringRef modelName, StringRef weightsPath);

private:
  /// Declares the store tensor `name` (or its row block `rows`); records the
  /// first missing one.
  Value weight(const Twine &name,
               std::optional<std::pair<int64_t, int64_t>> rows = {},
               bool dropUnitDims = false) {
    std::string key = name.str();
    RankedTensorType type = lookup(key);
    if (!type) {
      if (missing.empty())
        missing = key;
      // Keep building with a placeholder so that the graph stays whole;
      // the missing tensor is reported instead of verifying.
      type = RankedTensorType::get({1}, builder.getF32Type());
    }
    if (dropUnitDims) {
      SmallVector<int64_t> shape;
      llvm::copy_if(type.getShape(), std::back_inserter(shape),
                    [](int64_t d) { return d != 1; });
      type = RankedTensorType::get(shape, type.getElementType());
    }
    DenseI64ArrayAttr rowsAttr;
    if (rows) {
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = rows->second - rows->first;
      type = RankedTensorType::get(shape, type.getElementType());
      rowsAttr = builder.getDenseI64ArrayAttr({rows->first, rows->second});
    }
    used.insert(key);
    Location loc = NameLoc::get(builder.getStringAttr(key));
    return WeightOp::create(builder, loc, type, key, rowsAttr, nullptr,
                            nullptr);
  }

  Value buildLayer(Value h, int64_t layer, RankedTensorType hiddenType);
  Value buildMamba(Value x, int64_t layer, const MambaLayerSpec &spec,
                   RankedTensorType hiddenType);
  Value buildAttention(Value x, int64_t layer, StringRef prefix,
                       RankedTensorType hiddenType);

  OpBuilder builder;
  const ModelDescription &desc;
  StringRef storeName;
  TensorTypeLookup lookup;
  std::string missing;
  llvm::StringSet<> used;
};
} // namespace

Value TransformerBuilder::buildLayer(Value h, int64_t i,
                                     RankedTensorType hiddenType) {
  std::string prefix = llvm::formatv("model.layers.{0}.", i);
  Location loc =
      NameLoc::get(builder.getStringAttr(StringRef(prefix).drop_back()));
  Value inNorm = weight(prefix + "input_layernorm.weight");
  Value x = RMSNormOp::create(builder, loc, hiddenType, h, inNorm);
  Value a;
  if (i < static_cast<int64_t>(desc.mambaLayers.size()) && desc.mambaLayers[i])
    a = buildMamba(x, i, *desc.mambaLayers[i], hiddenType);
  else
    a = buildAttention(x, i, prefix, hiddenType);
  Value r = AddOp::create(builder, loc, h, a);
  Value postNorm = weight(prefix + "post_attention_layernorm.weight");
  Value y = RMSNormOp::create(builder, loc, hiddenType, r, postNorm);
  Value gate = weight(prefix + "mlp.gate_proj.weight");
  Value up = weight(prefix + "mlp.up_proj.weight");
  Value down = weight(prefix + "mlp.down_proj.weight");
  Value m = MLPOp::create(builder, loc, hiddenType, y, gate, up, down);
  return AddOp::create(builder, loc, r, m);
}

Value TransformerBuilder::buildMamba(Value x, int64_t i,
                                     const MambaLayerSpec &spec,
                                     RankedTensorType hiddenType) {
  Location loc = NameLoc::get(
      builder.getStringAttr(llvm::formatv("model.layers.{0}.mamba", i).str()));
  auto operand = [&](MambaOperand role) -> Value {
    std::optional<StoredWeight> stored = mambaInLlamaWeight(i, spec, role);
    // The depthwise conv is stored as (channels, 1, width).
    return stored ? weight(stored->name, stored->rows,
                           role == MambaOperand::ConvWeight)
                  : Value();
  };
  // Declared in operand order (argument evaluation order is unspecified).
  using M = MambaOperand;
  SmallVector<Value> w;
  for (M role :
       {M::X, M::B, M::C, M::Z, M::Out, M::ConvWeight, M::ConvBias, M::DtBias,
        M::ALog, M::D, M::Dt, M::Norm, M::DtDown, M::DtProj})
    w.push_back(operand(role));
  return MambaOp::create(builder, loc, hiddenType, x, i, spec.variant,
                         spec.dState, spec.groups, w[0], w[1], w[2], w[3], w[4],
                         w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12],
                         w[13]);
}

Value TransformerBuilder::buildAttention(Value x, int64_t i, StringRef prefix,
                                         RankedTensorType hiddenType) {
  Location loc = NameLoc::get(builder.getStringAttr(prefix + "self_attn"));
  Value q = weight(prefix + "self_attn.q_proj.weight");
  Value k = weight(prefix + "self_attn.k_proj.weight");
  Value v = weight(prefix + "self_attn.v_proj.weight");
  Value o = weight(prefix + "self_attn.o_proj.weight");
  Value qb, kb, vb, ob;
  if (desc.qkvBias) {
    qb = weight(prefix + "self_attn.q_proj.bias");
    kb = weight(prefix + "self_attn.k_proj.bias");
    vb = weight(prefix + "self_attn.v_proj.bias");
  }
  if (desc.oBias)
    ob = weight(prefix + "self_attn.o_proj.bias");
  std::optional<int64_t> window;
  if (desc.slidingLayers[i])
    window = desc.config.getSlidingWindow();
  return AttentionOp::create(builder, loc, hiddenType, x, i, q, k, v, o, qb, kb,
                             vb, ob, window);
}

mlrt::Expected<BuiltModel> TransformerBuilder::build(StringRef modelName,
                                                     StringRef weightsPath) {
  ConfigAttr config = desc.config;
  Location loc = NameLoc::get(builder.getStringAttr(modelName));
  BuiltModel result;
  result.module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(result.module->getBody());
  auto model = ModelOp::create(
      builder, loc, modelName, config,
      weightsPath.empty() ? StringAttr() : builder.getStringAttr(weightsPath),
      /*tokenizer=*/StringAttr());
  Block *body = builder.createBlock(&model.getBody());
  int64_t dyn = ShapedType::kDynamic;
  Value tokens = body->addArgument(
      RankedTensorType::get({dyn, dyn}, builder.getI32Type()), loc);
  auto hiddenType = RankedTensorType::get({dyn, dyn, config.getHidden()},
                                          builder.getF32Type());
  auto logitsType = RankedTensorType::get({dyn, dyn, config.getVocab()},
                                          builder.getF32Type());

  Value table = weight("model.embed_tokens.weight");
  Value h = EmbedOp::create(builder, loc, hiddenType, tokens, table);
  for (int64_t i = 0; i < config.getLayers(); ++i)
    h = buildLayer(h, i, hiddenType);
  Value norm = weight("model.norm.weight");
  Value hn = RMSNormOp::create(builder, loc, hiddenType, h, norm);
  Value head = config.getTieEmbeddings() ? table : weight("lm_head.weight");
  Value logits = LMHeadOp::create(builder, loc, logitsType, hn, head);
  ReturnOp::create(builder, loc, logits);

  if (!missing.empty())
    return Error() << storeName.str() << ": missing tensor '" << missing
                   << "' of a " << config.getLayers() << "-layer "
                   << stringifyArch(config.getArch()).str() << " model";
  result.usedTensors = std::move(used);
  return result;
}

mlrt::Expected<BuiltModel>
mlopt::buildTransformer(MLIRContext *context, const ModelDescription &desc,
                        StringRef modelName, StringRef weightsPath,
                        StringRef storeName, TensorTypeLookup lookup) {
  context->loadDialect<LLMDialect>();
  return TransformerBuilder(context, desc, storeName, lookup)
      .build(modelName, weightsPath);
}
