//===- Session.h - Running a compiled model ---------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A Session runs one sequence through a model's plan on a backend. It owns
// the sequence's states (the KV caches of attention layers, the conv and SSM
// states of Mamba layers), so a prompt followed by step-by-step decoding
// gives the same logits as one pass over the whole sequence.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SESSION_H
#define MLRT_SESSION_H

#include "mlrt/Artifact.h"

#include <memory>
#include <string>
#include <vector>

namespace mlrt {

/// What executes a plan. A backend holds one sequence's states.
class Backend {
public:
  virtual ~Backend();
  /// "cpu" or "cuda".
  virtual const char *name() const = 0;
  /// Runs `entry` for `count` tokens at positions [position, position +
  /// count) and writes the logits of every token (allPositions) or of the
  /// last into `logits`. The caller checks ids and the context length.
  virtual Status run(const PlanEntry &entry, const int32_t *tokens,
                     int64_t count, int64_t position, bool allPositions,
                     float *logits) = 0;
  /// Runs `entry` like run() and writes the greedy next token (the first
  /// maximum of the last token's logits, as cpu::Sampler) to `next`. This
  /// default takes the logits and picks on the host; a backend that can pick
  /// where the logits are (CUDA) saves their copy.
  virtual Status runGreedy(const PlanEntry &entry, const int32_t *tokens,
                           int64_t count, int64_t position, int64_t vocab,
                           int32_t *next);
  /// Forgets the sequence: empty caches, zero states.
  virtual void reset() = 0;
  /// Bytes of the states and activation arena this backend allocated.
  virtual uint64_t allocatedBytes() const = 0;
};

struct SessionOptions {
  /// The longest sequence (prompt and generation) the session holds.
  int64_t maxTokens = 4096;
  /// Tokens per prefill call: longer prompts run in chunks of this many, so
  /// the activation arena stays bounded.
  int64_t prefillChunk = 256;
  /// "cpu", "cuda" or "auto" (the GPU when there is one, else the CPU).
  std::string device = "auto";
};

/// The backends this build knows; "cuda" fails with the reason when there
/// is no CUDA backend or no GPU.
Expected<std::unique_ptr<Backend>>
createBackend(const Artifact &model, const SessionOptions &options);

class Session {
public:
  /// `model` must outlive the session.
  static Expected<Session> create(const Artifact &model,
                                  SessionOptions options = {});

  /// Feeds `tokens` (a prompt, or one sampled token) after the ones already
  /// seen. Returns the logits of every new token ([n x vocab], row-major)
  /// when `allPositions`, else of the last one ([vocab]).
  Expected<std::vector<float>> forward(const std::vector<int32_t> &tokens,
                                       bool allPositions = false);
  /// Feeds `tokens` like forward() and returns the greedy next token, which
  /// the backend may pick without handing the logits back.
  Expected<int32_t> forwardGreedy(const std::vector<int32_t> &tokens);

  /// Tokens seen so far.
  int64_t position() const { return position_; }
  int64_t maxTokens() const { return options_.maxTokens; }
  const char *device() const { return backend_->name(); }
  uint64_t allocatedBytes() const { return backend_->allocatedBytes(); }
  const Artifact &model() const { return *model_; }
  /// Starts a new sequence.
  void reset();

private:
  /// forward() and forwardGreedy(): `logits` as forward() fills them, or
  /// the greedy token of the last into `next` (then `logits` is scratch).
  Status feed(const std::vector<int32_t> &tokens, bool allPositions,
              std::vector<float> &logits, int32_t *next);

  Session(const Artifact &model, SessionOptions options,
          std::unique_ptr<Backend> backend)
      : model_(&model), options_(std::move(options)),
        backend_(std::move(backend)) {}

  const Artifact *model_;
  SessionOptions options_;
  std::unique_ptr<Backend> backend_;
  int64_t position_ = 0;
};

} // namespace mlrt

#endif // MLRT_SESSION_H
