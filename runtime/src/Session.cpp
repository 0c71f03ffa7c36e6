//===- Session.cpp - Running a compiled model -----------------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Session.h"

#include "CpuBackend.h"
#include "cuda/CudaBackend.h"

#include <algorithm>

using namespace mlrt;

Backend::~Backend() = default;

Status Backend::runGreedy(const PlanEntry &entry, const Feed &feed,
                          int64_t vocab, int32_t *next) {
  std::vector<float> logits(feed.sequences * vocab);
  MLRT_RETURN_IF_ERROR(run(entry, feed, /*allPositions=*/false, logits.data()));
  for (int64_t s = 0; s < feed.sequences; ++s) {
    const float *row = logits.data() + s * vocab;
    next[s] = static_cast<int32_t>(std::max_element(row, row + vocab) - row);
  }
  return Status::ok();
}

Expected<std::unique_ptr<Backend>>
mlrt::createBackend(const Artifact &model, const SessionOptions &options) {
  if (options.device == "cuda") {
    Expected<std::unique_ptr<Backend>> b =
        cuda::createCudaBackend(model, options);
    if (!b)
      return Error() << "device 'cuda': " << b.message();
    return b;
  }
  if (options.device == "auto" && model.gpu() && cuda::available()) {
    // The artifact has GPU code and a GPU is there: what fails now is worth
    // saying rather than hiding behind a slower run on the CPU.
    Expected<std::unique_ptr<Backend>> b =
        cuda::createCudaBackend(model, options);
    if (!b)
      return Error() << "device 'auto' chose cuda (the artifact has GPU code "
                        "and there is a GPU): "
                     << b.message() << " (use --device=cpu to run on the CPU)";
    return b;
  }
  if (options.device != "cpu" && options.device != "auto")
    return Error() << "unknown device '" << options.device
                   << "' (expected cpu, cuda or auto)";
  return cpu::createCpuBackend(model, options);
}

Expected<Session> Session::create(const Artifact &model,
                                  SessionOptions options) {
  if (options.maxTokens <= 0 || options.prefillChunk <= 0 || options.batch <= 0)
    return Error() << "the context (" << options.maxTokens
                   << " tokens), prefill chunk (" << options.prefillChunk
                   << ") and batch (" << options.batch
                   << " sequences) must be positive";
  Expected<std::unique_ptr<Backend>> backend = createBackend(model, options);
  if (!backend)
    return backend.takeError();
  return Session(model, std::move(options), std::move(*backend));
}

void Session::reset() {
  backend_->reset();
  std::fill(positions_.begin(), positions_.end(), 0);
}

Status Session::checkTokens(const std::vector<int32_t> &tokens,
                            int64_t end) const {
  const int64_t vocab = model_->config().vocab;
  for (int32_t id : tokens)
    if (id < 0 || id >= vocab)
      return Error() << "token id " << id << " is outside the vocabulary of "
                     << vocab;
  if (end > options_.maxTokens)
    return Error() << "the sequence would reach " << end
                   << " tokens, beyond the context of " << options_.maxTokens
                   << " this session was created with";
  return Status::ok();
}

Status Session::checkSequence(int64_t sequence) const {
  if (sequence < 0 || sequence >= options_.batch)
    return Error() << "sequence " << sequence << " is outside the batch of "
                   << options_.batch;
  return Status::ok();
}

Status Session::feed(const std::vector<int32_t> &tokens, bool allPositions,
                     int64_t sequence, std::vector<float> &logits,
                     int32_t *next) {
  const int64_t vocab = model_->config().vocab;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0)
    return Error() << "forward needs at least one token";
  MLRT_RETURN_IF_ERROR(checkSequence(sequence));
  int64_t &position = positions_[sequence];
  MLRT_RETURN_IF_ERROR(checkTokens(tokens, position + n));
  // A greedy call fills logits only for the chunks before its last: a
  // decode step allocates nothing.
  if (!next || n > options_.prefillChunk)
    logits.assign((allPositions ? n : 1) * vocab, 0.0f);
  const Plan &plan = model_->plan();
  for (int64_t begin = 0; begin < n; begin += options_.prefillChunk) {
    Feed call;
    call.tokens = tokens.data() + begin;
    call.count = std::min(options_.prefillChunk, n - begin);
    call.position = position;
    call.first = sequence;
    const PlanEntry &entry = call.count == 1 ? plan.decode : plan.prefill;
    if (next && begin + call.count == n) {
      MLRT_RETURN_IF_ERROR(backend_->runGreedy(entry, call, vocab, next));
    } else {
      // Without allPositions every chunk writes its last logits to the
      // same row; the last chunk's remain.
      float *out =
          allPositions ? logits.data() + begin * vocab : logits.data();
      MLRT_RETURN_IF_ERROR(backend_->run(entry, call, allPositions, out));
    }
    position += call.count;
  }
  return Status::ok();
}

Expected<std::vector<float>>
Session::forward(const std::vector<int32_t> &tokens, bool allPositions,
                 int64_t sequence) {
  std::vector<float> logits;
  MLRT_RETURN_IF_ERROR(feed(tokens, allPositions, sequence, logits, nullptr));
  return logits;
}

Expected<int32_t> Session::forwardGreedy(const std::vector<int32_t> &tokens,
                                         int64_t sequence) {
  std::vector<float> scratch;
  int32_t next = 0;
  MLRT_RETURN_IF_ERROR(
      feed(tokens, /*allPositions=*/false, sequence, scratch, &next));
  return next;
}

Status Session::feedStep(const std::vector<int32_t> &tokens,
                         std::vector<float> &logits, int32_t *next) {
  const int64_t batch = options_.batch;
  if (static_cast<int64_t>(tokens.size()) != batch)
    return Error() << "a batched step takes one token per sequence: " << batch
                   << " expected, found " << tokens.size();
  // Each sequence takes one token at its own position.
  MLRT_RETURN_IF_ERROR(checkTokens(
      tokens, *std::max_element(positions_.begin(), positions_.end()) + 1));
  Feed call;
  call.tokens = tokens.data();
  call.count = 1;
  call.position = positions_[0];
  call.sequences = batch;
  call.positions = positions_.data();
  const PlanEntry &entry = model_->plan().decode;
  const int64_t vocab = model_->config().vocab;
  if (next) {
    MLRT_RETURN_IF_ERROR(backend_->runGreedy(entry, call, vocab, next));
  } else {
    logits.assign(batch * vocab, 0.0f);
    MLRT_RETURN_IF_ERROR(
        backend_->run(entry, call, /*allPositions=*/false, logits.data()));
  }
  for (int64_t &p : positions_)
    ++p;
  return Status::ok();
}

Expected<std::vector<float>> Session::step(const std::vector<int32_t> &tokens) {
  std::vector<float> logits;
  MLRT_RETURN_IF_ERROR(feedStep(tokens, logits, nullptr));
  return logits;
}

Expected<std::vector<int32_t>>
Session::stepGreedy(const std::vector<int32_t> &tokens) {
  std::vector<float> scratch;
  std::vector<int32_t> next(options_.batch);
  MLRT_RETURN_IF_ERROR(feedStep(tokens, scratch, next.data()));
  return next;
}

Status Session::copySequence(int64_t from, int64_t to) {
  MLRT_RETURN_IF_ERROR(checkSequence(from));
  MLRT_RETURN_IF_ERROR(checkSequence(to));
  if (from != to)
    MLRT_RETURN_IF_ERROR(backend_->copySequence(from, to, positions_[from]));
  positions_[to] = positions_[from];
  return Status::ok();
}
