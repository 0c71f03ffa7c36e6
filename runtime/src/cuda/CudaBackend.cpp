//===- CudaBackend.cpp - The plan interpreter on a GPU --------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Mirrors CpuBackend.cpp on device memory: buffers of a call for T tokens
// live at arena + offset * T with a row stride of their width. Each op runs
// the artifact's kernels for it (PlanOp::gpuKernels) or, for Linear and
// LMHead, cuBLAS. Everything is queued on one stream; run() waits for it
// at the end and reports the first error.
//
// Decode steps (one token through @decode) replay a CUDA graph of the step
// from the second one on (DecodeGraph.h); MLRT_CUDA_GRAPHS=0 in the
// environment queues every step's launches one by one instead, and so does
// MLRT_CUDA_PROFILE=1, which times each op (OpProfile.h).
//
// Every state array holds the slices of SessionOptions::batch sequences,
// one after another. A call on one sequence passes its kernels that
// sequence's slice; a batched decode step passes the slices of all and
// launches the kernels that take sequences (GpuKernel::perSequence) with a
// y block per sequence, the others (row-wise: norms, GEMVs) on all rows.
//
//===----------------------------------------------------------------------===//

#include "CudaBackend.h"

#include "Cublas.h"
#include "DecodeGraph.h"
#include "DeviceWeights.h"
#include "GpuModule.h"
#include "OpProfile.h"

#include "mlrt/GpuConventions.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

using namespace mlrt;
using namespace mlrt::cuda;

namespace {

/// One layer's device state: a slice per sequence of the batch.
struct LayerState {
  DeviceBuffer k, v, conv, ssm; ///< KV cache; Mamba conv and SSM state
  /// Per sequence: elements of K and of V (f32 or bf16: PlanState::kvType),
  /// floats of the conv state, elements of the SSM state
  /// (PlanState::ssmType).
  int64_t kvElements = 0, convFloats = 0, ssmElements = 0;
  /// Bytes of one element of K and V, of the SSM state.
  size_t kvBytes = 0, ssmBytes = 0;
};

class CudaBackend final : public Backend {
public:
  static Expected<std::unique_ptr<Backend>>
  create(const Artifact &model, const SessionOptions &options);
  ~CudaBackend() override;

  const char *name() const override { return "cuda"; }
  Status run(const PlanEntry &entry, const Feed &feed, bool allPositions,
             float *logits) override;
  Status runGreedy(const PlanEntry &entry, const Feed &feed, int64_t vocab,
                   int32_t *next) override;
  Status copySequence(int64_t from, int64_t to, int64_t tokens) override;
  void reset() override;
  uint64_t allocatedBytes() const override;

private:
  CudaBackend(const Artifact &model, const SessionOptions &options)
      : model(model), maxTokens(options.maxTokens), batch(options.batch),
        chunk(std::max(std::min(options.prefillChunk, options.maxTokens),
                       options.batch)) {}

  Status init();
  /// Why a batch of several sequences cannot run; ok when it can.
  Status checkBatch() const;
  /// Why the states of every sequence do not fit in the free device
  /// memory (one message with the total); ok when they do.
  Status checkStateMemory() const;
  Status allocate(DeviceBuffer &buffer, size_t bytes, const char *what);
  /// Kernel parameters of `op` but the trailing tokens and position.
  void memrefs(const PlanEntry &entry, const PlanOp &op, const Feed &feed);
  Status runOp(const PlanEntry &entry, const PlanOp &op, const Feed &feed,
               bool allPositions);
  /// Linear and LMHead: the artifact's GEMV kernels in step entries (and
  /// wherever they fold an input norm or accumulate: usesGemv), else the
  /// library GEMM (on bf16 matrices after the op's kernel has rounded the
  /// input rows into `staging`).
  Status runProjection(const PlanEntry &entry, const PlanOp &op,
                       const Feed &feed, bool allPositions);
  /// Queues `op`'s kernels (or only kernel `only`) with the current `args`
  /// plus tokens, position.
  Status launchKernels(const PlanOp &op, const Feed &feed, int only = -1);
  /// kern.mamba_step: the conv, then the scan tier of the feed's sequences.
  Status launchMambaStep(const PlanOp &op, const Feed &feed);
  /// Queues a GEMV op's kernel for the feed's rows: its first for one row,
  /// else the tier of kBatchedGemvTiers that holds them, when it has those.
  Status launchGemv(const PlanOp &op, const Feed &feed);
  /// Queues every op of `entry`.
  Status enqueue(const PlanEntry &entry, const Feed &feed, bool allPositions);
  /// Whether this call replays the decode graph rather than queueing the
  /// step's launches.
  bool replays(const PlanEntry &entry, const Feed &feed);
  /// Queues the decode step of `feed` as one graph launch, capturing the
  /// graph first when there is none.
  Status replayDecode(const PlanEntry &entry, const Feed &feed);
  CUdeviceptr buffer(const PlanEntry &entry, const PlanOp &op, size_t slot,
                     int64_t rows) const {
    return arena.get() +
           entry.buffers[op.buffers[slot]].offset * rows * sizeof(float);
  }
  int64_t width(const PlanEntry &entry, const PlanOp &op, size_t slot) const {
    return entry.buffers[op.buffers[slot]].width;
  }
  Status zeroStates(bool withKV);
  /// Queues `entry` (or replays its graph) after the ids' copy; run() and
  /// runGreedy() then fetch logits or the tokens.
  Status queueCall(const PlanEntry &entry, const Feed &feed, bool allPositions);
  /// Waits for the call's work and reports its first error.
  Status finishCall(const PlanEntry &entry);

