//===- PlanReader.cpp - Reading and checking the artifact's plan ----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "PlanReader.h"

using namespace mlrt;

const char *mlrt::opKindName(OpKind kind) {
  static const char *names[] = {
      "embed",  "rms_norm",      "linear",         "rope",
      "attention", "conv1d",     "repeat_groups",  "ssm_scan",
      "gated_rms_norm", "swiglu", "add",           "lm_head",
      "add_rms_norm", "mamba_step", "linear_swiglu"};
  return names[static_cast<int>(kind)];
}

std::vector<LinearTarget> mlrt::linearTargets(const PlanEntry &entry,
                                              const PlanOp &op) {
  std::vector<LinearTarget> targets;
  LinearTarget at;
  for (const WeightRef *w : op.weights) {
    targets.push_back(at);
    at.column += w->shape[0];
    if (at.slot < op.buffers.size() &&
        at.column == entry.buffers[op.buffers[at.slot]].width) {
      ++at.slot;
      at.column = 0;
    }
  }
  return targets;
}

namespace {
/// Checks the calls of one entry against the weights, states and arena.
class EntryReader {
public:
  EntryReader(const fb::Entry &entry, const Plan &plan,
              const std::vector<WeightRef> &weights, const ModelConfig &config,
              int gpuKernelCount)
      : entry(entry), plan(plan), weights(weights), config(config),
        gpuKernelCount(gpuKernelCount) {}
  Expected<PlanEntry> read();

private:
  Status readOp(const fb::Op &op, PlanOp &out);
  /// checkKind, then the fields any projection may have.
  Status checkOp(PlanOp &op);
  /// The buffers, weights and attributes of `op`'s kind.
  Status checkKind(PlanOp &op);
  Error bad() {
    return Error() << "plan entry @" << out.name << " op " << opIndex << " ("
                   << (current ? opKindName(current->kind) : "?") << "): ";
  }
  int64_t width(const PlanOp &op, size_t slot) const {
    return out.buffers[op.buffers[slot]].width;
  }
  /// Checks that the op has `count` buffers and `weightCount` weights.
  Status arity(const PlanOp &op, size_t count, size_t weightCount);
  Status expectWidth(const PlanOp &op, size_t slot, int64_t expected,
                     const char *what);
  Status expectShape(const WeightRef *w, std::vector<int64_t> shape,
                     const char *what);
  Expected<const PlanState *> state(const PlanOp &op, PlanState::Kind kind);
  // Checks shared by a kind and the fused kinds that contain it; slots are
  // the op's buffer and weight indices.
  /// An RMSNorm weight of `width` and the op's eps.
  Status checkNorm(const PlanOp &op, const WeightRef *weight, int64_t width);
  Status checkConv(const PlanOp &op, const PlanState &m, size_t in,
                   size_t weight);
  Status checkScanSizes(const PlanOp &op, const PlanState &m, bool mamba1);
  Status checkMamba2Scan(const PlanOp &op, const PlanState &m, size_t xbc,
                         size_t dt, size_t weight, size_t out);
  Status checkGatedNorm(const PlanOp &op, size_t y, size_t z, size_t weight);

  const fb::Entry &entry;
  const Plan &plan;
  const std::vector<WeightRef> &weights;
  const ModelConfig &config;
  int gpuKernelCount;
  PlanEntry out;
  size_t opIndex = 0;
  const PlanOp *current = nullptr;
};
} // namespace

static int64_t numElements(const WeightRef &w) {
  int64_t n = 1;
  for (int64_t d : w.shape)
    n *= d;
  return n;
}

Status EntryReader::arity(const PlanOp &op, size_t count, size_t weightCount) {
  if (op.buffers.size() != count || op.weights.size() != weightCount)
    return bad() << "expects " << count << " buffers and " << weightCount
                 << " weights, found " << op.buffers.size() << " and "
                 << op.weights.size();
  return Status::ok();
}

Status EntryReader::expectWidth(const PlanOp &op, size_t slot,
                                int64_t expected, const char *what) {
  if (width(op, slot) != expected)
    return bad() << what << " buffer is " << width(op, slot)
                 << " wide, expected " << expected;
  return Status::ok();
}

