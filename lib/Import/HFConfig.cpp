//===- HFConfig.cpp - Hugging Face config.json <-> #llm.config ------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Field names and defaults follow transformers' LlamaConfig, MistralConfig
// and Qwen2Config (v4 and v5: `rope_theta`/`rope_scaling` and
// `rope_parameters`, `torch_dtype` and `dtype`, `eos_token_id` as an int or a
// list).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Import/HFConfig.h"
#include "mlopt/Dialect/LLM/LLMDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::llm;
using namespace mlopt;
using mlrt::Error;
namespace json = mlrt::json;

namespace {
struct ArchInfo {
  const char *name;
  Arch arch;
  int64_t defaultMaxPosition;
};
constexpr ArchInfo kArchitectures[] = {
    {"LlamaForCausalLM", Arch::Llama, 2048},
    {"MistralForCausalLM", Arch::Mistral, 4096 * 32},
    {"Qwen2ForCausalLM", Arch::Qwen2, 32768},
};

/// Typed access to config.json fields with errors that name the field.
class ConfigReader {
public:
  explicit ConfigReader(const json::Value &root) : root(root) {}

  const json::Value *field(llvm::StringRef name) const {
    const json::Value *v = root.get(name.str());
    return v && !v->isNull() ? v : nullptr;
  }

  mlrt::Expected<int64_t> getInt(llvm::StringRef name,
                                 std::optional<int64_t> fallback = {}) const {
    const json::Value *v = field(name);
    if (!v) {
      if (fallback)
        return *fallback;
      return Error() << "config.json has no '" << name.str()
                     << "' (an integer)";
    }
    if (!v->isInt())
      return Error() << "config.json field '" << name.str()
                     << "' must be an integer, found " << json::serialize(*v);
    return v->getInt();
  }

  mlrt::Expected<double> getNumber(const json::Value &object,
                                   llvm::StringRef name,
                                   std::optional<double> fallback) const {
    const json::Value *v = object.get(name.str());
    if (!v || v->isNull()) {
      if (fallback)
        return *fallback;
      return Error() << "config.json has no '" << name.str() << "' (a number)";
    }
    if (!v->isNumber())
      return Error() << "config.json field '" << name.str()
                     << "' must be a number, found " << json::serialize(*v);
    return v->getNumber();
  }

  mlrt::Expected<bool> getBool(llvm::StringRef name, bool fallback) const {
    const json::Value *v = field(name);
    if (!v)
      return fallback;
    if (!v->isBool())
      return Error() << "config.json field '" << name.str()
                     << "' must be true or false, found "
                     << json::serialize(*v);
    return v->getBool();
  }

  const json::Value &root;
};
} // namespace

StringRef mlopt::supportedArchitectures() {
  return "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM";
}

