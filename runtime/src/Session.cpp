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

Status Backend::runGreedy(const PlanEntry &entry, const int32_t *tokens,
                          int64_t count, int64_t position, int64_t vocab,
                          int32_t *next) {
  std::vector<float> logits(vocab);
  MLRT_RETURN_IF_ERROR(
      run(entry, tokens, count, position, /*allPositions=*/false,
          logits.data()));
  *next = static_cast<int32_t>(
      std::max_element(logits.begin(), logits.end()) - logits.begin());
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
  if (options.maxTokens <= 0 || options.prefillChunk <= 0)
    return Error() << "the context (" << options.maxTokens
                   << " tokens) and prefill chunk (" << options.prefillChunk
                   << ") must be positive";
  Expected<std::unique_ptr<Backend>> backend = createBackend(model, options);
  if (!backend)
    return backend.takeError();
  return Session(model, std::move(options), std::move(*backend));
}

void Session::reset() {
  backend_->reset();
  position_ = 0;
}

Status Session::feed(const std::vector<int32_t> &tokens, bool allPositions,
                     std::vector<float> &logits, int32_t *next) {
  const int64_t vocab = model_->config().vocab;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0)
    return Error() << "forward needs at least one token";
  for (int32_t id : tokens)
    if (id < 0 || id >= vocab)
      return Error() << "token id " << id << " is outside the vocabulary of "
                     << vocab;
  if (position_ + n > options_.maxTokens)
    return Error() << "the sequence would reach " << position_ + n
                   << " tokens, beyond the context of " << options_.maxTokens
                   << " this session was created with";
  // A greedy call fills logits only for the chunks before its last: a
  // decode step allocates nothing.
  if (!next || n > options_.prefillChunk)
    logits.assign((allPositions ? n : 1) * vocab, 0.0f);
  const Plan &plan = model_->plan();
  for (int64_t begin = 0; begin < n; begin += options_.prefillChunk) {
    int64_t count = std::min(options_.prefillChunk, n - begin);
    const PlanEntry &entry = count == 1 ? plan.decode : plan.prefill;
    if (next && begin + count == n) {
      MLRT_RETURN_IF_ERROR(backend_->runGreedy(
          entry, tokens.data() + begin, count, position_, vocab, next));
    } else {
      // Without allPositions every chunk writes its last logits to the
      // same row; the last chunk's remain.
      float *out =
          allPositions ? logits.data() + begin * vocab : logits.data();
      MLRT_RETURN_IF_ERROR(backend_->run(entry, tokens.data() + begin, count,
                                         position_, allPositions, out));
    }
    position_ += count;
  }
  return Status::ok();
}

Expected<std::vector<float>>
Session::forward(const std::vector<int32_t> &tokens, bool allPositions) {
  std::vector<float> logits;
  MLRT_RETURN_IF_ERROR(feed(tokens, allPositions, logits, nullptr));
  return logits;
}

Expected<int32_t> Session::forwardGreedy(const std::vector<int32_t> &tokens) {
  std::vector<float> scratch;
  int32_t next = 0;
  MLRT_RETURN_IF_ERROR(feed(tokens, /*allPositions=*/false, scratch, &next));
  return next;
}
