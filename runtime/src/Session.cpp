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

Expected<std::vector<float>>
Session::forward(const std::vector<int32_t> &tokens, bool allPositions) {
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
  std::vector<float> logits((allPositions ? n : 1) * vocab);
  const Plan &plan = model_->plan();
  for (int64_t begin = 0; begin < n; begin += options_.prefillChunk) {
    int64_t count = std::min(options_.prefillChunk, n - begin);
    // Without allPositions every chunk writes its last logits to the same
    // row; the last chunk's remain.
    float *out = allPositions ? logits.data() + begin * vocab : logits.data();
    MLRT_RETURN_IF_ERROR(backend_->run(count == 1 ? plan.decode : plan.prefill,
                                       tokens.data() + begin, count, position_,
                                       allPositions, out));
    position_ += count;
  }
  return logits;
}