/// Reads RoPE parameters from `rope_parameters` (transformers v5) or the
/// top-level `rope_theta` / `rope_scaling` (v4).
static mlrt::Status readRope(const ConfigReader &reader, MLIRContext *context,
                             double &theta, RopeScalingAttr &scaling) {
  const json::Value *params = reader.field("rope_parameters");
  const json::Value *scalingJson =
      params ? params : reader.field("rope_scaling");
  const json::Value &thetaHolder = params ? *params : reader.root;
  mlrt::Expected<double> t =
      reader.getNumber(thetaHolder, "rope_theta", 10000.0);
  if (!t)
    return t.takeError();
  theta = *t;
  scaling = RopeScalingAttr();
  if (!scalingJson)
    return mlrt::Status::ok();
  if (!scalingJson->isObject())
    return Error() << "config.json: rope scaling must be an object, found "
                   << json::serialize(*scalingJson);
  const json::Value *type = scalingJson->get("rope_type");
  if (!type)
    type = scalingJson->get("type");
  std::string kindName =
      type && type->isString() ? type->getString() : "default";
  if (kindName == "default")
    return mlrt::Status::ok();
  std::optional<RopeScalingKind> kind = symbolizeRopeScalingKind(kindName);
  if (!kind)
    return Error() << "config.json: unsupported RoPE scaling type '" << kindName
                   << "' (supported: default, linear, dynamic, yarn, llama3)";
  auto num = [&](const char *name, std::optional<double> fallback) {
    return reader.getNumber(*scalingJson, name, fallback);
  };
  mlrt::Expected<double> factor = num("factor", std::nullopt);
  mlrt::Expected<double> low = num("low_freq_factor", 1.0);
  mlrt::Expected<double> high = num("high_freq_factor", 4.0);
  mlrt::Expected<double> betaFast = num("beta_fast", 32.0);
  mlrt::Expected<double> betaSlow = num("beta_slow", 1.0);
  mlrt::Expected<double> attention = num("attention_factor", 0.0);
  for (auto *e : {&factor, &low, &high, &betaFast, &betaSlow, &attention})
    if (!*e)
      return e->takeError();
  std::optional<int64_t> original;
  if (const json::Value *o =
          scalingJson->get("original_max_position_embeddings");
      o && o->isInt())
    original = o->getInt();
  else if (const json::Value *top =
               reader.field("original_max_position_embeddings");
           top && top->isInt())
    original = top->getInt();
  // Checked with the config that holds it (ConfigAttr::verify).
  scaling = RopeScalingAttr::get(context, *kind, F64(*factor), F64(*low),
                                 F64(*high), original, F64(*betaFast),
                                 F64(*betaSlow), F64(*attention));
  return mlrt::Status::ok();
}