  const Artifact &model;
  /// Tokens and sequences the states hold; rows an arena call holds (a
  /// prefill chunk, or a batched step's sequences).
  int64_t maxTokens, batch, chunk;
  // Declared first: destroyed last, after everything it holds.
  std::unique_ptr<CudaDevice> device;
  /// Device time per op kind (MLRT_CUDA_PROFILE=1); null when off.
  std::unique_ptr<OpProfile> profile;
  std::unique_ptr<Gemm> gemm;
  std::unique_ptr<GpuModule> module;
  std::unique_ptr<DeviceWeights> weights;
  DeviceBuffer arena, ids, logits;
  /// The call's sequences' positions (Feed::positionOf), and their host
  /// copy (kept until the asynchronous copy is done).
  DeviceBuffer positions;
  std::vector<int64_t> hostPositions;
  /// The greedy tokens (argmaxKernelName's output, one per row); `argmax`
  /// its kernel, -1 when the artifact has none (then runGreedy() falls back
  /// to run()).
  DeviceBuffer greedyTokens;
  int argmax = -1;
  /// The partial softmaxes of split decode attention (GpuConventions.h),
  /// shared by every attention op: a slice per sequence.
  DeviceBuffer attentionWorkspace;
  /// The per-chunk states of the chunked Mamba-2 scan (GpuConventions.h),
  /// shared by every ssm_scan op.
  DeviceBuffer scanWorkspace;
  /// The input rows of a library GEMM or of a GEMV of several rows as two
  /// bf16 terms (bf16 matrices), and a GEMV's rows' norm scales.
  DeviceBuffer staging, rowScales;
  std::vector<LayerState> states;
  KernelArgs args;
  /// An error of reset(), which cannot return one; the next run() does.
  Status pending;
  /// The decode step's graph; null when graphs are off. Declared last:
  /// destroyed first.
  std::unique_ptr<DecodeGraph> graph;
  /// The sequences the graph steps (first, count): a step of others runs
  /// eagerly.
  std::pair<int64_t, int64_t> graphSequences{0, 0};
  /// Whether enqueue() is capturing the decode graph.
  bool capturing = false;
  /// Whether a decode step ran eagerly since the backend was made.
  bool decodeWarm = false;
};

/// Whether MLRT_CUDA_GRAPHS allows CUDA graphs: anything but "0".
bool graphsWanted() {
  const char *env = std::getenv("MLRT_CUDA_GRAPHS");
  return !env || std::strcmp(env, "0") != 0;
}

/// Whether `entry` has the LM head, whose logits run() returns.
bool hasLMHead(const PlanEntry &entry) {
  return std::any_of(
      entry.ops.rbegin(), entry.ops.rend(),
      [](const PlanOp &op) { return op.kind == OpKind::LMHead; });
}

bool isProjection(const PlanOp &op) {
  return op.kind == OpKind::Linear || op.kind == OpKind::LMHead;
}

/// Whether projection `op` runs the artifact's GEMV rather than the library
/// GEMM: in step entries, and wherever the GEMV folds an input norm or an
/// accumulation the library call does not (gemvEverywhere).
bool usesGemv(const PlanEntry &entry, const PlanOp &op) {
  return !op.gpuKernels.empty() &&
         (entry.step || gemvEverywhere(op.norm != nullptr, op.accumulate));
}

/// Why `op` cannot run on the GPU; ok when it can.
Status checkOp(const Artifact &model, const PlanOp &op) {
  // Projections on bf16 matrices always have a kernel: the GEMV, or the
  // rounding of the library GEMM's input.
  bool library = isProjection(op) &&
                 !gemvEverywhere(op.norm != nullptr, op.accumulate) &&
                 (!model.gpu() || model.gpu()->matrixType == DType::F32);
  if (op.gpuKernels.empty() && !library)
    return Error() << "this artifact has no GPU kernel for "
                   << opKindName(op.kind)
                   << (model.gpu() ? "" : " (it has no GPU code at all)")
                   << "; compile with ml-compile --target=cuda";
  if (library && op.bf16Inputs)
    return Error() << "a " << opKindName(op.kind)
                   << " rounds its inputs to bf16, which the f32 library "
                      "GEMM does not; compile with --gpu-weights=bf16";
  return Status::ok();
}

/// The state arrays an op's kernels take after its weights.
size_t stateArrays(const PlanOp &op) {
  switch (op.kind) {
  case OpKind::Attention:
    return 3; // k, v, the attention workspace
  case OpKind::Conv1d:
    return 1;
  case OpKind::SSMScan:
    return 2; // SSM state, the scan workspace
  case OpKind::MambaStep:
    return 2; // conv state, SSM state
  default:
    return 0;
  }
}

} // namespace

