//===- Artifact.h - Loading compiled models (.mlart) ------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// The runtime's view of a compiled model. Artifact::open maps the file,
// verifies the FlatBuffer, refuses unknown versions, and checks everything
// the kernels will rely on: the config, every layer's weights against the
// shapes the config implies, and every weight against the bytes its store
// holds. A model that opens can be run without further bounds checks.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_ARTIFACT_H
#define MLRT_ARTIFACT_H

#include "mlrt/DType.h"
#include "mlrt/MappedFile.h"
#include "mlrt/Plan.h"
#include "mlrt/Safetensors.h"
#include "mlrt/Status.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlrt {

/// The artifact format version this runtime reads and the compiler writes.
/// 4: State.kv_bf16 (a reader of 3 would take a bf16 cache for f32).
/// 5: Op.bf16_inputs (a reader of 4 would compute those products in f32)
/// and State.ssm_bf16 (it would take a bf16 SSM state for f32).
constexpr uint32_t kArtifactVersion = 5;

enum class Arch { Llama, Mistral, Qwen2 };
enum class RopeScalingKind { None, Linear, Dynamic, Yarn, Llama3 };
enum class MixerKind { Attention, Mamba1, Mamba2 };

struct RopeConfig {
  double theta = 10000.0;
  RopeScalingKind scaling = RopeScalingKind::None;
  double factor = 1.0, lowFreqFactor = 1.0, highFreqFactor = 4.0;
  int64_t originalMaxPosition = 0;
  double betaFast = 32.0, betaSlow = 1.0, attentionFactor = 0.0;
};

struct ModelConfig {
  Arch arch = Arch::Llama;
  int64_t vocab = 0, hidden = 0, intermediate = 0, layers = 0, heads = 0,
          kvHeads = 0, headDim = 0, maxPosition = 0;
  RopeConfig rope;
  double rmsEps = 1e-6;
  bool tieEmbeddings = false;
  int64_t slidingWindow = 0; ///< 0: none
  std::optional<int64_t> bos;
  std::vector<int64_t> eos;
};

/// A weight resolved to its bytes (row-major, `dtype`, `shape`).
struct WeightRef {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  uint64_t numBytes = 0;
};

/// One decoder layer. `mixerWeights` follows the operand order of
/// schemas/artifact.fbs; absent optional weights are null.
struct LayerSpec {
  MixerKind mixer = MixerKind::Attention;
  std::vector<const WeightRef *> mixerWeights;
  const WeightRef *inputNorm = nullptr, *postNorm = nullptr, *gate = nullptr,
                  *up = nullptr, *down = nullptr;
  int64_t slidingWindow = 0, dState = 0, groups = 0;
};

/// Bytes a running model needs beyond its weights, for the report every run
/// prints (llama.cpp style).
struct MemoryReport {
  uint64_t weightBytes = 0;
  /// K and V of every attention layer for one token, in the caches' type.
  uint64_t kvBytesPerToken = 0;
  /// Conv (f32) and SSM state (its type) of every Mamba layer for one
  /// sequence.
  uint64_t ssmStateBytes = 0;
  int64_t attentionLayers = 0, mambaLayers = 0;
};

class Artifact {
public:
  static Expected<Artifact> open(const std::string &path);
  /// Loads an artifact already in memory; relative store paths resolve
  /// against the directory of `file.path()`.
  static Expected<Artifact> open(MappedFile file);

  uint32_t version() const { return version_; }
  const std::string &name() const { return name_; }
  const std::string &producer() const { return producer_; }
  const ModelConfig &config() const { return config_; }
  const std::vector<LayerSpec> &layers() const { return layers_; }
  const std::vector<WeightRef> &weights() const { return *weights_; }
  const WeightRef &embed() const { return *embed_; }
  const WeightRef &finalNorm() const { return *finalNorm_; }
  const WeightRef &lmHead() const { return *lmHead_; }
  /// The tokenizer's source (tokenizer.json or GGUF), resolved; empty when
  /// the model carries none.
  const std::string &tokenizerPath() const { return tokenizerPath_; }
  const std::vector<std::string> &storePaths() const { return storePaths_; }
  /// The execution plan (checked against the weights and the config).
  const Plan &plan() const { return plan_; }
  /// The generated GPU code (ml-compile --target=cuda); null when none.
  const GpuCode *gpu() const { return gpu_ ? &*gpu_ : nullptr; }
  MemoryReport memory() const;

private:
  friend class ArtifactLoader;
  uint32_t version_ = 0;
  std::string name_, producer_, tokenizerPath_;
  ModelConfig config_;
  std::vector<std::string> storePaths_;
  std::vector<std::unique_ptr<WeightStore>> stores_;
  // Heap-held so that WeightRef pointers survive moves of the Artifact.
  std::unique_ptr<std::vector<WeightRef>> weights_;
  std::vector<LayerSpec> layers_;
  Plan plan_;
  std::optional<GpuCode> gpu_;
  const WeightRef *embed_ = nullptr, *finalNorm_ = nullptr, *lmHead_ = nullptr;
};

} // namespace mlrt

#endif // MLRT_ARTIFACT_H