mlrt::Expected<ModelDescription> mlopt::parseHFConfig(const json::Value &root,
                                                      MLIRContext *context) {
  context->loadDialect<LLMDialect>();
  if (!root.isObject())
    return Error("config.json is not a JSON object");
  ConfigReader reader(root);

  const json::Value *archs = reader.field("architectures");
  std::string archName = archs && archs->isArray() &&
                                 archs->getArray().size() == 1 &&
                                 archs->getArray()[0].isString()
                             ? archs->getArray()[0].getString()
                             : "";
  const ArchInfo *arch = nullptr;
  for (const ArchInfo &info : kArchitectures)
    if (archName == info.name)
      arch = &info;
  if (!arch)
    return Error() << "unsupported architecture '"
                   << (archs ? (archName.empty() ? json::serialize(*archs)
                                                 : archName)
                             : "(none given)")
                   << "' (supported: " << supportedArchitectures().str() << ")";

  if (const json::Value *act = reader.field("hidden_act");
      act && (!act->isString() || act->getString() != "silu"))
    return Error() << "config.json: hidden_act " << json::serialize(*act)
                   << " is not supported (only \"silu\")";
  mlrt::Expected<bool> mlpBias = reader.getBool("mlp_bias", false);
  if (!mlpBias)
    return mlpBias.takeError();
  if (*mlpBias)
    return Error("config.json: mlp_bias = true is not supported");

  mlrt::Expected<int64_t> vocab = reader.getInt("vocab_size");
  mlrt::Expected<int64_t> hidden = reader.getInt("hidden_size");
  mlrt::Expected<int64_t> inter = reader.getInt("intermediate_size");
  mlrt::Expected<int64_t> layers = reader.getInt("num_hidden_layers");
  mlrt::Expected<int64_t> heads = reader.getInt("num_attention_heads");
  for (auto *e : {&vocab, &hidden, &inter, &layers, &heads})
    if (!*e)
      return e->takeError();
  if (*heads <= 0 || *layers <= 0 || *layers > (1 << 20))
    return Error() << "config.json: num_attention_heads (" << *heads
                   << ") and num_hidden_layers (" << *layers
                   << ") must be positive";
  mlrt::Expected<int64_t> kvHeads =
      reader.getInt("num_key_value_heads", *heads);
  mlrt::Expected<int64_t> headDim = reader.getInt("head_dim", *hidden / *heads);
  mlrt::Expected<int64_t> maxPos =
      reader.getInt("max_position_embeddings", arch->defaultMaxPosition);
  for (auto *e : {&kvHeads, &headDim, &maxPos})
    if (!*e)
      return e->takeError();
  mlrt::Expected<double> eps = reader.getNumber(root, "rms_norm_eps", 1e-6);
  if (!eps)
    return eps.takeError();
  mlrt::Expected<bool> tie = reader.getBool("tie_word_embeddings", false);
  if (!tie)
    return tie.takeError();

  double theta;
  RopeScalingAttr scaling;
  MLRT_RETURN_IF_ERROR(readRope(reader, context, theta, scaling));

  std::optional<int64_t> bos;
  if (const json::Value *b = reader.field("bos_token_id")) {
    if (!b->isInt())
      return Error()
             << "config.json field 'bos_token_id' must be an integer, found "
             << json::serialize(*b);
    bos = b->getInt();
  }
  SmallVector<int64_t> eos;
  if (const json::Value *e = reader.field("eos_token_id")) {
    if (e->isInt())
      eos.push_back(e->getInt());
    else if (e->isArray())
      for (const json::Value &id : e->getArray()) {
        if (!id.isInt())
          return Error("config.json field 'eos_token_id' must be an integer "
                       "or a list of integers");
        eos.push_back(id.getInt());
      }
    else
      return Error() << "config.json field 'eos_token_id' must be an integer "
                        "or a list of integers, found "
                     << json::serialize(*e);
  }

  // Sliding window: every layer for Mistral; for Qwen2 only with
  // use_sliding_window, on layers from max_window_layers on (or as
  // layer_types says).
  ModelDescription desc;
  desc.slidingLayers.assign(*layers, false);
  std::optional<int64_t> window;
  if (const json::Value *w = reader.field("sliding_window")) {
    if (!w->isInt())
      return Error() << "config.json field 'sliding_window' must be an integer "
                        "or null, found "
                     << json::serialize(*w);
    window = w->getInt();
  }
  if (window && arch->arch == Arch::Qwen2) {
    mlrt::Expected<bool> use = reader.getBool("use_sliding_window", false);
    if (!use)
      return use.takeError();
    if (const json::Value *types = reader.field("layer_types");
        types && types->isArray() &&
        types->getArray().size() == static_cast<size_t>(*layers)) {
      for (int64_t i = 0; i < *layers; ++i) {
        const json::Value &t = types->getArray()[i];
        desc.slidingLayers[i] =
            t.isString() && t.getString() == "sliding_attention";
      }
    } else if (*use) {
      mlrt::Expected<int64_t> first =
          reader.getInt("max_window_layers", *layers);
      if (!first)
        return first.takeError();
      for (int64_t i = *first; i < *layers; ++i)
        desc.slidingLayers[i] = true;
    }
    if (llvm::none_of(desc.slidingLayers, [](bool b) { return b; }))
      window.reset();
  } else if (window && arch->arch != Arch::Llama) {
    desc.slidingLayers.assign(*layers, true);
  } else {
    window.reset(); // Llama configs carry no sliding window semantics
  }

  mlrt::Expected<bool> attentionBias = reader.getBool("attention_bias", false);
  if (!attentionBias)
    return attentionBias.takeError();
  desc.qkvBias = arch->arch == Arch::Qwen2 || *attentionBias;
  desc.oBias = arch->arch != Arch::Qwen2 && *attentionBias;

  std::string message;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    if (message.empty())
      message = diag.str();
    return success();
  });
  desc.config = ConfigAttr::getChecked(
      [&] { return mlir::emitError(UnknownLoc::get(context)); }, context,
      arch->arch, *vocab, *hidden, *inter, *layers, *heads, *kvHeads, *headDim,
      *maxPos, F64(theta), scaling, F64(*eps), *tie, window, bos,
      ArrayRef<int64_t>(eos));
  if (!desc.config || (!message.empty()))
    return Error() << "config.json describes an invalid model: " << message;
  return desc;
}