Expected<std::unique_ptr<Backend>>
CudaBackend::create(const Artifact &model, const SessionOptions &options) {
  // What the artifact lacks is known without a GPU: say it first.
  for (const PlanEntry *entry : {&model.plan().prefill, &model.plan().decode})
    for (const PlanOp &op : entry->ops)
      MLRT_RETURN_IF_ERROR(checkOp(model, op));
  std::unique_ptr<CudaBackend> backend(new CudaBackend(model, options));
  MLRT_RETURN_IF_ERROR(backend->checkBatch());
  MLRT_RETURN_IF_ERROR(backend->init());
  return std::unique_ptr<Backend>(std::move(backend));
}

Status CudaBackend::checkBatch() const {
  if (batch == 1)
    return Status::ok();
  // A batched step launches the kernels of ops with states or positions
  // once for all sequences: each must take them as its y blocks.
  for (const PlanOp &op : model.plan().decode.ops) {
    if (!stateArrays(op) && op.kind != OpKind::Rope)
      continue;
    for (int k : op.gpuKernels)
      if (!model.gpu()->kernels[k].perSequence)
        return Error() << "a batch of " << batch
                       << " sequences needs @decode kernels that step several "
                          "sequences; this artifact's "
                       << model.gpu()->kernels[k].name
                       << " steps one (recompile the model with this "
                          "ml-compile, or use a batch of 1)";
  }
  return Status::ok();
}

Status CudaBackend::checkStateMemory() const {
  const MemoryReport m = model.memory();
  const uint64_t kv = m.kvBytesPerToken * maxTokens, ssm = m.ssmStateBytes;
  const uint64_t needed = batch * (kv + ssm);
  const CudaDriver &d = device->driver();
  size_t free = 0, total = 0;
  if (d.cuMemGetInfo(&free, &total) != CUDA_SUCCESS || needed <= free)
    return Status::ok(); // the allocations say what fails
  auto gib = [](uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", bytes / 1073741824.0);
    return std::string(text);
  };
  return Error() << "the states of " << batch << " sequence(s) of " << maxTokens
                 << " tokens need " << gib(needed) << " (KV caches "
                 << gib(batch * kv) << ", Mamba states " << gib(batch * ssm)
                 << "), more than the " << gib(free) << " free on "
                 << device->name()
                 << " after the weights; use a smaller batch or context";
}

Status CudaBackend::allocate(DeviceBuffer &buffer, size_t bytes,
                             const char *what) {
  Expected<DeviceBuffer> b = DeviceBuffer::allocate(*device, bytes);
  if (!b)
    return Error() << what << ": " << b.message();
  buffer = std::move(*b);
  return Status::ok();
}