Status EntryReader::expectShape(const WeightRef *w, std::vector<int64_t> shape,
                                const char *what) {
  if (w->shape != shape)
    return bad() << what << " weight '" << w->name << "' has shape "
                 << shapeString(w->shape) << ", expected "
                 << shapeString(shape);
  return Status::ok();
}

Expected<const PlanState *> EntryReader::state(const PlanOp &op,
                                               PlanState::Kind kind) {
  if (op.state < 0 || op.state >= static_cast<int>(plan.states.size()) ||
      plan.states[op.state].kind != kind)
    return bad() << "names state " << op.state << ", expected a "
                 << (kind == PlanState::Kind::KVCache ? "KV cache"
                                                      : "Mamba state")
                 << " of the " << plan.states.size() << " states";
  return &plan.states[op.state];
}

Status EntryReader::checkNorm(const PlanOp &op, const WeightRef *weight,
                              int64_t width) {
  MLRT_RETURN_IF_ERROR(expectShape(weight, {width}, "norm"));
  if (!(op.eps > 0))
    return bad() << "eps is " << op.eps << ", expected a positive value";
  return Status::ok();
}

Status EntryReader::checkConv(const PlanOp &op, const PlanState &m, size_t in,
                              size_t weight) {
  MLRT_RETURN_IF_ERROR(
      expectShape(op.weights[weight], {m.channels, m.width}, "conv"));
  MLRT_RETURN_IF_ERROR(
      expectShape(op.weights[weight + 1], {m.channels}, "conv bias"));
  return expectWidth(op, in, m.channels, "input");
}

Status EntryReader::checkScanSizes(const PlanOp &op, const PlanState &m,
                                   bool mamba1) {
  int64_t h = op.heads, g = op.groups, n = op.dState, p = m.headDim;
  if (h <= 0 || g <= 0 || n <= 0 || h % g != 0 || h != m.heads ||
      n != m.dState || (mamba1 && p != n))
    return bad() << "heads " << h << ", groups " << g << ", d_state " << n
                 << " do not match its state (" << m.heads << " x "
                 << m.headDim << " x " << m.dState << ")";
  return Status::ok();
}

Status EntryReader::checkMamba2Scan(const PlanOp &op, const PlanState &m,
                                    size_t xbc, size_t dt, size_t weight,
                                    size_t out) {
  int64_t h = op.heads, g = op.groups, n = op.dState, p = m.headDim;
  MLRT_RETURN_IF_ERROR(
      expectWidth(op, xbc, g * p + g * n + h * n, "[x|B|C]"));
  MLRT_RETURN_IF_ERROR(expectWidth(op, dt, h, "dt"));
  for (size_t i = weight; i < weight + 3; ++i) // dt_bias A_log D
    if (numElements(*op.weights[i]) != h)
      return bad() << "weight '" << op.weights[i]->name << "' has "
                   << numElements(*op.weights[i]) << " elements, expected "
                   << h << " (one per head)";
  return expectWidth(op, out, h * p, "output");
}

Status EntryReader::checkGatedNorm(const PlanOp &op, size_t y, size_t z,
                                   size_t weight) {
  int64_t w = width(op, y);
  if (op.group <= 0 || w % op.group != 0)
    return bad() << "group " << op.group << " does not divide " << w;
  MLRT_RETURN_IF_ERROR(expectShape(op.weights[weight], {w}, "norm"));
  return expectWidth(op, z, w, "gate");
}

