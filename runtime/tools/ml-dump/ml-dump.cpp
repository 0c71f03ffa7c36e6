//===- ml-dump.cpp - Print a compiled model (.mlart) ----------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//
//
//   ml-dump model.mlart [--weights] [--plan]
//
// Opens the artifact as the runtime does (every check included) and prints
// its config, layers, memory needs, plan summary and, with --weights, the
// weight table, with --plan the execution plan op by op.
// A runtime tool: it links no compiler code.
//
//===----------------------------------------------------------------------===//

#include "mlrt/Artifact.h"

#include <cstdio>
#include <cstring>

using namespace mlrt;

static const char *mixerName(MixerKind k) {
  switch (k) {
  case MixerKind::Attention:
    return "attention";
  case MixerKind::Mamba1:
    return "mamba1";
  case MixerKind::Mamba2:
    return "mamba2";
  }
  return "?";
}

static const char *archName(Arch a) {
  return a == Arch::Llama ? "llama" : a == Arch::Mistral ? "mistral" : "qwen2";
}

static std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

/// One plan op as `kind %in, ... [w...] state S attrs -> %out`; buffers
/// print as %index<width @ offset>.
static void printOp(const Artifact &a, const PlanEntry &e, const PlanOp &op) {
  auto buffer = [&](int i) {
    const PlanBuffer &b = e.buffers[i];
    return "%" + std::to_string(i) + "<" + std::to_string(b.width) + " @ " +
           std::to_string(b.offset) + ">";
  };
  auto weight = [&](const WeightRef *w) {
    return w ? "w" + std::to_string(w - a.weights().data()) : std::string("-");
  };
  // Linear has one input, then its outputs.
  size_t inputs = op.kind == OpKind::Linear ? 1
                  : op.kind == OpKind::LMHead || op.kind == OpKind::Rope
                      ? op.buffers.size()
                  : op.kind == OpKind::AddRMSNorm ? op.buffers.size() - 2
                                                  : op.buffers.size() - 1;
  std::string line = std::string("  ") + opKindName(op.kind);
  for (size_t i = 0; i < inputs; ++i)
    line += (i ? ", " : " ") + buffer(op.buffers[i]);
  auto list = [&](const char *label, const std::vector<const WeightRef *> &ws) {
    if (ws.empty())
      return;
    line += std::string(" ") + label + "[";
    for (size_t i = 0; i < ws.size(); ++i)
      line += (i ? ", " : "") + weight(ws[i]);
    line += "]";
  };
  list("", op.weights);
  list("bias ", op.biases);
  if (op.norm)
    line += " norm " + weight(op.norm);
  if (op.accumulate)
    line += " accumulate";
  if (op.rope)
    line += " rope";
  if (op.bf16Inputs)
    line += " bf16_inputs";
  if (op.state >= 0)
    line += " state " + std::to_string(op.state);
  std::pair<const char *, int64_t> attrs[] = {
      {"heads", op.heads},      {"groups", op.groups}, {"d_state", op.dState},
      {"head_dim", op.headDim}, {"window", op.window}, {"group", op.group},
      {"times", op.times}};
  for (auto [name, value] : attrs)
    if (value)
      line += std::string(" ") + name + " " + std::to_string(value);
  if (op.kind == OpKind::SSMScan)
    line += op.variant == MixerKind::Mamba1 ? " mamba1" : " mamba2";
  if (op.eps > 0) {
    char eps[32];
    std::snprintf(eps, sizeof(eps), " eps %g", op.eps);
    line += eps;
  }
  for (size_t i = inputs; i < op.buffers.size(); ++i)
    line += (i == inputs ? " -> " : ", ") + buffer(op.buffers[i]);
  if (const GpuCode *gpu = a.gpu()) {
    line += op.gpuKernels.empty() ? "  [cuda: library GEMM]" : "  [cuda:";
    for (int k : op.gpuKernels)
      line += " " + gpu->kernels[k].name;
    if (!op.gpuKernels.empty())
      line += "]";
  }
  std::printf("%s\n", line.c_str());
}