Status CudaBackend::init() {
  Expected<std::unique_ptr<CudaDevice>> d = CudaDevice::open(0);
  if (!d)
    return d.takeError();
  device = std::move(*d);
  const Plan &plan = model.plan();
  Expected<std::unique_ptr<Gemm>> g = Gemm::create(*device, chunk);
  if (!g)
    return g.takeError();
  gemm = std::move(*g);
  if (const GpuCode *code = model.gpu()) {
    Expected<std::unique_ptr<GpuModule>> m = GpuModule::load(*device, *code);
    if (!m)
      return m.takeError();
    module = std::move(*m);
  }
  Expected<std::unique_ptr<DeviceWeights>> w =
      DeviceWeights::upload(*device, plan,
                            model.gpu() ? model.gpu()->matrixType : DType::F32);
  if (!w)
    return w.takeError();
  weights = std::move(*w);
  const size_t f = sizeof(float);
  MLRT_RETURN_IF_ERROR(allocate(arena, plan.arena * chunk * f, "the arena"));
  MLRT_RETURN_IF_ERROR(allocate(ids, chunk * sizeof(int32_t), "token ids"));
  MLRT_RETURN_IF_ERROR(
      allocate(positions, batch * sizeof(int64_t), "the sequences' positions"));
  MLRT_RETURN_IF_ERROR(
      allocate(logits, chunk * model.config().vocab * f, "the logits"));
  if (model.gpu() && model.gpu()->matrixType == DType::BF16) {
    int64_t widest = 0;
    for (const PlanEntry *entry : {&plan.prefill, &plan.decode})
      for (const PlanOp &op : entry->ops)
        if (isProjection(op) || op.kind == OpKind::LinearSwiGLU)
          widest = std::max(widest, width(*entry, op, 0));
    MLRT_RETURN_IF_ERROR(allocate(staging,
                                  2 * chunk * widest * sizeof(uint16_t),
                                  "the bf16 GEMM input"));
    MLRT_RETURN_IF_ERROR(
        allocate(rowScales, chunk * sizeof(float), "the GEMV norm scales"));
  }
  MLRT_RETURN_IF_ERROR(checkStateMemory());
  for (const PlanState &s : plan.states) {
    LayerState &l = states.emplace_back();
    if (s.kind == PlanState::Kind::KVCache) {
      l.kvElements = maxTokens * s.kvHeads * s.headDim;
      l.kvBytes = s.kvType == DType::BF16 ? 2 : f;
      const size_t bytes = batch * l.kvElements * l.kvBytes;
      MLRT_RETURN_IF_ERROR(allocate(l.k, bytes, "a KV cache"));
      MLRT_RETURN_IF_ERROR(allocate(l.v, bytes, "a KV cache"));
    } else {
      l.convFloats = s.channels * (s.width - 1);
      l.ssmElements = s.heads * s.headDim * s.dState;
      l.ssmBytes = s.ssmType == DType::BF16 ? 2 : f;
      MLRT_RETURN_IF_ERROR(
          allocate(l.conv, batch * l.convFloats * f, "a conv state"));
      MLRT_RETURN_IF_ERROR(
          allocate(l.ssm, batch * l.ssmElements * l.ssmBytes, "an SSM state"));
    }
  }
  int64_t workspaceFloats = 0;
  for (const PlanEntry *entry : {&plan.prefill, &plan.decode})
    for (const PlanOp &op : entry->ops)
      if (op.kind == OpKind::Attention)
        workspaceFloats = std::max(
            workspaceFloats,
            attentionWorkspaceFloats(op.heads, plan.states[op.state].headDim));
  if (workspaceFloats)
    MLRT_RETURN_IF_ERROR(allocate(attentionWorkspace,
                                  batch * workspaceFloats * f,
                                  "the attention workspace"));
  int64_t scanFloats = 0;
  for (const PlanOp &op : plan.prefill.ops)
    if (op.kind == OpKind::SSMScan && op.variant == MixerKind::Mamba2)
      scanFloats = std::max(
          scanFloats, ssmScanWorkspaceFloats(op.heads,
                                             plan.states[op.state].headDim,
                                             op.dState, chunk));
  if (scanFloats)
    MLRT_RETURN_IF_ERROR(
        allocate(scanWorkspace, scanFloats * f, "the Mamba-2 scan workspace"));
  MLRT_RETURN_IF_ERROR(zeroStates(/*withKV=*/true));
  // Every kernel must take what the runtime will pass it.
  Feed one;
  one.count = 1;
  for (const PlanEntry *entry : {&plan.prefill, &plan.decode})
    for (const PlanOp &op : entry->ops) {
      if (op.gpuKernels.empty())
        continue;
      if (op.kind == OpKind::MambaStep && op.gpuKernels.size() < 2)
        return Error() << "the artifact's mamba_step has "
                       << op.gpuKernels.size()
                       << " CUDA kernel; expected its conv and at least one "
                          "scan (recompile it with ml-compile)";
      memrefs(*entry, op, one);
      if (isProjection(op) && !usesGemv(*entry, op)) { // bf16 rounding
        args.clear();
        args.memref(0, 1);
        args.memref(0, 1);
      }
      args.index(1); // tokens
      args.index(0); // position
      // A GEMV's kernels of several rows take two memrefs more.
      const bool gemv = op.kind == OpKind::LinearSwiGLU ||
                        (isProjection(op) && usesGemv(*entry, op));
      for (size_t i = 0; i < op.gpuKernels.size(); ++i) {
        const int k = op.gpuKernels[i];
        MLRT_RETURN_IF_ERROR(
            module->checkParams(k, args.count() + (gemv && i > 0 ? 2 * 5 : 0) +
                                       (module->kernel(k).positions ? 5 : 0)));
      }
    }
  if (module) {
    argmax = module->find(argmaxKernelName(model.config().vocab));
    if (argmax >= 0) {
      MLRT_RETURN_IF_ERROR(module->checkParams(argmax, 2 * 5 + 2));
      MLRT_RETURN_IF_ERROR(
          allocate(greedyTokens, chunk * sizeof(int32_t), "the greedy tokens"));
    }
  }
  if (OpProfile::wanted())
    profile = std::make_unique<OpProfile>(*device);
  else if (graphsWanted() && device->driver().hasGraphs())
    graph = std::make_unique<DecodeGraph>(*device);
  return device->synchronize("preparing the CUDA backend");
}