json::Value mlopt::writeHFConfig(const ModelDescription &desc,
                                 StringRef dtype) {
  ConfigAttr c = desc.config;
  json::Value out{json::Object()};
  const char *archName = "LlamaForCausalLM";
  const char *modelType = "llama";
  if (c.getArch() == Arch::Mistral) {
    archName = "MistralForCausalLM";
    modelType = "mistral";
  } else if (c.getArch() == Arch::Qwen2) {
    archName = "Qwen2ForCausalLM";
    modelType = "qwen2";
  }
  out.set("architectures", json::Array{json::Value(archName)});
  out.set("model_type", modelType);
  out.set("vocab_size", c.getVocab());
  out.set("hidden_size", c.getHidden());
  out.set("intermediate_size", c.getIntermediate());
  out.set("num_hidden_layers", c.getLayers());
  out.set("num_attention_heads", c.getHeads());
  out.set("num_key_value_heads", c.getKvHeads());
  out.set("head_dim", c.getHeadDim());
  out.set("hidden_act", "silu");
  out.set("max_position_embeddings", c.getMaxPosition());
  out.set("rms_norm_eps", double(c.getRmsEps()));
  out.set("rope_theta", double(c.getRopeTheta()));
  if (RopeScalingAttr s = c.getRopeScaling()) {
    json::Value scaling{json::Object()};
    scaling.set("rope_type", stringifyRopeScalingKind(s.getKind()).str());
    scaling.set("factor", double(s.getFactor()));
    if (s.getKind() == RopeScalingKind::Llama3) {
      scaling.set("low_freq_factor", double(s.getLowFreqFactor()));
      scaling.set("high_freq_factor", double(s.getHighFreqFactor()));
    }
    if (s.getOriginalMaxPosition())
      scaling.set("original_max_position_embeddings",
                  *s.getOriginalMaxPosition());
    if (s.getKind() == RopeScalingKind::Yarn) {
      scaling.set("beta_fast", double(s.getBetaFast()));
      scaling.set("beta_slow", double(s.getBetaSlow()));
      if (double(s.getAttentionFactor()) != 0.0)
        scaling.set("attention_factor", double(s.getAttentionFactor()));
    }
    out.set("rope_scaling", std::move(scaling));
  } else {
    out.set("rope_scaling", nullptr);
  }
  out.set("tie_word_embeddings", c.getTieEmbeddings());
  if (c.getBos())
    out.set("bos_token_id", *c.getBos());
  if (c.getEos().size() == 1)
    out.set("eos_token_id", c.getEos()[0]);
  else if (!c.getEos().empty()) {
    json::Array ids;
    for (int64_t id : c.getEos())
      ids.push_back(json::Value(id));
    out.set("eos_token_id", std::move(ids));
  }
  if (c.getArch() != Arch::Qwen2)
    out.set("attention_bias", desc.oBias);
  out.set("mlp_bias", false);
  if (c.getArch() == Arch::Mistral)
    out.set("sliding_window", c.getSlidingWindow()
                                  ? json::Value(*c.getSlidingWindow())
                                  : json::Value());
  if (c.getArch() == Arch::Qwen2) {
    bool any = llvm::any_of(desc.slidingLayers, [](bool b) { return b; });
    out.set("use_sliding_window", any);
    out.set("sliding_window", c.getSlidingWindow()
                                  ? json::Value(*c.getSlidingWindow())
                                  : json::Value());
    int64_t first = c.getLayers();
    for (int64_t i = 0; i < c.getLayers(); ++i)
      if (desc.slidingLayers[i]) {
        first = i;
        break;
      }
    out.set("max_window_layers", first);
  }
  out.set("torch_dtype", dtype.str());
  return out;
}
