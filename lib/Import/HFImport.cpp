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

#include "mlopt/Import/Import.h"
#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Safetensors.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
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
                     << "weight (architecture " << stringifyArch(desc->config.getArch()).str()
                     << ", " << desc->config.getLayers() << " layers)";

  // Shapes and dtypes the config does not imply are reported by the llm
  // verifiers, at the weight's name.
  if (failed(verify(*built->module)))
    return Error() << dir.str()
                   << ": the checkpoint's tensors do not match its "
                      "config.json (see the error above)";
  return built;
}
