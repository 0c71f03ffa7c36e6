//===- HFExport.cpp - Write an llm model as a Hugging Face directory ------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The inverse of HFImport: config.json from the model's config and attention
// ops, safetensors from its weights (streamed one tensor at a time), so that
// import -> export -> import reproduces the module and every weight bit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Export/Export.h"
#include "mlopt/Export/ModelWeights.h"
#include "mlopt/Import/HFConfig.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Safetensors.h"

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

/// Recovers what config.json must say beyond #llm.config from the graph.
static mlrt::Expected<ModelDescription> describe(ModelOp model) {
  ModelDescription desc;
  desc.config = model.getConfig();
  desc.slidingLayers.assign(desc.config.getLayers(), false);
  Operation *mamba = nullptr;
  model.walk([&](Operation *op) {
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      desc.qkvBias |= static_cast<bool>(attention.getQBias());
      desc.oBias |= static_cast<bool>(attention.getOBias());
      desc.slidingLayers[attention.getLayer()] =
          attention.getSlidingWindow().has_value();
    } else if (isa<MambaOp>(op) && !mamba) {
      mamba = op;
    }
  });
  if (mamba)
    return Error() << "@" << model.getSymName().str()
                   << " has Mamba layers; a Hugging Face "
                   << "Llama/Mistral/Qwen2 directory cannot hold them";
  return desc;
}

/// Tokenizer and generation files that travel with the weights.
static constexpr const char *kSideFiles[] = {
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "generation_config.json", "chat_template.jinja", "tokenizer.model"};

mlrt::Expected<std::vector<std::string>>
mlopt::exportHuggingFace(ModelOp model, StringRef moduleDir, StringRef outDir,
                         uint64_t maxShardBytes) {
  mlrt::Expected<ModelDescription> desc = describe(model);
  if (!desc)
    return desc.takeError();
  mlrt::Expected<ModelWeights> weights = ModelWeights::open(model, moduleDir);
  if (!weights)
    return weights.takeError();

  std::vector<mlrt::TensorToWrite> tensors;
  for (WeightOp weight : model.getBody().getOps<WeightOp>()) {
    mlrt::Expected<mlrt::TensorToWrite> t =
        weights->tensor(weight, weight.getName().str());
    if (!t)
      return t.takeError();
    tensors.push_back(std::move(*t));
  }
  if (tensors.empty())
    return Error() << "@" << model.getSymName().str() << " has no weights";

  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return Error() << outDir.str() << ": cannot create: " << ec.message();
  mlrt::Expected<std::vector<std::string>> files =
      mlrt::writeSafetensorsShards(outDir.str(), tensors, maxShardBytes);
  if (!files)
    return files.takeError();

  mlrt::json::Value config =
      writeHFConfig(*desc, torchDTypeName(tensors.front().dtype));
  std::string configPath = (outDir + "/config.json").str();
  MLRT_RETURN_IF_ERROR(mlrt::writeFileAtomically(
      configPath, mlrt::json::serialize(config, 2) + "\n"));
  files->push_back("config.json");

  if (!weights->storeDir().empty()) {
    for (const char *name : kSideFiles) {
      std::string from = weights->storeDir() + "/" + name;
      if (!llvm::sys::fs::exists(from))
        continue;
      mlrt::Expected<std::string> text = mlrt::readFile(from);
      if (!text)
        return text.takeError();
      MLRT_RETURN_IF_ERROR(
          mlrt::writeFileAtomically((outDir + "/" + name).str(), *text));
      files->push_back(name);
    }
  }
  return files;
}
