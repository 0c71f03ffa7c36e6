//===- HFImport.cpp - Import a Hugging Face model directory ---------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Reads config.json, opens the safetensors store in place (memory mapped,
// only headers are read) and builds the llm graph over it.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlopt/Import/Import.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Safetensors.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlopt;
using mlrt::Error;

Type mlopt::weightElementType(MLIRContext *context, mlrt::DType dtype) {
  Builder b(context);
  switch (dtype) {
  case mlrt::DType::F32:
    return b.getF32Type();
  case mlrt::DType::F16:
    return b.getF16Type();
  case mlrt::DType::BF16:
    return b.getBF16Type();
  default:
    return Type();
  }
}

/// Reads MambaInLlama's mamba_config.json: which layers keep attention, and
/// the Mamba dimensions of the others. The variant of each Mamba layer is
/// the one its tensors are stored for (Mamba-2's fused in_proj, Mamba-1's
/// in_proj_x).
static mlrt::Status readMambaConfig(const std::string &path,
                                    const mlrt::WeightStore &store,
                                    ModelDescription &desc) {
  mlrt::Expected<std::string> text = mlrt::readFile(path);
  if (!text)
    return text.takeError();
  mlrt::Expected<mlrt::json::Value> json = mlrt::json::parse(*text);
  if (!json)
    return Error() << path << ": " << json.message();
  auto integer =
      [&](const mlrt::json::Value &object, const char *key,
          std::optional<int64_t> fallback) -> mlrt::Expected<int64_t> {
    const mlrt::json::Value *v = object.get(key);
    if (!v || v->isNull()) {
      if (fallback)
        return *fallback;
      return Error() << path << ": missing integer '" << key << "'";
    }
    if (!v->isInt() || v->getInt() <= 0)
      return Error() << path << ": '" << key << "' must be a positive integer";
    return v->getInt();
  };
  llm::ConfigAttr config = desc.config;
  int64_t layers = config.getLayers();
  mlrt::Expected<int64_t> nLayer = integer(*json, "n_layer", layers);
  mlrt::Expected<int64_t> dModel =
      integer(*json, "d_model", config.getHidden());
  mlrt::Expected<int64_t> dInner =
      integer(*json, "d_inner", config.getQueryDim());
  mlrt::Expected<int64_t> dXb = integer(*json, "d_xb", config.getKvDim());
  for (auto *e : {&nLayer, &dModel, &dInner, &dXb})
    if (!*e)
      return e->takeError();
  if (*nLayer != layers || *dModel != config.getHidden())
    return Error() << path << ": n_layer " << *nLayer << " and d_model "
                   << *dModel << " do not match config.json's " << layers
                   << " layers of width " << config.getHidden();
  const mlrt::json::Value *attn = json->get("attn_layers");
  if (!attn || !attn->isArray())
    return Error() << path << ": expected a list 'attn_layers'";
  std::vector<bool> keepsAttention(layers, false);
  for (const mlrt::json::Value &l : attn->getArray()) {
    if (!l.isInt() || l.getInt() < 0 || l.getInt() >= layers)
      return Error() << path << ": attn_layers entries must be layer indices "
                     << "in [0, " << layers << ")";
    keepsAttention[l.getInt()] = true;
  }
  mlrt::json::Value noSsm{mlrt::json::Object()};
  const mlrt::json::Value *ssm = json->get("ssm_cfg");
  if (!ssm || !ssm->isObject())
    ssm = &noSsm;

  desc.mambaLayers.assign(layers, std::nullopt);
  for (int64_t i = 0; i < layers; ++i) {
    if (keepsAttention[i])
      continue;
    std::string prefix = "model.layers." + std::to_string(i) + ".mamba.";
    MambaLayerSpec spec;
    spec.dInner = *dInner;
    spec.dXb = *dXb;
    if (store.find(prefix + "in_proj.weight").file) {
      spec.variant = llm::MambaVariant::Mamba2;
      mlrt::Expected<int64_t> n = integer(*ssm, "d_state", config.getHeadDim());
      if (!n)
        return n.takeError();
      spec.dState = *n;
    } else if (store.find(prefix + "in_proj_x.weight").file) {
      spec.variant = llm::MambaVariant::Mamba1;
      mlrt::Expected<int64_t> n = integer(*ssm, "d_state", 16);
      if (!n)
        return n.takeError();
      spec.dState = *n;
    } else {
      return Error() << path << ": layer " << i << " is not in attn_layers but "
                     << "the checkpoint has neither " << prefix
                     << "in_proj.weight (Mamba-2) nor " << prefix
                     << "in_proj_x.weight (Mamba-1)";
    }
    if (spec.dXb % spec.dState != 0 || spec.dInner % spec.dState != 0)
      return Error() << path << ": d_inner " << spec.dInner << " and d_xb "
                     << spec.dXb << " must be multiples of d_state "
                     << spec.dState;
    spec.groups = spec.dXb / spec.dState;
    desc.mambaLayers[i] = spec;
  }
  return mlrt::Status::ok();
}

