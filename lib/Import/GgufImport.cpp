//===- GgufImport.cpp - Import a llama-architecture GGUF file -------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Maps GGUF metadata to the model config and ggml tensor names to Hugging
// Face names, dequantises every tensor to f32 and, for the llama
// architecture, undoes the row permutation llama.cpp's converter applies to
// q and k (formats.md section 3), so that the weights are the HF model's.
// The weights are written to a safetensors store beside the module.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/LLM/LLMOps.h"
#include "mlopt/Import/Import.h"
#include "mlrt/Gguf.h"
#include "mlrt/Safetensors.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;

namespace {
/// A GGUF tensor under its Hugging Face name.
struct MappedTensor {
  const mlrt::GgufTensor *source;
  std::string hfName;
  std::vector<int64_t> hfShape;
  /// Heads to un-permute q/k rows over (0: rows stay as they are).
  int64_t permuteHeads = 0;
};

constexpr const char *kSupportedArchs = "llama, qwen2";

/// HF module path of a ggml per-block tensor ("attn_q" -> "self_attn.q_proj").
std::optional<std::string> blockTensorName(StringRef ggml) {
  static const llvm::StringMap<const char *> names = {
      {"attn_norm", "input_layernorm"},
      {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},
      {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"}};
  auto it = names.find(ggml);
  if (it == names.end())
    return std::nullopt;
  return std::string(it->second);
}

/// Typed metadata access with errors naming the key.
class Metadata {
public:
  Metadata(const mlrt::GgufFile &file, std::string arch)
      : file(file), arch(std::move(arch)) {}

  mlrt::Expected<int64_t> integer(const std::string &key,
                                  std::optional<int64_t> fallback = {}) const {
    const mlrt::GgufValue *v = file.get(key);
    if (!v) {
      if (fallback)
        return *fallback;
      return Error() << file.path() << ": missing metadata '" << key << "'";
    }
    if (!v->isInteger() || v->integer < 0)
      return Error() << file.path() << ": metadata '" << key
                     << "' must be a non-negative integer, found a "
                     << mlrt::GgufValue::typeName(v->type);
    return v->integer;
  }
  mlrt::Expected<double> number(const std::string &key, double fallback) const {
    const mlrt::GgufValue *v = file.get(key);
    if (!v)
      return fallback;
    std::optional<double> n = v->asNumber();
    if (!n)
      return Error() << file.path() << ": metadata '" << key
                     << "' must be a number, found a "
                     << mlrt::GgufValue::typeName(v->type);
    return *n;
  }
  std::string archKey(const char *suffix) const { return arch + "." + suffix; }

  const mlrt::GgufFile &file;
  std::string arch;
};
} // namespace

/// Reads the model description from the metadata.
static mlrt::Expected<ModelDescription>
describeGguf(const mlrt::GgufFile &file, MLIRContext *context, Arch &archOut) {
  const mlrt::GgufValue *archValue = file.get("general.architecture");
  if (!archValue || archValue->type != mlrt::GgufValue::Type::String)
    return Error() << file.path() << ": missing string metadata "
                   << "'general.architecture'";
  std::string arch(archValue->string);
  if (arch == "llama")
    archOut = Arch::Llama;
  else if (arch == "qwen2")
    archOut = Arch::Qwen2;
  else
    return Error() << file.path() << ": unsupported GGUF architecture '" << arch
                   << "' (supported: " << kSupportedArchs << ")";
  Metadata md(file, arch);
  if (file.findTensor("rope_freqs.weight"))
    return Error() << file.path() << ": llama3 RoPE scaling stored as "
                   << "rope_freqs.weight is not supported";
  if (const mlrt::GgufValue *t = file.get(md.archKey("rope.scaling.type"));
      t && t->string != "none")
    return Error() << file.path() << ": RoPE scaling '"
                   << std::string(t->string)
                   << "' in GGUF files is not supported";

  mlrt::Expected<int64_t> hidden = md.integer(md.archKey("embedding_length"));
  mlrt::Expected<int64_t> inter = md.integer(md.archKey("feed_forward_length"));
  mlrt::Expected<int64_t> layers = md.integer(md.archKey("block_count"));
  mlrt::Expected<int64_t> heads =
      md.integer(md.archKey("attention.head_count"));
  mlrt::Expected<int64_t> maxPos = md.integer(md.archKey("context_length"));
  for (auto *e : {&hidden, &inter, &layers, &heads, &maxPos})
    if (!*e)
      return e->takeError();
  if (*heads == 0 || *layers == 0 || *layers > (1 << 20))
    return Error() << file.path() << ": head_count (" << *heads
                   << ") and block_count (" << *layers << ") must be positive";
  mlrt::Expected<int64_t> kvHeads =
      md.integer(md.archKey("attention.head_count_kv"), *heads);
  mlrt::Expected<int64_t> headDim =
      md.integer(md.archKey("attention.key_length"), *hidden / *heads);
  const mlrt::GgufValue *tokens = file.get("tokenizer.ggml.tokens");
  std::optional<int64_t> tokenCount;
  if (tokens && tokens->type == mlrt::GgufValue::Type::Array)
    tokenCount = static_cast<int64_t>(tokens->items.size());
  mlrt::Expected<int64_t> vocab =
      md.integer(md.archKey("vocab_size"), tokenCount);
  mlrt::Expected<double> theta =
      md.number(md.archKey("rope.freq_base"), 10000.0);
  mlrt::Expected<double> eps =
      md.number(md.archKey("attention.layer_norm_rms_epsilon"), 1e-5);
  for (auto *e : {&kvHeads, &headDim, &vocab})
    if (!*e)
      return e->takeError();
  if (!theta)
    return theta.takeError();
  if (!eps)
    return eps.takeError();

  std::optional<int64_t> bos;
  SmallVector<int64_t> eos;
  if (const mlrt::GgufValue *b = file.get("tokenizer.ggml.bos_token_id");
      b && b->isInteger())
    bos = b->integer;
  if (const mlrt::GgufValue *e = file.get("tokenizer.ggml.eos_token_id");
      e && e->isInteger())
    eos.push_back(e->integer);

  ModelDescription desc;
  desc.slidingLayers.assign(*layers, false);
  desc.qkvBias = file.findTensor("blk.0.attn_q.bias") != nullptr;
  desc.oBias = file.findTensor("blk.0.attn_output.bias") != nullptr;
  bool tied = file.findTensor("output.weight") == nullptr;

  std::string message;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    if (message.empty())
      message = diag.str();
    return success();
  });
  context->loadDialect<LLMDialect>();
  desc.config = ConfigAttr::getChecked(
      [&] { return mlir::emitError(UnknownLoc::get(context)); }, context,
      archOut, *vocab, *hidden, *inter, *layers, *heads, *kvHeads, *headDim,
      *maxPos, F64(*theta), RopeScalingAttr(), F64(*eps), tied,
      std::optional<int64_t>(), bos, ArrayRef<int64_t>(eos));
  if (!desc.config)
    return Error() << file.path() << ": the metadata describes an invalid "
                   << "model: " << message;
  return desc;
}

