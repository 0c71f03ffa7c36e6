//===- MambaInLlamaExport.cpp - Write a hybrid in the MambaInLlama layout -===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Writes what MambaInLlama's MambaTransformerHybridModelWrapper loads:
// config.json of the teacher architecture, mamba_config.json (attn_layers,
// d_inner, d_xb, ssm_cfg) and one safetensors state dict in which each Mamba
// layer's parameters sit where MambaLayout.h says: for Mamba-2 the fused
// in_proj rows [z | x | B | C | dt], so that weights a conversion reused from
// attention (v, k, q) land bit for bit in its x, B and C blocks.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"
#include "mlopt/Export/Export.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"

#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;

namespace {
/// The row blocks a fused tensor is assembled from.
struct FusedTensor {
  std::vector<std::pair<int64_t, mlrt::TensorToWrite>> blocks; // by first row
};

/// Copies a tensor's bytes (in place or produced by its fill) to `dst`.
mlrt::Status emit(const mlrt::TensorToWrite &t, uint8_t *dst) {
  if (t.data) {
    std::memcpy(dst, t.data, t.numBytes());
    return mlrt::Status::ok();
  }
  return t.fill(dst);
}
} // namespace

/// The operand values of `op` by MambaLayout role.
static SmallVector<std::pair<MambaOperand, Value>> operandsByRole(MambaOp op) {
  using M = MambaOperand;
  return {{M::X, op.getX()},
          {M::B, op.getB()},
          {M::C, op.getC()},
          {M::Z, op.getZ()},
          {M::Out, op.getOut()},
          {M::ConvWeight, op.getConvWeight()},
          {M::ConvBias, op.getConvBias()},
          {M::DtBias, op.getDtBias()},
          {M::ALog, op.getALog()},
          {M::D, op.getD()},
          {M::Dt, op.getDt()},
          {M::Norm, op.getNorm()},
          {M::DtDown, op.getDtDown()},
          {M::DtProj, op.getDtProj()}};
}

/// The single Mamba configuration mamba_config.json can describe.
static mlrt::Expected<MambaLayerSpec> commonSpec(ModelOp model,
                                                 const ModelDescription &desc) {
  std::optional<MambaLayerSpec> common;
  for (const std::optional<MambaLayerSpec> &spec : desc.mambaLayers) {
    if (!spec)
      continue;
    if (!common) {
      common = spec;
      continue;
    }
    if (spec->variant != common->variant || spec->dState != common->dState ||
        spec->dInner != common->dInner || spec->dXb != common->dXb)
      return Error() << "@" << model.getSymName().str()
                     << " mixes Mamba layers of different variants or sizes; "
                     << "mamba_config.json describes one kind";
  }
  if (!common)
    return Error() << "@" << model.getSymName().str()
                   << " has no Mamba layers; export it as a Hugging Face "
                   << "directory (--format=hf)";
  return *common;
}

static mlrt::json::Value mambaConfigJson(const ModelDescription &desc,
                                         const MambaLayerSpec &spec) {
  ConfigAttr c = desc.config;
  mlrt::json::Value ssm{mlrt::json::Object()};
  ssm.set("expand", 1);
  if (spec.variant == MambaVariant::Mamba2)
    ssm.set("ngroups", spec.numHeads());
  ssm.set("d_state", spec.dState);
  mlrt::json::Array attnLayers;
  for (int64_t i = 0; i < c.getLayers(); ++i)
    if (!desc.mambaLayers[i])
      attnLayers.push_back(mlrt::json::Value(i));
  mlrt::json::Value out{mlrt::json::Object()};
  out.set("d_model", c.getHidden());
  out.set("ssm_cfg", std::move(ssm));
  out.set("rms_norm_eps", double(c.getRmsEps()));
  out.set("vocab_size", c.getVocab());
  out.set("d_inner", spec.dInner);
  out.set("d_xb", spec.dXb);
  out.set("intermediate_size", c.getIntermediate());
  out.set("hidden_act", "silu");
  out.set("n_layer", c.getLayers());
  out.set("attn_layers", std::move(attnLayers));
  return out;
}

