//===- CpuBackend.cpp - The plan interpreter on the CPU kernels -----------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
// Buffers of a call for T tokens live at arena + offset * T with a row
// stride of their width, so the planner's offsets (floats per token) hold
// for any T. The artifact reader has checked every call, so nothing here
// re-checks shapes. A batched decode step (Feed::sequences > 1) runs the
// row-wise ops on all its rows at once and the ops with states (and RoPE,
// which depends on positions) sequence by sequence on their rows.
//
//===----------------------------------------------------------------------===//

#include "CpuBackend.h"

#include "mlrt/cpu/Kernels.h"

#include <algorithm>

using namespace mlrt;
using namespace mlrt::cpu;

namespace {

/// The states of one layer. A bf16 SSM state (ml-compile --ssm-state=bf16)
/// is held as bf16 in `ssmBf16` between calls and widened into the
/// backend's working copy for a scan; an f32 one is `ssm`.
struct LayerState {
  KVCache kv;
  std::vector<float> conv, ssm;
  std::vector<uint16_t> ssmBf16;
};

class CpuBackend final : public Backend {
public:
  CpuBackend(const Artifact &model, const SessionOptions &options);

  const char *name() const override { return "cpu"; }
  Status run(const PlanEntry &entry, const Feed &feed, bool allPositions,
             float *logits) override;
  Status copySequence(int64_t from, int64_t to, int64_t tokens) override;
  void reset() override;
  uint64_t allocatedBytes() const override;

private:
  void runOp(const PlanEntry &entry, const PlanOp &op, const Feed &feed,
             bool allPositions, float *logits);
  /// An op with states (or positions) on its rows of sequence `s` of the
  /// feed: `rows(slot)` gives that sequence's rows of a buffer.
  void runSequenceOp(const PlanEntry &entry, const PlanOp &op, const Feed &feed,
                     int64_t s);
  /// The layer's SSM state as f32 for a scan: its own, or its bf16 state
  /// widened into `ssmWork`.
  std::vector<float> &loadSsm(LayerState &l);
  /// A scan's state back into the layer: rounded to bf16 for a bf16 state
  /// (the values the CUDA backend keeps).
  void storeSsm(LayerState &l, const std::vector<float> &ssm);

  const Artifact &model;
  Rope rope;
  /// Rows a call holds: a prefill chunk or a batched step's sequences.
  int64_t chunk;
  std::vector<float> arena;
  /// The two projections of a LinearSwiGLU op, or an accumulating Linear's.
  std::vector<float> scratch;
  /// A projection's input rows, normalised (input norm) and/or rounded to
  /// bf16 (bf16_inputs).
  std::vector<float> normalised;
  /// The f32 working copy of a bf16 SSM state during a scan.
  std::vector<float> ssmWork;
  /// Per sequence, per plan state.
  std::vector<std::vector<LayerState>> sequences;
};

/// A weight as the kernels see it: rows x (everything else); a vector is
/// one row.
Matrix matrix(const WeightRef *w) {
  if (!w)
    return {};
  Matrix m{w->data, w->dtype, 1, 1};
  if (w->shape.size() == 1) {
    m.cols = w->shape[0];
    return m;
  }
  m.rows = w->shape[0];
  for (size_t i = 1; i < w->shape.size(); ++i)
    m.cols *= w->shape[i];
  return m;
}

} // namespace

CpuBackend::CpuBackend(const Artifact &model, const SessionOptions &options)
    : model(model), rope(model.config().rope, model.config().headDim,
                         model.config().maxPosition),
      chunk(std::max(std::min(options.prefillChunk, options.maxTokens),
                     options.batch)) {
  const Plan &plan = model.plan();
  arena.resize(plan.arena * chunk);
  for (const PlanEntry *entry : {&plan.prefill, &plan.decode})
    for (const PlanOp &op : entry->ops) {
      auto width = [&](size_t slot) {
        return static_cast<size_t>(entry->buffers[op.buffers[slot]].width);
      };
      if (op.kind == OpKind::LinearSwiGLU || op.accumulate) {
        size_t rows = op.kind == OpKind::LinearSwiGLU ? 2 : 1; // gate, up
        scratch.resize(std::max(scratch.size(), rows * chunk * width(1)));
      }
      if (op.norm || op.bf16Inputs)
        normalised.resize(std::max(normalised.size(), chunk * width(0)));
    }
  std::vector<LayerState> &states = sequences.emplace_back();
  for (const PlanState &s : plan.states) {
    LayerState &l = states.emplace_back();
    if (s.kind == PlanState::Kind::KVCache) {
      l.kv = KVCache(options.maxTokens, s.kvHeads * s.headDim,
                     s.kvType == DType::BF16);
    } else {
      l.conv.resize(s.channels * (s.width - 1));
      const int64_t elements = s.heads * s.headDim * s.dState;
      if (s.ssmType == DType::BF16)
        l.ssmBf16.resize(elements);
      else
        l.ssm.resize(elements);
    }
  }
  sequences.resize(options.batch, states);
}