CudaBackend::~CudaBackend() {
  // The handles and buffers below are released in the device's context,
  // whichever thread ends the session.
  if (device)
    (void)device->makeCurrent();
}

Status CudaBackend::zeroStates(bool withKV) {
  const CudaDriver &d = device->driver();
  auto zero = [&](const DeviceBuffer &b) {
    return d.check(d.cuMemsetD8Async(b.get(), 0, b.bytes(), device->stream()),
                   "cuMemsetD8Async");
  };
  for (LayerState &l : states) {
    if (withKV && l.kvElements) {
      MLRT_RETURN_IF_ERROR(zero(l.k));
      MLRT_RETURN_IF_ERROR(zero(l.v));
    }
    if (l.ssmElements) {
      MLRT_RETURN_IF_ERROR(zero(l.conv));
      MLRT_RETURN_IF_ERROR(zero(l.ssm));
    }
  }
  return Status::ok();
}

void CudaBackend::reset() {
  // KV caches need no clearing: attention reads positions below the call's.
  Status s = device->makeCurrent();
  if (!s.failed())
    s = zeroStates(/*withKV=*/false);
  if (s.failed() && !pending.failed())
    pending = std::move(s);
}

Status CudaBackend::copySequence(int64_t from, int64_t to, int64_t tokens) {
  MLRT_RETURN_IF_ERROR(device->makeCurrent());
  const CudaDriver &d = device->driver();
  // The first `bytes` of sequence `from`'s slice (`slice` bytes each) of
  // `b` over sequence `to`'s.
  auto copy = [&](const DeviceBuffer &b, size_t slice, size_t bytes) {
    return d.check(d.cuMemcpyDtoDAsync(b.get() + to * slice,
                                       b.get() + from * slice, bytes,
                                       device->stream()),
                   "cuMemcpyDtoDAsync (copying a sequence's states)");
  };
  for (size_t i = 0; i < states.size(); ++i) {
    const LayerState &l = states[i];
    if (l.kvElements) {
      const size_t slice = l.kvElements * l.kvBytes;
      // Only the cached positions: the rest is never read.
      const size_t used = slice / maxTokens * tokens;
      MLRT_RETURN_IF_ERROR(copy(l.k, slice, used));
      MLRT_RETURN_IF_ERROR(copy(l.v, slice, used));
    }
    if (l.ssmElements) {
      const size_t conv = l.convFloats * sizeof(float);
      const size_t ssm = l.ssmElements * l.ssmBytes;
      MLRT_RETURN_IF_ERROR(copy(l.conv, conv, conv));
      MLRT_RETURN_IF_ERROR(copy(l.ssm, ssm, ssm));
    }
  }
  return device->synchronize("copying a sequence's states");
}

uint64_t CudaBackend::allocatedBytes() const {
  uint64_t bytes = arena.bytes() + ids.bytes() + positions.bytes() +
                   logits.bytes() + attentionWorkspace.bytes() +
                   scanWorkspace.bytes() + staging.bytes() + rowScales.bytes() +
                   greedyTokens.bytes();
  for (const LayerState &l : states)
    bytes += l.k.bytes() + l.v.bytes() + l.conv.bytes() + l.ssm.bytes();
  return bytes;
}

