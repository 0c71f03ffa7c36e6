//===- Session.h - Running a compiled model ---------------------*- C++ -*-===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// A Session runs sequences through a model's plan on a backend. It owns
// each sequence's states (the KV caches of attention layers, the conv and
// SSM states of Mamba layers), so a prompt followed by step-by-step decoding
// gives the same logits as one pass over the whole sequence. A session of
// several sequences (SessionOptions::batch) feeds prompts one sequence at a
// time and decodes all of them together: one @decode call whose rows are
// the sequences, so the weights are read once per step for all of them.
//
//===----------------------------------------------------------------------===//

#ifndef MLRT_SESSION_H
#define MLRT_SESSION_H

#include "mlrt/Artifact.h"

#include <memory>
#include <string>
#include <vector>

namespace mlrt {

/// The tokens of one backend call: `count` tokens of each of `sequences`
/// sequences from `first` on, at positions [position, position + count)
/// (or, when `positions` is set, sequence first + s from positions[s]: a
/// ragged batch). Row s * count + t of `tokens` (and of every buffer) is
/// token t of sequence first + s. Several sequences go through step
/// entries only (count 1): the decode step of a batch.
struct Feed {
  const int32_t *tokens = nullptr;
  int64_t count = 0, position = 0;
  int64_t first = 0, sequences = 1;
  const int64_t *positions = nullptr;
  int64_t rows() const { return count * sequences; }
  int64_t positionOf(int64_t s) const {
    return positions ? positions[s] : position;
  }
};

/// What executes a plan. A backend holds the states of SessionOptions::batch
/// sequences.
class Backend {
public:
  virtual ~Backend();
  /// "cpu" or "cuda".
  virtual const char *name() const = 0;
  /// Runs `entry` for `feed` and writes the logits of every row
  /// (allPositions) or of each sequence's last token into `logits`. The
  /// caller checks ids, sequences and the context length.
  virtual Status run(const PlanEntry &entry, const Feed &feed,
                     bool allPositions, float *logits) = 0;
  /// Runs `entry` like run() and writes the greedy next token of each
  /// sequence (the first maximum of its last token's logits, as
  /// cpu::Sampler) to next[s]. This default takes the logits and picks on
  /// the host; a backend that can pick where the logits are (CUDA) saves
  /// their copy.
  virtual Status runGreedy(const PlanEntry &entry, const Feed &feed,
                           int64_t vocab, int32_t *next);
  /// Makes sequence `to`'s states a copy of sequence `from`'s (up to
  /// `tokens` cached positions).
  virtual Status copySequence(int64_t from, int64_t to, int64_t tokens) = 0;
  /// Forgets every sequence: empty caches, zero states.
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
  /// Sequences the session holds, each with states for maxTokens tokens.
  int64_t batch = 1;
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

  /// Feeds `tokens` (a prompt, or one sampled token) to `sequence` after
  /// the ones it has seen. Returns the logits of every new token ([n x
  /// vocab], row-major) when `allPositions`, else of the last one ([vocab]).
  Expected<std::vector<float>> forward(const std::vector<int32_t> &tokens,
                                       bool allPositions = false,
                                       int64_t sequence = 0);
  /// Feeds `tokens` like forward() and returns the greedy next token, which
  /// the backend may pick without handing the logits back.
  Expected<int32_t> forwardGreedy(const std::vector<int32_t> &tokens,
                                  int64_t sequence = 0);
  /// One decode step of every sequence: tokens[s] goes to sequence s, each
  /// at its own position (prompts of different lengths). Returns each
  /// sequence's logits ([batch x vocab]).
  Expected<std::vector<float>> step(const std::vector<int32_t> &tokens);
  /// step() returning each sequence's greedy next token.
  Expected<std::vector<int32_t>> stepGreedy(const std::vector<int32_t> &tokens);
  /// Makes sequence `to` continue from where `from` is (its states and
  /// position): a prompt fed once serves several sequences.
  Status copySequence(int64_t from, int64_t to);

  /// Tokens `sequence` has seen so far.
  int64_t position(int64_t sequence = 0) const { return positions_[sequence]; }
  int64_t batch() const { return options_.batch; }
  int64_t maxTokens() const { return options_.maxTokens; }
  const char *device() const { return backend_->name(); }
  uint64_t allocatedBytes() const { return backend_->allocatedBytes(); }
  const Artifact &model() const { return *model_; }
  /// Starts every sequence anew.
  void reset();

private:
  /// forward() and forwardGreedy(): `logits` as forward() fills them, or
  /// the greedy token of the last into `next` (then `logits` is scratch).
  Status feed(const std::vector<int32_t> &tokens, bool allPositions,
              int64_t sequence, std::vector<float> &logits, int32_t *next);
  /// step() and stepGreedy(), likewise.
  Status feedStep(const std::vector<int32_t> &tokens,
                  std::vector<float> &logits, int32_t *next);
  /// Why `sequence` is not one of the session's; ok when it is.
  Status checkSequence(int64_t sequence) const;
  /// Why `tokens` cannot take a sequence to `end` tokens; ok when they
  /// can.
  Status checkTokens(const std::vector<int32_t> &tokens, int64_t end) const;

  Session(const Artifact &model, SessionOptions options,
          std::unique_ptr<Backend> backend)
      : model_(&model), options_(std::move(options)),
        backend_(std::move(backend)), positions_(options_.batch, 0) {}

  const Artifact *model_;
  SessionOptions options_;
  std::unique_ptr<Backend> backend_;
  std::vector<int64_t> positions_;
};

} // namespace mlrt

#endif // MLRT_SESSION_H