/// Maps every GGUF tensor to its HF name, shape and row permutation.
static mlrt::Expected<std::vector<MappedTensor>>
mapTensors(const mlrt::GgufFile &file, const ModelDescription &desc,
           Arch arch) {
  std::vector<MappedTensor> out;
  for (const mlrt::GgufTensor &t : file.tensors()) {
    const mlrt::GgmlTypeInfo *info = mlrt::ggmlTypeInfo(uint32_t(t.type));
    if (!info->dequantizable)
      return Error() << file.path() << ": tensor '" << t.name
                     << "' has ggml type " << info->name << ", which is not "
                     << "supported (supported: F32, F16, BF16, Q8_0, Q4_0, "
                     << "Q4_1, Q4_K, Q6_K)";
    MappedTensor m;
    m.source = &t;
    m.hfShape.assign(t.ne.rbegin(), t.ne.rend());
    StringRef name = t.name;
    if (name == "token_embd.weight") {
      m.hfName = "model.embed_tokens.weight";
    } else if (name == "output_norm.weight") {
      m.hfName = "model.norm.weight";
    } else if (name == "output.weight") {
      m.hfName = "lm_head.weight";
    } else if (name.consume_front("blk.")) {
      auto [index, rest] = name.split('.');
      auto [module, kind] = rest.split('.');
      std::optional<std::string> hf = blockTensorName(module);
      int64_t layer;
      if (!hf || index.getAsInteger(10, layer) ||
          (kind != "weight" && kind != "bias"))
        return Error() << file.path() << ": unexpected tensor '" << t.name
                       << "' for a llama-family model";
      m.hfName = llvm::formatv("model.layers.{0}.{1}.{2}", layer, *hf, kind);
      // llama.cpp interleaves the two RoPE halves of q and k rows for its
      // NORM rope; qwen2 uses NEOX rope and is stored as is.
      if (arch == Arch::Llama && (module == "attn_q" || module == "attn_k"))
        m.permuteHeads = module == "attn_q" ? desc.config.getHeads()
                                            : desc.config.getKvHeads();
    } else {
      return Error() << file.path() << ": unexpected tensor '" << t.name
                     << "' for a llama-family model";
    }
    out.push_back(std::move(m));
  }
  return out;
}