Status EntryReader::readOp(const fb::Op &op, PlanOp &p) {
  if (static_cast<int>(op.kind()) > static_cast<int>(fb::OpKind::MAX))
    return bad() << "unknown op kind " << static_cast<int>(op.kind());
  p.kind = static_cast<OpKind>(op.kind());
  for (int32_t b : *op.buffers()) {
    if (b < 0 || b >= static_cast<int32_t>(out.buffers.size()))
      return bad() << "names buffer " << b << " of " << out.buffers.size();
    p.buffers.push_back(b);
  }
  auto weightAt = [&](int32_t i, bool optional,
                      const WeightRef *&slot) -> Status {
    if (i < 0 && optional)
      return Status::ok();
    if (i < 0 || i >= static_cast<int32_t>(weights.size()))
      return bad() << "names weight " << i << " of " << weights.size();
    slot = &weights[i];
    return Status::ok();
  };
  if (op.weights())
    for (int32_t i : *op.weights())
      MLRT_RETURN_IF_ERROR(weightAt(i, false, p.weights.emplace_back()));
  if (op.biases())
    for (int32_t i : *op.biases())
      MLRT_RETURN_IF_ERROR(weightAt(i, true, p.biases.emplace_back()));
  if (static_cast<int>(op.variant()) > static_cast<int>(fb::Mixer::MAX))
    return bad() << "unknown Mamba variant";
  p.state = op.state();
  p.variant = static_cast<MixerKind>(op.variant());
  p.heads = op.heads();
  p.groups = op.groups();
  p.dState = op.d_state();
  p.headDim = op.head_dim();
  p.window = op.window();
  p.group = op.group();
  p.times = op.times();
  p.eps = op.eps();
  MLRT_RETURN_IF_ERROR(weightAt(op.norm(), /*optional=*/true, p.norm));
  p.accumulate = op.accumulate();
  p.rope = op.rope();
  p.bf16Inputs = op.bf16_inputs();
  if (op.gpu_kernels())
    for (int32_t k : *op.gpu_kernels()) {
      if (k < 0 || k >= gpuKernelCount)
        return bad() << "names GPU kernel " << k << " of " << gpuKernelCount;
      p.gpuKernels.push_back(k);
    }
  return Status::ok();
}

Status EntryReader::checkOp(PlanOp &op) {
  MLRT_RETURN_IF_ERROR(checkKind(op));
  // kern-fuse-norm-projection's fields, once the op's buffers are known
  // to be there.
  bool projection = op.kind == OpKind::Linear ||
                    op.kind == OpKind::LinearSwiGLU ||
                    op.kind == OpKind::LMHead;
  if ((op.norm || op.accumulate) && !projection)
    return bad() << "only projections take an input norm or accumulate";
  if (op.accumulate && (op.kind != OpKind::Linear || op.buffers.size() != 2))
    return bad() << "accumulates into " << op.buffers.size() - 1
                 << " outputs; only a linear of one output can";
  if (op.norm)
    MLRT_RETURN_IF_ERROR(checkNorm(op, op.norm, width(op, 0)));
  if (op.bf16Inputs && op.kind != OpKind::Linear && op.kind != OpKind::LMHead &&
      op.kind != OpKind::Attention &&
      !(op.kind == OpKind::SSMScan && op.variant == MixerKind::Mamba2))
    return bad() << "rounds its inputs to bf16, which only linear, lm_head, "
                    "attention and the Mamba-2 ssm_scan do";
  if (op.rope && (op.kind != OpKind::Attention ||
                  plan.states[op.state].headDim != config.headDim ||
                  config.headDim % 2 != 0))
    return bad() << "rotates q and k, which only attention over heads of the "
                    "config's even head_dim "
                 << config.headDim << " can";
  return Status::ok();
}