static void printPlan(const Artifact &a) {
  const Plan &p = a.plan();
  for (size_t i = 0; i < p.states.size(); ++i) {
    const PlanState &s = p.states[i];
    if (s.kind == PlanState::Kind::KVCache)
      std::printf("state %zu: kv_cache layer %lld, %lld kv heads of %lld, %s\n",
                  i, (long long)s.layer, (long long)s.kvHeads,
                  (long long)s.headDim,
                  s.kvType == DType::BF16 ? "bf16" : "f32");
    else
      std::printf("state %zu: mamba layer %lld, conv %lldx%lld, ssm "
                  "%lldx%lldx%lld%s\n",
                  i, (long long)s.layer, (long long)s.channels,
                  (long long)s.width - 1, (long long)s.heads,
                  (long long)s.headDim, (long long)s.dState,
                  s.ssmType == DType::BF16 ? " bf16" : "");
  }
  for (const PlanEntry *e : {&p.prefill, &p.decode}) {
    std::printf("entry @%s%s: %zu buffers, %zu ops\n", e->name.c_str(),
                e->step ? " (step)" : "", e->buffers.size(), e->ops.size());
    for (const PlanOp &op : e->ops)
      printOp(a, *e, op);
  }
}

int main(int argc, char **argv) {
  bool weights = false, plan = false, usage = argc < 2;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--weights") == 0)
      weights = true;
    else if (std::strcmp(argv[i], "--plan") == 0)
      plan = true;
    else
      usage = true;
  }
  if (usage) {
    std::fprintf(stderr, "usage: ml-dump model.mlart [--weights] [--plan]\n");
    return 2;
  }
  Expected<Artifact> a = Artifact::open(argv[1]);
  if (!a) {
    std::fprintf(stderr, "ml-dump: error: %s\n", a.message().c_str());
    return 1;
  }
  const ModelConfig &c = a->config();
  std::printf("artifact %s: version %u, produced by %s\n", a->name().c_str(),
              a->version(), a->producer().c_str());
  std::printf("config: %s, vocab %lld, hidden %lld, intermediate %lld, %lld "
              "layers, %lld heads (%lld kv) of %lld, rope theta %g, rms eps "
              "%g%s\n",
              archName(c.arch), (long long)c.vocab, (long long)c.hidden,
              (long long)c.intermediate, (long long)c.layers,
              (long long)c.heads, (long long)c.kvHeads, (long long)c.headDim,
              c.rope.theta, c.rmsEps,
              c.tieEmbeddings ? ", tied embeddings" : "");
  for (size_t i = 0; i < a->layers().size(); ++i) {
    const LayerSpec &l = a->layers()[i];
    std::printf("layer %zu: %s", i, mixerName(l.mixer));
    if (l.mixer == MixerKind::Attention && l.slidingWindow)
      std::printf(" (sliding window %lld)", (long long)l.slidingWindow);
    if (l.mixer != MixerKind::Attention)
      std::printf(" (d_state %lld, groups %lld)", (long long)l.dState,
                  (long long)l.groups);
    std::printf("\n");
  }
  MemoryReport m = a->memory();
  std::printf("memory: weights %.2f MiB, KV cache %.1f KiB per token (%lld "
              "attention layers), SSM state %.1f KiB per sequence (%lld Mamba "
              "layers)\n",
              m.weightBytes / 1048576.0, m.kvBytesPerToken / 1024.0,
              (long long)m.attentionLayers, m.ssmStateBytes / 1024.0,
              (long long)m.mambaLayers);
  for (const std::string &s : a->storePaths())
    std::printf("store: %s\n", s.c_str());
  std::printf("tokenizer: %s\n", a->tokenizerPath().empty()
                                     ? "(none)"
                                     : a->tokenizerPath().c_str());
  std::printf("plan: arena of %lld floats per token, %zu states, "
              "prefill %zu ops, decode %zu ops\n",
              (long long)a->plan().arena, a->plan().states.size(),
              a->plan().prefill.ops.size(), a->plan().decode.ops.size());
  if (const GpuCode *gpu = a->gpu()) {
    std::printf("gpu: %s, %zu kernels, %.1f KiB of PTX\n", gpu->target.c_str(),
                gpu->kernels.size(), gpu->ptx.size() / 1024.0);
    if (plan)
      for (const GpuKernel &k : gpu->kernels)
        std::printf("kernel %s: grid %lld%s x %lld%s x %lld, block %lld x %lld "
                    "x %lld, %lld bytes shared%s\n",
                    k.name.c_str(), (long long)k.grid[0],
                    k.perToken ? " per token" : "", (long long)k.grid[1],
                    k.perSequence ? " per sequence" : "", (long long)k.grid[2],
                    (long long)k.block[0], (long long)k.block[1],
                    (long long)k.block[2], (long long)k.sharedBytes,
                    k.positions ? ", positions" : "");
  }
  if (plan)
    printPlan(*a);
  if (weights)
    for (size_t i = 0; i < a->weights().size(); ++i) {
      const WeightRef &w = a->weights()[i];
      std::printf("weight %zu: %s %s %s\n", i, w.name.c_str(),
                  std::string(dtypeName(w.dtype)).c_str(),
                  shapeText(w.shape).c_str());
    }
  return 0;
}
