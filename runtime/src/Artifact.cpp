//===- Artifact.cpp - Loading compiled models (.mlart) --------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Artifact.h"

#include "PlanReader.h"

#include "mlrt/artifact_generated.h"

#include <sys/stat.h>

using namespace mlrt;

namespace mlrt {
/// Builds an Artifact from a verified FlatBuffer, checking its contents.
class ArtifactLoader {
public:
  ArtifactLoader(const std::string &path, const fb::Artifact &root)
      : path(path), root(root) {}
  Expected<Artifact> load();

private:
  Status readConfig();
  Status openStores();
  Status readWeights();
  Status readLayers();
  /// The weight at `index`, checked to have `shape`; `role` names it.
  Expected<const WeightRef *> weight(int64_t index, const std::string &role,
                                     const std::vector<int64_t> &shape,
                                     bool optional = false);
  Error bad() { return Error() << path << ": "; }

  const std::string &path;
  const fb::Artifact &root;
  Artifact out;
};
} // namespace mlrt

static std::string dirName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

Status ArtifactLoader::readConfig() {
  const fb::Config &c = *root.config();
  ModelConfig &m = out.config_;
  m.arch = static_cast<Arch>(c.arch());
  m.vocab = c.vocab();
  m.hidden = c.hidden();
  m.intermediate = c.intermediate();
  m.layers = c.layers();
  m.heads = c.heads();
  m.kvHeads = c.kv_heads();
  m.headDim = c.head_dim();
  m.maxPosition = c.max_position();
  const fb::Rope &r = *c.rope();
  m.rope = {r.theta(),
            static_cast<RopeScalingKind>(r.scaling()),
            r.factor(),
            r.low_freq_factor(),
            r.high_freq_factor(),
            r.original_max_position(),
            r.beta_fast(),
            r.beta_slow(),
            r.attention_factor()};
  m.rmsEps = c.rms_eps();
  m.tieEmbeddings = c.tie_embeddings();
  m.slidingWindow = c.sliding_window();
  if (c.bos() >= 0)
    m.bos = c.bos();
  if (c.eos())
    m.eos.assign(c.eos()->begin(), c.eos()->end());
  std::pair<const char *, int64_t> sizes[] = {{"vocab", m.vocab},
                                              {"hidden", m.hidden},
                                              {"intermediate", m.intermediate},
                                              {"layers", m.layers},
                                              {"heads", m.heads},
                                              {"kv_heads", m.kvHeads},
                                              {"head_dim", m.headDim},
                                              {"max_position", m.maxPosition}};
  for (auto [name, value] : sizes)
    if (value <= 0 || value > (int64_t(1) << 32))
      return bad() << "config " << name << " is " << value
                   << ", expected a positive size";
  if (m.heads % m.kvHeads != 0)
    return bad() << "config heads (" << m.heads
                 << ") is not a multiple of kv_heads (" << m.kvHeads << ")";
  if (!(m.rmsEps > 0) || !(m.rope.theta > 0) || m.slidingWindow < 0)
    return bad() << "config rms_eps, rope theta or sliding_window is invalid";
  if (static_cast<int>(c.arch()) > static_cast<int>(fb::Arch::MAX) ||
      static_cast<int>(r.scaling()) > static_cast<int>(fb::RopeScaling::MAX))
    return bad() << "config names an unknown architecture or RoPE scaling";
  for (int64_t id : m.eos)
    if (id < 0 || id >= m.vocab)
      return bad() << "eos token " << id << " is outside the vocabulary";
  return Status::ok();
}

Status ArtifactLoader::openStores() {
  std::string dir = dirName(path);
  for (const fb::Store *s : *root.stores()) {
    std::string p = s->path()->str();
    if (p.empty() || p[0] != '/')
      p = dir + "/" + p;
    Expected<WeightStore> store = WeightStore::open(p);
    if (!store)
      return bad() << "weight store " << s->path()->str() << ": "
                   << store.message();
    out.storePaths_.push_back(p);
    out.stores_.push_back(std::make_unique<WeightStore>(std::move(*store)));
  }
  return Status::ok();
}