Status EntryReader::checkKind(PlanOp &op) {
  const int64_t hidden = config.hidden;
  switch (op.kind) {
  case OpKind::Embed:
    MLRT_RETURN_IF_ERROR(arity(op, 1, 1));
    MLRT_RETURN_IF_ERROR(
        expectShape(op.weights[0], {config.vocab, hidden}, "embedding"));
    return expectWidth(op, 0, hidden, "output");
  case OpKind::LMHead:
    MLRT_RETURN_IF_ERROR(arity(op, 1, 1));
    MLRT_RETURN_IF_ERROR(
        expectShape(op.weights[0], {config.vocab, hidden}, "lm_head"));
    return expectWidth(op, 0, hidden, "input");
  case OpKind::RMSNorm: {
    MLRT_RETURN_IF_ERROR(arity(op, 2, 1));
    MLRT_RETURN_IF_ERROR(checkNorm(op, op.weights[0], width(op, 0)));
    return expectWidth(op, 1, width(op, 0), "output");
  }
  case OpKind::Linear: {
    if (op.buffers.size() < 2 || op.weights.empty())
      return bad() << "expects an input, outputs and at least one weight";
    if (!op.biases.empty() && op.biases.size() != op.weights.size())
      return bad() << "has " << op.biases.size() << " biases for "
                   << op.weights.size() << " weights";
    // The weights' rows fill the outputs in order, each exactly.
    size_t slot = 1;
    int64_t filled = 0;
    for (size_t i = 0; i < op.weights.size(); ++i) {
      const WeightRef *w = op.weights[i];
      if (w->shape.size() != 2 || w->shape[1] != width(op, 0))
        return bad() << "weight '" << w->name << "' of shape "
                     << shapeString(w->shape) << " does not take "
                     << width(op, 0) << " inputs";
      if (!op.biases.empty() && op.biases[i])
        MLRT_RETURN_IF_ERROR(expectShape(op.biases[i], {w->shape[0]}, "bias"));
      if (slot == op.buffers.size())
        return bad() << "weight '" << w->name << "' has no output left";
      filled += w->shape[0];
      if (filled > width(op, slot))
        return bad() << "output " << slot - 1 << " of width "
                     << width(op, slot) << " is not filled exactly by its "
                     << "weights' rows (" << filled << " so far)";
      if (filled == width(op, slot)) {
        ++slot;
        filled = 0;
      }
    }
    if (slot != op.buffers.size())
      return bad() << "weights fill " << slot - 1 << " of "
                   << op.buffers.size() - 1 << " outputs";
    return Status::ok();
  }
  case OpKind::LinearSwiGLU:
    // [in out], weights [gate up], each [out, in].
    MLRT_RETURN_IF_ERROR(arity(op, 2, 2));
    MLRT_RETURN_IF_ERROR(
        expectShape(op.weights[0], {width(op, 1), width(op, 0)}, "gate"));
    return expectShape(op.weights[1], {width(op, 1), width(op, 0)}, "up");
  case OpKind::Rope:
    MLRT_RETURN_IF_ERROR(arity(op, 2, 0));
    if (op.headDim != config.headDim || op.headDim % 2 != 0 ||
        width(op, 0) % op.headDim != 0 || width(op, 1) % op.headDim != 0)
      return bad() << "head_dim " << op.headDim << " does not divide q ("
                   << width(op, 0) << ") and k (" << width(op, 1)
                   << ") or differs from the config's " << config.headDim;
    return Status::ok();
  case OpKind::Attention: {
    MLRT_RETURN_IF_ERROR(arity(op, 4, 0));
    Expected<const PlanState *> s = state(op, PlanState::Kind::KVCache);
    if (!s)
      return s.takeError();
    const PlanState &kv = **s;
    if (op.heads <= 0 || kv.kvHeads <= 0 || kv.headDim <= 0 ||
        op.heads % kv.kvHeads != 0 || op.window < 0)
      return bad() << op.heads << " heads over " << kv.kvHeads
                   << " KV heads (window " << op.window << ") is invalid";
    MLRT_RETURN_IF_ERROR(expectWidth(op, 0, op.heads * kv.headDim, "q"));
    MLRT_RETURN_IF_ERROR(expectWidth(op, 1, kv.kvHeads * kv.headDim, "k"));
    MLRT_RETURN_IF_ERROR(expectWidth(op, 2, kv.kvHeads * kv.headDim, "v"));
    return expectWidth(op, 3, op.heads * kv.headDim, "output");
  }
  case OpKind::Conv1d: {
    MLRT_RETURN_IF_ERROR(arity(op, 2, 2));
    Expected<const PlanState *> s = state(op, PlanState::Kind::Mamba);
    if (!s)
      return s.takeError();
    const PlanState &m = **s;
    MLRT_RETURN_IF_ERROR(checkConv(op, m, 0, 0));
    return expectWidth(op, 1, m.channels, "output");
  }
  case OpKind::RepeatGroups:
    MLRT_RETURN_IF_ERROR(arity(op, 2, 0));
    if (op.group <= 0 || op.times <= 0 || width(op, 0) % op.group != 0)
      return bad() << "group " << op.group << " x " << op.times
                   << " does not tile an input of " << width(op, 0);
    return expectWidth(op, 1, width(op, 0) * op.times, "output");
  case OpKind::SSMScan: {
    bool one = op.variant == MixerKind::Mamba1;
    if (!one && op.variant != MixerKind::Mamba2)
      return bad() << "variant is not mamba1 or mamba2";
    MLRT_RETURN_IF_ERROR(arity(op, one ? 4 : 3, 3));
    Expected<const PlanState *> s = state(op, PlanState::Kind::Mamba);
    if (!s)
      return s.takeError();
    const PlanState &m = **s;
    MLRT_RETURN_IF_ERROR(checkScanSizes(op, m, one));
    if (one) {
      int64_t h = op.heads, g = op.groups, n = op.dState, inner = h * n;
      MLRT_RETURN_IF_ERROR(expectWidth(op, 0, inner, "x"));
      MLRT_RETURN_IF_ERROR(expectWidth(op, 1, g * n + h * n, "[B|C]"));
      MLRT_RETURN_IF_ERROR(expectWidth(op, 2, inner, "dt"));
      MLRT_RETURN_IF_ERROR(expectShape(op.weights[0], {inner}, "dt_bias"));
      MLRT_RETURN_IF_ERROR(expectShape(op.weights[1], {inner, n}, "A_log"));
      MLRT_RETURN_IF_ERROR(expectShape(op.weights[2], {inner}, "D"));
      return expectWidth(op, 3, inner, "output");
    }
    return checkMamba2Scan(op, m, 0, 1, 0, 2);
  }
  case OpKind::GatedRMSNorm:
    MLRT_RETURN_IF_ERROR(arity(op, 3, 1));
    MLRT_RETURN_IF_ERROR(checkGatedNorm(op, 0, 1, 0));
    return expectWidth(op, 2, width(op, 0), "output");
  case OpKind::SwiGLU:
  case OpKind::Add:
    MLRT_RETURN_IF_ERROR(arity(op, 3, 0));
    MLRT_RETURN_IF_ERROR(expectWidth(op, 1, width(op, 0), "second operand"));
    return expectWidth(op, 2, width(op, 0), "output");
  case OpKind::AddRMSNorm:
    MLRT_RETURN_IF_ERROR(arity(op, 4, 1));
    MLRT_RETURN_IF_ERROR(expectWidth(op, 1, width(op, 0), "second operand"));
    MLRT_RETURN_IF_ERROR(expectWidth(op, 2, width(op, 0), "sum"));
    MLRT_RETURN_IF_ERROR(expectWidth(op, 3, width(op, 0), "output"));
    return checkNorm(op, op.weights[0], width(op, 0));
  case OpKind::MambaStep: {
    // [xbc dt z out], weights [conv_weight conv_bias dt_bias A_log D norm].
    MLRT_RETURN_IF_ERROR(arity(op, 4, 6));
    Expected<const PlanState *> s = state(op, PlanState::Kind::Mamba);
    if (!s)
      return s.takeError();
    const PlanState &m = **s;
    MLRT_RETURN_IF_ERROR(checkScanSizes(op, m, /*mamba1=*/false));
    MLRT_RETURN_IF_ERROR(checkConv(op, m, 0, 0));
    MLRT_RETURN_IF_ERROR(checkMamba2Scan(op, m, 0, 1, 2, 3));
    return checkGatedNorm(op, 3, 2, 5);
  }
  }
  return bad() << "unknown op kind";
}