void CpuBackend::reset() {
  for (std::vector<LayerState> &states : sequences)
    for (LayerState &l : states) {
      l.kv.length = 0;
      std::fill(l.conv.begin(), l.conv.end(), 0.0f);
      std::fill(l.ssm.begin(), l.ssm.end(), 0.0f);
      std::fill(l.ssmBf16.begin(), l.ssmBf16.end(), 0);
    }
}

Status CpuBackend::copySequence(int64_t from, int64_t to, int64_t) {
  sequences[to] = sequences[from];
  return Status::ok();
}

uint64_t CpuBackend::allocatedBytes() const {
  uint64_t floats = arena.size() + scratch.size() + normalised.size() +
                    ssmWork.size(),
           bytes = 0;
  for (const std::vector<LayerState> &states : sequences)
    for (const LayerState &l : states) {
      floats += l.conv.size() + l.ssm.size();
      bytes += l.kv.bytes() + l.ssmBf16.size() * sizeof(uint16_t);
    }
  return floats * sizeof(float) + bytes;
}

std::vector<float> &CpuBackend::loadSsm(LayerState &l) {
  if (l.ssmBf16.empty())
    return l.ssm;
  ssmWork.resize(l.ssmBf16.size());
  std::transform(l.ssmBf16.begin(), l.ssmBf16.end(), ssmWork.begin(),
                 bf16ToF32);
  return ssmWork;
}

void CpuBackend::storeSsm(LayerState &l, const std::vector<float> &ssm) {
  if (!l.ssmBf16.empty())
    std::transform(ssm.begin(), ssm.end(), l.ssmBf16.begin(), f32ToBF16);
}

void CpuBackend::runSequenceOp(const PlanEntry &entry, const PlanOp &op,
                               const Feed &feed, int64_t s) {
  const int64_t count = feed.count;
  auto rows = [&](size_t slot) {
    const PlanBuffer &b = entry.buffers[op.buffers[slot]];
    return Rows{arena.data() + b.offset * feed.rows() + s * count * b.width,
                count, b.width};
  };
  auto width = [&](size_t slot) {
    return entry.buffers[op.buffers[slot]].width;
  };
  auto w = [&](size_t i) { return matrix(op.weights[i]); };
  const int64_t position = feed.positionOf(s);
  std::vector<LayerState> &states = sequences[feed.first + s];
  switch (op.kind) {
  case OpKind::Rope:
    return rope.apply(rows(0), width(0) / op.headDim, rows(1),
                      width(1) / op.headDim, position);
  case OpKind::Attention: {
    const PlanState &st = model.plan().states[op.state];
    if (op.rope) // kern-fuse-rope-attention: kern.rope's arithmetic first
      rope.apply(rows(0), op.heads, rows(1), st.kvHeads, position);
    return attention(rows(0), rows(1), rows(2), states[op.state].kv, op.heads,
                     st.kvHeads, st.headDim, op.window, rows(3), op.bf16Inputs);
  }
  case OpKind::Conv1d:
    return conv1d(rows(0), w(0), w(1), states[op.state].conv, rows(1));
  case OpKind::SSMScan: {
    const PlanState &st = model.plan().states[op.state];
    std::vector<float> &ssm = loadSsm(states[op.state]);
    Rows xbc = rows(0);
    if (op.bf16Inputs) { // kern-bf16-prefill-inputs: x, B and C as bf16
      Rows copy{normalised.data(), xbc.tokens, xbc.stride};
      roundToBf16(xbc, width(0), copy);
      xbc = copy;
    }
    if (op.variant == MixerKind::Mamba1)
      ssmScanMamba1(xbc, rows(1), rows(2), w(0), w(1), w(2), op.heads,
                    op.groups, op.dState, ssm, rows(3));
    else
      ssmScanMamba2(xbc, rows(1), w(0), w(1), w(2), op.heads, op.groups,
                    st.headDim, op.dState, ssm, rows(2));
    return storeSsm(states[op.state], ssm);
  }
  case OpKind::MambaStep: {
    const PlanState &st = model.plan().states[op.state];
    LayerState &l = states[op.state];
    conv1d(rows(0), w(0), w(1), l.conv, rows(0));
    std::vector<float> &ssm = loadSsm(l);
    ssmScanMamba2(rows(0), rows(1), w(2), w(3), w(4), op.heads, op.groups,
                  st.headDim, op.dState, ssm, rows(3));
    storeSsm(l, ssm);
    return gatedRmsNorm(rows(3), rows(2), w(5), op.group, rows(3));
  }
  default:
    return;
  }
}