void CudaBackend::memrefs(const PlanEntry &entry, const PlanOp &op,
                          const Feed &feed) {
  const int64_t count = feed.rows();
  args.clear();
  for (size_t i = 0; i < op.buffers.size(); ++i)
    args.memref(buffer(entry, op, i, count), count * width(entry, op, i));
  // A memref of the weight's element type on the device (f32, or bf16 for
  // the matrices of bf16 artifacts).
  for (const WeightRef *w : op.weights)
    args.memref(weights->at(w), numElements(*w));
  if (op.kind == OpKind::Linear)
    for (const WeightRef *b : op.biases)
      if (b)
        args.memref(weights->at(b), numElements(*b));
  if (op.kind == OpKind::LMHead) // the GEMV's output
    args.memref(logits.get(), count * model.config().vocab);
  if (op.norm) // a projection's input norm
    args.memref(weights->at(op.norm), numElements(*op.norm));
  if (stateArrays(op)) {
    // The slices of the feed's sequences.
    const LayerState &l = states[op.state];
    const int64_t first = feed.first, n = feed.sequences;
    if (op.kind == OpKind::Attention) {
      args.memref(l.k.get() + first * l.kvElements * l.kvBytes,
                  n * l.kvElements);
      args.memref(l.v.get() + first * l.kvElements * l.kvBytes,
                  n * l.kvElements);
      // Scratch: the first slices serve any sequences.
      args.memref(attentionWorkspace.get(),
                  n * attentionWorkspace.bytes() / batch / sizeof(float));
    } else {
      if (op.kind != OpKind::SSMScan) // Conv1d, MambaStep
        args.memref(l.conv.get() + first * l.convFloats * sizeof(float),
                    n * l.convFloats);
      if (op.kind != OpKind::Conv1d) // SSMScan, MambaStep
        args.memref(l.ssm.get() + first * l.ssmElements * l.ssmBytes,
                    n * l.ssmElements);
      if (op.kind == OpKind::SSMScan)
        args.memref(scanWorkspace.get(),
                    scanWorkspace.bytes() / sizeof(float));
    }
  }
  if (op.kind == OpKind::Embed)
    args.memref(ids.get(), count); // memref<?xi32>
}

Status CudaBackend::launchKernels(const PlanOp &op, const Feed &feed,
                                  int only) {
  // Each kernel's trailing parameters go after the op's memrefs and come
  // off again: the sequences' positions (GpuKernel::positions), tokens and
  // the position.
  const size_t base = args.count();
  for (int k : op.gpuKernels) {
    if (only >= 0 && k != only)
      continue;
    if (module->kernel(k).positions)
      args.memref(positions.get(), feed.sequences);
    args.index(module->tokensOf(k, feed.count, feed.sequences));
    args.index(feed.position);
    MLRT_RETURN_IF_ERROR(module->launch(k, feed.count, feed.sequences, args));
    if (capturing && module->readsPosition(k))
      MLRT_RETURN_IF_ERROR(graph->notePositionLaunch(*module, k, feed.count,
                                                     feed.sequences, args));
    args.pop(args.count() - base);
  }
  return Status::ok();
}

Status CudaBackend::runOp(const PlanEntry &entry, const PlanOp &op,
                          const Feed &feed, bool allPositions) {
  if (isProjection(op))
    return runProjection(entry, op, feed, allPositions);
  memrefs(entry, op, feed);
  if (op.kind == OpKind::LinearSwiGLU)
    return launchGemv(op, feed);
  if (op.kind == OpKind::MambaStep)
    return launchMambaStep(op, feed);
  return launchKernels(op, feed);
}

Status CudaBackend::launchMambaStep(const PlanOp &op, const Feed &feed) {
  const size_t tiers = op.gpuKernels.size() - 1;
  MLRT_RETURN_IF_ERROR(launchKernels(op, feed, op.gpuKernels[0]));
  return launchKernels(op, feed,
                       op.gpuKernels[1 + mambaStepTier(feed.sequences, tiers)]);
}

Status CudaBackend::launchGemv(const PlanOp &op, const Feed &feed) {
  const size_t tiers = std::size(kBatchedGemvTiers);
  const int64_t rows = feed.rows();
  if (rows == 1 || op.gpuKernels.size() != 2 + tiers)
    return launchKernels(op, feed, op.gpuKernels[0]);
  // The staged input terms and the rows' norm scales, then the staging
  // kernel and the tier that holds the rows (the largest, in passes).
  args.memref(staging.get(), staging.bytes() / sizeof(uint16_t));
  args.memref(rowScales.get(), rowScales.bytes() / sizeof(float));
  size_t tier = tiers - 1;
  for (size_t i = 0; i < tiers; ++i)
    if (rows <= kBatchedGemvTiers[i]) {
      tier = i;
      break;
    }
  MLRT_RETURN_IF_ERROR(launchKernels(op, feed, op.gpuKernels[1]));
  return launchKernels(op, feed, op.gpuKernels[2 + tier]);
}

