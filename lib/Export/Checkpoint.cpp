//===- Checkpoint.cpp - Shared pieces of the exporters ---------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"
#include "mlrt/MappedFile.h"

#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;

using mlrt::Error;

/// The torch dtype name config.json uses for `dtype`.
static StringRef torchDTypeName(mlrt::DType dtype) {
  switch (dtype) {
  case mlrt::DType::BF16:
    return "bfloat16";
  case mlrt::DType::F16:
    return "float16";
  default:
    return "float32";
  }
}

static int64_t rowsOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getDimSize(0);
}

ModelDescription mlopt::describeModel(ModelOp model) {
  ModelDescription desc;
  desc.config = model.getConfig();
  desc.slidingLayers.assign(desc.config.getLayers(), false);
  model.walk([&](Operation *op) {
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      desc.qkvBias |= static_cast<bool>(attention.getQBias());
      desc.oBias |= static_cast<bool>(attention.getOBias());
      desc.slidingLayers[attention.getLayer()] =
          attention.getSlidingWindow().has_value();
    } else if (auto mamba = dyn_cast<MambaOp>(op)) {
      if (desc.mambaLayers.empty())
        desc.mambaLayers.assign(desc.config.getLayers(), std::nullopt);
      MambaLayerSpec spec;
      spec.variant = mamba.getVariant();
      spec.dState = mamba.getDState();
      spec.groups = mamba.getGroups();
      spec.dInner = rowsOf(mamba.getZ());
      spec.dXb = rowsOf(mamba.getX());
      desc.mambaLayers[mamba.getLayer()] = spec;
    }
  });
  return desc;
}

/// Tokenizer and generation files that travel with the weights.
static constexpr const char *kSideFiles[] = {
    "tokenizer.json",          "tokenizer_config.json",
    "special_tokens_map.json", "generation_config.json",
    "chat_template.jinja",     "tokenizer.model"};

mlrt::Expected<std::vector<std::string>> mlopt::writeCheckpoint(
    StringRef outDir, const std::vector<mlrt::TensorToWrite> &tensors,
    uint64_t maxShardBytes, const ModelDescription &desc,
    const ModelWeights &weights,
    ArrayRef<std::pair<std::string, mlrt::json::Value>> extraJson) {
  if (tensors.empty())
    return Error("the model has no weights to write");
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return Error() << outDir.str() << ": cannot create: " << ec.message();
  mlrt::Expected<std::vector<std::string>> files =
      mlrt::writeSafetensorsShards(outDir.str(), tensors, maxShardBytes);
  if (!files)
    return files.takeError();

  std::vector<std::pair<std::string, mlrt::json::Value>> json = {
      {"config.json",
       writeHFConfig(desc, torchDTypeName(tensors.front().dtype))}};
  json.insert(json.end(), extraJson.begin(), extraJson.end());
  for (const auto &[name, value] : json) {
    MLRT_RETURN_IF_ERROR(mlrt::writeFileAtomically(
        (outDir + "/" + name).str(), mlrt::json::serialize(value, 2) + "\n"));
    files->push_back(name);
  }
  if (weights.storeDir().empty())
    return files;
  for (const char *name : kSideFiles) {
    std::string from = weights.storeDir() + "/" + name;
    if (!llvm::sys::fs::exists(from))
      continue;
    mlrt::Expected<std::string> text = mlrt::readFile(from);
    if (!text)
      return text.takeError();
    MLRT_RETURN_IF_ERROR(
        mlrt::writeFileAtomically((outDir + "/" + name).str(), *text));
    files->push_back(name);
  }
  return files;
}