Status ArtifactLoader::readWeights() {
  out.weights_ = std::make_unique<std::vector<WeightRef>>();
  for (const fb::Weight *w : *root.weights()) {
    WeightRef ref;
    ref.name = w->name()->str();
    ref.dtype = static_cast<DType>(w->dtype());
    if (static_cast<int>(w->dtype()) > static_cast<int>(fb::DType::MAX) ||
        !isFloat(ref.dtype) || ref.dtype == DType::F64)
      return bad() << "weight '" << ref.name
                   << "' has a dtype that is not F32, F16 or BF16";
    ref.shape.assign(w->shape()->begin(), w->shape()->end());
    uint64_t count = 1;
    for (int64_t d : ref.shape) {
      if (d <= 0 || d > (int64_t(1) << 40) ||
          count > (uint64_t(1) << 50) / static_cast<uint64_t>(d))
        return bad() << "weight '" << ref.name << "' has an invalid shape "
                     << shapeString(ref.shape);
      count *= static_cast<uint64_t>(d);
    }
    ref.numBytes = count * dtypeSize(ref.dtype);
    if (w->store() >= out.stores_.size())
      return bad() << "weight '" << ref.name << "' names store " << w->store()
                   << " of " << out.stores_.size();
    const WeightStore &store = *out.stores_[w->store()];
    WeightStore::Entry e = store.find(ref.name);
    if (!e.file)
      return bad() << "weight '" << ref.name << "' is not in store "
                   << out.storePaths_[w->store()];
    if (e.info->dtype != ref.dtype)
      return bad() << "weight '" << ref.name << "' is "
                   << dtypeName(e.info->dtype) << " in its store, not "
                   << dtypeName(ref.dtype);
    std::vector<int64_t> stored = e.info->shape;
    const uint8_t *data = e.data();
    if (w->row_end() > 0) {
      if (stored.empty() || w->row_begin() < 0 ||
          w->row_begin() >= w->row_end() || w->row_end() > stored[0])
        return bad() << "weight '" << ref.name << "' reads rows ["
                     << w->row_begin() << ", " << w->row_end()
                     << ") of a tensor of shape " << shapeString(stored);
      uint64_t rowBytes = e.info->numBytes() / stored[0];
      data += w->row_begin() * rowBytes;
      stored[0] = w->row_end() - w->row_begin();
    }
    if (!sameIgnoringUnitDims(stored, ref.shape))
      return bad() << "weight '" << ref.name << "' is declared "
                   << shapeString(ref.shape) << " but its store holds "
                   << shapeString(stored);
    ref.data = data;
    out.weights_->push_back(std::move(ref));
  }
  return Status::ok();
}

Expected<const WeightRef *>
ArtifactLoader::weight(int64_t index, const std::string &role,
                       const std::vector<int64_t> &shape, bool optional) {
  if (index < 0 && optional)
    return static_cast<const WeightRef *>(nullptr);
  if (index < 0 || index >= static_cast<int64_t>(out.weights_->size()))
    return bad() << role << " names weight " << index << " of "
                 << out.weights_->size();
  const WeightRef &w = (*out.weights_)[index];
  if (w.shape != shape)
    return bad() << role << " weight '" << w.name << "' has shape "
                 << shapeString(w.shape) << ", expected " << shapeString(shape);
  return &w;
}