mlrt::Expected<std::vector<std::string>>
mlopt::exportMambaInLlama(ModelOp model, StringRef moduleDir, StringRef outDir,
                          uint64_t maxShardBytes) {
  ModelDescription desc = describeModel(model);
  mlrt::Expected<MambaLayerSpec> spec = commonSpec(model, desc);
  if (!spec)
    return spec.takeError();
  mlrt::Expected<ModelWeights> weights = ModelWeights::open(model, moduleDir);
  if (!weights)
    return weights.takeError();

  // Weights only Mamba mixers read are written under the layout's names.
  llvm::DenseSet<Operation *> mambaOnly;
  model.walk([&](MambaOp op) {
    for (auto [role, value] : operandsByRole(op))
      if (value && llvm::all_of(value.getUsers(), [](Operation *user) {
            return isa<MambaOp>(user);
          }))
        mambaOnly.insert(value.getDefiningOp());
  });

  // Whole tensors in first-use order; fused ones collect their row blocks.
  using Index = std::map<std::string, unsigned>;
  llvm::MapVector<std::string, std::optional<mlrt::TensorToWrite>, Index> whole;
  llvm::MapVector<std::string, FusedTensor, Index> fused;
  for (Operation &op : model.getBody().front()) {
    if (auto weight = dyn_cast<WeightOp>(op)) {
      if (mambaOnly.contains(weight))
        continue;
      mlrt::Expected<mlrt::TensorToWrite> t =
          weights->tensor(weight, weight.getName().str());
      if (!t)
        return t.takeError();
      whole[t->name] = std::move(*t);
      continue;
    }
    auto mamba = dyn_cast<MambaOp>(op);
    if (!mamba)
      continue;
    for (auto [role, value] : operandsByRole(mamba)) {
      if (!value)
        continue;
      auto weight = value.getDefiningOp<WeightOp>();
      if (!weight)
        return Error() << "layer " << mamba.getLayer()
                       << ": a Mamba operand is not an llm.weight";
      std::optional<StoredWeight> stored =
          mambaInLlamaWeight(mamba.getLayer(), *spec, role);
      mlrt::Expected<mlrt::TensorToWrite> t =
          weights->tensor(weight, stored->name);
      if (!t)
        return t.takeError();
      if (role == MambaOperand::ConvWeight) // stored as (channels, 1, width)
        t->shape = {t->shape[0], 1, t->shape[1]};
      if (stored->rows)
        fused[stored->name].blocks.emplace_back(stored->rows->first,
                                                std::move(*t));
      else
        whole[stored->name] = std::move(*t);
    }
  }

  std::vector<mlrt::TensorToWrite> tensors;
  for (auto &[name, t] : whole)
    tensors.push_back(std::move(*t));
  for (auto &[name, f] : fused) {
    llvm::sort(f.blocks,
               [](const auto &a, const auto &b) { return a.first < b.first; });
    mlrt::TensorToWrite out;
    out.name = name;
    out.dtype = f.blocks.front().second.dtype;
    out.shape = f.blocks.front().second.shape;
    out.shape[0] = 0;
    for (const auto &[first, block] : f.blocks) {
      if (first != out.shape[0] || block.dtype != out.dtype ||
          block.shape[1] != out.shape[1])
        return Error() << "cannot assemble '" << name << "': its row blocks "
                       << "do not tile it with one dtype and width";
      out.shape[0] += block.shape[0];
    }
    std::vector<mlrt::TensorToWrite> blocks;
    for (auto &[first, block] : f.blocks)
      blocks.push_back(std::move(block));
    out.fill = [blocks = std::move(blocks)](uint8_t *dst) -> mlrt::Status {
      for (const mlrt::TensorToWrite &block : blocks) {
        MLRT_RETURN_IF_ERROR(emit(block, dst));
        dst += block.numBytes();
      }
      return mlrt::Status::ok();
    };
    tensors.push_back(std::move(out));
  }
  return writeCheckpoint(outDir, tensors, maxShardBytes, desc, *weights,
                         {{"mamba_config.json", mambaConfigJson(desc, *spec)}});
}
