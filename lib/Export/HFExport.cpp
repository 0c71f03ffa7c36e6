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

#include "Checkpoint.h"
#include "mlopt/Export/Export.h"
#include "mlopt/Export/ModelWeights.h"
#include "mlopt/Import/HFConfig.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;

/// The Hugging Face description of `model`, which must have no Mamba layers.
static mlrt::Expected<ModelDescription> describe(ModelOp model) {
  ModelDescription desc = describeModel(model);
  if (!desc.mambaLayers.empty())
    return Error() << "@" << model.getSymName().str()
                   << " has Mamba layers; a Hugging Face "
                   << "Llama/Mistral/Qwen2 directory cannot hold them (export "
                   << "it with --format=mamba-in-llama)";
  return desc;
}

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
  return writeCheckpoint(outDir, tensors, maxShardBytes, *desc, *weights);
}
