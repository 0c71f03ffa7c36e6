//===- ArtifactWriter.cpp - Compile an llm model into a .mlart ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Walks the model's decoder structure once, layer by layer, and records for
// the runtime which weight each kernel reads. Weights stay in their stores;
// the artifact holds names, shapes and row blocks.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Artifact/ArtifactWriter.h"
#include "mlopt/Artifact/PlanWriter.h"
#include "mlopt/Codegen/GpuCodegen.h"
#include "mlopt/Dialect/LLM/ModelStructure.h"
#include "mlopt/Dialect/LLM/RuntimeRope.h"
#include "mlopt/Export/ModelWeights.h"
#include "mlopt/Support/Paths.h"
#include "mlrt/Artifact.h"
#include "mlrt/MappedFile.h"
#include "mlrt/artifact_generated.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;
namespace fb = mlrt::fb;

static fb::DType fbDType(mlrt::DType d) { return static_cast<fb::DType>(d); }

/// The GpuCode table: PTX and every kernel's launch geometry.
static flatbuffers::Offset<fb::GpuCode>
writeGpuCode(flatbuffers::FlatBufferBuilder &b, const GpuArtifactCode &gpu) {
  std::vector<flatbuffers::Offset<fb::GpuKernel>> kernels;
  for (const GpuKernelSpec &k : gpu.kernels->kernels) {
    std::vector<int32_t> grid(k.grid, k.grid + 3), block(k.block, k.block + 3);
    kernels.push_back(fb::CreateGpuKernel(
        b, b.CreateString(k.name), b.CreateVector(grid), k.perToken,
        b.CreateVector(block), static_cast<int32_t>(k.sharedBytes),
        k.perSequence, k.positions));
  }
  return fb::CreateGpuCode(b, b.CreateString(gpu.kernels->target.chip),
                           b.CreateString(gpu.ptx), b.CreateVector(kernels),
                           fbDType(gpu.kernels->matrixType));
}

