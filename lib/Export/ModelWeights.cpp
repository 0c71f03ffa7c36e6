//===- ModelWeights.cpp - The values of an llm model's weights ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Export/ModelWeights.h"
#include "mlrt/Init.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;

std::optional<mlrt::DType> mlopt::weightDType(Type elementType) {
  if (elementType.isBF16())
    return mlrt::DType::BF16;
  if (elementType.isF16())
    return mlrt::DType::F16;
  if (elementType.isF32())
    return mlrt::DType::F32;
  return std::nullopt;
}

mlrt::Expected<ModelWeights> ModelWeights::open(ModelOp model,
                                                StringRef moduleDir) {
  ModelWeights weights;
  std::optional<StringRef> path = model.getWeights();
  if (!path)
    return weights;
  llvm::SmallString<256> resolved(*path);
  if (llvm::sys::path::is_relative(resolved)) {
    resolved = moduleDir;
    llvm::sys::path::append(resolved, *path);
  }
  weights.storePath_ = resolved.str().str();
  if (llvm::sys::fs::is_directory(resolved))
    weights.storeDir_ = weights.storePath_;
  mlrt::Expected<mlrt::WeightStore> store =
      mlrt::WeightStore::open(weights.storePath_);
  if (!store)
    return Error() << "weight store of @" << model.getSymName().str() << ": "
                   << store.message();
  weights.store_ = std::make_unique<mlrt::WeightStore>(std::move(*store));
  return weights;
}

mlrt::Expected<mlrt::TensorToWrite>
ModelWeights::tensor(WeightOp weight, std::string name) const {
  RankedTensorType type = weight.getType();
  std::optional<mlrt::DType> dtype = weightDType(type.getElementType());
  if (!dtype)
    return Error() << "weight '" << weight.getName().str()
                   << "' has an element type that is not bf16, f16 or f32";
  mlrt::TensorToWrite out;
  out.name = std::move(name);
  out.dtype = *dtype;
  out.shape.assign(type.getShape().begin(), type.getShape().end());

  if (std::optional<InitAttr> init = weight.getInit()) {
    mlrt::Expected<mlrt::InitRule> rule =
        mlrt::parseInitRule(stringifyInitKind(init->getKind()));
    if (!rule)
      return rule.takeError();
    std::vector<double> params(init->getParams().begin(),
                               init->getParams().end());
    uint64_t seed = weight.getSeed().value_or(0);
    mlrt::InitRule r = *rule;
    std::vector<int64_t> shape = out.shape;
    mlrt::DType d = out.dtype;
    out.fill = [r, params, seed, shape, d](uint8_t *dst) {
      return mlrt::fillInit(r, params, seed, shape, d, dst);
    };
    return out;
  }

  std::string key = weight.getName().str();
  mlrt::WeightStore::Entry e =
      store_ ? store_->find(key) : mlrt::WeightStore::Entry();
  if (!e.file)
    return Error() << "weight '" << key << "' is not in the weight store"
                   << (store_ ? " " + storePath_
                              : std::string(" (the model names none)"))
                   << " and has no init rule";
  // The bytes the weight reads: the whole tensor or a block of its rows.
  std::vector<int64_t> storedShape = e.info->shape;
  const uint8_t *src = e.data();
  if (std::optional<ArrayRef<int64_t>> rows = weight.getRows()) {
    if (storedShape.empty() || storedShape[0] < (*rows)[1])
      return Error() << e.file->path() << ": tensor '" << key
                     << "' has fewer rows than the block [" << (*rows)[0]
                     << ", " << (*rows)[1] << ") the module reads";
    uint64_t rowBytes = e.info->numBytes() / storedShape[0];
    src += (*rows)[0] * rowBytes;
    storedShape[0] = (*rows)[1] - (*rows)[0];
  }
  if (!mlrt::sameIgnoringUnitDims(storedShape, out.shape))
    return Error() << e.file->path() << ": tensor '" << key
                   << "' does not have the shape the module declares";
  uint64_t count = out.numBytes() / mlrt::dtypeSize(out.dtype);
  if (e.info->dtype == out.dtype) {
    out.data = src;
    return out;
  }
  if (!mlrt::isFloat(e.info->dtype))
    return Error() << e.file->path() << ": tensor '" << key << "' has dtype "
                   << mlrt::dtypeName(e.info->dtype) << ", not a float type";
  // The module asks for another float type: convert through f32.
  mlrt::DType from = e.info->dtype, to = out.dtype;
  out.fill = [src, from, to, count](uint8_t *dst) {
    std::vector<float> f32(count);
    mlrt::convertToF32(from, src, f32.data(), count);
    mlrt::convertFromF32(to, f32.data(), dst, count);
    return mlrt::Status::ok();
  };
  return out;
}