Expected<PlanEntry> EntryReader::read() {
  out.name = entry.name()->str();
  out.step = entry.step();
  for (const fb::Buffer *b : *entry.buffers()) {
    if (b->offset() < 0 || b->width() <= 0 ||
        int64_t(b->offset()) + b->width() > plan.arena)
      return Error() << "plan entry @" << out.name << ": buffer at offset "
                     << b->offset() << " of width " << b->width()
                     << " lies outside the arena of " << plan.arena
                     << " floats per token";
    out.buffers.push_back({b->offset(), b->width()});
  }
  for (const fb::Op *op : *entry.ops()) {
    PlanOp &p = out.ops.emplace_back();
    current = &p;
    MLRT_RETURN_IF_ERROR(readOp(*op, p));
    MLRT_RETURN_IF_ERROR(checkOp(p));
    ++opIndex;
  }
  if (out.ops.empty() || out.ops.front().kind != OpKind::Embed ||
      out.ops.back().kind != OpKind::LMHead)
    return Error() << "plan entry @" << out.name
                   << " must start with embed and end with lm_head";
  return std::move(out);
}

Expected<Plan> mlrt::readPlan(const fb::Plan &fbPlan,
                              const std::vector<WeightRef> &weights,
                              const ModelConfig &config, int gpuKernelCount) {
  Plan plan;
  plan.arena = fbPlan.arena();
  if (plan.arena <= 0 || plan.arena > (int64_t(1) << 31))
    return Error() << "plan arena of " << plan.arena
                   << " floats per token is invalid";
  for (const fb::State *s : *fbPlan.states()) {
    PlanState st;
    st.kind = s->kind() == fb::StateKind::KVCache ? PlanState::Kind::KVCache
                                                  : PlanState::Kind::Mamba;
    st.layer = s->layer();
    st.kvHeads = s->kv_heads();
    st.headDim = s->head_dim();
    st.channels = s->channels();
    st.width = s->width();
    st.heads = s->heads();
    st.dState = s->d_state();
    st.kvType = s->kv_bf16() ? DType::BF16 : DType::F32;
    st.ssmType = s->ssm_bf16() ? DType::BF16 : DType::F32;
    if ((s->kv_bf16() && st.kind != PlanState::Kind::KVCache) ||
        (s->ssm_bf16() && st.kind != PlanState::Kind::Mamba))
      return Error() << "plan state " << plan.states.size()
                     << " has an element type for a state it does not hold";
    bool ok = st.kind == PlanState::Kind::KVCache
                  ? st.kvHeads > 0 && st.headDim > 0
                  : st.channels > 0 && st.width > 1 && st.heads > 0 &&
                        st.headDim > 0 && st.dState > 0;
    if (static_cast<int>(s->kind()) > static_cast<int>(fb::StateKind::MAX) ||
        !ok || st.layer < 0 || st.layer >= config.layers)
      return Error() << "plan state " << plan.states.size()
                     << " (layer " << st.layer << ") has invalid sizes";
    plan.states.push_back(st);
  }
  if (fbPlan.entries()->size() != 2)
    return Error() << "plan has " << fbPlan.entries()->size()
                   << " entries, expected prefill and decode";
  for (const fb::Entry *e : *fbPlan.entries()) {
    Expected<PlanEntry> entry = EntryReader(*e, plan, weights, config, gpuKernelCount).read();
    if (!entry)
      return entry.takeError();
    PlanEntry &slot = entry->name == "decode" ? plan.decode : plan.prefill;
    if (!slot.name.empty() || (entry->name != "decode" && entry->name != "prefill"))
      return Error() << "plan entry @" << entry->name
                     << " is unexpected (expected one @prefill, one @decode)";
    slot = std::move(*entry);
  }
  return plan;
}