Status ArtifactLoader::readLayers() {
  const ModelConfig &c = out.config_;
  int64_t d = c.hidden, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  if (static_cast<int64_t>(root.layers()->size()) != c.layers)
    return bad() << "has " << root.layers()->size()
                 << " layers, the config says " << c.layers;
  int64_t i = 0;
  for (const fb::Layer *l : *root.layers()) {
    std::string at = "layer " + std::to_string(i++) + " ";
    LayerSpec spec;
    spec.mixer = static_cast<MixerKind>(l->mixer());
    std::vector<int32_t> idx(l->mixer_weights()->begin(),
                             l->mixer_weights()->end());
    auto take = [&](size_t slot, const char *role, std::vector<int64_t> shape,
                    bool optional = false) -> Status {
      if (slot >= idx.size())
        return bad() << at << "lists no " << role << " weight";
      Expected<const WeightRef *> w =
          weight(idx[slot], at + role, shape, optional);
      if (!w)
        return w.takeError();
      spec.mixerWeights.push_back(*w);
      return Status::ok();
    };
    // Shapes of the mixer's own operands, from the stored rows where the
    // config does not fix them (Mamba's inner sizes).
    auto rowsOf = [&](size_t slot) -> int64_t {
      if (slot >= idx.size() || idx[slot] < 0 ||
          idx[slot] >= static_cast<int64_t>(out.weights_->size()))
        return -1;
      const std::vector<int64_t> &s = (*out.weights_)[idx[slot]].shape;
      return s.empty() ? -1 : s[0];
    };
    switch (spec.mixer) {
    case MixerKind::Attention: {
      spec.slidingWindow = l->sliding_window();
      if (spec.slidingWindow < 0)
        return bad() << at << "has a negative sliding window";
      MLRT_RETURN_IF_ERROR(take(0, "q", {q, d}));
      MLRT_RETURN_IF_ERROR(take(1, "k", {kv, d}));
      MLRT_RETURN_IF_ERROR(take(2, "v", {kv, d}));
      MLRT_RETURN_IF_ERROR(take(3, "o", {d, q}));
      MLRT_RETURN_IF_ERROR(take(4, "q_bias", {q}, true));
      MLRT_RETURN_IF_ERROR(take(5, "k_bias", {kv}, true));
      MLRT_RETURN_IF_ERROR(take(6, "v_bias", {kv}, true));
      MLRT_RETURN_IF_ERROR(take(7, "o_bias", {d}, true));
      if ((spec.mixerWeights[4] != nullptr) !=
              (spec.mixerWeights[5] != nullptr) ||
          (spec.mixerWeights[4] != nullptr) !=
              (spec.mixerWeights[6] != nullptr))
        return bad() << at << "has some but not all of the q/k/v biases";
      break;
    }
    case MixerKind::Mamba2:
    case MixerKind::Mamba1: {
      int64_t n = l->d_state(), g = l->groups();
      int64_t cRows = rowsOf(2), xRows = rowsOf(0), convK = -1;
      if (idx.size() > 5 && idx[5] >= 0 &&
          idx[5] < static_cast<int64_t>(out.weights_->size()) &&
          (*out.weights_)[idx[5]].shape.size() == 2)
        convK = (*out.weights_)[idx[5]].shape[1];
      if (n <= 0 || g <= 0 || cRows <= 0 || xRows <= 0 || convK <= 0 ||
          cRows % n != 0 || xRows % g != 0 || (cRows / n) % g != 0)
        return bad() << at << "has inconsistent Mamba sizes (d_state " << n
                     << ", groups " << g << ")";
      spec.dState = n;
      spec.groups = g;
      int64_t h = cRows / n;
      if (spec.mixer == MixerKind::Mamba2) {
        int64_t p = xRows / g, inner = h * p, ch = g * p + g * n + h * n;
        MLRT_RETURN_IF_ERROR(take(0, "x", {g * p, d}));
        MLRT_RETURN_IF_ERROR(take(1, "B", {g * n, d}));
        MLRT_RETURN_IF_ERROR(take(2, "C", {h * n, d}));
        MLRT_RETURN_IF_ERROR(take(3, "z", {inner, d}));
        MLRT_RETURN_IF_ERROR(take(4, "out", {d, inner}));
        MLRT_RETURN_IF_ERROR(take(5, "conv", {ch, convK}));
        MLRT_RETURN_IF_ERROR(take(6, "conv_bias", {ch}));
        MLRT_RETURN_IF_ERROR(take(7, "dt_bias", {h}));
        MLRT_RETURN_IF_ERROR(take(8, "A_log", {h}));
        MLRT_RETURN_IF_ERROR(take(9, "D", {h}));
        MLRT_RETURN_IF_ERROR(take(10, "dt", {h, d}));
        MLRT_RETURN_IF_ERROR(take(11, "norm", {inner}));
      } else {
        int64_t inner = cRows, rank = rowsOf(10);
        if (rank <= 0)
          return bad() << at << "has no valid dt_down weight";
        MLRT_RETURN_IF_ERROR(take(0, "x", {g * n, d}));
        MLRT_RETURN_IF_ERROR(take(1, "B", {g * n, d}));
        MLRT_RETURN_IF_ERROR(take(2, "C", {inner, d}));
        MLRT_RETURN_IF_ERROR(take(3, "z", {inner, d}));
        MLRT_RETURN_IF_ERROR(take(4, "out", {d, inner}));
        MLRT_RETURN_IF_ERROR(take(5, "conv", {inner, convK}));
        MLRT_RETURN_IF_ERROR(take(6, "conv_bias", {inner}));
        MLRT_RETURN_IF_ERROR(take(7, "dt_bias", {inner}));
        MLRT_RETURN_IF_ERROR(take(8, "A_log", {inner, n}));
        MLRT_RETURN_IF_ERROR(take(9, "D", {inner}));
        MLRT_RETURN_IF_ERROR(take(10, "dt_down", {rank, d}));
        MLRT_RETURN_IF_ERROR(take(11, "dt_proj", {inner, rank}));
      }
      break;
    }
    default:
      return bad() << at << "has an unknown mixer kind";
    }
    auto dense = [&](int32_t index, const char *role,
                     std::vector<int64_t> shape,
                     const WeightRef *&slot) -> Status {
      Expected<const WeightRef *> w = weight(index, at + role, shape);
      if (!w)
        return w.takeError();
      slot = *w;
      return Status::ok();
    };
    MLRT_RETURN_IF_ERROR(
        dense(l->input_norm(), "input_norm", {d}, spec.inputNorm));
    MLRT_RETURN_IF_ERROR(
        dense(l->post_norm(), "post_norm", {d}, spec.postNorm));
    MLRT_RETURN_IF_ERROR(
        dense(l->gate(), "gate", {c.intermediate, d}, spec.gate));
    MLRT_RETURN_IF_ERROR(dense(l->up(), "up", {c.intermediate, d}, spec.up));
    MLRT_RETURN_IF_ERROR(
        dense(l->down(), "down", {d, c.intermediate}, spec.down));
    out.layers_.push_back(std::move(spec));
  }
  return Status::ok();
}