/// Dequantises `m` to f32 in HF row order.
static mlrt::Status produce(const MappedTensor &m, float *dst) {
  const mlrt::GgufTensor &t = *m.source;
  if (m.permuteHeads == 0) {
    mlrt::Status s = mlrt::dequantize(t.type, t.data, t.numElements, dst);
    if (s.failed())
      return Error() << "tensor '" << t.name << "': " << s.message();
    return s;
  }
  std::vector<float> ggml(t.numElements);
  mlrt::Status s = mlrt::dequantize(t.type, t.data, t.numElements, ggml.data());
  if (s.failed())
    return Error() << "tensor '" << t.name << "': " << s.message();
  // GGUF row h*hd + 2i + j holds HF row h*hd + j*hd/2 + i.
  int64_t rows = m.hfShape[0];
  int64_t rowLength = static_cast<int64_t>(t.numElements) / rows;
  int64_t headDim = rows / m.permuteHeads, half = headDim / 2;
  for (int64_t h = 0; h < m.permuteHeads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j)
        std::copy_n(&ggml[(h * headDim + 2 * i + j) * rowLength], rowLength,
                    &dst[(h * headDim + j * half + i) * rowLength]);
  return mlrt::Status::ok();
}

mlrt::Expected<BuiltModel> mlopt::importGguf(MLIRContext *context,
                                             StringRef ggufPath,
                                             StringRef storePath,
                                             StringRef weightsPath) {
  mlrt::Expected<mlrt::GgufFile> file = mlrt::GgufFile::open(ggufPath.str());
  if (!file)
    return file.takeError();
  Arch arch;
  mlrt::Expected<ModelDescription> desc = describeGguf(*file, context, arch);
  if (!desc)
    return desc.takeError();
  mlrt::Expected<std::vector<MappedTensor>> tensors =
      mapTensors(*file, *desc, arch);
  if (!tensors)
    return tensors.takeError();
  for (const MappedTensor &m : *tensors)
    if (m.permuteHeads && (m.hfShape[0] % (2 * m.permuteHeads) != 0))
      return Error() << file->path() << ": tensor '" << m.source->name
                     << "' has " << m.hfShape[0] << " rows, not a whole "
                     << "number of heads of even size";

  llvm::StringMap<const MappedTensor *> byName;
  for (const MappedTensor &m : *tensors)
    byName[m.hfName] = &m;
  Builder b(context);
  auto lookup = [&](StringRef name) -> RankedTensorType {
    auto it = byName.find(name);
    if (it == byName.end())
      return {};
    return RankedTensorType::get(it->second->hfShape, b.getF32Type());
  };
  std::string modelName = llvm::sys::path::stem(ggufPath).str();
  mlrt::Expected<BuiltModel> built = buildTransformer(
      context, *desc, modelName, weightsPath, ggufPath, lookup);
  if (!built)
    return built.takeError();
  for (const MappedTensor &m : *tensors)
    if (!built->usedTensors.contains(m.hfName))
      return Error() << file->path() << ": unexpected tensor '"
                     << m.source->name << "' (" << m.hfName << ")";
  if (failed(verify(*built->module)))
    return Error() << ggufPath.str()
                   << ": the file's tensors do not match its metadata (see the "
                      "error above)";

  // Dequantise one tensor at a time while writing, reporting progress.
  std::vector<mlrt::TensorToWrite> out;
  size_t done = 0, total = tensors->size();
  for (const MappedTensor &m : *tensors) {
    mlrt::TensorToWrite t;
    t.name = m.hfName;
    t.dtype = mlrt::DType::F32;
    t.shape = m.hfShape;
    t.fill = [&m, &done, total](uint8_t *dst) {
      mlrt::Status s = produce(m, reinterpret_cast<float *>(dst));
      ++done;
      if (llvm::errs().is_displayed() && (done % 16 == 0 || done == total))
        llvm::errs() << llvm::formatv(
                            "\rml-import: dequantised {0}/{1} tensors", done,
                            total)
                     << (done == total ? "\n" : "");
      return s;
    };
    out.push_back(std::move(t));
  }
  mlrt::Metadata metadata = {{"format", "pt"}, {"source", ggufPath.str()}};
  MLRT_RETURN_IF_ERROR(mlrt::writeSafetensors(storePath.str(), out, metadata));
  checkTokenizer(ggufPath, desc->config.getVocab(), *built);
  return built;
}