/// Whether `kind` keeps states or depends on positions (runSequenceOp).
static bool perSequence(OpKind kind) {
  switch (kind) {
  case OpKind::Rope:
  case OpKind::Attention:
  case OpKind::Conv1d:
  case OpKind::SSMScan:
  case OpKind::MambaStep:
    return true;
  default:
    return false;
  }
}

void CpuBackend::runOp(const PlanEntry &entry, const PlanOp &op,
                       const Feed &feed, bool allPositions, float *logits) {
  if (perSequence(op.kind)) {
    for (int64_t s = 0; s < feed.sequences; ++s)
      runSequenceOp(entry, op, feed, s);
    return;
  }
  const int64_t count = feed.rows();
  auto rows = [&](size_t slot) {
    const PlanBuffer &b = entry.buffers[op.buffers[slot]];
    return Rows{arena.data() + b.offset * count, count, b.width};
  };
  auto width = [&](size_t slot) {
    return entry.buffers[op.buffers[slot]].width;
  };
  auto w = [&](size_t i) { return matrix(op.weights[i]); };
  // A projection's input rows, RMS-normalised first when the op has the
  // norm of kern-fuse-norm-projection (as kern.rms_norm did), then rounded
  // to bf16 when it has bf16_inputs (kern-bf16-prefill-inputs).
  auto input = [&](Rows in) {
    if (!op.norm && !op.bf16Inputs)
      return in;
    Rows copy{normalised.data(), in.tokens, in.stride};
    if (op.norm)
      rmsNorm(in, matrix(op.norm), op.eps, copy);
    if (op.bf16Inputs)
      roundToBf16(op.norm ? copy : in, width(0), copy);
    return copy;
  };
  switch (op.kind) {
  case OpKind::Embed:
    return embed(w(0), feed.tokens, rows(0));
  case OpKind::RMSNorm:
    return rmsNorm(rows(0), w(0), op.eps, rows(1));
  case OpKind::Linear: {
    // Fused projections write adjacent column blocks of their outputs; an
    // accumulating one writes its one output's projection aside, then adds
    // it to the output as kern.add did.
    Rows in = input(rows(0));
    std::vector<LinearTarget> targets = linearTargets(entry, op);
    Rows sum{scratch.data(), count, width(1)};
    for (size_t i = 0; i < op.weights.size(); ++i) {
      Matrix bias = op.biases.empty() ? Matrix() : matrix(op.biases[i]);
      Rows out = op.accumulate ? sum : rows(targets[i].slot);
      out.data += targets[i].column;
      linear(in, w(i), bias.data ? &bias : nullptr, out);
    }
    if (op.accumulate)
      add(rows(1), sum, width(1), rows(1));
    return;
  }
  case OpKind::RepeatGroups:
    return repeatGroups(rows(0), op.group, op.times, rows(1));
  case OpKind::GatedRMSNorm:
    return gatedRmsNorm(rows(0), rows(1), w(0), op.group, rows(2));
  case OpKind::SwiGLU:
    return swiglu(rows(0), rows(1), width(0), rows(2));
  case OpKind::Add:
    return add(rows(0), rows(1), width(0), rows(2));
  // Fused kinds run the kernels of their parts in order, so that their
  // results are those of the unfused plan bit for bit.
  case OpKind::AddRMSNorm:
    add(rows(0), rows(1), width(0), rows(2));
    return rmsNorm(rows(2), w(0), op.eps, rows(3));
  case OpKind::LinearSwiGLU: {
    const int64_t n = width(1);
    Rows in = input(rows(0));
    Rows gate{scratch.data(), count, n}, up{scratch.data() + count * n, count, n};
    linear(in, w(0), nullptr, gate);
    linear(in, w(1), nullptr, up);
    return swiglu(gate, up, n, rows(1));
  }
  case OpKind::LMHead: {
    // The logits of every row, or of each sequence's last (a step's rows
    // are all last tokens).
    Rows in = input(rows(0));
    if (!allPositions && feed.count > 1) {
      in.data = in.row(count - 1);
      in.tokens = 1;
    }
    return linear(in, w(0), nullptr,
                  Rows{logits, in.tokens, model.config().vocab});
  }
  default:
    return; // perSequence kinds
  }
}

Status CpuBackend::run(const PlanEntry &entry, const Feed &feed,
                       bool allPositions, float *logits) {
  if (feed.rows() > chunk)
    return Error() << "cpu backend: " << feed.rows()
                   << " rows in one call, more than the prefill chunk of "
                   << chunk;
  for (const PlanOp &op : entry.ops)
    runOp(entry, op, feed, allPositions, logits);
  return Status::ok();
}

std::unique_ptr<Backend>
mlrt::cpu::createCpuBackend(const Artifact &model,
                            const SessionOptions &options) {
  return std::make_unique<CpuBackend>(model, options);
}