Expected<std::optional<GpuCode>> mlrt::readGpuCode(const fb::Artifact &root) {
  const fb::GpuCode *gpu = root.gpu();
  if (!gpu)
    return std::optional<GpuCode>();
  GpuCode code;
  code.target = gpu->target()->str();
  code.ptx = gpu->ptx()->str();
  code.matrixType = static_cast<DType>(gpu->matrix_type());
  if (code.matrixType != DType::F32 && code.matrixType != DType::BF16)
    return Error() << "the GPU code holds matrices as "
                   << dtypeName(code.matrixType) << ", expected f32 or bf16";
  for (const fb::GpuKernel *k : *gpu->kernels()) {
    GpuKernel &out = code.kernels.emplace_back();
    out.name = k->name()->str();
    if (k->grid()->size() != 3 || k->block()->size() != 3)
      return Error() << "GPU kernel " << out.name
                     << " needs 3 grid and 3 block dimensions";
    int64_t threads = 1;
    for (int i = 0; i < 3; ++i) {
      out.grid[i] = k->grid()->Get(i);
      out.block[i] = k->block()->Get(i);
      if (out.grid[i] <= 0 || out.block[i] <= 0)
        return Error() << "GPU kernel " << out.name
                       << " has a non-positive launch dimension";
      threads *= out.block[i];
    }
    if (threads > 1024 || k->shared_bytes() < 0 ||
        k->shared_bytes() > 227 * 1024)
      return Error() << "GPU kernel " << out.name << " asks for " << threads
                     << " threads and " << k->shared_bytes()
                     << " bytes of shared memory per block";
    out.perToken = k->per_token();
    out.perSequence = k->per_sequence();
    out.positions = k->positions();
    out.sharedBytes = k->shared_bytes();
    if (code.ptx.find(".entry " + out.name + "(") == std::string::npos)
      return Error() << "GPU kernel " << out.name << " is not in the PTX";
  }
  return std::optional<GpuCode>(std::move(code));
}