Status CudaBackend::runProjection(const PlanEntry &entry, const PlanOp &op,
                                  const Feed &feed, bool allPositions) {
  if (usesGemv(entry, op)) {
    // The GEMV computes every row; for LMHead those are the step's tokens.
    memrefs(entry, op, feed);
    return launchGemv(op, feed);
  }
  const int64_t count = feed.rows();
  const int64_t inWidth = width(entry, op, 0);
  CUdeviceptr in = buffer(entry, op, 0, count);
  DType type = DType::F32;
  size_t element = sizeof(float);
  // bf16 matrices: the op's kernel splits the rows into hi and lo bf16
  // terms (hi rows, then lo rows), and W x = W hi + W lo; with bf16_inputs
  // it rounds them (hi alone).
  CUdeviceptr lo = 0;
  if (!op.gpuKernels.empty()) {
    args.clear();
    args.memref(in, count * inWidth);
    args.memref(staging.get(), 2 * count * inWidth);
    MLRT_RETURN_IF_ERROR(launchKernels(op, feed));
    in = staging.get();
    if (!op.bf16Inputs)
      lo = in + count * inWidth * sizeof(uint16_t);
    type = DType::BF16;
    element = sizeof(uint16_t);
  }
  if (op.kind == OpKind::Linear) {
    // Fused projections write adjacent column blocks of their outputs.
    std::vector<LinearTarget> targets = linearTargets(entry, op);
    for (size_t i = 0; i < op.weights.size(); ++i) {
      const WeightRef *w = op.weights[i];
      const WeightRef *bias = op.biases.empty() ? nullptr : op.biases[i];
      CUdeviceptr dst = buffer(entry, op, targets[i].slot, count) +
                        targets[i].column * sizeof(float);
      int64_t ldc = width(entry, op, targets[i].slot);
      MLRT_RETURN_IF_ERROR(gemm->linear(in, inWidth, count, weights->at(w),
                                        w->shape[0], w->shape[1],
                                        weights->at(bias), dst, ldc, type));
      if (lo)
        MLRT_RETURN_IF_ERROR(gemm->linear(lo, inWidth, count, weights->at(w),
                                          w->shape[0], w->shape[1], 0, dst,
                                          ldc, type, /*accumulate=*/true));
    }
    return Status::ok();
  }
  // LMHead: the logits of every row, or of the last token (a step's rows
  // are all last tokens).
  const int64_t vocab = model.config().vocab;
  int64_t rows = count;
  if (!allPositions && feed.count > 1) {
    in += (count - 1) * inWidth * element;
    lo += lo ? (count - 1) * inWidth * element : 0;
    rows = 1;
  }
  CUdeviceptr w = weights->at(op.weights[0]);
  MLRT_RETURN_IF_ERROR(gemm->linear(in, inWidth, rows, w, vocab, inWidth, 0,
                                    logits.get(), vocab, type));
  if (!lo)
    return Status::ok();
  return gemm->linear(lo, inWidth, rows, w, vocab, inWidth, 0, logits.get(),
                      vocab, type, /*accumulate=*/true);
}

Status CudaBackend::enqueue(const PlanEntry &entry, const Feed &feed,
                            bool allPositions) {
  for (size_t i = 0; i < entry.ops.size(); ++i) {
    const PlanOp &op = entry.ops[i];
    if (profile)
      MLRT_RETURN_IF_ERROR(profile->begin(entry.name, op.kind));
    Status s = runOp(entry, op, feed, allPositions);
    if (profile && !s.failed())
      s = profile->end();
    if (s.failed())
      return Error() << "@" << entry.name << " op " << i << " ("
                     << opKindName(op.kind) << "): " << s.message();
  }
  return Status::ok();
}

bool CudaBackend::replays(const PlanEntry &entry, const Feed &feed) {
  if (!graph || &entry != &model.plan().decode || feed.count != 1)
    return false;
  // The graph holds the state slices of the sequences it was captured
  // with; steps of other sequences run eagerly.
  std::pair<int64_t, int64_t> sequences{feed.first, feed.sequences};
  if (graph->ready() && sequences != graphSequences)
    return false;
  // The first step runs eagerly: cuBLAS chooses its kernels for these
  // shapes and the driver loads what it loads lazily outside the capture.
  if (!decodeWarm) {
    decodeWarm = true;
    return false;
  }
  return true;
}