Expected<Artifact> ArtifactLoader::load() {
  out.version_ = root.version();
  if (out.version_ != kArtifactVersion)
    return bad() << "artifact version " << out.version_
                 << " is not supported (this runtime reads version "
                 << kArtifactVersion
                 << "); recompile the model with ml-compile";
  if (root.name())
    out.name_ = root.name()->str();
  if (root.producer())
    out.producer_ = root.producer()->str();
  MLRT_RETURN_IF_ERROR(readConfig());
  MLRT_RETURN_IF_ERROR(openStores());
  MLRT_RETURN_IF_ERROR(readWeights());
  MLRT_RETURN_IF_ERROR(readLayers());
  const ModelConfig &c = out.config_;
  Expected<const WeightRef *> embed =
      weight(root.embed(), "embedding", {c.vocab, c.hidden});
  if (!embed)
    return embed.takeError();
  Expected<const WeightRef *> norm =
      weight(root.final_norm(), "final norm", {c.hidden});
  if (!norm)
    return norm.takeError();
  Expected<const WeightRef *> head =
      weight(root.lm_head(), "lm_head", {c.vocab, c.hidden});
  if (!head)
    return head.takeError();
  out.embed_ = *embed;
  out.finalNorm_ = *norm;
  out.lmHead_ = *head;
  if (!root.plan())
    return bad() << "has no execution plan";
  Expected<std::optional<GpuCode>> gpu = readGpuCode(root);
  if (!gpu)
    return bad() << gpu.message();
  out.gpu_ = std::move(*gpu);
  Expected<Plan> plan = readPlan(
      *root.plan(), *out.weights_, c,
      out.gpu_ ? static_cast<int>(out.gpu_->kernels.size()) : 0);
  if (!plan)
    return bad() << plan.message();
  out.plan_ = std::move(*plan);
  if (root.tokenizer() && root.tokenizer()->path()) {
    std::string p = root.tokenizer()->path()->str();
    out.tokenizerPath_ = p.empty() || p[0] == '/' ? p : dirName(path) + "/" + p;
  }
  return std::move(out);
}

Expected<Artifact> Artifact::open(const std::string &path) {
  Expected<MappedFile> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  return open(std::move(*file));
}

Expected<Artifact> Artifact::open(MappedFile mapped) {
  const std::string path = mapped.path();
  MappedFile *file = &mapped;
  if (file->size() < 8)
    return Error() << path << ": truncated artifact (" << file->size()
                   << " bytes)";
  // FlatBuffers reads 8-byte fields in place: mapped files are page
  // aligned, other buffers must be too.
  if (reinterpret_cast<uintptr_t>(file->data()) % 8 != 0)
    return Error() << path << ": artifact bytes must be 8-byte aligned";
  if (!fb::ArtifactBufferHasIdentifier(file->data()))
    return Error() << path << ": not an mlopt artifact (expected the file "
                   << "identifier 'MLRT' at byte 4)";
  flatbuffers::Verifier verifier(file->data(), file->size());
  if (!fb::VerifyArtifactBuffer(verifier))
    return Error() << path << ": corrupt artifact: its tables or offsets run "
                   << "outside the file";
  // The weights live in the stores, so the FlatBuffer itself is only read
  // here; nothing keeps a pointer into it.
  return ArtifactLoader(path, *fb::GetArtifact(file->data())).load();
}

MemoryReport Artifact::memory() const {
  MemoryReport m;
  for (const WeightRef &w : *weights_)
    m.weightBytes += w.numBytes;
  // K and V per token, and per sequence each Mamba layer's conv state
  // (width - 1 past f32 inputs per channel) and SSM state (Mamba-1: heads
  // = d_inner of one dim), in their types (the CPU backend holds bf16
  // states' values as f32: its allocation says so).
  for (const PlanState &s : plan().states) {
    if (s.kind == PlanState::Kind::KVCache)
      m.kvBytesPerToken += 2 * s.kvHeads * s.headDim *
                           (s.kvType == DType::BF16 ? 2 : 4);
    else
      m.ssmStateBytes +=
          4 * s.channels * (s.width - 1) +
          s.heads * s.headDim * s.dState * (s.ssmType == DType::BF16 ? 2 : 4);
  }
  for (const LayerSpec &l : layers_)
    ++(l.mixer == MixerKind::Attention ? m.attentionLayers : m.mambaLayers);
  return m;
}