/// Store tensors a model may carry without the graph reading them.
static bool isIgnorable(StringRef name, const ModelDescription &desc) {
  // Old checkpoints save RoPE's inverse frequencies; they are derived.
  if (name.ends_with(".rotary_emb.inv_freq"))
    return true;
  // Tied models may still store the head; transformers ignores it.
  return name == "lm_head.weight" && desc.config.getTieEmbeddings();
}

mlrt::Expected<BuiltModel> mlopt::importHuggingFace(MLIRContext *context,
                                                    StringRef dir,
                                                    StringRef weightsPath) {
  std::string configPath = (dir + "/config.json").str();
  mlrt::Expected<std::string> text = mlrt::readFile(configPath);
  if (!text)
    return text.takeError();
  mlrt::Expected<mlrt::json::Value> json = mlrt::json::parse(*text);
  if (!json)
    return Error() << configPath << ": " << json.message();
  mlrt::Expected<ModelDescription> desc = parseHFConfig(*json, context);
  if (!desc)
    return Error() << configPath << ": " << desc.message();

  mlrt::Expected<mlrt::WeightStore> store = mlrt::WeightStore::open(dir.str());
  if (!store)
    return store.takeError();
  std::string mambaConfigPath = (dir + "/mamba_config.json").str();
  if (llvm::sys::fs::exists(mambaConfigPath))
    MLRT_RETURN_IF_ERROR(readMambaConfig(mambaConfigPath, *store, *desc));

  std::string badDtype;
  auto lookup = [&](StringRef name) -> RankedTensorType {
    mlrt::WeightStore::Entry e = store->find(name.str());
    if (!e.file)
      return {};
    Type element = weightElementType(context, e.info->dtype);
    if (!element) {
      if (badDtype.empty())
        badDtype = (e.file->path() + ": tensor '" + name + "' has dtype " +
                    std::string(mlrt::dtypeName(e.info->dtype)) +
                    "; weights must be F32, F16 or BF16")
                       .str();
      element = Builder(context).getF32Type();
    }
    return RankedTensorType::get(e.info->shape, element);
  };
  std::string modelName = llvm::sys::path::filename(dir).str();
  if (modelName.empty() || modelName == ".")
    modelName = "model";
  mlrt::Expected<BuiltModel> built =
      buildTransformer(context, *desc, modelName, weightsPath, dir, lookup);
  if (!built)
    return built.takeError();
  if (!badDtype.empty())
    return Error(badDtype);
  for (const mlrt::WeightStore::Entry &e : store->entries())
    if (!built->usedTensors.contains(e.info->name) &&
        !isIgnorable(e.info->name, *desc))
      return Error() << e.file->path() << ": unexpected tensor '"
                     << e.info->name << "': config.json describes no such "
                     << "weight (architecture "
                     << stringifyArch(desc->config.getArch()).str() << ", "
                     << desc->config.getLayers() << " layers)";

  // Shapes and dtypes the config does not imply are reported by the llm
  // verifiers, at the weight's name.
  if (failed(verify(*built->module)))
    return Error() << dir.str()
                   << ": the checkpoint's tensors do not match its "
                      "config.json (see the error above)";
  std::string tokenizer = (dir + "/tokenizer.json").str();
  if (llvm::sys::fs::exists(tokenizer))
    checkTokenizer(tokenizer, desc->config.getVocab(), *built);
  else
    built->tokenizerProblem = "the directory has no tokenizer.json";
  return built;
}