Status CudaBackend::replayDecode(const PlanEntry &entry, const Feed &feed) {
  if (!graph->ready()) {
    // For one token the logits of all positions and of the last are the
    // same row: one graph serves both.
    capturing = true;
    Status s = graph->capture(
        [&] { return enqueue(entry, feed, /*allPositions=*/false); });
    capturing = false;
    if (s.failed())
      return Error() << "capturing @" << entry.name
                     << " into a CUDA graph: " << s.message()
                     << " (MLRT_CUDA_GRAPHS=0 runs without graphs)";
    graphSequences = {feed.first, feed.sequences};
  }
  return graph->launch(feed.position);
}

Status CudaBackend::queueCall(const PlanEntry &entry, const Feed &feed,
                              bool allPositions) {
  if (pending.failed()) {
    Status s = std::move(pending);
    pending = Status::ok();
    return s;
  }
  if (feed.rows() > chunk)
    return Error() << "cuda backend: " << feed.rows()
                   << " rows in one call, more than the prefill chunk of "
                   << chunk;
  MLRT_RETURN_IF_ERROR(device->makeCurrent());
  const CudaDriver &d = device->driver();
  // The sequences' positions, like the ids, go to the same device buffer
  // for every call, graph or not (GpuKernel::positions).
  hostPositions.resize(feed.sequences);
  for (int64_t s = 0; s < feed.sequences; ++s)
    hostPositions[s] = feed.positionOf(s);
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuMemcpyHtoDAsync(positions.get(), hostPositions.data(),
                          feed.sequences * sizeof(int64_t), device->stream()),
      "cuMemcpyHtoDAsync (sequence positions)"));
  // The ids go to the same device buffer for every call, graph or not.
  MLRT_RETURN_IF_ERROR(d.check(
      d.cuMemcpyHtoDAsync(ids.get(), feed.tokens, feed.rows() * sizeof(int32_t),
                          device->stream()),
      "cuMemcpyHtoDAsync (token ids)"));
  return replays(entry, feed) ? replayDecode(entry, feed)
                              : enqueue(entry, feed, allPositions);
}

Status CudaBackend::run(const PlanEntry &entry, const Feed &feed,
                        bool allPositions, float *out) {
  MLRT_RETURN_IF_ERROR(queueCall(entry, feed, allPositions));
  const CudaDriver &d = device->driver();
  if (hasLMHead(entry)) {
    const int64_t rows = allPositions ? feed.rows() : feed.sequences;
    MLRT_RETURN_IF_ERROR(
        d.check(d.cuMemcpyDtoHAsync(out, logits.get(),
                                    rows * model.config().vocab * sizeof(float),
                                    device->stream()),
                "cuMemcpyDtoHAsync (logits)"));
  }
  return finishCall(entry);
}

Status CudaBackend::runGreedy(const PlanEntry &entry, const Feed &feed,
                              int64_t vocab, int32_t *next) {
  if (argmax < 0 || !hasLMHead(entry))
    return Backend::runGreedy(entry, feed, vocab, next);
  MLRT_RETURN_IF_ERROR(queueCall(entry, feed, /*allPositions=*/false));
  // Each sequence's last logits are row s: pick there (a block per row),
  // copy 4 bytes a sequence back.
  const int64_t rows = feed.sequences;
  args.clear();
  args.memref(logits.get(), rows * vocab);
  args.memref(greedyTokens.get(), rows);
  args.index(rows);
  args.index(feed.position);
  MLRT_RETURN_IF_ERROR(module->launch(argmax, rows, 1, args));
  const CudaDriver &d = device->driver();
  MLRT_RETURN_IF_ERROR(
      d.check(d.cuMemcpyDtoHAsync(next, greedyTokens.get(),
                                  rows * sizeof(int32_t), device->stream()),
              "cuMemcpyDtoHAsync (greedy tokens)"));
  return finishCall(entry);
}

Status CudaBackend::finishCall(const PlanEntry &entry) {
  std::string what = "running @" + entry.name;
  MLRT_RETURN_IF_ERROR(device->synchronize(what.c_str()));
  return profile ? profile->collect() : Status::ok();
}

Expected<std::unique_ptr<Backend>>
mlrt::cuda::createCudaBackend(const Artifact &model,
                              const SessionOptions &options) {
  return CudaBackend::create(model, options);
}

bool mlrt::cuda::compiledIn() { return true; }

Status mlrt::cuda::available() { return probeDevice(); }