mlrt::Status mlopt::writeArtifact(ModelOp model, kern::ProgramOp plan,
                                  StringRef moduleDir, StringRef outPath,
                                  const GpuArtifactCode *gpu) {
  mlrt::Expected<ModelStructure> structure = analyzeModelStructure(model);
  if (!structure)
    return structure.takeError();
  EmbedOp embed = structure->embed;
  RMSNormOp finalNorm = structure->finalNorm;
  LMHeadOp head = structure->lmHead;
  mlrt::Expected<ModelWeights> weights = ModelWeights::open(model, moduleDir);
  if (!weights)
    return weights.takeError();

  // The weight table, in declaration order; init-rule weights go to a
  // sidecar store written next to the artifact.
  std::string sidecar = (outPath + ".weights.safetensors").str();
  llvm::DenseMap<Value, int32_t> index;
  std::vector<mlrt::TensorToWrite> generated;
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Weight>> table;
  for (WeightOp w : model.getBody().getOps<WeightOp>()) {
    mlrt::Expected<mlrt::TensorToWrite> t =
        weights->tensor(w, w.getName().str());
    if (!t)
      return t.takeError();
    bool fromInit = w.getInit().has_value();
    int64_t rowBegin = 0, rowEnd = 0;
    if (std::optional<ArrayRef<int64_t>> rows = w.getRows()) {
      rowBegin = (*rows)[0];
      rowEnd = (*rows)[1];
    }
    std::vector<int32_t> shape;
    for (int64_t d : t->shape) {
      if (d > INT32_MAX)
        return Error() << "weight '" << t->name << "' has a dimension of " << d
                       << ", beyond what the artifact format holds";
      shape.push_back(static_cast<int32_t>(d));
    }
    index[w.getResult()] = static_cast<int32_t>(table.size());
    table.push_back(fb::CreateWeight(b, b.CreateString(t->name),
                                     fbDType(t->dtype), b.CreateVector(shape),
                                     fromInit ? 1 : 0, rowBegin, rowEnd));
    if (fromInit)
      generated.push_back(std::move(*t));
  }
  auto idx = [&](Value v) { return v ? index.lookup(v) : -1; };

  std::vector<flatbuffers::Offset<fb::Layer>> fbLayers;
  for (DecoderLayer l : structure->layers) {
    std::vector<int32_t> mixerWeights;
    fb::Mixer kind;
    int64_t window = 0, dState = 0, groups = 0;
    if (auto a = dyn_cast<AttentionOp>(l.mixer)) {
      kind = fb::Mixer::Attention;
      mixerWeights = {idx(a.getQ()),     idx(a.getK()),     idx(a.getV()),
                      idx(a.getO()),     idx(a.getQBias()), idx(a.getKBias()),
                      idx(a.getVBias()), idx(a.getOBias())};
      window = a.getSlidingWindow().value_or(0);
    } else {
      auto m = cast<MambaOp>(l.mixer);
      bool two = m.getVariant() == MambaVariant::Mamba2;
      kind = two ? fb::Mixer::Mamba2 : fb::Mixer::Mamba1;
      mixerWeights = {idx(m.getX()),
                      idx(m.getB()),
                      idx(m.getC()),
                      idx(m.getZ()),
                      idx(m.getOut()),
                      idx(m.getConvWeight()),
                      idx(m.getConvBias()),
                      idx(m.getDtBias()),
                      idx(m.getALog()),
                      idx(m.getD()),
                      idx(two ? m.getDt() : m.getDtDown()),
                      idx(two ? m.getNorm() : m.getDtProj())};
      dState = m.getDState();
      groups = m.getGroups();
    }
    fbLayers.push_back(fb::CreateLayer(
        b, kind, b.CreateVector(mixerWeights), idx(l.inputNorm.getWeight()),
        idx(l.postNorm.getWeight()), idx(l.mlp.getGate()), idx(l.mlp.getUp()),
        idx(l.mlp.getDown()), window, dState, groups));
  }

  ConfigAttr c = model.getConfig();
  mlrt::RopeConfig r = runtimeRope(c);
  auto rope = fb::CreateRope(
      b, r.theta, static_cast<fb::RopeScaling>(r.scaling), r.factor,
      r.lowFreqFactor, r.highFreqFactor, r.originalMaxPosition, r.betaFast,
      r.betaSlow, r.attentionFactor);
  std::vector<int32_t> eos(c.getEos().begin(), c.getEos().end());
  auto config = fb::CreateConfig(
      b, static_cast<fb::Arch>(c.getArch()), c.getVocab(), c.getHidden(),
      c.getIntermediate(), c.getLayers(), c.getHeads(), c.getKvHeads(),
      c.getHeadDim(), c.getMaxPosition(), rope, c.getRmsEps(),
      c.getTieEmbeddings(), c.getSlidingWindow().value_or(0),
      c.getBos().value_or(-1), b.CreateVector(eos));

  std::vector<flatbuffers::Offset<fb::Store>> stores;
  stores.push_back(fb::CreateStore(
      b, b.CreateString(weights->storePath().empty()
                            ? std::string()
                            : pathFrom(outPath, weights->storePath()))));
  if (!generated.empty())
    stores.push_back(
        fb::CreateStore(b, b.CreateString(pathFrom(outPath, sidecar))));
  flatbuffers::Offset<fb::Tokenizer> tokenizer;
  if (std::optional<StringRef> t = model.getTokenizer()) {
    llvm::SmallString<256> p(*t);
    if (llvm::sys::path::is_relative(p)) {
      p = moduleDir;
      llvm::sys::path::append(p, *t);
    }
    tokenizer = fb::CreateTokenizer(b, b.CreateString(pathFrom(outPath, p)));
  }
  mlrt::Expected<flatbuffers::Offset<fb::Plan>> fbPlan =
      writePlan(b, plan, gpu ? &gpu->kernels->opKernels : nullptr);
  if (!fbPlan)
    return fbPlan.takeError();
  auto root = fb::CreateArtifact(
      b, mlrt::kArtifactVersion, b.CreateString("mlopt ml-compile"),
      b.CreateString(model.getSymName().str()), config, b.CreateVector(stores),
      b.CreateVector(table), idx(embed.getTable()), idx(finalNorm.getWeight()),
      idx(head.getWeight()), b.CreateVector(fbLayers), tokenizer, *fbPlan,
      gpu ? writeGpuCode(b, *gpu) : 0);
  fb::FinishArtifactBuffer(b, root);

  if (!generated.empty())
    MLRT_RETURN_IF_ERROR(mlrt::writeSafetensors(sidecar, generated));
  mlrt::Status written = mlrt::writeFileAtomically(
      outPath.str(),
      std::string_view(reinterpret_cast<const char *>(b.GetBufferPointer()),
                       b.GetSize()));
  if (written.failed() && !generated.empty())
    std::remove(sidecar.c_str());
  return written;
}
